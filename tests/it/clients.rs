//! Real PostgreSQL drivers and ORMs, unmodified, against a `strata start` cluster — and, as
//! the oracle, against a throwaway PostgreSQL 15 (`testkit::postgres::PgServer`): each
//! client script under `tests/clients/<client>/` (Python, Node, Java, Go, Ruby, psql) prints
//! a transcript in named sections (`== name`), and every section must read the same on both
//! servers.
//!
//! A section listed as pending in a driver's [`Client`] needs a piece another part of the
//! project still builds (a type, the pg_catalog views); its differences are printed, not
//! failed, and a pending section that starts to match is reported so it can leave the list.
//! Strata runs with `--tls --tls-required` (a self-signed certificate, plaintext refused),
//! so every transcript on its side is also a driver's TLS session (each driver's URL asks
//! for TLS without verification: `sslmode=require`, node-postgres' `no-verify`).
//! The clients come from the registries (`./scripts/test` installs psycopg, psycopg2,
//! asyncpg, SQLAlchemy, Django, pg8000, Peewee, node-postgres, postgres.js, Sequelize,
//! TypeORM, the JDBC driver, and from Debian Go with pgx v4 and ruby-pg with ActiveRecord);
//! a missing one fails under `CI=true` and is skipped loudly elsewhere.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::harness::{Process, TestDir};

/// One client program and the sections of its transcript that wait for other work.
struct Client {
    name: &'static str,
    /// The program and its arguments; the server's URL is appended.
    command: Vec<String>,
    /// Sections expected to differ for now, with what they wait for.
    pending: &'static [(&'static str, &'static str)],
    /// The URL query that makes this driver use TLS without verifying the certificate
    /// (Strata's side runs with `--tls --tls-required`, so a transcript proves TLS).
    tls: &'static str,
}

fn clients_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients")
}

/// Whether `program --version`-style probing succeeds.
fn available(check: &mut Command) -> bool {
    check
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn missing(what: &str) {
    let msg = format!("{what} is not installed; ./scripts/test installs it");
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{msg}");
    }
    eprintln!("\n\n!!!!! SKIPPING a client test: {msg} !!!!!\n\n");
}

/// Runs a client against `url`: its transcript, section by section.
fn transcript(client: &Client, url: &str) -> BTreeMap<String, Vec<String>> {
    let mut cmd = Command::new(&client.command[0]);
    cmd.args(&client.command[1..])
        .arg(url)
        .current_dir(clients_dir());
    let out = run_bounded(cmd, Duration::from_secs(240));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{} against {url} failed ({}):\n{stdout}\n{}",
        client.name,
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let mut sections = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in stdout.lines() {
        if let Some(name) = line.strip_prefix("== ") {
            current = Some(name.trim().to_string());
            sections.insert(name.trim().to_string(), Vec::new());
        } else if let Some(c) = &current {
            sections
                .get_mut(c)
                .expect("inserted above")
                .push(line.to_string());
        }
    }
    assert!(
        !sections.is_empty(),
        "{} printed no sections:\n{stdout}",
        client.name
    );
    sections
}

/// Runs `cmd` to completion, killing it after `limit`.
fn run_bounded(mut cmd: Command, limit: Duration) -> std::process::Output {
    let child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("start {cmd:?}: {e}"));
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(limit) {
        Ok(out) => out.expect("collect the client's output"),
        Err(_) => {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
            panic!("{cmd:?} did not finish within {limit:?}");
        }
    }
}

/// Runs `client` against Strata and PostgreSQL and compares the transcripts.
fn check(client: &Client) {
    let Some(pg) = testkit::postgres::PgServer::start() else {
        return;
    };
    let dir = TestDir::new(&format!("client-{}", client.name));
    let mut strata = Process::local_cluster(&dir, "strata");
    // A self-signed certificate, and plaintext refused: the drivers speak TLS to Strata.
    strata.push_args(&["--tls", "--tls-required"]);
    strata.start();
    let want = transcript(client, &pg.url("postgres"));
    let got = transcript(client, &format!("{}?{}", strata.pg_url(), client.tls));
    let mut failures = Vec::new();
    for (section, expected) in &want {
        let actual = got.get(section).cloned().unwrap_or_default();
        let pending = client.pending.iter().find(|(s, _)| s == section);
        match (actual == *expected, pending) {
            (true, None) => println!("{}: {section}: same as PostgreSQL", client.name),
            (true, Some(_)) => println!(
                "{}: {section}: NOW THE SAME AS PostgreSQL — take it off the pending list",
                client.name
            ),
            (false, Some((_, waits))) => println!(
                "{}: {section}: pending ({waits}):\n  PostgreSQL: {expected:?}\n  Strata:     {actual:?}",
                client.name
            ),
            (false, None) => failures.push(format!(
                "{section}:\n  PostgreSQL: {expected:?}\n  Strata:     {actual:?}"
            )),
        }
    }
    assert!(
        failures.is_empty(),
        "{} differs from PostgreSQL:\n{}",
        client.name,
        failures.join("\n")
    );
}

#[test]
fn psycopg() {
    if !available(Command::new("python3").args(["-c", "import psycopg"])) {
        return missing("psycopg (pip install 'psycopg[binary]')");
    }
    check(&Client {
        name: "psycopg",
        command: vec!["python3".into(), "python/psycopg_test.py".into()],
        pending: &[],
        tls: "sslmode=require",
    });
}

#[test]
fn sqlalchemy() {
    if !available(Command::new("python3").args(["-c", "import sqlalchemy, psycopg"])) {
        return missing("SQLAlchemy 2 (pip install 'SQLAlchemy>=2')");
    }
    // create_all and reflection write schema.table.column names, json_build_object,
    // unnest/generate_subscripts over pg_index.indkey and read pg_opclass.
    check(&Client {
        name: "sqlalchemy",
        command: vec!["python3".into(), "python/sqlalchemy_test.py".into()],
        pending: &[],
        tls: "sslmode=require",
    });
}

#[test]
fn psycopg2() {
    if !available(Command::new("python3").args(["-c", "import psycopg2"])) {
        return missing("psycopg2 (pip install psycopg2-binary)");
    }
    // Simple-protocol text with client-side interpolation, named cursors (DECLARE/FETCH,
    // SCROLL, WITH HOLD), copy_expert both ways, LISTEN with poll().
    check(&Client {
        name: "psycopg2",
        command: vec!["python3".into(), "python/psycopg2_test.py".into()],
        pending: &[],
        tls: "sslmode=require",
    });
}

#[test]
fn asyncpg() {
    if !available(Command::new("python3").args(["-c", "import asyncpg"])) {
        return missing("asyncpg (pip install asyncpg)");
    }
    // Binary formats for every parameter and result, and the type-introspection query
    // (a recursive CTE over pg_type, pg_range, pg_attribute) for enums, composites,
    // domains and ranges.
    check(&Client {
        name: "asyncpg",
        command: vec!["python3".into(), "python/asyncpg_test.py".into()],
        pending: &[],
        tls: "sslmode=require",
    });
}

#[test]
fn django() {
    let import = "import django, importlib.util as u, sys; \
                  sys.exit(not (u.find_spec('psycopg') or u.find_spec('psycopg2')))";
    if !available(Command::new("python3").args(["-c", import])) {
        return missing("Django and psycopg2 (pip install 'Django>=4.2,<6' psycopg2-binary)");
    }
    // makemigrations/migrate, the ORM, and the commands that read the catalog
    // (inspectdb, sqlflush, schema-editor changes that find constraints by column).
    check(&Client {
        name: "django",
        command: vec!["python3".into(), "python/django_test.py".into()],
        pending: &[],
        tls: "sslmode=require",
    });
}

#[test]
fn node_postgres() {
    let module = clients_dir().join("node/node_modules/pg");
    if !module.is_dir() || !available(Command::new("node").arg("--version")) {
        return missing("node-postgres (cd tests/clients/node && npm install)");
    }
    check(&Client {
        name: "node-postgres",
        command: vec!["node".into(), "node/pg_test.js".into()],
        pending: &[],
        // node-postgres reads `require` as verify-full.
        tls: "sslmode=no-verify",
    });
}

#[test]
fn pg8000() {
    if !available(Command::new("python3").args(["-c", "import pg8000"])) {
        return missing("pg8000 (pip install pg8000)");
    }
    // Pure Python: every parameter sent as text of type `unknown` (the server infers it),
    // Parse and Sync before Bind, ROLLBACK through Parse only when ReadyForQuery says the
    // session is in a block; COPY both ways through protocol statements; DB-API 2.0.
    check(&Client {
        name: "pg8000",
        command: vec!["python3".into(), "python/pg8000_test.py".into()],
        pending: &[(
            "native_other_types",
            "macaddr, point, money, xml, bit and varbit are not Strata types yet",
        )],
        tls: "sslmode=require",
    });
}

#[test]
fn peewee() {
    if !available(Command::new("python3").args(["-c", "import peewee, psycopg2"])) {
        return missing("Peewee and psycopg2 (pip install peewee psycopg2-binary)");
    }
    // create_tables, the ORM over psycopg2, introspection (get_columns, get_indexes,
    // get_foreign_keys through constraint_column_usage, playhouse.reflection) and the
    // schema migrator (its primary-key lookup is `attnum = ANY(pg_index.indkey)`).
    check(&Client {
        name: "peewee",
        command: vec!["python3".into(), "python/peewee_test.py".into()],
        pending: &[(
            "gin_index",
            "GIN indexes (postgres_ext indexes JSONB and array fields with GIN by default)",
        )],
        tls: "sslmode=require",
    });
}

#[test]
fn postgres_js() {
    let module = clients_dir().join("node/node_modules/postgres");
    if !module.is_dir() || !available(Command::new("node").arg("--version")) {
        return missing("postgres.js (cd tests/clients/node && npm install)");
    }
    // Extended protocol only, pipelined, parameter types from ParameterDescription, named
    // statements, cursors, the catalog read for array types (`fetch_types`).
    check(&Client {
        name: "postgres.js",
        command: vec!["node".into(), "node/postgres_js_test.mjs".into()],
        pending: &[],
        tls: "sslmode=require",
    });
}

#[test]
fn sequelize() {
    let module = clients_dir().join("node/node_modules/sequelize");
    if !module.is_dir() || !available(Command::new("node").arg("--version")) {
        return missing("Sequelize (cd tests/clients/node && npm install)");
    }
    // sync() (enum types, foreign keys, indexes), describeTable, showIndex,
    // getForeignKeyReferencesForTable, queryInterface migrations, sync({ alter }),
    // associations, managed and unmanaged transactions with savepoints, findOrCreate
    // (a pg_temp PL/pgSQL function), the error classes with their SQLSTATEs.
    check(&Client {
        name: "sequelize",
        command: vec!["node".into(), "node/sequelize_test.js".into()],
        pending: &[],
        tls: "sslmode=require",
    });
}

#[test]
fn typeorm() {
    let module = clients_dir().join("node/node_modules/typeorm");
    if !module.is_dir() || !available(Command::new("node").arg("--version")) {
        return missing("TypeORM (cd tests/clients/node && npm install)");
    }
    // synchronize (it reads the schema back first: `SELECT * FROM current_schema()`,
    // information_schema and pg_catalog joins; a second one must find nothing to change),
    // getTable, repositories, the query builder, upsert, transactions with savepoints.
    check(&Client {
        name: "typeorm",
        command: vec!["node".into(), "node/typeorm_test.js".into()],
        pending: &[],
        tls: "sslmode=require",
    });
}

#[test]
fn jdbc() {
    let jar = Path::new("/usr/share/java/postgresql.jar");
    if !jar.is_file() || !available(Command::new("java").arg("-version")) {
        return missing(
            "the PostgreSQL JDBC driver (apt libpostgresql-jdbc-java, default-jdk-headless)",
        );
    }
    check(&Client {
        name: "jdbc",
        command: vec![
            "java".into(),
            "-cp".into(),
            jar.display().to_string(),
            "java/JdbcTest.java".into(),
        ],
        pending: &[],
        tls: "sslmode=require",
    });
}

#[test]
fn pgx() {
    let pgx = Path::new("/usr/share/gocode/src/github.com/jackc/pgx/v4");
    if !pgx.is_dir() || !available(Command::new("go").arg("version")) {
        return missing("pgx v4 and Go (apt golang-go golang-github-jackc-pgx-v4-dev)");
    }
    // Debian's Go sources in GOPATH mode, offline. The extended protocol with binary
    // parameters and results for every type pgx has a codec for, QueryRow/Scan into Go and
    // pgtype values, the simple protocol, prepared statements, nested transactions
    // (savepoints), CopyFrom (binary COPY), SendBatch (one Sync for many statements),
    // *pgconn.PgError fields, LISTEN / NOTIFY.
    check(&Client {
        name: "pgx",
        command: [
            "env",
            "GO111MODULE=off",
            "GOPATH=/usr/share/gocode",
            "GOPROXY=off",
            "GOFLAGS=",
            "go",
            "run",
            "go/pgx_client.go",
        ]
        .map(String::from)
        .to_vec(),
        pending: &[],
        tls: "sslmode=require",
    });
}

#[test]
fn ruby_pg_activerecord() {
    let gems = "require 'pg'; require 'active_record'";
    if !available(Command::new("ruby").args(["-e", gems])) {
        return missing("ruby-pg and ActiveRecord (apt ruby-pg ruby-activerecord)");
    }
    // PG::Connection (exec, exec_params with binary values, prepare, the basic type maps,
    // copy_data both ways, the PG::Error subclasses by SQLSTATE), then ActiveRecord 6.1: its
    // type map loaded from pg_type with `'array_in(cstring,oid,integer)'::regprocedure`, a
    // migration, introspection (columns, indexes, primary keys through `indkey[i]`, foreign
    // keys), models and associations, savepoints, and the schema dumper.
    check(&Client {
        name: "ruby-pg",
        command: vec!["ruby".into(), "ruby/pg_test.rb".into()],
        pending: &[],
        tls: "sslmode=require",
    });
}

#[test]
fn psql_copy() {
    if !available(Command::new("psql").arg("--version")) {
        return missing("psql (apt postgresql-client-15)");
    }
    check(&Client {
        name: "psql-copy",
        // psql prints errors on stderr: keep them in the transcript.
        command: vec![
            "sh".into(),
            "-c".into(),
            "psql -XAtq -f psql/copy.sql \"$0\" 2>&1".into(),
        ],
        pending: &[],
        tls: "sslmode=require",
    });
}

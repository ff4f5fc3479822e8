//! Checks that the `.slt` files under `tests/slt/` pass against a real PostgreSQL 15 — the
//! spec the engine is held to. It starts its own throwaway server (`testkit::postgres`) whenever
//! PostgreSQL 15 is installed (`./scripts/test` installs it; under `CI=true` its absence is a
//! failure), or uses the server named by `STRATA_PG_CHECK` (a libpq connection string such as
//! `host=127.0.0.1 port=54329 user=postgres`). Each file runs in a database of its own.
//! `STRATA_PG_CHECK_FILE=name` checks only the files whose path contains `name`.

use sqllogictest::{DB, DBOutput, DefaultColumnType};
use std::sync::Arc;
use tokio_postgres::{NoTls, SimpleQueryMessage};

struct Pg {
    client: tokio_postgres::Client,
    rt: Arc<tokio::runtime::Runtime>,
}

#[derive(Debug)]
struct PgError(tokio_postgres::Error);

impl std::fmt::Display for PgError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0.as_db_error() {
            Some(db) => write!(f, "{} (SQLSTATE {})", db.message(), db.code().code()),
            None => write!(f, "{}", self.0),
        }
    }
}

impl std::error::Error for PgError {}

impl DB for Pg {
    type Error = PgError;
    type ColumnType = DefaultColumnType;

    fn run(&mut self, sql: &str) -> Result<DBOutput<DefaultColumnType>, PgError> {
        let msgs = self
            .rt
            .block_on(self.client.simple_query(sql))
            .map_err(PgError)?;
        let mut rows = Vec::new();
        let mut is_query = false;
        let mut count = 0;
        for m in msgs {
            match m {
                SimpleQueryMessage::RowDescription(_) => is_query = true,
                SimpleQueryMessage::Row(r) => {
                    is_query = true;
                    rows.push(
                        (0..r.len())
                            .map(|i| match r.get(i) {
                                None => "NULL".to_string(),
                                Some("") => "(empty)".to_string(),
                                Some(s) => s.to_string(),
                            })
                            .collect(),
                    );
                }
                SimpleQueryMessage::CommandComplete(n) => count = n,
                _ => {}
            }
        }
        if is_query {
            Ok(DBOutput::Rows {
                types: vec![],
                rows,
            })
        } else {
            Ok(DBOutput::StatementComplete(count))
        }
    }

    fn error_sql_state(err: &PgError) -> Option<String> {
        err.0.code().map(|c| c.code().to_string())
    }
}

fn connect(url: &str, rt: &Arc<tokio::runtime::Runtime>) -> Pg {
    let (client, conn) = rt
        .block_on(tokio_postgres::connect(url, NoTls))
        .expect("connect to PostgreSQL");
    rt.spawn(conn);
    Pg {
        client,
        rt: rt.clone(),
    }
}

#[test]
fn slt_files_pass_on_postgres() {
    let server;
    let url = match std::env::var("STRATA_PG_CHECK") {
        Ok(url) => url,
        Err(_) => {
            let Some(s) = testkit::postgres::PgServer::start() else {
                return;
            };
            server = s;
            server.conn_str()
        }
    };
    let rt = Arc::new(
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("runtime"),
    );
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/slt");
    let only = std::env::var("STRATA_PG_CHECK_FILE").ok();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/slt")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "slt"))
        .filter(|p| {
            only.as_ref()
                .is_none_or(|o| p.to_string_lossy().contains(o.as_str()))
        })
        .collect();
    files.sort();
    let mut failures = Vec::new();
    let admin = connect(&url, &rt);
    let run_id = std::process::id();
    for (i, f) in files.iter().enumerate() {
        let db = format!("strata_slt_{run_id}_{i}");
        for sql in [
            format!("DROP DATABASE IF EXISTS {db}"),
            format!(
                "CREATE DATABASE {db} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'"
            ),
        ] {
            rt.block_on(admin.client.simple_query(&sql))
                .expect("create a database for the file");
        }
        let (file_url, file_rt) = (format!("{url} dbname={db}"), rt.clone());
        let mut runner = sqllogictest::Runner::new(move || {
            let conn = connect(&file_url, &file_rt);
            async move { Ok(conn) }
        });
        runner.with_column_validator(|_, _| true);
        if let Err(e) = runner.run_file(f) {
            failures.push(format!("{}:\n{}", f.display(), e.display(true)));
        }
        drop(runner);
        let _ = rt.block_on(
            admin
                .client
                .batch_execute(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)")),
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

//! Checks that the `.slt` files under `tests/slt/` pass against a real PostgreSQL 15 — the
//! spec the engine is held to. Runs only when `STRATA_PG_CHECK` holds a libpq connection
//! string (e.g. `host=127.0.0.1 port=54329 user=postgres`); each file starts from an empty
//! `public` schema.

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
    let Ok(url) = std::env::var("STRATA_PG_CHECK") else {
        eprintln!("SKIPPING pg_check: set STRATA_PG_CHECK to a PostgreSQL 15 connection string");
        return;
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
    for f in &files {
        let admin = connect(&url, &rt);
        rt.block_on(
            admin
                .client
                .batch_execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;"),
        )
        .expect("reset schema");
        let (url, rt) = (url.clone(), rt.clone());
        let mut runner = sqllogictest::Runner::new(move || {
            let conn = connect(&url, &rt);
            async move { Ok(conn) }
        });
        runner.with_column_validator(|_, _| true);
        if let Err(e) = runner.run_file(f) {
            failures.push(format!("{}:\n{}", f.display(), e.display(true)));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

//! The Rust drivers, unmodified, against a `strata start` cluster and a throwaway PostgreSQL
//! 15 side by side: tokio-postgres (prepared statements with typed parameters, binary
//! results, transactions and savepoints, server-side cursors, SQLSTATEs) and sqlx (its runtime-checked `query` and
//! `query_as` — the `query!` macros need a database at compile time —, statement caching,
//! pools, transactions). Each scenario writes a transcript; both servers must write the same.

use std::time::Duration;

use sqlx::Row;
use sqlx::postgres::PgPoolOptions;

use crate::harness::{Process, TestDir};

/// Runs `scenario` against Strata and PostgreSQL and compares the transcripts.
async fn same_on_both<F, Fut>(name: &str, scenario: F)
where
    F: Fn(String) -> Fut,
    Fut: std::future::Future<Output = Vec<String>>,
{
    let Some(pg) = testkit::postgres::PgServer::start() else {
        return;
    };
    let dir = TestDir::new(name);
    let mut strata = Process::local_cluster(&dir, "strata");
    strata.start();
    let limit = Duration::from_secs(120);
    let want = tokio::time::timeout(limit, scenario(pg.url("postgres")))
        .await
        .expect("the scenario finishes on PostgreSQL");
    let got = tokio::time::timeout(limit, scenario(strata.pg_url()))
        .await
        .expect("the scenario finishes on Strata");
    println!("{name}: {} lines", want.len());
    assert_eq!(
        got, want,
        "{name}: Strata (left) differs from PostgreSQL (right)"
    );
}

async fn tokio_postgres_scenario(url: String) -> Vec<String> {
    let mut out = Vec::new();
    let (mut c, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .expect("connect");
    tokio::spawn(conn);
    c.batch_execute(
        "DROP TABLE IF EXISTS tp; CREATE TABLE tp (id int PRIMARY KEY, name text, big bigint, \
         small smallint, score float8, ok bool)",
    )
    .await
    .expect("create");
    let insert = c
        .prepare("INSERT INTO tp VALUES ($1, $2, $3, $4, $5, $6)")
        .await
        .expect("prepare");
    out.push(format!("{:?}", insert.params()));
    for i in 0..20i32 {
        let name = (i % 4 != 0).then(|| format!("n{i}"));
        let n = c
            .execute(
                &insert,
                &[
                    &i,
                    &name,
                    &(i64::from(i) << 33),
                    &(i as i16),
                    &(f64::from(i) / 8.0),
                    &(i % 2 == 0),
                ],
            )
            .await
            .expect("insert");
        out.push(format!("inserted {n}"));
    }
    let select = c
        .prepare("SELECT id, name, big, small, score, ok FROM tp WHERE id < $1 ORDER BY id")
        .await
        .expect("prepare select");
    out.push(format!(
        "{:?}",
        select
            .columns()
            .iter()
            .map(|col| (col.name(), col.type_().name()))
            .collect::<Vec<_>>()
    ));
    for row in c.query(&select, &[&6i32]).await.expect("select") {
        let (id, name, big, small, score, ok): (i32, Option<String>, i64, i16, f64, bool) = (
            row.get(0),
            row.get(1),
            row.get(2),
            row.get(3),
            row.get(4),
            row.get(5),
        );
        out.push(format!("{id} {name:?} {big} {small} {score} {ok}"));
    }
    let t = c.transaction().await.expect("begin");
    t.execute("UPDATE tp SET score = score + 1 WHERE id = $1", &[&1i32])
        .await
        .expect("update");
    {
        let mut t = t;
        let sp = t.transaction().await.expect("savepoint");
        sp.execute("DELETE FROM tp", &[]).await.expect("delete");
        sp.rollback().await.expect("rollback to savepoint");
        t.commit().await.expect("commit");
    }
    let row = c
        .query_one("SELECT count(*), sum(score) FROM tp", &[])
        .await
        .expect("count");
    out.push(format!("{} {}", row.get::<_, i64>(0), row.get::<_, f64>(1)));
    // A server-side cursor over the extended protocol: DECLARE with a typed parameter,
    // FETCHes described with the cursor's columns, row locks on the way.
    let mut t = c.transaction().await.expect("begin");
    t.execute(
        "DECLARE cur CURSOR FOR SELECT id, name FROM tp WHERE id >= $1 ORDER BY id FOR UPDATE",
        &[&15i32],
    )
    .await
    .expect("declare");
    t.execute(
        "DECLARE back SCROLL CURSOR FOR SELECT id, name FROM tp WHERE id < $1 ORDER BY id",
        &[&4i32],
    )
    .await
    .expect("declare scroll");
    for fetch in [
        "FETCH 2 FROM cur",
        "FETCH ALL FROM cur",
        "FETCH BACKWARD 1 FROM cur",
        "FETCH LAST FROM back",
        "FETCH BACKWARD 2 FROM back",
    ] {
        let sp = t.savepoint("f").await.expect("savepoint");
        match sp.query(fetch, &[]).await {
            Ok(rows) => {
                let ids: Vec<(i32, Option<String>)> =
                    rows.iter().map(|r| (r.get(0), r.get(1))).collect();
                out.push(format!("{fetch}: {ids:?}"));
                sp.commit().await.expect("release");
            }
            Err(e) => {
                out.push(format!("{fetch}: {:?}", e.code().map(|s| s.code())));
                sp.rollback().await.expect("rollback to savepoint");
            }
        }
    }
    t.execute("CLOSE cur", &[]).await.expect("close");
    t.commit().await.expect("commit");
    for sql in [
        "SELECT * FROM nope",
        "SELECT 1/0",
        "INSERT INTO tp (id) VALUES (1)",
        "FETCH 1 FROM cur",
    ] {
        let e = c.simple_query(sql).await.expect_err(sql);
        out.push(format!("{sql}: {:?}", e.code().map(|s| s.code())));
    }
    out
}

async fn sqlx_scenario(url: String) -> Vec<String> {
    let mut out = Vec::new();
    let pool = PgPoolOptions::new()
        .max_connections(3)
        .acquire_timeout(Duration::from_secs(20))
        .connect(&url)
        .await
        .expect("connect");
    sqlx::query("DROP TABLE IF EXISTS sx")
        .execute(&pool)
        .await
        .expect("drop");
    sqlx::query("CREATE TABLE sx (id int PRIMARY KEY, name text NOT NULL, n bigint)")
        .execute(&pool)
        .await
        .expect("create");
    for i in 0..30i32 {
        let r = sqlx::query("INSERT INTO sx (id, name, n) VALUES ($1, $2, $3)")
            .bind(i)
            .bind(format!("name{i}"))
            .bind((i % 3 != 0).then_some(i64::from(i) * 1000))
            .execute(&pool)
            .await
            .expect("insert");
        out.push(format!("rows {}", r.rows_affected()));
    }
    let rows: Vec<(i32, String, Option<i64>)> =
        sqlx::query_as("SELECT id, name, n FROM sx WHERE id BETWEEN $1 AND $2 ORDER BY id")
            .bind(2i32)
            .bind(5i32)
            .fetch_all(&pool)
            .await
            .expect("query_as");
    out.push(format!("{rows:?}"));
    let mut tx = pool.begin().await.expect("begin");
    sqlx::query("UPDATE sx SET n = 0 WHERE n IS NULL")
        .execute(&mut *tx)
        .await
        .expect("update");
    tx.rollback().await.expect("rollback");
    let mut tx = pool.begin().await.expect("begin");
    sqlx::query("DELETE FROM sx WHERE id >= $1")
        .bind(20i32)
        .execute(&mut *tx)
        .await
        .expect("delete");
    tx.commit().await.expect("commit");
    let row = sqlx::query("SELECT count(*) AS c, count(n) AS with_n, max(name) AS top FROM sx")
        .fetch_one(&pool)
        .await
        .expect("aggregate");
    out.push(format!(
        "{} {} {}",
        row.get::<i64, _>("c"),
        row.get::<i64, _>("with_n"),
        row.get::<String, _>("top")
    ));
    let err = sqlx::query("INSERT INTO sx (id, name) VALUES (1, 'dup')")
        .execute(&pool)
        .await
        .expect_err("duplicate");
    let db = err.as_database_error().expect("a server error");
    out.push(format!("{:?} {:?}", db.code(), db.constraint()));
    pool.close().await;
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokio_postgres_agrees_with_postgresql() {
    same_on_both("tokio-postgres", tokio_postgres_scenario).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlx_agrees_with_postgresql() {
    same_on_both("sqlx", sqlx_scenario).await;
}

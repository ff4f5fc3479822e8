//! Temporary tables between sessions, through the real front end (tokio-postgres clients
//! against a `strata::LocalCluster`): two sessions each have their own table of one name,
//! neither sees the other's, and a session's temporary schema — its temporary tables, views
//! and sequences — is gone once it disconnects.
//! Single-session behaviour (search order, `pg_temp.`, ON COMMIT, DISCARD TEMP) is in
//! `sql/tests/slt/temp_tables.slt`.

use std::time::Duration;

use crate::harness::{exec, pg_connect, text_rows};
use crate::isolation::{cluster, stop, value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_session_has_its_own_temporary_tables_until_it_ends() {
    let (_dir, cluster) = cluster().await;
    let port = cluster.postgres_addr.port();
    let a = pg_connect(port).await;
    let b = pg_connect(port).await;
    exec(
        &a,
        "CREATE TABLE shared (x int4); INSERT INTO shared VALUES (0)",
    )
    .await;
    exec(
        &a,
        "CREATE TEMP TABLE scratch (x int4); INSERT INTO scratch VALUES (1);
         CREATE TEMP TABLE shared (x int4); INSERT INTO shared VALUES (1);
         CREATE TEMP VIEW scratch_v AS SELECT x FROM scratch;
         CREATE VIEW scratch_w AS SELECT x FROM scratch;
         CREATE TEMP SEQUENCE scratch_s",
    )
    .await;
    exec(
        &b,
        "CREATE TEMP TABLE scratch (x int4); INSERT INTO scratch VALUES (2), (2)",
    )
    .await;
    assert_eq!(value(&a, "SELECT sum(x) FROM scratch").await, "1");
    assert_eq!(value(&b, "SELECT sum(x) FROM scratch").await, "4");
    assert_eq!(
        value(&a, "SELECT sum(x) FROM shared").await,
        "1",
        "the temporary one"
    );
    assert_eq!(
        value(&b, "SELECT sum(x) FROM shared").await,
        "0",
        "the permanent one"
    );
    assert_eq!(value(&a, "SELECT sum(x) FROM scratch_w").await, "1");
    assert_eq!(value(&a, "SELECT nextval('scratch_s')").await, "1");
    let temp_objects = "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = \
                        c.relnamespace WHERE n.nspname LIKE 'pg_temp%' \
                        AND c.relname IN ('scratch_v', 'scratch_w', 'scratch_s')";
    assert_eq!(
        value(&b, temp_objects).await,
        "3",
        "temporary views and sequence"
    );
    let temp_schemas = "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'pg_temp%'";
    assert_eq!(value(&b, temp_schemas).await, "2");
    drop(a);
    // The schema is dropped when the session ends, shortly after the client goes.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        if value(&b, temp_schemas).await == "1" {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the ended session's temporary schema is still there: {:?}",
            text_rows(&b, "SELECT nspname FROM pg_namespace").await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(value(&b, "SELECT sum(x) FROM scratch").await, "4");
    assert_eq!(
        value(&b, temp_objects).await,
        "0",
        "gone with their session"
    );
    stop(cluster).await;
}

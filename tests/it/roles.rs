//! Roles and privileges over the real wire, as a client sees them: `strata start` with a
//! users file (the bootstrap administrator), a role created in SQL with a password logs in
//! with SCRAM from tokio-postgres, is refused a table it was not granted (42501), reads it
//! after GRANT (of the table, or of some of its columns), and still exists — password,
//! grants and all — after the cluster is killed and restarted (the role and the ACLs are
//! catalog data in the WAL). A wrong password and a NOLOGIN role are refused.

use std::time::Duration;

use crate::harness::{Process, TestDir};

/// Connects as `user` with `password`; the error's SQLSTATE (or message) on failure.
async fn connect(port: u16, user: &str, password: &str) -> Result<tokio_postgres::Client, String> {
    let conn = format!(
        "host=127.0.0.1 port={port} user={user} password={password} dbname=postgres connect_timeout=10"
    );
    match tokio_postgres::connect(&conn, tokio_postgres::NoTls).await {
        Ok((client, connection)) => {
            tokio::spawn(connection);
            Ok(client)
        }
        Err(e) => Err(e
            .as_db_error()
            .map(|d| format!("{} {}", d.code().code(), d.message()))
            .unwrap_or_else(|| e.to_string())),
    }
}

/// The SQLSTATE of a failed query (panics if it succeeded).
async fn sqlstate(client: &tokio_postgres::Client, sql: &str) -> String {
    match client.simple_query(sql).await {
        Ok(_) => panic!("{sql} succeeded"),
        Err(e) => e
            .code()
            .map(|c| c.code().to_string())
            .unwrap_or_else(|| e.to_string()),
    }
}

async fn count(client: &tokio_postgres::Client, sql: &str) -> i64 {
    client
        .query_one(sql, &[])
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .get(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_created_role_logs_in_is_refused_then_granted_and_survives_a_restart() {
    let dir = TestDir::new("roles");
    let users = dir.path().join("users");
    compute::frontend::users::set_password(&users, "admin", "admin-pw").expect("users file");
    let mut cluster = Process::local_cluster(&dir, "strata");
    cluster.push_args(&["--users-file", &users.display().to_string()]);
    cluster.start();
    let port = cluster.addr.port();
    let limit = Duration::from_secs(60);

    tokio::time::timeout(limit, async {
        let admin = connect(port, "admin", "admin-pw")
            .await
            .expect("admin logs in");
        admin
            .batch_execute(
                "CREATE TABLE secrets (id int PRIMARY KEY, v text); \
                 INSERT INTO secrets VALUES (1, 'a'), (2, 'b'); \
                 CREATE ROLE app LOGIN PASSWORD 'app-pw'; \
                 CREATE ROLE locked NOLOGIN PASSWORD 'locked-pw'",
            )
            .await
            .expect("set up");

        let Err(wrong) = connect(port, "app", "nope").await else {
            panic!("a wrong password is refused")
        };
        assert!(wrong.starts_with("28P01"), "{wrong}");
        let Err(locked) = connect(port, "locked", "locked-pw").await else {
            panic!("a NOLOGIN role is refused")
        };
        assert_eq!(locked, "28000 role \"locked\" is not permitted to log in");

        let app = connect(port, "app", "app-pw").await.expect("app logs in");
        let who: String = app
            .query_one("SELECT current_user::text", &[])
            .await
            .expect("current_user")
            .get(0);
        assert_eq!(who, "app");
        assert_eq!(sqlstate(&app, "SELECT * FROM secrets").await, "42501");
        // The extended protocol checks too (a prepared statement is checked per execution).
        let err = app
            .query("SELECT v FROM secrets WHERE id = $1", &[&1i32])
            .await
            .expect_err("no SELECT privilege");
        assert_eq!(err.code().map(|c| c.code()), Some("42501"), "{err}");

        admin
            .batch_execute("GRANT SELECT ON secrets TO app")
            .await
            .expect("grant");
        assert_eq!(count(&app, "SELECT count(*) FROM secrets").await, 2);
        assert_eq!(
            sqlstate(&app, "INSERT INTO secrets VALUES (3, 'c')").await,
            "42501"
        );

        // Column privileges: some columns readable, the others not, over both protocols.
        admin
            .batch_execute(
                "CREATE TABLE cols (id int, pub text, secret text); \
                 INSERT INTO cols VALUES (1, 'p', 's'); \
                 GRANT SELECT (id, pub) ON cols TO app",
            )
            .await
            .expect("column grant");
        assert_eq!(count(&app, "SELECT count(pub) FROM cols").await, 1);
        assert_eq!(sqlstate(&app, "SELECT secret FROM cols").await, "42501");
        let err = app
            .query("SELECT pub FROM cols WHERE secret = $1", &[&"s"])
            .await
            .expect_err("no SELECT on secret");
        assert_eq!(err.code().map(|c| c.code()), Some("42501"), "{err}");
    })
    .await
    .expect("the scenario finishes");

    // The role, its password and its privileges are in the WAL: a restarted cluster has them.
    cluster.kill9();
    cluster.start();
    tokio::time::timeout(limit, async {
        let app = connect(port, "app", "app-pw")
            .await
            .expect("app logs in after the restart");
        assert_eq!(count(&app, "SELECT count(*) FROM secrets").await, 2);
        assert_eq!(sqlstate(&app, "DELETE FROM secrets").await, "42501");
        assert_eq!(count(&app, "SELECT count(pub) FROM cols").await, 1);
        assert_eq!(sqlstate(&app, "SELECT * FROM cols").await, "42501");
        let admin = connect(port, "admin", "admin-pw")
            .await
            .expect("admin logs in");
        assert_eq!(
            count(
                &admin,
                "SELECT count(*) FROM pg_roles WHERE rolname IN ('app', 'locked')"
            )
            .await,
            2
        );
    })
    .await
    .expect("the scenario after the restart finishes");
}

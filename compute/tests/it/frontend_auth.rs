//! Authentication, black-box: tokio-postgres against the pgwire front end with a users file
//! of SCRAM-SHA-256 verifiers (right password, wrong password, unknown user), trust on
//! loopback as `auth::resolve` decides it, and `--auth-rules` deciding per connection.

use std::net::SocketAddr;

use compute::frontend::auth::{self, Auth};
use compute::frontend::{FrontendConfig, bind_and_serve, users};
use sql::memory::MemoryStorage;
use tokio_postgres::error::{DbError, SqlState};
use tokio_postgres::{Client, NoTls};
use tokio_util::sync::CancellationToken;

struct Server {
    addr: SocketAddr,
    cancel: CancellationToken,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

/// A front end on 127.0.0.1 whose authentication `resolve` picks from `users` (name,
/// password): a users file when there are any, else nothing (trust on loopback).
async fn server(users: &[(&str, &str)]) -> Server {
    server_with_rules(users, None).await
}

/// [`server`], with an `--auth-rules` file of `rules` when given.
async fn server_with_rules(users: &[(&str, &str)], rules: Option<&str>) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("users");
    for (user, password) in users {
        users::set_password(&file, user, password).unwrap();
    }
    let rules_file = dir.path().join("rules");
    if let Some(text) = rules {
        std::fs::write(&rules_file, text).unwrap();
    }
    let listen: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let auth = auth::resolve_with_rules(
        listen,
        None,
        (!users.is_empty()).then_some(file.as_path()),
        rules.is_some().then_some(rules_file.as_path()),
    )
    .unwrap();
    match rules {
        Some(_) => assert!(matches!(auth, Auth::Rules { .. })),
        None => assert_eq!(matches!(auth, Auth::Scram(_)), !users.is_empty()),
    }
    let storage = MemoryStorage::new();
    let cancel = CancellationToken::new();
    let (addr, _task) = bind_and_serve(
        listen,
        FrontendConfig {
            auth,
            ..FrontendConfig::default()
        },
        move || storage.clone(),
        cancel.clone(),
    )
    .await
    .unwrap();
    Server {
        addr,
        cancel,
        _dir: dir,
    }
}

async fn connect(
    s: &Server,
    user: &str,
    password: Option<&str>,
) -> Result<Client, tokio_postgres::Error> {
    connect_to(s, "db", user, password).await
}

async fn connect_to(
    s: &Server,
    database: &str,
    user: &str,
    password: Option<&str>,
) -> Result<Client, tokio_postgres::Error> {
    let mut config = tokio_postgres::Config::new();
    config
        .host("127.0.0.1")
        .port(s.addr.port())
        .user(user)
        .dbname(database)
        .connect_timeout(std::time::Duration::from_secs(10));
    if let Some(p) = password {
        config.password(p);
    }
    let (client, conn) = config.connect(NoTls).await?;
    tokio::spawn(conn);
    Ok(client)
}

/// The server's error behind a failed connect.
fn db_error(e: &tokio_postgres::Error) -> &DbError {
    e.as_db_error()
        .unwrap_or_else(|| panic!("expected a server error, got {e}"))
}

async fn one(c: &Client) -> i32 {
    c.query_one("SELECT 1", &[]).await.unwrap().get::<_, i32>(0)
}

#[tokio::test]
async fn the_right_password_logs_in() {
    let s = server(&[("alice", "correct horse"), ("bob", "battery staple")]).await;
    let alice = connect(&s, "alice", Some("correct horse")).await.unwrap();
    let bob = connect(&s, "bob", Some("battery staple")).await.unwrap();
    assert_eq!(one(&alice).await, 1);
    assert_eq!(one(&bob).await, 1);
}

#[tokio::test]
async fn a_wrong_password_is_28p01() {
    let s = server(&[("alice", "correct horse")]).await;
    for wrong in ["Correct horse", "correct horse ", "x"] {
        let e = connect(&s, "alice", Some(wrong))
            .await
            .expect_err("refused");
        let db = db_error(&e);
        assert_eq!(db.code(), &SqlState::INVALID_PASSWORD, "{db:?}");
        assert_eq!(db.severity(), "FATAL");
        assert_eq!(
            db.message(),
            "password authentication failed for user \"alice\""
        );
    }
    // The failures hurt nobody: the right password still works.
    let alice = connect(&s, "alice", Some("correct horse")).await.unwrap();
    assert_eq!(one(&alice).await, 1);
}

/// Guessing gets slower: each failure from the same address waits twice as long as the last
/// (100, 200, 400, 800 ms), and a successful login forgets them.
#[tokio::test]
async fn repeated_failures_are_answered_ever_more_slowly() {
    let s = server(&[("alice", "correct horse")]).await;
    let mut took = Vec::new();
    for _ in 0..4 {
        let t = std::time::Instant::now();
        connect(&s, "alice", Some("guess"))
            .await
            .expect_err("refused");
        took.push(t.elapsed());
    }
    println!("failures answered after {took:?}");
    for (i, t) in took.iter().enumerate() {
        let floor = std::time::Duration::from_millis(100 << i);
        assert!(
            *t >= floor,
            "failure {i} answered after {t:?}, before {floor:?}"
        );
    }
    connect(&s, "alice", Some("correct horse")).await.unwrap();
    let t = std::time::Instant::now();
    connect(&s, "alice", Some("guess"))
        .await
        .expect_err("refused");
    assert!(
        t.elapsed() < std::time::Duration::from_millis(800),
        "a success forgot the failures: {:?}",
        t.elapsed()
    );
}

#[tokio::test]
async fn an_unknown_user_fails_like_a_wrong_password() {
    let s = server(&[("alice", "correct horse")]).await;
    let e = connect(&s, "mallory", Some("correct horse"))
        .await
        .expect_err("refused");
    let db = db_error(&e);
    assert_eq!(db.code(), &SqlState::INVALID_PASSWORD, "{db:?}");
    assert_eq!(
        db.message(),
        "password authentication failed for user \"mallory\""
    );
}

#[tokio::test]
async fn a_client_without_a_password_is_refused() {
    let s = server(&[("alice", "correct horse")]).await;
    // tokio-postgres gives up itself when asked for a password it does not have.
    assert!(connect(&s, "alice", None).await.is_err());
}

#[tokio::test]
async fn trust_on_loopback_lets_anyone_in() {
    let s = server(&[]).await;
    for user in ["anyone", "alice"] {
        let c = connect(&s, user, None).await.unwrap();
        assert_eq!(one(&c).await, 1);
    }
    let c = connect(&s, "bob", Some("ignored")).await.unwrap();
    assert_eq!(one(&c).await, 1);
}

/// `--auth-rules`: the first rule matching address, database and user decides — a password
/// for alice, a refusal for the `secret` database, trust for the rest of loopback — and a
/// client no rule matches is refused.
#[tokio::test]
async fn auth_rules_decide_per_connection() {
    let rules = "# TYPE DATABASE USER ADDRESS METHOD
        host  all     alice  127.0.0.1/32  scram-sha-256
        host  secret  all    127.0.0.0/8   reject
        host  all     all    127.0.0.1     trust
    ";
    let s = server_with_rules(&[("alice", "correct horse")], Some(rules)).await;
    let alice = connect(&s, "alice", Some("correct horse")).await.unwrap();
    assert_eq!(one(&alice).await, 1);
    let e = connect(&s, "alice", Some("wrong"))
        .await
        .expect_err("refused");
    assert_eq!(db_error(&e).code(), &SqlState::INVALID_PASSWORD);
    assert!(connect(&s, "alice", None).await.is_err());

    let bob = connect(&s, "bob", None).await.unwrap();
    assert_eq!(one(&bob).await, 1);
    let e = connect_to(&s, "secret", "bob", None)
        .await
        .expect_err("refused");
    let db = db_error(&e);
    assert_eq!(db.code(), &SqlState::INVALID_AUTHORIZATION_SPECIFICATION);
    assert_eq!(db.severity(), "FATAL");
    assert_eq!(
        db.message(),
        "auth rules reject connection for host \"127.0.0.1\", user \"bob\", database \"secret\", no encryption"
    );

    let s = server_with_rules(&[], Some("host all all 10.0.0.0/8 trust")).await;
    let e = connect(&s, "bob", None).await.expect_err("refused");
    let db = db_error(&e);
    assert_eq!(db.code(), &SqlState::INVALID_AUTHORIZATION_SPECIFICATION);
    assert_eq!(
        db.message(),
        "no auth rule for host \"127.0.0.1\", user \"bob\", database \"db\", no encryption"
    );
}

/// A role's CONNECTION LIMIT: one more login is FATAL 53300 (PostgreSQL's words); a closed
/// session frees its slot; ALTER ROLE lifts the limit; a superuser is never limited.
#[tokio::test]
async fn a_role_connection_limit_refuses_one_more_session() {
    let s = server(&[]).await;
    let admin = connect(&s, "postgres", None).await.unwrap();
    admin
        .batch_execute("CREATE ROLE lim LOGIN CONNECTION LIMIT 1")
        .await
        .unwrap();
    let first = connect(&s, "lim", None).await.unwrap();
    assert_eq!(one(&first).await, 1);
    let e = connect(&s, "lim", None).await.expect_err("over the limit");
    let db = db_error(&e);
    assert_eq!(db.code().code(), "53300");
    assert_eq!(db.message(), "too many connections for role \"lim\"");
    // Other roles are not limited by it.
    assert_eq!(one(&connect(&s, "postgres", None).await.unwrap()).await, 1);
    drop(first);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let again = loop {
        match connect(&s, "lim", None).await {
            Ok(c) => break c,
            Err(e) if std::time::Instant::now() < deadline => {
                assert_eq!(db_error(&e).code().code(), "53300");
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            Err(e) => panic!("the closed session's slot was never freed: {e}"),
        }
    };
    assert_eq!(one(&again).await, 1);
    admin
        .batch_execute("ALTER ROLE lim CONNECTION LIMIT -1")
        .await
        .unwrap();
    let more = connect(&s, "lim", None).await.unwrap();
    assert_eq!(one(&more).await, 1);
    admin
        .batch_execute("ALTER ROLE lim SUPERUSER CONNECTION LIMIT 0")
        .await
        .unwrap();
    assert_eq!(one(&connect(&s, "lim", None).await.unwrap()).await, 1);
}

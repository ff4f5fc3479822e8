//! Startup parameters, ParameterStatus, SHOW and the session registry, black-box over the
//! wire: what the startup message reports is what SHOW says, startup-packet settings apply,
//! a SET of a reported parameter is announced before ReadyForQuery, and `pg_stat_activity`,
//! `pg_backend_pid()`, `pg_terminate_backend()` see the real sessions.

use crate::frontend::raw;
use crate::frontend::server;
use tokio::io::AsyncReadExt;

fn value<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

#[tokio::test]
async fn startup_reports_what_show_says_and_applies_the_startup_packet() {
    let s = server(10).await;
    let (mut sock, msgs) = raw::startup_with(
        s.addr,
        &[
            ("application_name", "app"),
            ("DateStyle", "ISO"),
            ("options", "-c statement_timeout=5s --work-mem=8MB"),
        ],
    )
    .await;
    let params = raw::parameters(&msgs);
    let expected = [
        ("server_version", "15.18"),
        ("server_encoding", "UTF8"),
        ("client_encoding", "UTF8"),
        ("DateStyle", "ISO, MDY"),
        ("IntervalStyle", "postgres"),
        ("TimeZone", "UTC"),
        ("integer_datetimes", "on"),
        ("standard_conforming_strings", "on"),
        ("application_name", "app"),
        ("is_superuser", "on"),
        ("session_authorization", "raw"),
        ("default_transaction_read_only", "off"),
        ("in_hot_standby", "off"),
    ];
    for (name, want) in expected {
        assert_eq!(value(&params, name), Some(want), "{name} in {params:?}");
        let shown = raw::rows(&raw::query(&mut sock, &format!("SHOW {name}")).await);
        assert_eq!(shown, vec![vec![Some(want.to_string())]], "SHOW {name}");
    }
    assert_eq!(params.len(), expected.len(), "{params:?}");
    let shown = raw::rows(&raw::query(&mut sock, "SHOW statement_timeout").await);
    assert_eq!(shown, vec![vec![Some("5s".to_string())]]);
    let shown = raw::rows(&raw::query(&mut sock, "SHOW work_mem").await);
    assert_eq!(shown, vec![vec![Some("8MB".to_string())]]);
    let shown = raw::rows(
        &raw::query(
            &mut sock,
            "SELECT current_setting('server_version_num'), version() LIKE 'PostgreSQL 15.18 %'",
        )
        .await,
    );
    assert_eq!(
        shown,
        vec![vec![Some("150018".to_string()), Some("t".to_string())]]
    );

    // A reported parameter's change is announced before ReadyForQuery; others are not.
    let msgs = raw::query(&mut sock, "SET application_name = 'renamed'").await;
    assert_eq!(
        raw::parameters(&msgs),
        vec![("application_name".to_string(), "renamed".to_string())]
    );
    let pos_s = msgs.iter().position(|(t, _)| *t == b'S').unwrap();
    assert!(
        pos_s < msgs.len() - 1,
        "ParameterStatus comes before ReadyForQuery"
    );
    let msgs = raw::query(&mut sock, "SET work_mem = '16MB'").await;
    assert!(raw::parameters(&msgs).is_empty(), "{msgs:?}");
    // RESET goes back to the startup packet's value.
    let msgs = raw::query(&mut sock, "RESET application_name").await;
    assert_eq!(
        raw::parameters(&msgs),
        vec![("application_name".to_string(), "app".to_string())]
    );
    // A SET rolled back with its transaction is announced again.
    let msgs = raw::query(&mut sock, "BEGIN; SET DateStyle = 'German'").await;
    assert_eq!(
        raw::parameters(&msgs),
        vec![("DateStyle".to_string(), "German, DMY".to_string())]
    );
    let msgs = raw::query(&mut sock, "ROLLBACK").await;
    assert_eq!(
        raw::parameters(&msgs),
        vec![("DateStyle".to_string(), "ISO, MDY".to_string())]
    );
}

#[tokio::test]
async fn a_bad_startup_parameter_is_fatal() {
    let s = server(10).await;
    let (_, msgs) = raw::startup_with(s.addr, &[("no_such_parameter", "1")]).await;
    assert_eq!(raw::error_code(&msgs).as_deref(), Some("42704"), "{msgs:?}");
    let (_, msgs) = raw::startup_with(s.addr, &[("extra_float_digits", "9")]).await;
    assert_eq!(raw::error_code(&msgs).as_deref(), Some("22023"), "{msgs:?}");
    let (_, msgs) = raw::startup_with(s.addr, &[("myapp.tenant", "acme")]).await;
    assert_eq!(
        raw::error_code(&msgs),
        None,
        "custom parameters are accepted"
    );
}

/// The pid of a connection's BackendKeyData.
fn backend_pid(msgs: &[(u8, Vec<u8>)]) -> i32 {
    let (_, body) = msgs
        .iter()
        .find(|(t, _)| *t == b'K')
        .expect("BackendKeyData");
    i32::from_be_bytes(body[..4].try_into().unwrap())
}

#[tokio::test]
async fn pg_stat_activity_shows_the_sessions_and_terminate_ends_one() {
    let s = server(10).await;
    let (mut a, msgs_a) = raw::startup_with(s.addr, &[("application_name", "alpha")]).await;
    let (mut b, msgs_b) = raw::startup_with(s.addr, &[("application_name", "beta")]).await;
    let (pid_a, pid_b) = (backend_pid(&msgs_a), backend_pid(&msgs_b));
    let own = raw::rows(&raw::query(&mut a, "SELECT pg_backend_pid()").await);
    assert_eq!(own, vec![vec![Some(pid_a.to_string())]]);
    raw::query(&mut b, "BEGIN").await;
    raw::query(&mut b, "SELECT 1").await;
    let rows = raw::rows(
        &raw::query(
            &mut a,
            "SELECT pid, usename, datname, application_name, state, query, \
             client_addr, xact_start IS NULL, backend_type \
             FROM pg_catalog.pg_stat_activity ORDER BY pid",
        )
        .await,
    );
    let s = |v: &str| Some(v.to_string());
    assert_eq!(
        rows,
        vec![
            vec![
                s(&pid_a.to_string()),
                s("raw"),
                s("raw"),
                s("alpha"),
                s("active"),
                s(
                    "SELECT pid, usename, datname, application_name, state, query, \
                   client_addr, xact_start IS NULL, backend_type \
                   FROM pg_catalog.pg_stat_activity ORDER BY pid"
                ),
                s("127.0.0.1"),
                s("f"),
                s("client backend"),
            ],
            vec![
                s(&pid_b.to_string()),
                s("raw"),
                s("raw"),
                s("beta"),
                s("idle in transaction"),
                s("SELECT 1"),
                s("127.0.0.1"),
                s("f"),
                s("client backend"),
            ],
        ]
    );
    let done = raw::rows(
        &raw::query(
            &mut a,
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'beta'",
        )
        .await,
    );
    assert_eq!(done, vec![vec![s("t")]]);
    // b gets FATAL 57P01, as from PostgreSQL, and its connection is closed.
    let msgs = raw::until_ready_or_error(&mut b).await;
    assert_eq!(raw::error_code(&msgs).as_deref(), Some("57P01"), "{msgs:?}");
    let mut buf = [0u8; 64];
    let n = tokio::time::timeout(std::time::Duration::from_secs(5), b.read(&mut buf))
        .await
        .expect("the terminated connection closes")
        .unwrap_or(0);
    assert_eq!(n, 0, "no more data on a terminated connection");
    // Its registration goes with its connection (just after the socket closes).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let left = raw::rows(&raw::query(&mut a, "SELECT count(*) FROM pg_stat_activity").await);
        if left == vec![vec![s("1")]] {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "still listed: {left:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let none = raw::rows(&raw::query(&mut a, "SELECT pg_terminate_backend(424242)").await);
    assert_eq!(none, vec![vec![s("f")]]);
}

/// `ALTER ROLE ... SET` defaults apply when that role logs in (this database's first), under
/// the startup packet's parameters, and RESET returns to them.
#[tokio::test]
async fn role_defaults_apply_at_login_under_the_startup_packet() {
    use tokio_postgres::NoTls;
    let s = server(10).await;
    let connect = |user: &'static str, options: &'static str| {
        let conn_str = format!(
            "host=127.0.0.1 port={} user={user} dbname=db options='{options}'",
            s.addr.port()
        );
        async move {
            let (client, conn) = tokio_postgres::connect(&conn_str, NoTls).await.unwrap();
            tokio::spawn(conn);
            client
        }
    };
    let admin = connect("anyone", "").await;
    admin
        .batch_execute(
            "CREATE ROLE defaults_user LOGIN; \
             ALTER ROLE defaults_user SET work_mem = '32MB'; \
             ALTER ROLE defaults_user SET statement_timeout = '7s'; \
             ALTER ROLE defaults_user IN DATABASE db SET statement_timeout = '9s'",
        )
        .await
        .unwrap();

    let user = connect("defaults_user", "").await;
    assert_eq!(show(&user, "work_mem").await, "32MB");
    assert_eq!(
        show(&user, "statement_timeout").await,
        "9s",
        "the database's wins"
    );
    user.batch_execute("SET work_mem = '1MB'; RESET work_mem")
        .await
        .unwrap();
    assert_eq!(
        show(&user, "work_mem").await,
        "32MB",
        "RESET goes back to it"
    );

    let overridden = connect("defaults_user", "-c work_mem=2MB").await;
    assert_eq!(
        show(&overridden, "work_mem").await,
        "2MB",
        "the startup packet wins"
    );

    // Others are untouched.
    assert_ne!(show(&admin, "work_mem").await, "32MB");
}

async fn show(c: &tokio_postgres::Client, name: &str) -> String {
    c.query_one(&format!("SHOW {name}"), &[])
        .await
        .unwrap()
        .get::<_, String>(0)
}

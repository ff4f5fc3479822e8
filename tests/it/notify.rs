//! LISTEN / NOTIFY between sessions, black box: tokio-postgres clients against a
//! `strata::LocalCluster`, reading notifications as the driver's asynchronous messages
//! (`Connection::poll_message`). A notification reaches a listener only when the sending
//! transaction commits (none on rollback, duplicates folded), reaches an idle listener
//! without it sending anything, waits while the listener is inside a transaction block, and
//! stops after UNLISTEN *; the extended protocol delivers at its Sync. Single-session behaviour (pg_listening_channels, the errors) is in
//! `sql/tests/slt/listen_notify.slt`.

use std::time::Duration;

use futures::StreamExt;
use tokio::sync::mpsc;
use tokio_postgres::{AsyncMessage, Client, Notification};

use crate::harness::{exec, pg_connect};
use crate::isolation::{cluster, stop, value};

/// A client whose notifications arrive on the receiver, as the driver reads them.
async fn listener(port: u16) -> (Client, mpsc::UnboundedReceiver<Notification>) {
    let conn = format!("host=127.0.0.1 port={port} user=strata dbname=strata connect_timeout=10");
    let (client, mut connection) = tokio_postgres::connect(&conn, tokio_postgres::NoTls)
        .await
        .expect("connect");
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut messages = futures::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(m) = messages.next().await {
            match m {
                Ok(AsyncMessage::Notification(n)) => {
                    let _ = tx.send(n);
                }
                Ok(_) => {}
                Err(_) => break,
            }
        }
    });
    (client, rx)
}

/// The notifications that arrive within `wait`, as (channel, payload, pid).
async fn arrived(
    rx: &mut mpsc::UnboundedReceiver<Notification>,
    wait: Duration,
) -> Vec<(String, String, i32)> {
    let mut out = Vec::new();
    let deadline = tokio::time::Instant::now() + wait;
    while let Ok(Some(n)) = tokio::time::timeout_at(deadline, rx.recv()).await {
        out.push((
            n.channel().to_string(),
            n.payload().to_string(),
            n.process_id(),
        ));
    }
    out
}

/// The first notification, waiting at most 10 s for it.
async fn next(rx: &mut mpsc::UnboundedReceiver<Notification>) -> (String, String, i32) {
    let n = tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("a notification within 10 s")
        .expect("the connection is open");
    (
        n.channel().to_string(),
        n.payload().to_string(),
        n.process_id(),
    )
}

const QUIET: Duration = Duration::from_millis(300);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notifications_reach_listeners_at_commit_even_when_idle() {
    let (_dir, cluster) = cluster().await;
    let port = cluster.postgres_addr.port();
    let (a, mut a_rx) = listener(port).await;
    let b = pg_connect(port).await;
    let b_pid: i32 = value(&b, "SELECT pg_backend_pid()").await.parse().unwrap();
    exec(&a, "LISTEN jobs").await;

    // Nothing before the commit; then exactly the notifications, folded, in order —
    // delivered to A while it is idle: A sends nothing meanwhile.
    exec(&b, "BEGIN").await;
    exec(&b, "NOTIFY jobs, 'one'").await;
    exec(&b, "SELECT pg_notify('jobs', 'two')").await;
    exec(&b, "NOTIFY jobs, 'one'").await;
    exec(&b, "NOTIFY other, 'nobody listens'").await;
    assert!(arrived(&mut a_rx, QUIET).await.is_empty(), "before commit");
    exec(&b, "COMMIT").await;
    assert_eq!(next(&mut a_rx).await, ("jobs".into(), "one".into(), b_pid));
    assert_eq!(next(&mut a_rx).await, ("jobs".into(), "two".into(), b_pid));
    assert!(arrived(&mut a_rx, QUIET).await.is_empty(), "folded");

    // Rolled back: dropped. Autocommit NOTIFY: delivered at once.
    exec(&b, "BEGIN; NOTIFY jobs, 'lost'; ROLLBACK").await;
    exec(&b, "NOTIFY jobs").await;
    assert_eq!(next(&mut a_rx).await, ("jobs".into(), String::new(), b_pid));
    assert!(arrived(&mut a_rx, QUIET).await.is_empty(), "the rollback's");

    // A listener inside a transaction block hears it once its block ends.
    exec(&a, "BEGIN").await;
    exec(&a, "SELECT 1").await;
    exec(&b, "NOTIFY jobs, 'later'").await;
    assert!(
        arrived(&mut a_rx, QUIET).await.is_empty(),
        "while A is in a block"
    );
    exec(&a, "COMMIT").await;
    assert_eq!(
        next(&mut a_rx).await,
        ("jobs".into(), "later".into(), b_pid)
    );

    // A session hears its own notification; LISTEN in a block counts from its commit.
    let a_pid: i32 = value(&a, "SELECT pg_backend_pid()").await.parse().unwrap();
    exec(&a, "BEGIN; LISTEN mine; NOTIFY mine, 'self'; COMMIT").await;
    assert_eq!(next(&mut a_rx).await, ("mine".into(), "self".into(), a_pid));
    assert_eq!(
        value(
            &a,
            "SELECT string_agg(c, ',' ORDER BY c) FROM pg_listening_channels() c"
        )
        .await,
        "jobs,mine"
    );

    // The extended protocol: parameters to pg_notify; a session's own NOTIFY through
    // Parse/Bind/Execute is delivered before the ReadyForQuery of its Sync.
    b.execute("SELECT pg_notify($1, $2)", &[&"jobs", &"bound"])
        .await
        .expect("pg_notify with parameters");
    assert_eq!(
        next(&mut a_rx).await,
        ("jobs".into(), "bound".into(), b_pid)
    );
    a.execute("NOTIFY mine, 'extended'", &[])
        .await
        .expect("NOTIFY through the extended protocol");
    assert_eq!(
        next(&mut a_rx).await,
        ("mine".into(), "extended".into(), a_pid)
    );

    // UNLISTEN *: nothing more.
    exec(&a, "UNLISTEN *").await;
    exec(&b, "NOTIFY jobs, 'gone'; NOTIFY mine, 'gone'").await;
    assert!(
        arrived(&mut a_rx, QUIET).await.is_empty(),
        "after UNLISTEN *"
    );
    drop((a, b));
    stop(cluster).await;
}

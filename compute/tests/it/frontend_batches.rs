//! Extended-protocol batches, over the raw protocol: as in PostgreSQL, the statements a
//! client sends outside a transaction block before one Sync run in one implicit
//! transaction, committed at the Sync — an error anywhere rolls back the statements before
//! it (asyncpg's `executemany`, a JDBC batch), ReadyForQuery says 'I' after it, and a BEGIN
//! in the batch makes the block explicit ('T' at the Sync). An error before Execute (a
//! parameter that does not convert at Bind) fails the transaction the same way.

use crate::frontend::raw::{cstr, error_code, msg, query, rows, startup, until_ready};
use crate::frontend::server;
use tokio::io::AsyncWriteExt;

/// Parse (unnamed), Bind and Execute of `sql`, without parameters.
fn run(sql: &str) -> Vec<u8> {
    let mut parse = cstr("");
    parse.extend(cstr(sql));
    parse.extend(0u16.to_be_bytes());
    let mut bind = cstr("");
    bind.extend(cstr(""));
    bind.extend(0u16.to_be_bytes()); // parameter formats
    bind.extend(0u16.to_be_bytes()); // parameters
    bind.extend(0u16.to_be_bytes()); // result formats
    let mut execute = cstr("");
    execute.extend(0u32.to_be_bytes());
    [msg(b'P', &parse), msg(b'B', &bind), msg(b'E', &execute)].concat()
}

/// Parse (unnamed) of `sql`, then Bind of one text parameter and Execute.
fn run_with(sql: &str, param: &str) -> Vec<u8> {
    let mut parse = cstr("");
    parse.extend(cstr(sql));
    parse.extend(0u16.to_be_bytes());
    let mut bind = cstr("");
    bind.extend(cstr(""));
    bind.extend(0u16.to_be_bytes()); // parameter formats: text
    bind.extend(1u16.to_be_bytes());
    bind.extend((param.len() as u32).to_be_bytes());
    bind.extend(param.as_bytes());
    bind.extend(0u16.to_be_bytes()); // result formats
    let mut execute = cstr("");
    execute.extend(0u32.to_be_bytes());
    [msg(b'P', &parse), msg(b'B', &bind), msg(b'E', &execute)].concat()
}

fn sync() -> Vec<u8> {
    msg(b'S', &[])
}

/// The status byte of the last ReadyForQuery.
fn status(msgs: &[(u8, Vec<u8>)]) -> u8 {
    msgs.iter()
        .rev()
        .find(|(t, _)| *t == b'Z')
        .map(|(_, b)| b[0])
        .unwrap_or(0)
}

fn count(msgs: &[(u8, Vec<u8>)]) -> Option<String> {
    rows(msgs).first().and_then(|r| r[0].clone())
}

#[tokio::test]
async fn statements_before_one_sync_commit_or_fail_together() {
    let s = server(4).await;
    let mut c = startup(s.addr).await;
    query(&mut c, "CREATE TABLE b (id int PRIMARY KEY)").await;

    // Two good inserts and a duplicate before one Sync: none stays.
    let batch = [
        run("INSERT INTO b VALUES (1)"),
        run("INSERT INTO b VALUES (2)"),
        run("INSERT INTO b VALUES (1)"),
        sync(),
    ]
    .concat();
    c.write_all(&batch).await.unwrap();
    let got = until_ready(&mut c).await;
    assert_eq!(error_code(&got).as_deref(), Some("23505"), "{got:?}");
    assert_eq!(status(&got), b'I');
    let n = query(&mut c, "SELECT count(*) FROM b").await;
    assert_eq!(count(&n).as_deref(), Some("0"));

    // Without the error the batch commits at its Sync; a later batch sees it.
    c.write_all(
        &[
            run("INSERT INTO b VALUES (1)"),
            run("INSERT INTO b VALUES (2)"),
            sync(),
        ]
        .concat(),
    )
    .await
    .unwrap();
    let got = until_ready(&mut c).await;
    assert_eq!(error_code(&got), None, "{got:?}");
    assert_eq!(status(&got), b'I');
    c.write_all(&[run("SELECT count(*) FROM b"), sync()].concat())
        .await
        .unwrap();
    assert_eq!(count(&until_ready(&mut c).await).as_deref(), Some("2"));

    // One statement per Sync: each commits on its own, the failing one alone rolls back.
    c.write_all(
        &[
            run("INSERT INTO b VALUES (3)"),
            sync(),
            run("INSERT INTO b VALUES (3)"),
            sync(),
        ]
        .concat(),
    )
    .await
    .unwrap();
    let first = until_ready(&mut c).await;
    assert_eq!(error_code(&first), None, "{first:?}");
    let second = until_ready(&mut c).await;
    assert_eq!(error_code(&second).as_deref(), Some("23505"));
    let n = query(&mut c, "SELECT count(*) FROM b").await;
    assert_eq!(count(&n).as_deref(), Some("3"));

    // A BEGIN after a statement of the batch makes its block explicit: open at the Sync,
    // and the statement before it belongs to it.
    c.write_all(&[run("INSERT INTO b VALUES (4)"), run("BEGIN"), sync()].concat())
        .await
        .unwrap();
    let got = until_ready(&mut c).await;
    assert_eq!(error_code(&got), None, "{got:?}");
    assert_eq!(status(&got), b'T');
    let rolled = query(&mut c, "ROLLBACK").await;
    assert_eq!(status(&rolled), b'I');
    let n = query(&mut c, "SELECT count(*) FROM b").await;
    assert_eq!(count(&n).as_deref(), Some("3"));
}

#[tokio::test]
async fn a_bind_error_fails_the_transaction() {
    let s = server(4).await;
    let mut c = startup(s.addr).await;
    query(&mut c, "CREATE TABLE bb (id int PRIMARY KEY)").await;

    // In a batch: the insert before the Bind that fails is rolled back at the Sync.
    let batch = [
        run("INSERT INTO bb VALUES (1)"),
        run_with("INSERT INTO bb VALUES ($1::int)", "nope"),
        sync(),
    ]
    .concat();
    c.write_all(&batch).await.unwrap();
    let got = until_ready(&mut c).await;
    assert_eq!(error_code(&got).as_deref(), Some("22P02"), "{got:?}");
    assert_eq!(status(&got), b'I');
    let n = query(&mut c, "SELECT count(*) FROM bb").await;
    assert_eq!(count(&n).as_deref(), Some("0"));

    // In a block: 'E' after it (pg8000 rolls back only a block it sees), and 25P02 next.
    query(&mut c, "BEGIN").await;
    c.write_all(&[run_with("SELECT $1::int", "nope"), sync()].concat())
        .await
        .unwrap();
    let got = until_ready(&mut c).await;
    assert_eq!(error_code(&got).as_deref(), Some("22P02"), "{got:?}");
    assert_eq!(status(&got), b'E');
    c.write_all(&[run("SELECT 1"), sync()].concat())
        .await
        .unwrap();
    let got = until_ready(&mut c).await;
    assert_eq!(error_code(&got).as_deref(), Some("25P02"), "{got:?}");
    // ROLLBACK may still be parsed in the failed block (pg8000 sends it so).
    c.write_all(&[run("ROLLBACK"), sync()].concat())
        .await
        .unwrap();
    let got = until_ready(&mut c).await;
    assert_eq!(error_code(&got), None, "{got:?}");
    assert_eq!(status(&got), b'I');

    // A Parse that fails in a block fails it too.
    query(&mut c, "BEGIN").await;
    c.write_all(&[run("SELEC 1"), sync()].concat())
        .await
        .unwrap();
    let got = until_ready(&mut c).await;
    assert_eq!(error_code(&got).as_deref(), Some("42601"), "{got:?}");
    assert_eq!(status(&got), b'E');
    assert_eq!(status(&query(&mut c, "ROLLBACK").await), b'I');
}

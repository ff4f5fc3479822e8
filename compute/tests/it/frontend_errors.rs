//! Error fields, black box: a real client (tokio-postgres) receives an error's position
//! (the `P` field), HINT and SQLSTATE over the simple and the extended protocol. (The
//! positions and wording against PostgreSQL 15 are compared through psql in the
//! workspace's `psql_meta` test, `tests/clients/psql/errors.sql`.)

use tokio_postgres::error::ErrorPosition;
use tokio_postgres::{Client, NoTls};

use crate::frontend::server;

async fn connect(port: u16) -> Client {
    let conn_str = format!("host=127.0.0.1 port={port} user=anyone dbname=db");
    let (client, conn) = tokio_postgres::connect(&conn_str, NoTls)
        .await
        .expect("connect");
    tokio::spawn(conn);
    client
}

fn fields(e: tokio_postgres::Error) -> (String, Option<u32>, Option<String>) {
    let db = e.as_db_error().expect("a server error");
    let position = match db.position() {
        Some(ErrorPosition::Original(p)) => Some(*p),
        Some(ErrorPosition::Internal { .. }) => panic!("an internal position"),
        None => None,
    };
    (
        db.code().code().to_string(),
        position,
        db.hint().map(str::to_string),
    )
}

#[tokio::test]
async fn errors_carry_their_position_and_hint_on_both_protocols() {
    let s = server(8).await;
    let c = connect(s.addr.port()).await;
    c.batch_execute("CREATE TABLE t (id int, name text)")
        .await
        .unwrap();

    // Simple protocol: the position is in the whole query string.
    let e = c
        .simple_query("SELECT 1; SELECT nocol FROM t")
        .await
        .unwrap_err();
    assert_eq!(fields(e), ("42703".into(), Some(18), None));

    // Extended protocol (Parse): the same, for the statement's text.
    let e = c.prepare("SELECT id,\n  Nme FROM t").await.unwrap_err();
    assert_eq!(
        fields(e),
        (
            "42703".into(),
            Some(14),
            Some("Perhaps you meant to reference the column \"t.name\".".into())
        )
    );
    let e = c.prepare("SELECT abs('x', 2)").await.unwrap_err();
    assert_eq!(
        fields(e),
        (
            "42883".into(),
            Some(8),
            Some(
                "No function matches the given name and argument types. You might need to add explicit type casts."
                    .into()
            )
        )
    );
    let e = c.prepare("SELEC 1").await.unwrap_err();
    assert_eq!(fields(e), ("42601".into(), Some(1), None));
    let e = c.prepare("SELECT * FROM t WHERE").await.unwrap_err();
    assert_eq!(fields(e), ("42601".into(), Some(22), None));
    let e = c
        .query("SELECT * FROM t WHERE id = 'x'", &[])
        .await
        .unwrap_err();
    assert_eq!(fields(e), ("22P02".into(), Some(28), None));

    // Errors PostgreSQL reports without a position have none.
    let e = c.query("SELECT 1 / 0", &[]).await.unwrap_err();
    assert_eq!(fields(e), ("22012".into(), None, None));
}

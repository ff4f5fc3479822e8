//! COPY over the wire with tokio-postgres (which runs COPY through the extended protocol):
//! COPY FROM STDIN in many CopyData messages, COPY TO STDOUT (of a query and of a whole
//! table), a bad row answered with 22P02
//! and its CONTEXT, the connection usable afterwards and nothing of the failed COPY kept.

use bytes::Bytes;
use futures::{SinkExt, StreamExt};

use crate::frontend::{raw, server};

async fn client(s: &crate::frontend::Server) -> tokio_postgres::Client {
    let conn_str = format!("host=127.0.0.1 port={} user=u dbname=d", s.addr.port());
    let (client, conn) = tokio_postgres::connect(&conn_str, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    client
}

#[tokio::test]
async fn copy_in_and_out_with_tokio_postgres() {
    let s = server(10).await;
    let c = client(&s).await;
    c.batch_execute("CREATE TABLE t (a int PRIMARY KEY, b text)")
        .await
        .unwrap();
    let sink = c.copy_in("COPY t FROM STDIN").await.unwrap();
    futures::pin_mut!(sink);
    for i in 0..1000 {
        sink.send(Bytes::from(format!("{i}\tv{i}\n")))
            .await
            .unwrap();
    }
    assert_eq!(sink.finish().await.unwrap(), 1000);
    let n: i64 = c
        .query_one("SELECT count(*) FROM t", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 1000);

    let out = c
        .copy_out("COPY (SELECT a, b FROM t WHERE a < 3) TO STDOUT (FORMAT csv)")
        .await
        .unwrap();
    let chunks: Vec<Bytes> = out.map(|r| r.unwrap()).collect().await;
    let text: String = chunks
        .iter()
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .collect();
    assert_eq!(text, "0,v0\n1,v1\n2,v2\n");

    // A whole table through a protocol statement: COPY reads its columns from the catalog
    // with a query of its own, which must not take the statement's cached plan.
    c.batch_execute("CREATE TABLE small (x int, y text); INSERT INTO small VALUES (1, 'a')")
        .await
        .unwrap();
    let out = c.copy_out("COPY small TO STDOUT").await.unwrap();
    let chunks: Vec<Bytes> = out.map(|r| r.unwrap()).collect().await;
    assert_eq!(chunks.concat(), b"1\ta\n");

    // A bad row: 22P02 with PostgreSQL's context, nothing kept, the connection goes on.
    let sink = c.copy_in("COPY t FROM STDIN").await.unwrap();
    futures::pin_mut!(sink);
    sink.send(Bytes::from_static(b"5000\tok\nnot-a-number\tx\n"))
        .await
        .unwrap();
    let err = sink.finish().await.unwrap_err();
    let db = err.as_db_error().expect("a server error");
    assert_eq!(db.code().code(), "22P02");
    assert_eq!(
        db.where_(),
        Some("COPY t, line 2, column a: \"not-a-number\"")
    );
    let n: i64 = c
        .query_one("SELECT count(*) FROM t", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 1000);
}

#[tokio::test]
async fn simple_protocol_copy_with_an_error_mid_stream() {
    use tokio::io::AsyncWriteExt;
    let s = server(10).await;
    let mut sock = raw::startup(s.addr).await;
    raw::query(&mut sock, "CREATE TABLE t (a int PRIMARY KEY)").await;
    sock.write_all(&raw::msg(b'Q', &raw::cstr("COPY t FROM STDIN")))
        .await
        .unwrap();
    // CopyInResponse ('G'), then data: a bad second row.
    let mut m = raw::msg(b'd', b"1\n");
    m.extend(raw::msg(b'd', b"x\n"));
    sock.write_all(&m).await.unwrap();
    let msgs = raw::until_ready(&mut sock).await;
    assert_eq!(msgs[0].0, b'G', "{msgs:?}");
    assert_eq!(raw::error_code(&msgs).as_deref(), Some("22P02"));
    assert_eq!(msgs.last().map(|m| m.1.clone()), Some(b"I".to_vec()));
    // What the client still sends of the COPY is dropped; the connection goes on.
    let mut m = raw::msg(b'd', b"3\n");
    m.extend(raw::msg(b'c', b""));
    sock.write_all(&m).await.unwrap();
    let rows = raw::rows(&raw::query(&mut sock, "SELECT count(*) FROM t").await);
    assert_eq!(rows, vec![vec![Some("0".to_string())]]);
    // CopyFail inside a block fails the block.
    raw::query(&mut sock, "BEGIN").await;
    sock.write_all(&raw::msg(b'Q', &raw::cstr("COPY t FROM STDIN")))
        .await
        .unwrap();
    let mut m = raw::msg(b'd', b"7\n");
    m.extend(raw::msg(b'f', &raw::cstr("no more")));
    sock.write_all(&m).await.unwrap();
    let msgs = raw::until_ready(&mut sock).await;
    assert_eq!(raw::error_code(&msgs).as_deref(), Some("57014"));
    assert_eq!(msgs.last().map(|m| m.1.clone()), Some(b"E".to_vec()));
    raw::query(&mut sock, "ROLLBACK").await;
    // And a good one ends with CommandComplete COPY n and ReadyForQuery I.
    sock.write_all(&raw::msg(b'Q', &raw::cstr("COPY t FROM STDIN")))
        .await
        .unwrap();
    let mut m = raw::msg(b'd', b"1\n2\n");
    m.extend(raw::msg(b'd', b"3\n"));
    m.extend(raw::msg(b'c', b""));
    sock.write_all(&m).await.unwrap();
    let msgs = raw::until_ready(&mut sock).await;
    let complete = msgs
        .iter()
        .find(|(t, _)| *t == b'C')
        .expect("CommandComplete");
    assert_eq!(complete.1, b"COPY 3\0");
    assert_eq!(msgs.last().map(|m| m.1.clone()), Some(b"I".to_vec()));
}

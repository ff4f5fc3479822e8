//! The PostgreSQL front end, black-box: a real client (tokio-postgres) over
//! TCP against the pgwire server, with the SQL layer's in-memory reference
//! storage behind it. Covers the simple and extended protocols, parameters in
//! text and binary, SQLSTATEs, transaction status, bad input and the
//! connection limit.

use compute::frontend::{FrontendConfig, bind_and_serve};
use sql::memory::MemoryStorage;
use tokio_postgres::error::SqlState;
use tokio_postgres::{Client, NoTls, SimpleQueryMessage};
use tokio_util::sync::CancellationToken;

pub struct Server {
    pub addr: std::net::SocketAddr,
    cancel: CancellationToken,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

pub async fn server(max_connections: usize) -> Server {
    let storage = MemoryStorage::new();
    let cancel = CancellationToken::new();
    let (addr, _task) = bind_and_serve(
        "127.0.0.1:0".parse().unwrap(),
        FrontendConfig {
            max_connections,
            ..FrontendConfig::default()
        },
        move || storage.clone(),
        cancel.clone(),
    )
    .await
    .unwrap();
    Server { addr, cancel }
}

async fn connect(s: &Server) -> Result<Client, tokio_postgres::Error> {
    let conn_str = format!(
        "host=127.0.0.1 port={} user=anyone dbname=whatever",
        s.addr.port()
    );
    let (client, conn) = tokio_postgres::connect(&conn_str, NoTls).await?;
    tokio::spawn(conn);
    Ok(client)
}

#[tokio::test]
async fn simple_and_extended_protocols() {
    let s = server(10).await;
    let c = connect(&s).await.unwrap();
    c.batch_execute(
        "CREATE TABLE t (id int8 PRIMARY KEY, name text NOT NULL, score float8, ok bool);
         INSERT INTO t VALUES (1, 'one', 1.5, true), (2, 'two', NULL, false);",
    )
    .await
    .unwrap();

    // Extended protocol, binary results, typed parameters.
    let rows = c
        .query(
            "SELECT id, name, score, ok FROM t WHERE id >= $1 ORDER BY id",
            &[&1i64],
        )
        .await
        .unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].get::<_, i64>(0), 1);
    assert_eq!(rows[0].get::<_, &str>(1), "one");
    assert_eq!(rows[0].get::<_, Option<f64>>(2), Some(1.5));
    assert!(rows[0].get::<_, bool>(3));
    assert_eq!(rows[1].get::<_, Option<f64>>(2), None);

    // Prepared statement reused with different parameters.
    let stmt = c
        .prepare("INSERT INTO t VALUES ($1, $2, $3, $4)")
        .await
        .unwrap();
    for i in 3..6i64 {
        let n = c
            .execute(&stmt, &[&i, &format!("n{i}"), &(i as f64), &true])
            .await
            .unwrap();
        assert_eq!(n, 1);
    }
    let count: i64 = c
        .query_one("SELECT count(*) FROM t", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(count, 5);

    // Simple protocol: text results and command tags.
    let msgs = c
        .simple_query("SELECT name FROM t WHERE id = 2; UPDATE t SET ok = true")
        .await
        .unwrap();
    let mut texts = Vec::new();
    let mut tags = Vec::new();
    for m in msgs {
        match m {
            SimpleQueryMessage::Row(r) => texts.push(r.get(0).unwrap().to_string()),
            SimpleQueryMessage::CommandComplete(n) => tags.push(n),
            _ => {}
        }
    }
    assert_eq!(texts, ["two"]);
    assert_eq!(tags, [1, 5]);

    // RETURNING reports the DML's own command tag, not SELECT.
    let msgs = c
        .simple_query("INSERT INTO t VALUES (9, 'nine', 9.0, true) RETURNING id")
        .await
        .unwrap();
    assert!(
        msgs.iter()
            .any(|m| matches!(m, SimpleQueryMessage::CommandComplete(1))),
        "{msgs:?}"
    );
}

#[tokio::test]
async fn errors_carry_sqlstate_and_the_connection_survives() {
    let s = server(10).await;
    let c = connect(&s).await.unwrap();
    c.batch_execute("CREATE TABLE k (id int4 PRIMARY KEY)")
        .await
        .unwrap();
    c.batch_execute("INSERT INTO k VALUES (1)").await.unwrap();

    let e = c
        .batch_execute("INSERT INTO k VALUES (1)")
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some(&SqlState::UNIQUE_VIOLATION), "{e:?}");
    let e = c.batch_execute("SELEC 1").await.unwrap_err();
    assert_eq!(e.code(), Some(&SqlState::SYNTAX_ERROR), "{e:?}");
    let e = c.batch_execute("SELECT * FROM nope").await.unwrap_err();
    assert_eq!(e.code(), Some(&SqlState::UNDEFINED_TABLE), "{e:?}");
    let e = c.query("SELECT 1 / $1", &[&0i32]).await.unwrap_err();
    assert_eq!(e.code(), Some(&SqlState::DIVISION_BY_ZERO), "{e:?}");

    // A failed statement aborts the block until ROLLBACK (25P02).
    c.batch_execute("BEGIN").await.unwrap();
    assert!(c.batch_execute("INSERT INTO k VALUES (1)").await.is_err());
    let e = c.batch_execute("SELECT 1").await.unwrap_err();
    assert_eq!(
        e.code(),
        Some(&SqlState::IN_FAILED_SQL_TRANSACTION),
        "{e:?}"
    );
    c.batch_execute("ROLLBACK").await.unwrap();

    // Still usable.
    let n: i64 = c
        .query_one("SELECT count(*) FROM k", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 1);
}

#[tokio::test]
async fn transactions_are_isolated_between_connections() {
    let s = server(10).await;
    let a = connect(&s).await.unwrap();
    let b = connect(&s).await.unwrap();
    a.batch_execute("CREATE TABLE acct (id int4 PRIMARY KEY, bal int8)")
        .await
        .unwrap();
    a.batch_execute("BEGIN; INSERT INTO acct VALUES (1, 100)")
        .await
        .unwrap();
    let n: i64 = b
        .query_one("SELECT count(*) FROM acct", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 0, "uncommitted rows are invisible to others");
    a.batch_execute("COMMIT").await.unwrap();
    let n: i64 = b
        .query_one("SELECT count(*) FROM acct", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 1);
    b.batch_execute("START TRANSACTION ISOLATION LEVEL SERIALIZABLE")
        .await
        .unwrap();
    let level: String = b
        .query_one("SHOW transaction_isolation", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(level, "serializable");
    b.batch_execute("COMMIT").await.unwrap();
}

/// A minimal raw-protocol client, to send what well-behaved drivers refuse
/// to send.
pub mod raw {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    pub fn msg(tag: u8, body: &[u8]) -> Vec<u8> {
        let mut m = vec![tag];
        m.extend_from_slice(&((body.len() + 4) as u32).to_be_bytes());
        m.extend_from_slice(body);
        m
    }

    pub fn cstr(s: &str) -> Vec<u8> {
        let mut v = s.as_bytes().to_vec();
        v.push(0);
        v
    }

    pub async fn startup(addr: std::net::SocketAddr) -> TcpStream {
        startup_with(addr, &[]).await.0
    }

    /// Starts up as user `raw` with extra startup parameters; returns the socket and every
    /// message up to the first ReadyForQuery (or the error that ended the startup).
    pub async fn startup_with(
        addr: std::net::SocketAddr,
        params: &[(&str, &str)],
    ) -> (TcpStream, Vec<(u8, Vec<u8>)>) {
        let mut s = TcpStream::connect(addr).await.unwrap();
        let mut body = 196608u32.to_be_bytes().to_vec();
        for (k, v) in [("user", "raw"), ("database", "raw")].iter().chain(params) {
            body.extend(cstr(k));
            body.extend(cstr(v));
        }
        body.push(0);
        let mut m = ((body.len() + 4) as u32).to_be_bytes().to_vec();
        m.extend(body);
        s.write_all(&m).await.unwrap();
        let msgs = until_ready_or_error(&mut s).await;
        (s, msgs)
    }

    /// Like [`until_ready`], but also stops after an ErrorResponse (a FATAL startup error
    /// closes the connection without a ReadyForQuery).
    pub async fn until_ready_or_error(s: &mut TcpStream) -> Vec<(u8, Vec<u8>)> {
        let mut out = Vec::new();
        loop {
            let mut hdr = [0u8; 5];
            tokio::time::timeout(std::time::Duration::from_secs(5), s.read_exact(&mut hdr))
                .await
                .expect("server answers in time")
                .unwrap();
            let len = u32::from_be_bytes(hdr[1..5].try_into().unwrap()) as usize - 4;
            let mut body = vec![0u8; len];
            s.read_exact(&mut body).await.unwrap();
            let done = hdr[0] == b'Z' || hdr[0] == b'E';
            out.push((hdr[0], body));
            if done {
                return out;
            }
        }
    }

    /// The ParameterStatus messages among `msgs`, as (name, value).
    pub fn parameters(msgs: &[(u8, Vec<u8>)]) -> Vec<(String, String)> {
        msgs.iter()
            .filter(|(t, _)| *t == b'S')
            .map(|(_, body)| {
                let mut parts = body.split(|b| *b == 0);
                let name = String::from_utf8_lossy(parts.next().unwrap_or_default());
                let value = String::from_utf8_lossy(parts.next().unwrap_or_default());
                (name.into_owned(), value.into_owned())
            })
            .collect()
    }

    /// The text fields of every DataRow among `msgs`.
    pub fn rows(msgs: &[(u8, Vec<u8>)]) -> Vec<Vec<Option<String>>> {
        msgs.iter()
            .filter(|(t, _)| *t == b'D')
            .map(|(_, body)| {
                let n = u16::from_be_bytes([body[0], body[1]]) as usize;
                let mut at = 2;
                (0..n)
                    .map(|_| {
                        let len = i32::from_be_bytes(body[at..at + 4].try_into().unwrap());
                        at += 4;
                        if len < 0 {
                            return None;
                        }
                        let v = String::from_utf8_lossy(&body[at..at + len as usize]);
                        at += len as usize;
                        Some(v.into_owned())
                    })
                    .collect()
            })
            .collect()
    }

    /// Sends a simple Query and reads up to ReadyForQuery.
    pub async fn query(s: &mut TcpStream, sql: &str) -> Vec<(u8, Vec<u8>)> {
        s.write_all(&msg(b'Q', &cstr(sql))).await.unwrap();
        until_ready(s).await
    }

    /// Reads messages up to ReadyForQuery; returns (tag, body) of each.
    pub async fn until_ready(s: &mut TcpStream) -> Vec<(u8, Vec<u8>)> {
        let mut out = Vec::new();
        loop {
            let mut hdr = [0u8; 5];
            tokio::time::timeout(std::time::Duration::from_secs(5), s.read_exact(&mut hdr))
                .await
                .expect("server answers in time")
                .unwrap();
            let len = u32::from_be_bytes(hdr[1..5].try_into().unwrap()) as usize - 4;
            let mut body = vec![0u8; len];
            s.read_exact(&mut body).await.unwrap();
            let done = hdr[0] == b'Z';
            out.push((hdr[0], body));
            if done {
                return out;
            }
        }
    }

    /// The SQLSTATE of the first ErrorResponse, if any.
    pub fn error_code(msgs: &[(u8, Vec<u8>)]) -> Option<String> {
        let (_, body) = msgs.iter().find(|(t, _)| *t == b'E')?;
        let mut fields = body.split(|b| *b == 0);
        fields.find_map(|f| {
            f.strip_prefix(b"C")
                .map(|c| String::from_utf8_lossy(c).into_owned())
        })
    }
}

#[tokio::test]
async fn wrong_parameter_counts_and_malformed_parameters_are_errors() {
    use tokio::io::AsyncWriteExt;
    let s = server(10).await;
    let mut sock = raw::startup(s.addr).await;

    // Parse "SELECT $1::int4" (one int4 parameter), Bind two values.
    let mut parse = raw::cstr("");
    parse.extend(raw::cstr("SELECT $1::int4"));
    parse.extend(1u16.to_be_bytes());
    parse.extend(23u32.to_be_bytes());
    let mut bind = raw::cstr("");
    bind.extend(raw::cstr(""));
    bind.extend(0u16.to_be_bytes()); // all text
    bind.extend(2u16.to_be_bytes());
    for v in ["1", "2"] {
        bind.extend((v.len() as u32).to_be_bytes());
        bind.extend(v.as_bytes());
    }
    bind.extend(0u16.to_be_bytes());
    let mut m = raw::msg(b'P', &parse);
    m.extend(raw::msg(b'B', &bind));
    m.extend(raw::msg(b'E', &[0, 0, 0, 0, 0]));
    m.extend(raw::msg(b'S', &[]));
    sock.write_all(&m).await.unwrap();
    let msgs = raw::until_ready(&mut sock).await;
    assert!(raw::error_code(&msgs).is_some(), "{msgs:?}");

    // A malformed text parameter: 22P02.
    let mut bind = raw::cstr("");
    bind.extend(raw::cstr(""));
    bind.extend(0u16.to_be_bytes());
    bind.extend(1u16.to_be_bytes());
    bind.extend(3u32.to_be_bytes());
    bind.extend(b"abc");
    bind.extend(0u16.to_be_bytes());
    let mut m = raw::msg(b'P', &parse);
    m.extend(raw::msg(b'B', &bind));
    m.extend(raw::msg(b'E', &[0, 0, 0, 0, 0]));
    m.extend(raw::msg(b'S', &[]));
    sock.write_all(&m).await.unwrap();
    let msgs = raw::until_ready(&mut sock).await;
    assert_eq!(raw::error_code(&msgs).as_deref(), Some("22P02"), "{msgs:?}");

    // An unknown statement: 42601, and the connection keeps working.
    sock.write_all(&raw::msg(b'Q', &raw::cstr("FROBNICATE the table")))
        .await
        .unwrap();
    let msgs = raw::until_ready(&mut sock).await;
    assert_eq!(raw::error_code(&msgs).as_deref(), Some("42601"), "{msgs:?}");
    sock.write_all(&raw::msg(b'Q', &raw::cstr("SELECT 41 + 1")))
        .await
        .unwrap();
    let msgs = raw::until_ready(&mut sock).await;
    let row = msgs.iter().find(|(t, _)| *t == b'D').expect("a data row");
    assert!(row.1.ends_with(b"42"), "{msgs:?}");
}

/// Replies to Parse, Bind, Describe and Execute wait in the buffer until the client sends
/// Flush or Sync, as PostgreSQL's do: one write per round trip, not one per message.
#[tokio::test]
async fn extended_protocol_replies_wait_for_flush_or_sync() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let s = server(10).await;
    let mut sock = raw::startup(s.addr).await;
    let mut parse = raw::cstr("");
    parse.extend(raw::cstr("SELECT 42"));
    parse.extend(0u16.to_be_bytes());
    let mut bind = raw::cstr("");
    bind.extend(raw::cstr(""));
    bind.extend(0u16.to_be_bytes());
    bind.extend(0u16.to_be_bytes());
    bind.extend(0u16.to_be_bytes());
    let mut m = raw::msg(b'P', &parse);
    m.extend(raw::msg(b'B', &bind));
    m.extend(raw::msg(b'D', &[b'P', 0]));
    m.extend(raw::msg(b'E', &[0, 0, 0, 0, 0]));
    sock.write_all(&m).await.unwrap();
    let mut byte = [0u8; 1];
    let early =
        tokio::time::timeout(std::time::Duration::from_millis(300), sock.read(&mut byte)).await;
    assert!(early.is_err(), "a reply went out before Flush or Sync");

    // Flush: every reply so far, without ReadyForQuery.
    sock.write_all(&raw::msg(b'H', &[])).await.unwrap();
    let mut tags = Vec::new();
    while tags.last() != Some(&b'C') {
        let mut hdr = [0u8; 5];
        tokio::time::timeout(std::time::Duration::from_secs(5), sock.read_exact(&mut hdr))
            .await
            .expect("the replies arrive after Flush")
            .unwrap();
        let len = u32::from_be_bytes(hdr[1..5].try_into().unwrap()) as usize - 4;
        let mut body = vec![0u8; len];
        sock.read_exact(&mut body).await.unwrap();
        tags.push(hdr[0]);
    }
    assert_eq!(tags, b"12TDC".to_vec());

    sock.write_all(&raw::msg(b'S', &[])).await.unwrap();
    let msgs = raw::until_ready(&mut sock).await;
    assert_eq!(msgs.last().map(|(t, _)| *t), Some(b'Z'), "{msgs:?}");
}

#[tokio::test]
async fn connection_limit_is_enforced_with_53300() {
    let s = server(1).await;
    let first = connect(&s).await.unwrap();
    let Err(e) = connect(&s).await else {
        panic!("a second connection over the limit must be refused");
    };
    assert_eq!(e.code(), Some(&SqlState::TOO_MANY_CONNECTIONS), "{e:?}");
    drop(first);
    // The permit is released when the first connection closes.
    let mut ok = false;
    for _ in 0..50 {
        if connect(&s).await.is_ok() {
            ok = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(ok, "a slot frees up after a client disconnects");
}

#[tokio::test]
async fn garbage_on_the_socket_does_not_hurt_the_server() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let s = server(10).await;
    for junk in [
        &b"\x00\x00\x00\x08\x04\xd2\x16\x2f"[..],
        b"GET / HTTP/1.1\r\n\r\n",
        &[0xff; 64],
    ] {
        let mut sock = tokio::net::TcpStream::connect(s.addr).await.unwrap();
        let _ = sock.write_all(junk).await;
        let mut buf = [0u8; 256];
        let _ = tokio::time::timeout(std::time::Duration::from_secs(2), sock.read(&mut buf)).await;
    }
    let c = connect(&s).await.unwrap();
    let rows = c.simple_query("SELECT 1").await.unwrap();
    assert!(rows.iter().any(|m| matches!(m, SimpleQueryMessage::Row(_))));
}

#[tokio::test]
async fn the_session_knows_its_user_database_and_backend_pid() {
    let s = server(10).await;
    let c = connect(&s).await.unwrap();
    let row = c
        .query_one(
            "SELECT current_user::text, session_user::text, current_database()::text, pg_backend_pid()",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, &str>(0), "anyone");
    assert_eq!(row.get::<_, &str>(1), "anyone");
    assert_eq!(row.get::<_, &str>(2), "whatever");
    let pid: i32 = row.get(3);
    // Another connection has another backend pid.
    let other = connect(&s).await.unwrap();
    let other_pid: i32 = other
        .query_one("SELECT pg_backend_pid()", &[])
        .await
        .unwrap()
        .get(0);
    assert_ne!(pid, other_pid);
}

//! # The lean Append wire: the hot append stream without HTTP/2
//!
//! Greet, Vote, Elected, donor reads and everything else stay gRPC (tonic);
//! only the proposer's `Append` stream, the one message per commit each way,
//! travels on a plain TCP connection to the **same port**, framed by a length
//! prefix. The server tells the two apart by the connection's first byte: an
//! HTTP/2 client starts with the preface `PRI * HTTP/2.0…` (`P`), a lean
//! client with [`MAGIC`] (first byte `0xF0`, never ASCII).
//!
//! ```text
//! client ── MAGIC [len u16 BE][token] ───────▶ server   (once per connection)
//! client ◀─ MAGIC ─────────────────────────── server   (accepted: stream is up)
//! client ── [len u32 BE][pb::AppendRequest] ─▶ server   (any number, pipelined)
//! client ◀─ [len u32 BE][0][pb::AppendResponse] or [len][1][error text]
//! ```
//!
//! With TLS (`--grpc-tls-*`, `proto::tls`) the client first sends
//! [`MAGIC_TLS`] (same first byte), opens TLS, and greets with [`MAGIC`] and
//! its token inside it; a safekeeper with a certificate refuses the plain
//! greeting, one without refuses [`MAGIC_TLS`]. gRPC on the same port then
//! starts with a TLS ClientHello (`0x16`), which tonic's own TLS accepts.
//!
//! The token is the client's JWT (`proto::auth`, empty without one): a
//! server with `--auth-public-key` verifies it before echoing [`MAGIC`] and
//! closes the connection instead when it is missing, expired or wrongly
//! signed; each request's timeline is then checked against its scope, as on
//! the gRPC stream.
//!
//! One response per request, in order, exactly as on the gRPC stream (the
//! messages are the same protobuf types); an error frame ends the stream.
//! Why: on the gRPC stream every append crossed a task hand-off on each side
//! (the link or handler task ↔ the HTTP/2 connection task) and HTTP/2's
//! DATA/HEADERS/WINDOW_UPDATE framing; here the link's task and the
//! safekeeper's stream task read and write the socket themselves.

use std::io;
use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};
use prost::Message;
use proto::grpc::safekeeper as pb;
use proto::tls::ClientTls;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::codec::{FramedRead, LengthDelimitedCodec};
use tokio_util::sync::CancellationToken;

/// The first bytes of a lean Append connection, echoed by the server.
pub const MAGIC: [u8; 8] = *b"\xF0SKAPND2";
/// The first bytes of a lean Append connection that opens TLS next (and
/// then greets with [`MAGIC`] inside it).
pub const MAGIC_TLS: [u8; 8] = *b"\xF0SKAPNDT";
/// Longest token the handshake accepts.
pub const MAX_TOKEN_BYTES: usize = 8 << 10;
/// Largest frame either way (a merged append).
pub const MAX_FRAME_BYTES: usize = 64 << 20;

const TAG_REPLY: u8 = 0;
const TAG_ERROR: u8 = 1;

/// The reading half of a lean connection (TCP, or TLS over it).
pub type ReadHalf = Box<dyn AsyncRead + Send + Unpin>;
/// The writing half of a lean connection.
pub type WriteHalf = Box<dyn AsyncWrite + Send + Unpin>;

/// The frames arriving on one side of a lean connection.
pub type Frames = FramedRead<ReadHalf, LengthDelimitedCodec>;

fn frames(rd: ReadHalf) -> Frames {
    let codec = LengthDelimitedCodec::builder()
        .length_field_length(4)
        .max_frame_length(MAX_FRAME_BYTES)
        .new_codec();
    FramedRead::new(rd, codec)
}

fn bad(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_string())
}

fn put_len(out: &mut BytesMut, len: usize) -> io::Result<()> {
    if len > MAX_FRAME_BYTES {
        return Err(bad("frame over MAX_FRAME_BYTES"));
    }
    out.put_u32(len as u32);
    Ok(())
}

/// Appends one request frame to `out`.
pub fn encode_request(req: &pb::AppendRequest, out: &mut BytesMut) -> io::Result<()> {
    let len = req.encoded_len();
    put_len(out, len)?;
    out.reserve(len);
    req.encode(out).map_err(|_| bad("encode an AppendRequest"))
}

/// Decodes one request frame.
pub fn decode_request(frame: Bytes) -> io::Result<pb::AppendRequest> {
    pb::AppendRequest::decode(frame).map_err(|e| bad(&format!("AppendRequest: {e}")))
}

/// Appends one response frame (a reply, or the error that ends the stream).
pub fn encode_response(
    res: &Result<pb::AppendResponse, String>,
    out: &mut BytesMut,
) -> io::Result<()> {
    match res {
        Ok(r) => {
            let len = r.encoded_len();
            put_len(out, len + 1)?;
            out.put_u8(TAG_REPLY);
            r.encode(out).map_err(|_| bad("encode an AppendResponse"))
        }
        Err(msg) => {
            put_len(out, msg.len() + 1)?;
            out.put_u8(TAG_ERROR);
            out.extend_from_slice(msg.as_bytes());
            Ok(())
        }
    }
}

/// Decodes one response frame: the reply, or the server's error (`Ok(Err)`).
pub fn decode_response(mut frame: Bytes) -> io::Result<Result<pb::AppendResponse, String>> {
    if frame.is_empty() {
        return Err(bad("empty response frame"));
    }
    let tag = frame.split_to(1)[0];
    match tag {
        TAG_REPLY => pb::AppendResponse::decode(frame)
            .map(Ok)
            .map_err(|e| bad(&format!("AppendResponse: {e}"))),
        TAG_ERROR => Ok(Err(String::from_utf8_lossy(&frame).into_owned())),
        _ => Err(bad("unknown response tag")),
    }
}

/// `host:port` of a safekeeper address that may carry a scheme.
fn host_port(addr: &str) -> &str {
    let addr = addr.split_once("://").map_or(addr, |(_, rest)| rest);
    addr.trim_end_matches('/')
}

/// Opens a lean Append connection to the safekeeper at `addr` (`host:port`
/// or `http://host:port`): connect, with `tls` send [`MAGIC_TLS`] and open
/// TLS, then send [`MAGIC`] and `token` (empty for none) and await the echo,
/// all within `timeout`.
pub async fn connect(
    addr: &str,
    token: &str,
    timeout: Duration,
    tls: Option<&ClientTls>,
) -> io::Result<(Frames, WriteHalf)> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(bad("token over MAX_TOKEN_BYTES"));
    }
    let open = async {
        let mut s = TcpStream::connect(host_port(addr)).await?;
        s.set_nodelay(true)?;
        let (mut rd, mut wr) = match tls {
            None => boxed(s),
            Some(tls) => {
                s.write_all(&MAGIC_TLS).await?;
                let s = tls.connect(proto::tls::host_of(addr), s).await?;
                let (rd, wr) = tokio::io::split(s);
                (Box::new(rd) as ReadHalf, Box::new(wr) as WriteHalf)
            }
        };
        let mut hello = Vec::with_capacity(MAGIC.len() + 2 + token.len());
        hello.extend_from_slice(&MAGIC);
        hello.extend_from_slice(&(token.len() as u16).to_be_bytes());
        hello.extend_from_slice(token.as_bytes());
        wr.write_all(&hello).await?;
        wr.flush().await?;
        let mut echo = [0u8; MAGIC.len()];
        rd.read_exact(&mut echo).await.map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("the safekeeper closed the Append handshake (refused token or TLS?): {e}"),
            )
        })?;
        if echo != MAGIC {
            return Err(bad("the server did not accept the lean Append wire"));
        }
        Ok((frames(rd), wr))
    };
    tokio::time::timeout(timeout, open)
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "open the Append connection"))?
}

fn boxed(s: TcpStream) -> (ReadHalf, WriteHalf) {
    let (rd, wr) = s.into_split();
    (Box::new(rd), Box::new(wr))
}

/// The server's half of the handshake on a connection whose first byte was
/// [`MAGIC`]'s: reads the greeting; [`MAGIC_TLS`] opens TLS with `tls` (and
/// the plain [`MAGIC`] is refused when the server has TLS: it is then
/// required); reads the magic and the token, asks `admit` about the
/// token (empty when the client sent none) and echoes the magic only if it
/// admits it; a refused connection is closed without an echo.
pub async fn accept<G>(
    mut s: TcpStream,
    timeout: Duration,
    tls: Option<&proto::tls::ServerTls>,
    admit: impl FnOnce(&str) -> Result<G, String>,
) -> io::Result<(Frames, WriteHalf, G)> {
    let handshake = async {
        let mut magic = [0u8; MAGIC.len()];
        s.read_exact(&mut magic).await?;
        let (mut rd, mut wr) = match (magic, tls) {
            (MAGIC, None) => boxed(s),
            (MAGIC_TLS, Some(tls)) => {
                let s = tls.acceptor().accept(s).await?;
                let (mut rd, wr) = tokio::io::split(s);
                rd.read_exact(&mut magic).await?;
                if magic != MAGIC {
                    return Err(bad("not the lean Append wire"));
                }
                (Box::new(rd) as ReadHalf, Box::new(wr) as WriteHalf)
            }
            (MAGIC, Some(_)) => return Err(bad("this safekeeper requires TLS")),
            (MAGIC_TLS, None) => return Err(bad("TLS asked of a safekeeper without TLS")),
            _ => return Err(bad("not the lean Append wire")),
        };
        let mut len = [0u8; 2];
        rd.read_exact(&mut len).await?;
        let len = u16::from_be_bytes(len) as usize;
        if len > MAX_TOKEN_BYTES {
            return Err(bad("token over MAX_TOKEN_BYTES"));
        }
        let mut token = vec![0u8; len];
        rd.read_exact(&mut token).await?;
        let token = String::from_utf8(token).map_err(|_| bad("token is not UTF-8"))?;
        let grant = admit(&token).map_err(|why| bad(&why))?;
        wr.write_all(&MAGIC).await?;
        wr.flush().await?;
        Ok((rd, wr, grant))
    };
    let (rd, wr, grant) = tokio::time::timeout(timeout, handshake)
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "Append handshake"))??;
    Ok((frames(rd), wr, grant))
}

/// How long a new connection may take to send its first byte, and the
/// server's half of the handshake.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Accepts connections on `listener` until `cancel`: those that open with
/// [`MAGIC`] go to `lean` (on the accepting task; `lean` spawns), the rest
/// come out of the returned stream for the gRPC server. Sets `TCP_NODELAY`
/// on every connection (small request/ack messages: Nagle would add tens of
/// ms).
pub fn split_incoming<F>(
    listener: TcpListener,
    cancel: CancellationToken,
    lean: F,
) -> ReceiverStream<io::Result<TcpStream>>
where
    F: Fn(TcpStream) + Send + Sync + 'static,
{
    let (tx, rx) = mpsc::channel(64);
    let lean = std::sync::Arc::new(lean);
    tokio::spawn(async move {
        loop {
            let accepted = tokio::select! {
                _ = cancel.cancelled() => return,
                a = listener.accept() => a,
            };
            let s = match accepted {
                Ok((s, _)) => s,
                Err(e) => {
                    // Transient (out of descriptors, an aborted handshake):
                    // keep accepting after a breath.
                    tracing::debug!(error = %e, "accept");
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    continue;
                }
            };
            let _ = s.set_nodelay(true);
            let tx = tx.clone();
            let lean = lean.clone();
            tokio::spawn(async move {
                let mut first = [0u8; 1];
                match tokio::time::timeout(HANDSHAKE_TIMEOUT, s.peek(&mut first)).await {
                    Ok(Ok(1)) if first[0] == MAGIC[0] => lean(s),
                    Ok(Ok(1)) => {
                        let _ = tx.send(Ok(s)).await;
                    }
                    // Closed, failed or silent before its first byte.
                    _ => {}
                }
            });
        }
    });
    ReceiverStream::new(rx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip() {
        let req = pb::AppendRequest {
            timeline: None,
            term: 3,
            begin_lsn: 100,
            wal: Bytes::from_static(b"abc"),
            commit_lsn: 90,
            truncate_lsn: 80,
        };
        let mut buf = BytesMut::new();
        encode_request(&req, &mut buf).unwrap();
        let len = u32::from_be_bytes(buf[..4].try_into().unwrap()) as usize;
        assert_eq!(len, buf.len() - 4);
        assert_eq!(decode_request(buf.split_off(4).freeze()).unwrap(), req);

        let resp = pb::AppendResponse {
            node_id: 2,
            term: 3,
            flush_lsn: 103,
            commit_lsn: 90,
            accepted: true,
        };
        let mut buf = BytesMut::new();
        encode_response(&Ok(resp), &mut buf).unwrap();
        encode_response(&Err("fenced".into()), &mut buf).unwrap();
        let mut frames = Vec::new();
        while !buf.is_empty() {
            let len = u32::from_be_bytes(buf[..4].try_into().unwrap()) as usize;
            let _ = buf.split_to(4);
            frames.push(buf.split_to(len).freeze());
        }
        assert_eq!(decode_response(frames[0].clone()).unwrap(), Ok(resp));
        assert_eq!(
            decode_response(frames[1].clone()).unwrap(),
            Err("fenced".to_string())
        );
        assert!(decode_response(Bytes::from_static(&[7, 1])).is_err());
    }

    #[tokio::test]
    async fn the_handshake_carries_the_token_and_a_refusal_closes() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let server = tokio::spawn(async move {
            let (mut seen, mut kept) = (Vec::new(), Vec::new());
            for _ in 0..2 {
                let (s, _) = listener.accept().await.unwrap();
                let admitted = accept(s, Duration::from_secs(5), None, |t: &str| {
                    seen.push(t.to_string());
                    if t == "good" {
                        Ok(())
                    } else {
                        Err("refused".to_string())
                    }
                })
                .await;
                // An admitted connection stays open until the test ends.
                if let Ok(halves) = admitted {
                    kept.push(halves);
                }
            }
            (seen, kept.len())
        });
        assert!(
            connect(&addr, "good", Duration::from_secs(5), None)
                .await
                .is_ok()
        );
        let refused = connect(&addr, "bad", Duration::from_secs(5), None).await;
        assert!(refused.is_err(), "a refused token must not get the echo");
        let (seen, admitted) = server.await.unwrap();
        assert_eq!(seen, vec!["good".to_string(), "bad".to_string()]);
        assert_eq!(admitted, 1);
        let long = "x".repeat(MAX_TOKEN_BYTES + 1);
        assert!(
            connect(&addr, &long, Duration::from_secs(1), None)
                .await
                .is_err()
        );
    }

    #[test]
    fn addresses_lose_their_scheme() {
        assert_eq!(host_port("http://127.0.0.1:5454/"), "127.0.0.1:5454");
        assert_eq!(host_port("localhost:1"), "localhost:1");
    }
}

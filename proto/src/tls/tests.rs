use super::*;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A self-signed pair for `names`, written into `dir`.
fn pair(dir: &Path, stem: &str, names: &[&str]) -> TlsFiles {
    let made =
        rcgen::generate_simple_self_signed(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
            .expect("rcgen");
    let files = TlsFiles {
        cert: dir.join(format!("{stem}.crt")),
        key: dir.join(format!("{stem}.key")),
    };
    std::fs::write(&files.cert, made.cert.pem()).unwrap();
    std::fs::write(&files.key, made.signing_key.serialize_pem()).unwrap();
    files
}

#[test]
fn bad_files_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let files = TlsFiles {
        cert: dir.path().join("missing.crt"),
        key: dir.path().join("missing.key"),
    };
    let e = ServerTls::from_files(&files).expect_err("missing");
    assert!(e.to_string().contains("missing.crt"), "{e}");
    std::fs::write(&files.cert, "not a certificate").unwrap();
    let e = ServerTls::from_files(&files).expect_err("garbage");
    assert!(e.to_string().contains("no PEM certificate"), "{e}");
    let e = ClientTls::from_ca_file(&files.cert).expect_err("garbage CA");
    assert!(e.to_string().contains("missing.crt"), "{e}");

    // A key that does not belong to the certificate.
    let a = pair(dir.path(), "a", &["localhost"]);
    let b = pair(dir.path(), "b", &["localhost"]);
    let mixed = TlsFiles {
        cert: a.cert,
        key: b.key,
    };
    let e = ServerTls::from_files(&mixed).expect_err("mismatched pair");
    assert!(e.to_string().contains("do not make a usable pair"), "{e}");
}

#[test]
fn endpoints_take_the_scheme_of_the_transport() {
    let dir = tempfile::tempdir().unwrap();
    let files = pair(dir.path(), "s", &["localhost"]);
    let tls = ClientTls::from_ca_file(&files.cert).unwrap();
    let plain = endpoint("127.0.0.1:7000", None).unwrap();
    assert_eq!(plain.uri().to_string(), "http://127.0.0.1:7000/");
    let secure = endpoint("http://127.0.0.1:7000", Some(&tls)).unwrap();
    assert_eq!(secure.uri().to_string(), "https://127.0.0.1:7000/");
    assert!(endpoint("not an address at all", None).is_err());
}

#[test]
fn hosts_of_addresses() {
    assert_eq!(host_of("127.0.0.1:5454"), "127.0.0.1");
    assert_eq!(host_of("http://localhost:1/"), "localhost");
    assert_eq!(host_of("[::1]:8"), "[::1]");
    assert_eq!(host_of("sk-0.sk.svc"), "sk-0.sk.svc");
}

/// One handshake through `client` to a server with `server`'s pair; Ok(echo) on success.
async fn handshake(server: &TlsFiles, client: &ClientTls, host: &str) -> std::io::Result<Vec<u8>> {
    let acceptor = ServerTls::from_files(server).unwrap().acceptor().clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let served = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await?;
        let mut s = acceptor.accept(tcp).await?;
        let mut buf = [0u8; 5];
        s.read_exact(&mut buf).await?;
        s.write_all(&buf).await?;
        s.flush().await?;
        std::io::Result::Ok(())
    });
    let tcp = tokio::net::TcpStream::connect(addr).await?;
    let mut s = client.connect(host, tcp).await?;
    s.write_all(b"hello").await?;
    s.flush().await?;
    let mut echo = vec![0u8; 5];
    s.read_exact(&mut echo).await?;
    let _ = served.await;
    Ok(echo)
}

#[tokio::test]
async fn handshakes_verify_the_ca_and_the_name() {
    let dir = tempfile::tempdir().unwrap();
    let server = pair(dir.path(), "server", &["localhost", "127.0.0.1"]);
    let other = pair(dir.path(), "other", &["localhost", "127.0.0.1"]);
    let trusting = ClientTls::from_ca_file(&server.cert).unwrap();
    assert_eq!(
        handshake(&server, &trusting, "127.0.0.1").await.unwrap(),
        b"hello"
    );
    assert_eq!(
        handshake(&server, &trusting, "localhost").await.unwrap(),
        b"hello"
    );
    let e = handshake(&server, &trusting, "db.example.com")
        .await
        .expect_err("the certificate does not name this host");
    assert!(e.to_string().contains("certificate"), "{e}");
    let stranger = ClientTls::from_ca_file(&other.cert).unwrap();
    let e = handshake(&server, &stranger, "127.0.0.1")
        .await
        .expect_err("signed by a CA the client does not trust");
    assert!(e.to_string().contains("certificate"), "{e}");
}

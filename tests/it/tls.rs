//! TLS on the PostgreSQL port, from psql as a user would connect (libpq's sslmode):
//!
//! - `strata start --tls --tls-required`: the self-signed certificate it makes verifies with
//!   `sslmode=verify-full` (by `localhost` and by `127.0.0.1`), does not verify against
//!   another root, and a client without TLS is refused with FATAL 28000 before any password;
//! - `strata start --tls-cert --tls-key --users-file`: TLS is optional (`sslmode=disable` and
//!   `require` both work), SCRAM passwords work over TLS, and psql reports the TLS session.

use std::process::Command;

use crate::harness::{Process, TestDir};

fn psql_available() -> bool {
    let ok = Command::new("psql")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        let msg = "psql is not installed; ./scripts/test installs it";
        assert!(std::env::var("CI").as_deref() != Ok("true"), "{msg}");
        eprintln!("SKIPPING: {msg}");
    }
    ok
}

/// psql with connection string `conn` running `sql`: (success, stdout + stderr).
fn psql(conn: &str, sql: &str, password: Option<&str>) -> (bool, String) {
    let mut cmd = Command::new("psql");
    cmd.args(["-X", "-At", "-d", conn, "-c", sql])
        .env("PGCONNECT_TIMEOUT", "10")
        .env_remove("PGSSLMODE")
        .env_remove("PGPASSWORD");
    if let Some(p) = password {
        cmd.env("PGPASSWORD", p);
    }
    let out = cmd.output().expect("run psql");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    println!("psql {conn} -c {sql:?} -> {}: {text}", out.status);
    (out.status.success(), text)
}

#[test]
fn self_signed_tls_required_refuses_clear_text() {
    if !psql_available() {
        return;
    }
    let dir = TestDir::new("tls-required");
    let mut cluster = Process::local_cluster(&dir, "strata");
    cluster.push_args(&["--tls", "--tls-required"]);
    cluster.start();
    let port = cluster.addr.port();
    let cert = cluster.data_dir.join("tls/server.crt");
    assert!(cert.exists(), "strata start --tls made {}", cert.display());
    let base = format!("port={port} user=strata dbname=postgres");

    for host in ["localhost", "127.0.0.1"] {
        let conn = format!(
            "host={host} {base} sslmode=verify-full sslrootcert={}",
            cert.display()
        );
        let (ok, out) = psql(&conn, "SELECT 40 + 2", None);
        assert!(ok && out.trim() == "42", "verify-full by {host}: {out}");
    }

    let (ok, out) = psql(
        &format!("host=127.0.0.1 {base} sslmode=disable"),
        "SELECT 1",
        None,
    );
    assert!(!ok, "a client without TLS is refused: {out}");
    assert!(out.contains("requires TLS"), "{out}");

    // Another certificate is not this server's root.
    let other = strata::self_signed::ensure(&dir.path().join("other-ca")).expect("another pair");
    let conn = format!(
        "host=localhost {base} sslmode=verify-full sslrootcert={}",
        other.cert.display()
    );
    let (ok, out) = psql(&conn, "SELECT 1", None);
    assert!(
        !ok,
        "a server certificate from another root is not trusted: {out}"
    );
    assert!(out.contains("certificate verify failed"), "{out}");

    // Restarted, the same certificate is reused: clients keep trusting it.
    let before = std::fs::read(&cert).expect("read the certificate");
    cluster.kill9();
    cluster.start();
    assert_eq!(std::fs::read(&cert).expect("read the certificate"), before);
    let conn = format!(
        "host=localhost {base} sslmode=verify-full sslrootcert={}",
        cert.display()
    );
    assert!(
        psql(&conn, "SELECT 1", None).0,
        "the restarted cluster serves the same certificate"
    );
}

#[test]
fn optional_tls_with_given_files_and_scram_passwords() {
    if !psql_available() {
        return;
    }
    let dir = TestDir::new("tls-optional");
    let files = strata::self_signed::ensure(&dir.path().join("certs")).expect("a pair");
    let users = dir.path().join("users");
    compute::frontend::users::set_password(&users, "alice", "s3cret").expect("users file");
    let mut cluster = Process::local_cluster(&dir, "strata");
    let (cert, key, users) = (
        files.cert.display().to_string(),
        files.key.display().to_string(),
        users.display().to_string(),
    );
    cluster.push_args(&[
        "--tls-cert",
        &cert,
        "--tls-key",
        &key,
        "--users-file",
        &users,
    ]);
    cluster.start();
    let base = format!(
        "host=127.0.0.1 port={} user=alice dbname=postgres",
        cluster.addr.port()
    );

    let (ok, out) = psql(
        &format!("{base} sslmode=disable"),
        "SELECT 'clear'",
        Some("s3cret"),
    );
    assert!(ok && out.trim() == "clear", "TLS is optional: {out}");
    let (ok, out) = psql(
        &format!("{base} sslmode=require"),
        "SELECT 'tls'",
        Some("s3cret"),
    );
    assert!(ok && out.trim() == "tls", "SCRAM over TLS: {out}");
    let (ok, out) = psql(
        &format!("{base} sslmode=require"),
        "SELECT 1",
        Some("wrong"),
    );
    assert!(
        !ok && out.contains("password authentication failed"),
        "{out}"
    );

    // psql's \conninfo reports the TLS session libpq negotiated.
    let out = Command::new("psql")
        .args([
            "-X",
            "-d",
            &format!("{base} sslmode=require"),
            "-c",
            r"\conninfo",
        ])
        .env("PGPASSWORD", "s3cret")
        .env("PGCONNECT_TIMEOUT", "10")
        .output()
        .expect("run psql");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("SSL connection (protocol: TLSv1.3"), "{text}");
}

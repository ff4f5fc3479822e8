//! `strata start --tls`: a self-signed certificate for the embedded cluster, made once in
//! `DATA_DIR/tls/` (`server.crt`, and `server.key` with mode 0600) and reused on every later
//! start, so a client that trusts it once (`sslrootcert=DATA_DIR/tls/server.crt`) keeps
//! trusting it. Its names are `localhost`, `127.0.0.1` and `::1`: `sslmode=verify-full`
//! works with `host=localhost` or `host=127.0.0.1`. For anything but local use, give a
//! real certificate with `--tls-cert` / `--tls-key`.

use std::io::Write;
use std::path::Path;

use compute::frontend::tls::TlsFiles;

/// The certificate and key in `dir`, made if missing.
pub fn ensure(dir: &Path) -> std::io::Result<TlsFiles> {
    let files = TlsFiles {
        cert: dir.join("server.crt"),
        key: dir.join("server.key"),
    };
    if files.cert.exists() && files.key.exists() {
        return Ok(files);
    }
    std::fs::create_dir_all(dir)?;
    let names = vec!["localhost".to_string(), "127.0.0.1".into(), "::1".into()];
    let made = rcgen::generate_simple_self_signed(names).map_err(std::io::Error::other)?;
    write_new(
        &files.key,
        made.signing_key.serialize_pem().as_bytes(),
        0o600,
    )?;
    write_new(&files.cert, made.cert.pem().as_bytes(), 0o644)?;
    Ok(files)
}

/// Writes `bytes` to `path` through a temporary file (so a crash leaves no half file),
/// with `mode` from the start.
fn write_new(path: &Path, bytes: &[u8], mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let tmp = path.with_extension("tmp");
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(mode)
        .open(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn made_once_private_key_private_and_usable() {
        let dir = tempfile::tempdir().unwrap();
        let files = ensure(dir.path()).unwrap();
        let mode = std::fs::metadata(&files.key).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let cert = std::fs::read(&files.cert).unwrap();
        assert_eq!(ensure(dir.path()).unwrap(), files);
        assert_eq!(
            std::fs::read(&files.cert).unwrap(),
            cert,
            "reused, not remade"
        );
        compute::frontend::tls::acceptor(&files).expect("a usable pair");
    }
}

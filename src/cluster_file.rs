//! # cluster_file: `DATA_DIR/cluster.toml`, where `strata start` says what it chose
//!
//! The embedded cluster's safekeepers and pageserver listen on ports picked
//! at start. [`write`] records them (with the PostgreSQL address, the
//! timeline and the object store) once every component is up, atomically
//! (a temporary file renamed over the old one); a clean stop removes the file
//! ([`remove`]). The admin commands (`strata status`, `strata timeline`)
//! call [`resolve`]: addresses given as flags win, the rest come from the
//! file, so a user never types an address for the embedded cluster.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::admin::AdminError;

/// The file's name inside the data directory.
pub const FILE_NAME: &str = "cluster.toml";

/// What a running `strata start` chose.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterFile {
    /// The process that wrote the file.
    pub pid: u32,
    /// The compute's PostgreSQL address.
    pub postgres: String,
    /// A libpq connection string for `psql`.
    pub connection_string: String,
    /// The pageserver's gRPC address.
    pub pageserver: String,
    /// The safekeepers' gRPC addresses.
    pub safekeepers: Vec<String>,
    pub tenant: String,
    pub timeline: String,
    pub object_store: String,
    /// Where the component logs go (`DATA_DIR/logs`).
    pub logs: PathBuf,
    /// The CA the components' gRPC TLS is checked against (`strata start --grpc-tls`);
    /// absent when they speak plaintext.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grpc_tls_ca: Option<PathBuf>,
}

/// `dir/cluster.toml`.
pub fn path(dir: &Path) -> PathBuf {
    dir.join(FILE_NAME)
}

/// Writes `dir/cluster.toml` atomically and durably.
pub fn write(dir: &Path, file: &ClusterFile) -> std::io::Result<()> {
    let body = toml::to_string(file).map_err(std::io::Error::other)?;
    let tmp = dir.join(format!("{FILE_NAME}.tmp"));
    {
        let mut f = std::fs::File::create(&tmp)?;
        writeln!(
            f,
            "# Written by `strata start` (pid {}) and removed when it stops cleanly.\n\
             # `strata status --data-dir DIR` and `strata timeline ... --data-dir DIR` read it.",
            file.pid
        )?;
        f.write_all(body.as_bytes())?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path(dir))?;
    std::fs::File::open(dir)?.sync_all()
}

/// Removes `dir/cluster.toml` (a clean stop); a missing file is fine.
pub fn remove(dir: &Path) -> std::io::Result<()> {
    match std::fs::remove_file(path(dir)) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Reads `dir/cluster.toml`.
pub fn read(dir: &Path) -> Result<ClusterFile, AdminError> {
    let p = path(dir);
    let no_cluster = |reason: String| AdminError::NoCluster {
        path: p.clone(),
        reason,
    };
    let text = std::fs::read_to_string(&p).map_err(|e| {
        no_cluster(if e.kind() == std::io::ErrorKind::NotFound {
            "is missing (is `strata start` running there?)".to_string()
        } else {
            e.to_string()
        })
    })?;
    toml::from_str(&text).map_err(|e: toml::de::Error| no_cluster(e.to_string()))
}

/// The servers an admin command talks to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Servers {
    pub pageserver: String,
    pub safekeepers: Vec<String>,
}

/// The token an admin command sends: `--auth-token-file` if given, else the
/// admin token a `strata start` in `data_dir` wrote (`crate::auth_files`),
/// else none (servers without `--auth-public-key`).
pub fn admin_token(
    token_file: Option<&Path>,
    data_dir: &Path,
) -> Result<proto::auth::Token, AdminError> {
    let local = crate::auth_files::admin_token_path(data_dir);
    let path = match token_file {
        Some(p) => Some(p.to_path_buf()),
        None => local.exists().then_some(local),
    };
    proto::auth::Token::from_optional_file(path.as_deref())
        .map_err(|e| AdminError::Invalid(e.to_string()))
}

/// How an admin command reaches the servers: [`admin_token`]'s token, and TLS trusting
/// `tls_ca` if given, else the CA `data_dir/cluster.toml` names (a `strata start
/// --grpc-tls`), else plaintext.
pub fn admin_access(
    token_file: Option<&Path>,
    tls_ca: Option<&Path>,
    data_dir: &Path,
) -> Result<crate::admin::Access, AdminError> {
    let token = admin_token(token_file, data_dir)?;
    let ca = match tls_ca {
        Some(ca) => Some(ca.to_path_buf()),
        None => read(data_dir).ok().and_then(|f| f.grpc_tls_ca),
    };
    let tls = ca
        .map(|ca| proto::tls::ClientTls::from_ca_file(&ca))
        .transpose()
        .map_err(|e| AdminError::Invalid(format!("--grpc-tls-ca: {e}")))?;
    Ok(crate::admin::Access { token, tls })
}

/// The addresses given as flags, completed from `data_dir/cluster.toml`
/// when one is missing (`pageserver` absent, or `safekeepers` empty while
/// `need_safekeepers`). The file is read only when needed.
pub fn resolve(
    pageserver: Option<String>,
    safekeepers: Vec<String>,
    data_dir: &Path,
    need_safekeepers: bool,
) -> Result<Servers, AdminError> {
    let safekeepers: Vec<String> = safekeepers.into_iter().filter(|s| !s.is_empty()).collect();
    match pageserver {
        Some(pageserver) if !need_safekeepers || !safekeepers.is_empty() => Ok(Servers {
            pageserver,
            safekeepers,
        }),
        pageserver => {
            let file = read(data_dir)?;
            Ok(Servers {
                pageserver: pageserver.unwrap_or(file.pageserver),
                safekeepers: if safekeepers.is_empty() {
                    file.safekeepers
                } else {
                    safekeepers
                },
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> ClusterFile {
        ClusterFile {
            pid: 7,
            postgres: "127.0.0.1:55432".into(),
            connection_string: "postgresql://strata@127.0.0.1:55432/postgres".into(),
            pageserver: "127.0.0.1:4000".into(),
            safekeepers: vec!["127.0.0.1:4001".into(), "127.0.0.1:4002".into()],
            tenant: "default".into(),
            timeline: "main".into(),
            object_store: "file:///tmp/objects".into(),
            logs: "/tmp/logs".into(),
            grpc_tls_ca: None,
        }
    }

    #[test]
    fn round_trips_and_is_removed() {
        let dir = tempfile::tempdir().expect("temp dir");
        write(dir.path(), &sample()).expect("write");
        assert_eq!(read(dir.path()).expect("read"), sample());
        remove(dir.path()).expect("remove");
        remove(dir.path()).expect("removing twice is fine");
        let err = read(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("cluster.toml") && err.contains("--data-dir"),
            "{err}"
        );
    }

    #[test]
    fn flags_win_and_the_file_fills_the_rest() {
        let dir = tempfile::tempdir().expect("temp dir");
        let given = resolve(Some("ps:1".into()), vec!["sk:1".into()], dir.path(), true);
        assert_eq!(given.expect("no file needed").pageserver, "ps:1");
        assert!(resolve(Some("ps:1".into()), vec![], dir.path(), false).is_ok());
        assert!(matches!(
            resolve(None, vec![], dir.path(), true),
            Err(AdminError::NoCluster { .. })
        ));
        write(dir.path(), &sample()).expect("write");
        let s = resolve(None, vec![], dir.path(), true).expect("from the file");
        assert_eq!(s.pageserver, "127.0.0.1:4000");
        assert_eq!(s.safekeepers.len(), 2);
        let s = resolve(Some("ps:9".into()), vec![], dir.path(), true).expect("mixed");
        assert_eq!((s.pageserver.as_str(), s.safekeepers.len()), ("ps:9", 2));
    }
}

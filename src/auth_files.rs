//! # auth_files: the embedded cluster's keys and tokens (`DATA_DIR/auth/`)
//!
//! `strata start` (and [`crate::LocalCluster`]) run with component auth on
//! (`proto::auth`): the first start makes an Ed25519 key pair, every start
//! signs one token per role, and the components check each other's calls
//! with the public key, exactly as separate processes started with
//! `--auth-public-key` / `--auth-token-file` would.
//!
//! ```text
//! DATA_DIR/auth/auth_key.pem       private key (PKCS#8 PEM, mode 0600): signs tokens
//! DATA_DIR/auth/auth_key.pub.pem   public key (SPKI PEM): --auth-public-key
//! DATA_DIR/auth/admin.token        an admin token (mode 0600) the admin commands
//!                                  (`strata status`, `strata timeline`) pick up
//! ```
//!
//! [`keygen`] is `strata auth keygen --out DIR`, which writes the same two
//! key files for clusters of separate processes.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use proto::TimelineId;
use proto::auth::{AuthError, Role, Signer, Token, Verifier};

/// The private key's file name in a key directory.
pub const PRIVATE_KEY: &str = "auth_key.pem";
/// The public key's file name in a key directory.
pub const PUBLIC_KEY: &str = "auth_key.pub.pem";
/// How long the embedded cluster's tokens last (each start signs new ones).
pub const LOCAL_TOKEN_TTL: Duration = Duration::from_secs(365 * 24 * 3600);

/// `DATA_DIR/auth`.
pub fn auth_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("auth")
}

/// `DATA_DIR/auth/admin.token`.
pub fn admin_token_path(data_dir: &Path) -> PathBuf {
    auth_dir(data_dir).join("admin.token")
}

fn io_error(path: &Path, e: std::io::Error) -> AuthError {
    AuthError::Invalid(format!("{}: {e}", path.display()))
}

/// Writes `body` to `path` (created with mode 0600 when `secret`).
fn write_file(path: &Path, body: &str, secret: bool) -> Result<(), AuthError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut f = options.open(path).map_err(|e| io_error(path, e))?;
    f.write_all(body.as_bytes())
        .map_err(|e| io_error(path, e))?;
    f.sync_all().map_err(|e| io_error(path, e))
}

/// `strata auth keygen --out DIR`: a new key pair in `dir` (created if
/// missing); refuses to overwrite an existing private key. Returns the two paths.
pub fn keygen(dir: &Path) -> Result<(PathBuf, PathBuf), AuthError> {
    std::fs::create_dir_all(dir).map_err(|e| io_error(dir, e))?;
    let (private_path, public_path) = (dir.join(PRIVATE_KEY), dir.join(PUBLIC_KEY));
    if private_path.exists() {
        return Err(AuthError::Invalid(format!(
            "{} exists: not overwriting a key",
            private_path.display()
        )));
    }
    let (private, public) = proto::auth::generate_key_pair()?;
    write_file(&private_path, &private, true)?;
    write_file(&public_path, &public, false)?;
    Ok((private_path, public_path))
}

/// The embedded cluster's verifier and its components' tokens.
#[derive(Clone, Debug)]
pub struct LocalAuth {
    pub verifier: Arc<Verifier>,
    pub admin: Token,
    pub pageserver: Token,
    pub safekeeper: Token,
    /// Scoped to the cluster's tenant and timeline.
    pub compute: Token,
}

/// Makes (first start) or reads the key pair in `DATA_DIR/auth/`, signs
/// this start's tokens and writes the admin token for the admin commands.
pub fn ensure_local(data_dir: &Path, timeline: &TimelineId) -> Result<LocalAuth, AuthError> {
    let dir = auth_dir(data_dir);
    if !dir.join(PRIVATE_KEY).exists() {
        keygen(&dir)?;
    }
    let signer = Signer::from_file(&dir.join(PRIVATE_KEY))?;
    let verifier = Arc::new(Verifier::from_file(&dir.join(PUBLIC_KEY))?);
    let sign = |role, tenant: Option<&str>, tl: Option<&str>| {
        signer
            .token(role, tenant, tl, LOCAL_TOKEN_TTL)
            .and_then(|t| Token::new(&t).map(|token| (t, token)))
    };
    let (admin_text, admin) = sign(Role::Admin, None, None)?;
    write_file(
        &admin_token_path(data_dir),
        &format!("{admin_text}\n"),
        true,
    )?;
    Ok(LocalAuth {
        verifier,
        admin,
        pageserver: sign(Role::Pageserver, None, None)?.1,
        safekeeper: sign(Role::Safekeeper, None, None)?.1,
        compute: sign(
            Role::Compute,
            Some(timeline.tenant.as_str()),
            Some(timeline.timeline.as_str()),
        )?
        .1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_local_tokens_pass_the_local_verifier() {
        let dir = tempfile::tempdir().expect("temp dir");
        let id = TimelineId::new("default", "main").expect("names");
        let a = ensure_local(dir.path(), &id).expect("first start");
        let claims = a
            .verifier
            .verify(&a.compute.secret())
            .expect("compute token");
        assert_eq!(claims.role, Role::Compute);
        assert_eq!(claims.tenant.as_deref(), Some("default"));
        // A second start keeps the key: the first start's tokens stay valid.
        let b = ensure_local(dir.path(), &id).expect("second start");
        assert!(b.verifier.verify(&a.admin.secret()).is_ok());
        let saved = Token::from_file(&admin_token_path(dir.path())).expect("admin token file");
        assert_eq!(
            b.verifier.verify(&saved.secret()).expect("valid").role,
            Role::Admin
        );
        assert!(
            keygen(&auth_dir(dir.path())).is_err(),
            "never overwrites a key"
        );
    }
}

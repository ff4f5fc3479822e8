//! # auth_reload: component-auth keys and tokens replaced while a process runs
//!
//! A server's `--auth-public-key` (a PEM file of one or more keys, or a directory of
//! `*.pem`) and a process's `--auth-token-file` are read again on SIGHUP and every
//! [`POLL`], so keys rotate and short-lived tokens are renewed without a restart:
//! add the new public key beside the old, re-sign the tokens with the new private key
//! (write each token file in place), then remove the old public key. A file that cannot be
//! read or parsed is logged and the keys or token in use stay.

use std::time::Duration;

use proto::auth::{SharedVerifier, Token};
use tokio_util::sync::CancellationToken;

/// How often the files are read again without a SIGHUP.
pub const POLL: Duration = Duration::from_secs(10);

/// Starts the reload loop for `verifier` and `token` (either may have no file: then there
/// is nothing to do for it) until `cancel`. Needs a Tokio runtime.
pub fn spawn(verifier: SharedVerifier, token: Token, cancel: CancellationToken) {
    let mut hangup = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
        Ok(s) => Some(s),
        Err(e) => {
            tracing::warn!(error = %e, "no SIGHUP handler: auth files are re-read every {POLL:?} only");
            None
        }
    };
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(POLL);
        tick.tick().await;
        loop {
            let signalled = tokio::select! {
                _ = cancel.cancelled() => return,
                _ = tick.tick() => false,
                _ = async {
                    match hangup.as_mut() {
                        Some(h) => h.recv().await,
                        None => std::future::pending().await,
                    }
                } => true,
            };
            reload(verifier.as_deref(), &token, signalled);
        }
    });
}

/// One reload of both; logs what changed (everything on SIGHUP) and what failed.
fn reload(verifier: Option<&proto::auth::Verifier>, token: &Token, signalled: bool) {
    if let Some(v) = verifier {
        let before = v.key_count();
        match v.reload() {
            Ok(Some(n)) if signalled || n != before => {
                tracing::info!(keys = n, "reloaded --auth-public-key")
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, "--auth-public-key not reloaded; the keys in use stay")
            }
        }
    }
    match token.reload() {
        Ok(true) => tracing::info!("reloaded --auth-token-file: a new token"),
        Ok(false) => {}
        Err(e) => {
            tracing::warn!(error = %e, "--auth-token-file not reloaded; the token in use stays")
        }
    }
}

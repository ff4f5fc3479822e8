//! The environment a routine's body runs in: SECURITY DEFINER and `SET` clauses.
//!
//! A SECURITY DEFINER function or procedure runs as its owner (`proowner`): privilege
//! checks, `current_user` and the `$user` of the search path see the owner, while
//! `session_user` stays the session's. Its `SET name = value` clauses (`proconfig`) are in
//! force for the call, as PostgreSQL's GUC nest level: a SET of the same parameter inside
//! the body is undone with it. Both are undone when the call ends, also when it fails —
//! the running role lives in the thread's [`crate::env`] (restored by its guard), the
//! settings in the session's store (restored before the result is passed on).

use std::sync::Arc;

use crate::Result;
use crate::env::{self, CatalogEnv, Env};
use crate::storage::FunctionDef;

/// Runs `body` in `def`'s environment (as the caller's when it has neither option).
pub fn run<T>(def: &FunctionDef, body: impl FnOnce() -> Result<T>) -> Result<T> {
    if !def.security_definer && def.config.is_empty() {
        return body();
    }
    let current = env::current();
    let session = current.session.clone();
    let mut replaced = Vec::with_capacity(def.config.len());
    let applied = (|| -> Result<()> {
        let mut settings = session.settings();
        for entry in &def.config {
            let (name, value) = entry.split_once('=').unwrap_or((entry.as_str(), ""));
            replaced.push(settings.set_for_call(name, value)?);
        }
        Ok(())
    })();
    let result = applied.and_then(|()| {
        let _guard = current
            .catalog
            .as_ref()
            .map(|c| install(&current, c, def, &session));
        body()
    });
    let mut settings = session.settings();
    for r in replaced.into_iter().rev() {
        settings.restore(r);
    }
    result
}

/// Installs the statement's environment with `def`'s role and the search path its settings
/// give.
fn install(
    current: &Arc<Env>,
    catalog_env: &Arc<CatalogEnv>,
    def: &FunctionDef,
    session: &env::SessionInfo,
) -> env::EnvGuard {
    let mut cenv = (**catalog_env).clone();
    if def.security_definer {
        cenv.user = cenv
            .catalog
            .role_by_oid(def.owner)
            .map(|r| r.name)
            .unwrap_or_else(|| session.user.clone());
    }
    let path = session
        .setting("search_path")
        .unwrap_or_else(|| "public".into());
    cenv.search_path = crate::binder::search_path(&cenv.catalog, &path, &cenv.user);
    let cenv = Arc::new(cenv);
    let lookup: Arc<dyn crate::types::oid::ObjectLookup> = cenv.clone();
    env::install(Arc::new(Env {
        catalog: Some(cenv),
        lookup: Some(lookup),
        ..(**current).clone()
    }))
}

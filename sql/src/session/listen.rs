//! LISTEN, UNLISTEN and NOTIFY statements: queued in the session's transaction (they take
//! effect at commit, see [`crate::notify`]); outside a block the statement is its own
//! transaction and takes effect at once.
//!
//! As in PostgreSQL 15 they run in read-only transactions, but a read replica (recovery)
//! refuses LISTEN and NOTIFY with 25006 `cannot execute LISTEN during recovery` (UNLISTEN is
//! allowed: it does nothing there). A channel name is an identifier: folded to lower case
//! unless quoted, truncated to 63 bytes with PostgreSQL's NOTICE.

use super::{Block, Session};
use crate::notice::{self, Notice};
use crate::result::StatementResult;
use crate::storage::Storage;
use crate::{Error, Result};
use sqlparser::ast;

/// The longest identifier, in bytes (`NAMEDATALEN` - 1).
const MAX_IDENTIFIER: usize = 63;

/// A channel name as PostgreSQL's scanner reads the identifier.
fn channel(id: &ast::Ident) -> String {
    let mut name = crate::binder::ident(id);
    if name.len() > MAX_IDENTIFIER {
        let mut end = MAX_IDENTIFIER;
        while !name.is_char_boundary(end) {
            end -= 1;
        }
        let short = name[..end].to_string();
        notice::emit(Notice::new(
            "42622",
            format!("identifier \"{name}\" will be truncated to \"{short}\""),
        ));
        name = short;
    }
    name
}

/// 25006 for `what` on a read replica.
pub(crate) fn during_recovery(what: &str) -> Error {
    Error::ReadOnlySqlTransaction(format!("cannot execute {what} during recovery"))
}

impl<S: Storage> Session<S> {
    /// Runs LISTEN, UNLISTEN or NOTIFY (`stmt` is one of them).
    pub(super) fn listen_notify(&mut self, stmt: &ast::Statement) -> Result<StatementResult> {
        use ast::Statement as S;
        let notify = self.info.notify.clone();
        let tag = match stmt {
            S::LISTEN { channel: c } => {
                if self.in_recovery {
                    return Err(during_recovery("LISTEN"));
                }
                notify.listen(&channel(c));
                "LISTEN"
            }
            S::UNLISTEN { channel: c } => {
                // `UNLISTEN *` (a quoted "*" is a channel named so).
                let all = c.quote_style.is_none() && c.value == "*";
                notify.unlisten((!all).then(|| channel(c)).as_deref());
                "UNLISTEN"
            }
            S::NOTIFY {
                channel: c,
                payload,
            } => {
                if self.in_recovery {
                    return Err(during_recovery("NOTIFY"));
                }
                notify.notify(&channel(c), payload.as_deref().unwrap_or(""))?;
                "NOTIFY"
            }
            _ => return Err(Error::Internal("not LISTEN / NOTIFY".into())),
        };
        if matches!(self.block, Block::Idle) {
            notify.committed(self.info.backend_pid);
        }
        Ok(StatementResult::command(tag))
    }
}

//! `COMMIT AND CHAIN` / `ROLLBACK AND CHAIN`: end the transaction block and open the next
//! one at once, with the same isolation level and access mode (PostgreSQL 12+). Outside a
//! block the client began (none, or only the implicit block of a multi-statement query
//! string) both are 25P01, as in PostgreSQL; a COMMIT that fails (a deferred constraint)
//! chains nothing, and a COMMIT AND CHAIN of a failed block rolls it back (tag ROLLBACK)
//! and still opens the next block.

use super::{Block, Session};
use crate::result::StatementResult;
use crate::storage::Storage;
use crate::{Error, Result};

impl<S: Storage> Session<S> {
    pub(super) fn end_and_chain(&mut self, commit: bool) -> Result<StatementResult> {
        let what = if commit {
            "COMMIT AND CHAIN"
        } else {
            "ROLLBACK AND CHAIN"
        };
        let isolation = match &self.block {
            Block::Open { isolation, .. } | Block::Failed { isolation, .. } if !self.implicit => {
                *isolation
            }
            _ => return Err(Error::NoActiveTransaction(what)),
        };
        let read_only = self.transaction_read_only();
        let ended = if commit {
            self.commit()?
        } else {
            self.abort();
            StatementResult::command("ROLLBACK")
        };
        self.block = Block::Open {
            txn: None,
            isolation,
            savepoints: Vec::new(),
        };
        self.txn_began();
        self.set_access_mode(read_only)?;
        Ok(ended)
    }
}

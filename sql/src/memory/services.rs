//! [`MemoryServices`]: sequence values and relation sizes of a [`super::MemoryStorage`].
//! Sequence values are one map outside every transaction (nothing to make durable).

use super::{Committed, lock};
use crate::Result;
use crate::storage::{Oid, SequenceDef, Services, sequence};
use std::sync::{Arc, Mutex};

pub(super) struct MemoryServices {
    pub(super) shared: Arc<Mutex<Committed>>,
    pub(super) activity: Arc<crate::system::table_stats::TableActivity>,
    pub(super) serial: Arc<crate::storage::serializable::SerialRegistry>,
}

/// Bytes a row is counted as for relation sizes (there are no pages here).
const ROW_BYTES: u64 = 64;

impl Services for MemoryServices {
    fn serializable(&self) -> Option<Arc<crate::storage::serializable::SerialRegistry>> {
        Some(self.serial.clone())
    }

    fn table_activity(&self) -> Option<Arc<crate::system::table_stats::TableActivity>> {
        Some(self.activity.clone())
    }

    fn nextval(&self, seq: &SequenceDef) -> Result<i64> {
        let mut s = lock(&self.shared);
        let (last, called) = s
            .sequences
            .get(&seq.oid)
            .copied()
            .unwrap_or_else(|| sequence::initial_state(seq));
        let v = sequence::next_value(seq, last, called)?;
        s.sequences.insert(seq.oid, (v, true));
        Ok(v)
    }

    fn setval(&self, seq: &SequenceDef, value: i64, is_called: bool) -> Result<()> {
        sequence::check_setval(seq, value)?;
        lock(&self.shared)
            .sequences
            .insert(seq.oid, (value, is_called));
        Ok(())
    }

    fn sequence_state(&self, seq: &SequenceDef) -> Result<(i64, bool)> {
        Ok(lock(&self.shared)
            .sequences
            .get(&seq.oid)
            .copied()
            .unwrap_or_else(|| sequence::initial_state(seq)))
    }

    fn relation_size(&self, oid: Oid) -> Option<u64> {
        let s = lock(&self.shared);
        let table = s
            .catalog
            .table_by_id(oid)
            .or_else(|| s.catalog.index_table(oid))?;
        let rows = s.tables.get(&table.id).map_or(0, |data| {
            data.values()
                .filter(|v| v.last().is_some_and(|v| v.deleted.is_none()))
                .count() as u64
        });
        Some((rows * ROW_BYTES).div_ceil(8192) * 8192)
    }
}

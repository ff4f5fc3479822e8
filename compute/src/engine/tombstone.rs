//! `DropRelation` records: telling storage which relations a DDL record freed.
//!
//! `DROP TABLE` frees the table's RelId and those of its indexes, `DROP INDEX` the index's
//! (RelIds are never reused). Right after the serial step has submitted the catalog-changing
//! record, and still under the commit mutex, one `DropRelation { rel }` record per freed
//! RelId follows it in the WAL ([`emit`]). The pageserver then answers reads of the relation
//! at or after that record as "never written", leaves it out of later image layers and lets
//! GC reclaim its layers (see `pageserver::tombstones`).
//!
//! Readers are unaffected: a snapshot that still sees the relation is older than the catalog
//! record, hence older than the tombstones, and reads the relation's pages as before (from
//! this compute's pages, or from the pageserver at that snapshot). Relations created by the
//! dropping transaction itself never had pages and get no record.
//!
//! The drop is committed by the catalog record. If submitting a tombstone fails, the error is
//! logged and the relation's pages merely stay in storage (nothing reads them again).

use std::collections::BTreeMap;

use proto::{Lsn, Record, RecordKind, RelId};
use sql::storage::TableId;

use super::catalog::TableEntry;
use super::{CommitState, Shared};

/// The RelIds a record's net DDL (`table → (before, after)`) frees.
pub(super) fn freed(
    net: &BTreeMap<TableId, (Option<TableEntry>, Option<TableEntry>)>,
) -> Vec<RelId> {
    let mut out = Vec::new();
    for (before, after) in net.values() {
        let Some(before) = before else { continue };
        match after {
            None => {
                out.push(before.rel());
                out.extend(before.index_rels.iter().copied());
            }
            Some(after) => out.extend(
                before
                    .index_rels
                    .iter()
                    .filter(|r| !after.index_rels.contains(r))
                    .copied(),
            ),
        }
    }
    out
}

/// Writes one `DropRelation` record per RelId of `rels` after the record that ended at
/// `end`; returns the end of the last record written (`end` if none).
pub(super) fn emit(shared: &Shared, st: &mut CommitState, rels: &[RelId], end: Lsn) -> Lsn {
    if !end.is_valid() {
        return end; // no catalog record was written: nothing was dropped
    }
    let mut last = end;
    for &rel in rels {
        match submit(shared, st, rel) {
            Ok(e) => last = e,
            Err(error) => {
                tracing::warn!(rel = rel.0, %error, "write the DropRelation record; the relation's pages stay");
                break;
            }
        }
    }
    last
}

fn submit(shared: &Shared, st: &mut CommitState, rel: RelId) -> Result<Lsn, String> {
    let record = Record {
        kind: RecordKind::DropRelation { rel },
        timestamp_us: super::commit::now_us(),
        flags: 0,
        page_changes: Vec::new(),
    };
    let start = st.wal_end;
    let end = start + proto::frame::record_framed_len(&record) as u64;
    let got = shared
        .wal
        .submit(&record, start)
        .map_err(|e| e.to_string())?;
    if got != end {
        return Err(format!(
            "WAL placed it at [{start}, {got}), expected end {end}"
        ));
    }
    shared.note_applied(end);
    st.wal_end = end;
    tracing::debug!(rel = rel.0, %start, %end, "dropped relation");
    Ok(end)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sql::DataType;
    use sql::storage::{ColumnDef, IndexDef, TableDef};

    fn entry(id: TableId, index_rels: &[u32]) -> TableEntry {
        let def = TableDef {
            id,
            name: format!("t{id}"),
            columns: vec![ColumnDef {
                name: "a".into(),
                data_type: DataType::Int8,
                not_null: false,
                default: None,
            }],
            primary_key: Vec::new(),
            primary_key_name: None,
            indexes: index_rels
                .iter()
                .map(|r| IndexDef {
                    name: format!("i{r}"),
                    columns: vec![0],
                    unique: false,
                })
                .collect(),
        };
        TableEntry {
            def,
            index_rels: index_rels.iter().map(|&r| RelId(r)).collect(),
        }
    }

    #[test]
    fn drops_free_the_relations_that_had_pages() {
        let mut net = BTreeMap::new();
        net.insert(10, (Some(entry(10, &[11, 12])), None)); // DROP TABLE
        net.insert(20, (Some(entry(20, &[21, 22])), Some(entry(20, &[22, 23])))); // DROP INDEX i21, CREATE INDEX i23
        net.insert(30, (None, Some(entry(30, &[31])))); // CREATE TABLE
        assert_eq!(
            freed(&net),
            vec![RelId(10), RelId(11), RelId(12), RelId(21)]
        );
    }
}

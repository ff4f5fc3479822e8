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

use proto::{Lsn, Record, RecordKind, RelId};

use super::catalog::{EngineCatalog, Object};
use super::write_set::NetDdl;
use super::{CommitState, EngineState};

/// The RelIds a record's net DDL frees: a dropped table's relations, a truncated or
/// rewritten table's old ones, dropped indexes'.
pub(super) fn freed(net: &NetDdl) -> Vec<RelId> {
    let mut out = Vec::new();
    for (before, after) in net.values() {
        let Some(Object::Table(before)) = before else {
            continue;
        };
        let kept = match after {
            Some(Object::Table(a)) => a.all_rels(),
            _ => Vec::new(),
        };
        out.extend(before.all_rels().into_iter().filter(|r| !kept.contains(r)));
    }
    out
}

/// Of `rels` (relations built ahead of a commit), those no table of `catalog` uses.
pub(super) fn unused(rels: impl Iterator<Item = RelId>, catalog: &EngineCatalog) -> Vec<RelId> {
    let used: std::collections::HashSet<RelId> =
        catalog.tables.values().flat_map(|t| t.all_rels()).collect();
    rels.filter(|r| !used.contains(r)).collect()
}

/// Writes one `DropRelation` record per RelId of `rels` after the record that ended at
/// `end`; returns the end of the last record written (`end` if none).
pub(super) fn emit(shared: &EngineState, st: &mut CommitState, rels: &[RelId], end: Lsn) -> Lsn {
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

fn submit(shared: &EngineState, st: &mut CommitState, rel: RelId) -> Result<Lsn, String> {
    let record = Record {
        kind: RecordKind::DropRelation { rel },
        timestamp_us: super::records::now_us(),
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
    use crate::engine::catalog::{Kind, TableEntry};
    use sql::DataType;
    use sql::storage::{ColumnDef, IndexDef, TableDef, TableId};
    use std::collections::BTreeMap;

    fn entry(id: TableId, rel: u32, index_rels: &[u32]) -> Object {
        let def = TableDef {
            id,
            name: format!("t{id}"),
            columns: vec![ColumnDef::new("a", DataType::Int8)],
            indexes: index_rels
                .iter()
                .map(|r| IndexDef {
                    oid: *r + 1000,
                    name: format!("i{r}"),
                    columns: vec![0],
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        };
        Object::Table(TableEntry {
            def,
            rel: RelId(rel),
            index_rels: index_rels.iter().map(|&r| (r + 1000, RelId(r))).collect(),
            legacy: false,
        })
    }

    #[test]
    fn drops_truncates_and_index_drops_free_the_relations_that_had_pages() {
        let mut net: NetDdl = BTreeMap::new();
        net.insert((Kind::Table, 10), (Some(entry(10, 10, &[11, 12])), None)); // DROP TABLE
        net.insert(
            (Kind::Table, 20),
            (
                Some(entry(20, 20, &[21, 22])),
                Some(entry(20, 20, &[22, 23])),
            ),
        ); // DROP INDEX i21, CREATE INDEX i23
        net.insert((Kind::Table, 30), (None, Some(entry(30, 30, &[31])))); // CREATE TABLE
        net.insert(
            (Kind::Table, 40),
            (Some(entry(40, 40, &[41])), Some(entry(40, 42, &[43]))),
        ); // TRUNCATE
        assert_eq!(
            freed(&net),
            vec![
                RelId(10),
                RelId(11),
                RelId(12),
                RelId(21),
                RelId(40),
                RelId(41)
            ]
        );
    }
}

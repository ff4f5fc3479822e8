//! A transaction's private writes, tagged with statement numbers.
//!
//! Row writes are kept per table, per encoded key (so iteration is in key order, the order
//! scans merge in), as a list `(statement, Some(row) | None for deleted)`, oldest first.
//! A statement sees entries of earlier statements only ([`WriteSet::row_at`] with
//! `upto = statement - 1`): `UPDATE t SET k = k + 1` never meets its own output. A failed
//! statement, and `ROLLBACK TO` a savepoint, drop entries by tag ([`WriteSet::discard_after`]).
//!
//! DDL is a list of [`DdlOp`]s on catalog objects (`(kind, oid)`: schemas, tables,
//! sequences, views, statistics), tagged the same way; the transaction's catalog is the
//! snapshot's catalog with these applied in order.
//!
//! TRUNCATE and table rewrites give a table new relations; the rows the transaction wrote
//! to it before are then superseded (the rewrite's rows include them). They are *stashed*
//! with the statement's tag rather than dropped, so that rolling the statement back (or a
//! savepoint before it) restores them. Relations a rewrite or CREATE INDEX built ahead of
//! the commit (`prebuilt`) are remembered the same way: one whose statement is rolled back
//! is an orphan, freed with a `DropRelation` record.
//!
//! Hidden row ids: an insert into a table without a primary key gets a *provisional* id
//! `PROVISIONAL_ROW_ID + n` (private to the transaction, above every real id so its rows
//! scan after committed ones); the serial step replaces it with the table's next real id.
//!
//! Unique checks against the transaction's own rows use a per-index view: every row value
//! written under a unique index is noted as a *candidate* `(index rel, index key) → keys`.
//! Candidates are a superset (never removed on rollback; callers re-check the key's current
//! state). The view covers an index only if the index was known when the table's first
//! write was noted; otherwise callers fall back to scanning the table's writes.
//!
//! Rows appended to a table the transaction created, without key or index, are kept encoded
//! in a per-table buffer instead ([`super::append`]); the set holds them, tags them and
//! discards them by statement like the rest.
//!
//! The set counts its approximate size in bytes so the engine can refuse transactions larger
//! than its configured limit (54000) until spilling exists.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use proto::RelId;
use sql::storage::{Key, Row, TableId};

use super::append::Appended;
use super::catalog::{EngineCatalog, Kind, Object};
use sql::storage::Oid;

/// Provisional hidden row ids start here; real ones stay below.
pub const PROVISIONAL_ROW_ID: i64 = 1 << 62;

/// All writes of one key, oldest first.
#[derive(Debug, Clone)]
pub struct KeyWrites {
    pub key: Key,
    pub entries: Vec<(u64, Option<Row>)>,
}

impl KeyWrites {
    /// The key's state after statement `upto`: `None` if untouched by then.
    pub fn at(&self, upto: u64) -> Option<Option<&Row>> {
        self.entries
            .iter()
            .rev()
            .find(|(s, _)| *s <= upto)
            .map(|(_, r)| r.as_ref())
    }
}

/// One catalog change: object `(kind, oid)` goes from `before` to `after` (`None` = absent).
#[derive(Debug, Clone)]
pub struct DdlOp {
    pub kind: Kind,
    pub oid: Oid,
    pub before: Option<Object>,
    pub after: Option<Object>,
}

/// The net DDL of a transaction: per object, its state before the first change and after
/// the last.
pub type NetDdl = BTreeMap<(Kind, Oid), (Option<Object>, Option<Object>)>;

/// A table's rows that a rewrite or TRUNCATE of statement `stmt` superseded.
#[derive(Debug)]
struct Stash {
    stmt: u64,
    table: TableId,
    rows: BTreeMap<Vec<u8>, KeyWrites>,
}

/// A transaction's private writes.
#[derive(Debug, Default)]
pub struct WriteSet {
    rows: BTreeMap<TableId, BTreeMap<Vec<u8>, KeyWrites>>,
    ddl: Vec<(u64, DdlOp)>,
    bytes: usize,
    /// Per table: the unique indexes known since its first write.
    covered: HashMap<TableId, HashSet<RelId>>,
    /// Unique-key candidates: (index rel, encoded index key) → encoded row keys.
    unique: HashMap<(RelId, Vec<u8>), BTreeSet<Vec<u8>>>,
    stashed: Vec<Stash>,
    /// Relations built ahead of the commit, with the statement that built them.
    prebuilt: Vec<(u64, RelId)>,
    /// Prebuilt relations whose statement was rolled back.
    orphans: Vec<RelId>,
    /// Per rewritten table: the highest hidden row id its new relation holds, tagged.
    row_id_floor: Vec<(u64, TableId, i64)>,
    /// Per table: rows appended encoded ([`super::append`]), all above its map's keys.
    appended: BTreeMap<TableId, Appended>,
}

fn row_size(key: &[u8], row: &Option<Row>) -> usize {
    let values: usize = row.iter().flatten().map(|v| 16 + text_len(v)).sum();
    64 + key.len() + values
}

/// The length of `v`'s text form, without formatting the common kinds (this runs for
/// every row of a COPY).
fn text_len(v: &sql::Value) -> usize {
    use sql::Value;
    match v {
        Value::Null => 4,
        Value::Bool(_) => 1,
        Value::Int(i) => {
            i.unsigned_abs()
                .checked_ilog10()
                .map_or(1, |d| d as usize + 1)
                + usize::from(*i < 0)
        }
        Value::Text(s) | Value::Bpchar(s) | Value::Json(s) => s.len(),
        v => v.to_string().len(),
    }
}

impl WriteSet {
    pub fn is_empty(&self) -> bool {
        self.rows.values().all(BTreeMap::is_empty)
            && self.ddl.is_empty()
            && self.appended.values().all(Appended::is_empty)
    }

    /// Approximate bytes held.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Records a write of `key` (encoded `enc`) by statement `stmt`.
    pub fn push(&mut self, table: TableId, enc: Vec<u8>, key: Key, stmt: u64, row: Option<Row>) {
        self.bytes += row_size(&enc, &row);
        use std::collections::btree_map::Entry;
        match self.rows.entry(table).or_default().entry(enc) {
            // Most keys are written once (every row of a COPY): room for one entry, not the
            // four a first push reserves.
            Entry::Vacant(v) => {
                v.insert(KeyWrites {
                    key,
                    entries: vec![(stmt, row)],
                });
            }
            Entry::Occupied(mut o) => o.get_mut().entries.push((stmt, row)),
        }
    }

    /// Starts the unique-key view of `table` with its unique indexes `rels` (only the first
    /// call per table counts).
    pub fn cover(&mut self, table: TableId, rels: impl IntoIterator<Item = RelId>) {
        self.covered
            .entry(table)
            .or_insert_with(|| rels.into_iter().collect());
    }

    /// Notes that key `enc` was written with index key `ikey` in unique index `rel`.
    pub fn note_unique(&mut self, rel: RelId, ikey: Vec<u8>, enc: Vec<u8>) {
        self.unique.entry((rel, ikey)).or_default().insert(enc);
    }

    /// Own keys that may hold `ikey` in unique index `rel` of `table`; `None` when the view
    /// does not cover the index (scan [`WriteSet::table`] instead).
    pub fn unique_candidates(
        &self,
        table: TableId,
        rel: RelId,
        ikey: &[u8],
    ) -> Option<Vec<Vec<u8>>> {
        match self.covered.get(&table) {
            None => Some(Vec::new()),
            Some(rels) if rels.contains(&rel) => Some(
                self.unique
                    .get(&(rel, ikey.to_vec()))
                    .map(|s| s.iter().cloned().collect())
                    .unwrap_or_default(),
            ),
            Some(_) => None,
        }
    }

    /// The SQL key written under `enc`.
    pub fn key_of(&self, table: TableId, enc: &[u8]) -> Option<&Key> {
        self.rows.get(&table)?.get(enc).map(|kw| &kw.key)
    }

    /// The state of `enc` after statement `upto` (`None`: not written by then).
    pub fn row_at(&self, table: TableId, enc: &[u8], upto: u64) -> Option<Option<&Row>> {
        self.rows.get(&table)?.get(enc)?.at(upto)
    }

    /// Every written key of `table`, in key order.
    pub fn table(&self, table: TableId) -> impl Iterator<Item = (&Vec<u8>, &KeyWrites)> {
        self.rows.get(&table).into_iter().flatten()
    }

    /// Tables with row writes (in the map or appended).
    pub fn tables(&self) -> impl Iterator<Item = TableId> + '_ {
        let mapped = self
            .rows
            .iter()
            .filter(|(_, keys)| !keys.is_empty())
            .map(|(t, _)| *t);
        mapped
            .chain(self.appended_tables())
            .collect::<BTreeSet<_>>()
            .into_iter()
    }

    /// Whether the transaction wrote rows to `table` (in the map or appended).
    pub fn has_rows(&self, table: TableId) -> bool {
        self.table(table).next().is_some() || self.appended(table).is_some()
    }

    /// Appends `row` to `table`'s buffer ([`super::append`]) under provisional id `id`.
    pub fn append(&mut self, table: TableId, id: i64, stmt: u64, row: &[sql::Value]) {
        self.bytes += self.appended.entry(table).or_default().push(id, stmt, row);
    }

    /// `table`'s appended rows, if any.
    pub fn appended(&self, table: TableId) -> Option<&Appended> {
        self.appended.get(&table).filter(|b| !b.is_empty())
    }

    /// Tables with appended rows.
    pub fn appended_tables(&self) -> Vec<TableId> {
        self.appended
            .iter()
            .filter(|(_, b)| !b.is_empty())
            .map(|(t, _)| *t)
            .collect()
    }

    /// Takes `table`'s appended rows out of the set (to settle them into the map, or to
    /// build them at commit).
    pub fn take_appended(&mut self, table: TableId) -> Option<Appended> {
        let b = self.appended.remove(&table).filter(|b| !b.is_empty())?;
        self.bytes = self.bytes.saturating_sub(b.bytes());
        Some(b)
    }

    pub fn push_ddl(&mut self, stmt: u64, op: DdlOp) {
        self.bytes += 256;
        self.ddl.push((stmt, op));
    }

    pub fn has_ddl(&self) -> bool {
        !self.ddl.is_empty()
    }

    /// `base` with this transaction's DDL applied.
    pub fn apply_ddl(&self, base: &EngineCatalog) -> EngineCatalog {
        let mut c = base.clone();
        for (_, op) in &self.ddl {
            c.set(op.kind, op.oid, op.after.clone());
        }
        c
    }

    /// The net DDL per object: `(before of the first op, after of the last op)`.
    pub fn net_ddl(&self) -> NetDdl {
        let mut net: NetDdl = BTreeMap::new();
        for (_, op) in &self.ddl {
            net.entry((op.kind, op.oid))
                .and_modify(|e| e.1 = op.after.clone())
                .or_insert_with(|| (op.before.clone(), op.after.clone()));
        }
        net
    }

    /// Supersedes every row the transaction wrote to `table` (a rewrite or TRUNCATE by
    /// statement `stmt`); a rollback of the statement brings them back.
    pub fn stash_table(&mut self, stmt: u64, table: TableId) {
        let rows = self.rows.remove(&table).unwrap_or_default();
        self.covered.remove(&table);
        self.stashed.push(Stash { stmt, table, rows });
    }

    /// Takes every row the transaction wrote to `table` out of the set (at commit, once
    /// they are built into the table's new relation: [`super::load`]).
    pub fn take_table(&mut self, table: TableId) -> BTreeMap<Vec<u8>, KeyWrites> {
        self.covered.remove(&table);
        self.rows.remove(&table).unwrap_or_default()
    }

    /// Notes a relation built ahead of the commit by statement `stmt`.
    pub fn note_prebuilt(&mut self, stmt: u64, rel: RelId) {
        self.prebuilt.push((stmt, rel));
    }

    /// Relations built ahead that the commit must not link (their statement rolled back).
    pub fn orphans(&self) -> &[RelId] {
        &self.orphans
    }

    /// Every relation built ahead and still wanted.
    pub fn prebuilt(&self) -> impl Iterator<Item = RelId> + '_ {
        self.prebuilt.iter().map(|(_, r)| *r)
    }

    /// Notes that a rewrite by statement `stmt` numbered `table`'s hidden row ids up to
    /// `floor` in its new relation.
    pub fn note_row_id_floor(&mut self, stmt: u64, table: TableId, floor: i64) {
        self.row_id_floor.push((stmt, table, floor));
    }

    /// The highest hidden row id of `table`'s rewritten relation, if it was rewritten.
    pub fn row_id_floor(&self, table: TableId) -> Option<i64> {
        self.row_id_floor
            .iter()
            .rev()
            .find(|(_, t, _)| *t == table)
            .map(|(_, _, f)| *f)
    }

    /// Drops every entry and DDL op of statements after `mark`.
    pub fn discard_after(&mut self, mark: u64) {
        // Rows superseded by a discarded rewrite come back, newest stash first.
        while self.stashed.last().is_some_and(|s| s.stmt > mark) {
            let stash = self.stashed.pop().expect("checked above");
            self.rows.insert(stash.table, stash.rows);
            self.covered.remove(&stash.table);
        }
        let (keep, orphaned): (Vec<_>, Vec<_>) =
            self.prebuilt.drain(..).partition(|(s, _)| *s <= mark);
        self.prebuilt = keep;
        self.orphans.extend(orphaned.into_iter().map(|(_, r)| r));
        self.row_id_floor.retain(|(s, _, _)| *s <= mark);
        let mut bytes = 0;
        for b in self.appended.values_mut() {
            b.discard_after(mark);
            bytes += b.bytes();
        }
        self.appended.retain(|_, b| !b.is_empty());
        for keys in self.rows.values_mut() {
            for (enc, writes) in keys.iter_mut() {
                writes.entries.retain(|(s, _)| *s <= mark);
                bytes += writes
                    .entries
                    .iter()
                    .map(|(_, r)| row_size(enc, r))
                    .sum::<usize>();
            }
            keys.retain(|_, w| !w.entries.is_empty());
        }
        self.ddl.retain(|(s, _)| *s <= mark);
        self.bytes = bytes + 256 * self.ddl.len();
    }
}

#[cfg(test)]
mod tests {
    use sql::Value;

    #[test]
    fn text_len_is_the_length_of_the_text_form() {
        let values = [
            Value::Null,
            Value::Bool(true),
            Value::Int(0),
            Value::Int(9),
            Value::Int(10),
            Value::Int(-1),
            Value::Int(-100),
            Value::Int(i64::MAX),
            Value::Int(i64::MIN),
            Value::Text("héllo".into()),
            Value::Bpchar("ab  ".into()),
            Value::Float(1.5),
            Value::Date(17),
        ];
        for v in values {
            assert_eq!(super::text_len(&v), v.to_string().len(), "{v:?}");
        }
    }
}

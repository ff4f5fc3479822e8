//! The catalog, stored in a B-tree like any table.
//!
//! Relation [`CATALOG_REL`] is a [`VersionedTree`] of catalog rows, versioned by LSN exactly
//! like user rows, so a statement reads the schema at its own snapshot and a fresh compute
//! that only has the pages learns the schema from them. The row layout is in [`format`]
//! (documents per object, counters, sequence values); rows of the first format are still
//! read ([`legacy`]).
//!
//! Every object has an OID (`sql::storage::catalog::oids`); a table's rows and each of its
//! indexes live in relations of their own, whose ids ([`TableEntry::rel`],
//! [`TableEntry::index_rels`]) are recorded next to the definition. TRUNCATE and table
//! rewrites give a table new relations; the OID stays. RelIds are never reused.
//!
//! [`EngineCatalog`] is one decoded version of the catalog; the engine caches the latest one
//! (see `Engine::catalog_at`) and transactions overlay their own DDL on it.

pub mod format;
pub mod legacy;

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::Arc;

use proto::{Lsn, RelId};
use sql::DataType;
use sql::storage::catalog::oids::FIRST_NORMAL_OID;
use sql::storage::{
    Catalog, DatabaseDef, DefaultAclDef, ExtensionDef, FunctionDef, Oid, RoleDef, SchemaDef,
    SequenceDef, TableDef, TableId, TableStats, TypeDef, ViewDef,
};

use crate::btree::{Limits, PageStore};
use crate::error::{Error, Result};
use crate::keycodec;
use crate::mvcc::VersionedTree;
pub use format::Kind;

/// The catalog's relation.
pub const CATALOG_REL: RelId = RelId(1);
/// The first RelId handed to user tables and indexes.
pub const FIRST_USER_REL: u32 = 16;

/// One table as the engine stores it.
#[derive(Debug, Clone, PartialEq)]
pub struct TableEntry {
    pub def: TableDef,
    /// The relation holding the rows.
    pub rel: RelId,
    /// The relation of each secondary index, by index OID.
    pub index_rels: BTreeMap<Oid, RelId>,
    /// Read from a row of the first format (rewritten at the table's next DDL).
    pub legacy: bool,
}

impl TableEntry {
    pub fn rel(&self) -> RelId {
        self.rel
    }

    /// The relation of the `i`-th index of the definition.
    pub fn index_rel_at(&self, i: usize) -> RelId {
        self.def
            .indexes
            .get(i)
            .and_then(|x| self.index_rels.get(&x.oid))
            .copied()
            .unwrap_or(RelId(0))
    }

    /// Every index with its relation, in definition order.
    pub fn indexes(&self) -> impl Iterator<Item = (&sql::storage::IndexDef, RelId)> {
        self.def
            .indexes
            .iter()
            .map(|x| (x, self.index_rels.get(&x.oid).copied().unwrap_or(RelId(0))))
    }

    /// The relation of index `name`.
    pub fn index_rel(&self, name: &str) -> Option<RelId> {
        let i = self.def.indexes.iter().position(|x| x.name == name)?;
        Some(self.index_rel_at(i))
    }

    /// Every relation of the table: its rows' and its indexes'.
    pub fn all_rels(&self) -> Vec<RelId> {
        let mut v = vec![self.rel];
        v.extend(self.index_rels.values().copied());
        v
    }

    pub fn column_types(&self) -> Vec<DataType> {
        self.def.columns.iter().map(|c| c.data_type).collect()
    }

    /// Types of the key columns (`None` for a hidden row id).
    pub fn key_types(&self) -> Vec<Option<&DataType>> {
        if self.def.primary_key.is_empty() {
            vec![None]
        } else {
            self.def
                .primary_key
                .iter()
                .map(|&c| Some(&self.def.columns[c].data_type))
                .collect()
        }
    }
}

/// One version of the whole catalog.
#[derive(Debug, Clone, PartialEq)]
pub struct EngineCatalog {
    pub schemas: BTreeMap<Oid, SchemaDef>,
    pub tables: BTreeMap<TableId, TableEntry>,
    pub sequences: BTreeMap<Oid, SequenceDef>,
    pub views: BTreeMap<Oid, ViewDef>,
    pub stats: BTreeMap<TableId, TableStats>,
    pub functions: BTreeMap<Oid, FunctionDef>,
    pub roles: BTreeMap<Oid, RoleDef>,
    pub default_acls: BTreeMap<Oid, DefaultAclDef>,
    pub types: BTreeMap<Oid, TypeDef>,
    pub extensions: BTreeMap<Oid, ExtensionDef>,
    pub databases: BTreeMap<Oid, DatabaseDef>,
    /// The next unassigned RelId, as of this version.
    pub next_rel: u32,
    /// The next unassigned OID, as of this version.
    pub next_oid: u32,
    /// Whether schemas are stored (format 2); before, `public` is implied.
    pub schemas_stored: bool,
}

impl Default for EngineCatalog {
    /// A new database's catalog: just `public`.
    fn default() -> Self {
        let public = sql::storage::catalog::public_schema();
        EngineCatalog {
            schemas: [(public.oid, public)].into(),
            tables: BTreeMap::new(),
            sequences: BTreeMap::new(),
            views: BTreeMap::new(),
            stats: BTreeMap::new(),
            functions: BTreeMap::new(),
            roles: BTreeMap::new(),
            default_acls: BTreeMap::new(),
            types: BTreeMap::new(),
            extensions: BTreeMap::new(),
            databases: BTreeMap::new(),
            next_rel: FIRST_USER_REL,
            next_oid: FIRST_NORMAL_OID,
            schemas_stored: true,
        }
    }
}

/// A catalog object, for DDL bookkeeping.
#[derive(Debug, Clone, PartialEq)]
pub enum Object {
    Schema(SchemaDef),
    Table(TableEntry),
    Sequence(SequenceDef),
    View(ViewDef),
    Stats(TableStats),
    Function(FunctionDef),
    Role(RoleDef),
    DefaultAcl(DefaultAclDef),
    Type(TypeDef),
    Extension(ExtensionDef),
    Database(DatabaseDef),
}

impl EngineCatalog {
    /// The SQL layer's view of it.
    pub fn to_sql(&self) -> Catalog {
        Catalog {
            schemas: self.schemas.values().cloned().collect(),
            tables: self.tables.values().map(|t| t.def.clone()).collect(),
            views: self.views.values().cloned().collect(),
            sequences: self.sequences.values().cloned().collect(),
            stats: self.stats.clone(),
            functions: self.functions.values().cloned().collect(),
            roles: self.roles.values().cloned().collect(),
            default_acls: self.default_acls.values().cloned().collect(),
            types: self.types.values().cloned().collect(),
            extensions: self.extensions.values().cloned().collect(),
            databases: self.databases.values().cloned().collect(),
        }
    }

    /// The object `(kind, oid)`, if present.
    pub fn get(&self, kind: Kind, oid: Oid) -> Option<Object> {
        match kind {
            Kind::Schema => self.schemas.get(&oid).cloned().map(Object::Schema),
            Kind::Table => self.tables.get(&oid).cloned().map(Object::Table),
            Kind::Sequence => self.sequences.get(&oid).cloned().map(Object::Sequence),
            Kind::View => self.views.get(&oid).cloned().map(Object::View),
            Kind::Stats => self.stats.get(&oid).cloned().map(Object::Stats),
            Kind::Function => self.functions.get(&oid).cloned().map(Object::Function),
            Kind::Role => self.roles.get(&oid).cloned().map(Object::Role),
            Kind::DefaultAcl => self.default_acls.get(&oid).cloned().map(Object::DefaultAcl),
            Kind::Type => self.types.get(&oid).cloned().map(Object::Type),
            Kind::Extension => self.extensions.get(&oid).cloned().map(Object::Extension),
            Kind::Database => self.databases.get(&oid).cloned().map(Object::Database),
        }
    }

    /// Sets (or with `None` removes) the object `(kind, oid)`.
    pub fn set(&mut self, kind: Kind, oid: Oid, obj: Option<Object>) {
        match (kind, obj) {
            (_, Some(Object::Schema(s))) => {
                self.schemas.insert(oid, s);
            }
            (_, Some(Object::Table(t))) => {
                self.tables.insert(oid, t);
            }
            (_, Some(Object::Sequence(s))) => {
                self.sequences.insert(oid, s);
            }
            (_, Some(Object::View(v))) => {
                self.views.insert(oid, v);
            }
            (_, Some(Object::Stats(s))) => {
                self.stats.insert(oid, s);
            }
            (_, Some(Object::Function(f))) => {
                self.functions.insert(oid, f);
            }
            (Kind::Schema, None) => {
                self.schemas.remove(&oid);
            }
            (Kind::Table, None) => {
                self.tables.remove(&oid);
            }
            (Kind::Sequence, None) => {
                self.sequences.remove(&oid);
            }
            (Kind::View, None) => {
                self.views.remove(&oid);
            }
            (Kind::Stats, None) => {
                self.stats.remove(&oid);
            }
            (_, Some(Object::Role(r))) => {
                self.roles.insert(oid, r);
            }
            (Kind::Function, None) => {
                self.functions.remove(&oid);
            }
            (Kind::Role, None) => {
                self.roles.remove(&oid);
            }
            (_, Some(Object::DefaultAcl(d))) => {
                self.default_acls.insert(oid, d);
            }
            (Kind::DefaultAcl, None) => {
                self.default_acls.remove(&oid);
            }
            (_, Some(Object::Type(t))) => {
                self.types.insert(oid, t);
            }
            (Kind::Type, None) => {
                self.types.remove(&oid);
            }
            (_, Some(Object::Extension(e))) => {
                self.extensions.insert(oid, e);
            }
            (Kind::Extension, None) => {
                self.extensions.remove(&oid);
            }
            (_, Some(Object::Database(d))) => {
                self.databases.insert(oid, d);
            }
            (Kind::Database, None) => {
                self.databases.remove(&oid);
            }
        }
    }
}

/// The document parts' payloads of an object.
pub fn encode_object(obj: &Object) -> Vec<Vec<u8>> {
    match obj {
        Object::Schema(s) => format::encode_doc(s, None, None),
        Object::Table(t) => {
            let rels: BTreeMap<u32, u32> = t.index_rels.iter().map(|(o, r)| (*o, r.0)).collect();
            format::encode_doc(&t.def, Some(t.rel.0), Some(&rels))
        }
        Object::Sequence(s) => format::encode_doc(s, None, None),
        Object::View(v) => format::encode_doc(v, None, None),
        Object::Stats(s) => format::encode_doc(s, None, None),
        Object::Function(f) => format::encode_doc(f, None, None),
        Object::Role(r) => format::encode_doc(r, None, None),
        Object::DefaultAcl(d) => format::encode_doc(d, None, None),
        Object::Type(t) => format::encode_doc(t, None, None),
        Object::Extension(e) => format::encode_doc(e, None, None),
        Object::Database(d) => format::encode_doc(d, None, None),
    }
}

/// Decodes one object of `kind` from its parts.
fn decode_object(kind: Kind, parts: &[Vec<u8>]) -> Result<Object> {
    Ok(match kind {
        Kind::Schema => Object::Schema(format::decode_doc::<SchemaDef>(parts)?.def),
        Kind::Table => {
            let d = format::decode_doc::<TableDef>(parts)?;
            let rel = d
                .rel
                .ok_or_else(|| Error::decode("catalog", "table document without rel"))?;
            let index_rels = d
                .index_rels
                .unwrap_or_default()
                .into_iter()
                .map(|(o, r)| (o, RelId(r)))
                .collect();
            Object::Table(TableEntry {
                def: d.def,
                rel: RelId(rel),
                index_rels,
                legacy: false,
            })
        }
        Kind::Sequence => Object::Sequence(format::decode_doc::<SequenceDef>(parts)?.def),
        Kind::View => Object::View(format::decode_doc::<ViewDef>(parts)?.def),
        Kind::Stats => Object::Stats(format::decode_doc::<TableStats>(parts)?.def),
        Kind::Function => Object::Function(format::decode_doc::<FunctionDef>(parts)?.def),
        Kind::Role => Object::Role(format::decode_doc::<RoleDef>(parts)?.def),
        Kind::DefaultAcl => Object::DefaultAcl(format::decode_doc::<DefaultAclDef>(parts)?.def),
        Kind::Type => Object::Type(format::decode_doc::<TypeDef>(parts)?.def),
        Kind::Extension => Object::Extension(format::decode_doc::<ExtensionDef>(parts)?.def),
        Kind::Database => Object::Database(format::decode_doc::<DatabaseDef>(parts)?.def),
    })
}

fn prefix_scan<'t, S: PageStore>(
    tree: &'t VersionedTree<S>,
    prefix: &[u8],
    snapshot: Lsn,
) -> Result<impl Iterator<Item = Result<(Vec<u8>, Vec<u8>)>> + 't> {
    let upper = keycodec::prefix_successor(prefix);
    tree.scan(
        Bound::Included(prefix),
        upper.as_deref().map_or(Bound::Unbounded, Bound::Excluded),
        snapshot,
    )
}

/// Reads the catalog visible at `snapshot` from its tree.
pub fn read<S: PageStore>(store: S, limits: Limits, snapshot: Lsn) -> Result<EngineCatalog> {
    let tree = VersionedTree::open(store, limits);
    let mut catalog = EngineCatalog {
        schemas: BTreeMap::new(),
        ..EngineCatalog::default()
    };
    let counter = |key: Vec<u8>| -> Result<Option<i64>> {
        tree.get(&key, snapshot)?
            .map(|p| format::decode_counter(&p))
            .transpose()
    };
    if let Some(n) = counter(format::next_rel_key())? {
        catalog.next_rel = u32::try_from(n).map_err(|_| Error::decode("catalog", "next_rel"))?;
    }
    if let Some(n) = counter(format::next_oid_key())? {
        catalog.next_oid = u32::try_from(n).map_err(|_| Error::decode("catalog", "next_oid"))?;
    }
    catalog.schemas_stored =
        counter(format::format_key())?.is_some_and(|f| f >= format::FORMAT_SCHEMAS);
    if !catalog.schemas_stored {
        let public = sql::storage::catalog::public_schema();
        catalog.schemas.insert(public.oid, public);
    }
    for item in prefix_scan(&tree, &legacy::table_prefix(), snapshot)? {
        let (_, payload) = item?;
        let entry = legacy::decode_entry(&payload)?;
        catalog.tables.insert(entry.def.id, entry);
    }
    for kind in Kind::ALL {
        let mut current: Option<(Oid, Vec<Vec<u8>>)> = None;
        let finish =
            |catalog: &mut EngineCatalog, doc: Option<(Oid, Vec<Vec<u8>>)>| -> Result<()> {
                if let Some((oid, parts)) = doc {
                    let obj = decode_object(kind, &parts)?;
                    catalog.set(kind, oid, Some(obj));
                }
                Ok(())
            };
        for item in prefix_scan(&tree, &format::kind_prefix(kind), snapshot)? {
            let (key, payload) = item?;
            let (oid, part) = format::parse_part_key(&key)?;
            match &mut current {
                Some((o, parts)) if *o == oid => {
                    if part != parts.len() {
                        return Err(Error::decode(
                            "catalog",
                            format!("document {oid} misses a part"),
                        ));
                    }
                    parts.push(payload);
                }
                _ => {
                    if part != 0 {
                        return Err(Error::decode(
                            "catalog",
                            format!("document {oid} misses a part"),
                        ));
                    }
                    finish(&mut catalog, current.take())?;
                    current = Some((oid, vec![payload]));
                }
            }
        }
        finish(&mut catalog, current)?;
    }
    Ok(catalog)
}

/// A sequence's stored value `(last_value, is_called)`, latest applied.
pub fn read_seqval<S: PageStore>(store: S, oid: Oid) -> Result<Option<(i64, bool)>> {
    let tree = VersionedTree::open(store, Limits::FULL_PAGE);
    tree.get(&format::seqval_key(oid), Lsn::MAX)?
        .map(|p| format::decode_seqval(&p))
        .transpose()
}

/// A cached catalog version: valid for every snapshot at or after `valid_from`, as long as
/// no catalog-changing record ended after it.
#[derive(Clone)]
pub struct CachedCatalog {
    pub valid_from: Lsn,
    pub catalog: Arc<EngineCatalog>,
    pub sql: Arc<Catalog>,
}

//! Object identifiers: PostgreSQL's fixed OIDs for built-in objects, and the policy for ours.
//!
//! Every catalog object (schema, table, index, constraint, sequence, view) has an [`Oid`].
//! Built-in objects use PostgreSQL's own numbers — `pg_catalog` is 11, `public` 2200, the
//! bootstrap superuser 10, the btree access method 403 — because drivers and psql hard-code
//! some of them. Objects users create get OIDs from one counter starting at
//! [`FIRST_NORMAL_OID`] (16384, PostgreSQL's `FirstNormalObjectId`), assigned by the storage
//! ([`crate::storage::Txn::new_oid`]) and never reused, even after a drop or a rollback.
//!
//! An OID names an object; it is not where the object's rows live. The engine keeps a
//! separate relation id (its `relfilenode`) per table and index, which TRUNCATE and table
//! rewrites replace while the OID stays.

/// A PostgreSQL object identifier.
pub type Oid = u32;

/// The first OID handed to user objects (PostgreSQL's `FirstNormalObjectId`).
pub const FIRST_NORMAL_OID: Oid = 16384;

/// Schema `pg_catalog`.
pub const PG_CATALOG_NAMESPACE: Oid = 11;
/// Schema `pg_toast` (always empty here).
pub const PG_TOAST_NAMESPACE: Oid = 99;
/// Schema `public`.
pub const PUBLIC_NAMESPACE: Oid = 2200;
/// Schema `information_schema` (PostgreSQL 15 assigns it at initdb; this is its usual OID).
pub const INFORMATION_SCHEMA_NAMESPACE: Oid = 13207;

/// The bootstrap superuser, `postgres`.
pub const BOOTSTRAP_SUPERUSER: Oid = 10;
/// The role that owns `public` since PostgreSQL 15.
pub const PG_DATABASE_OWNER: Oid = 6171;

/// Access methods.
pub const HEAP_AM: Oid = 2;
pub const BTREE_AM: Oid = 403;

/// The one database of a timeline (PostgreSQL's `postgres` database has OID 5).
pub const DATABASE_OID: Oid = 5;
/// Tablespace `pg_default`.
pub const DEFAULT_TABLESPACE: Oid = 1663;

/// `pg_class`'s OID: the `classoid` of relations, indexes, sequences and views.
pub const PG_CLASS_OID: Oid = 1259;
/// `pg_namespace`'s OID: the `classoid` of schemas.
pub const PG_NAMESPACE_OID: Oid = 2615;
/// `pg_constraint`'s OID: the `classoid` of constraints.
pub const PG_CONSTRAINT_OID: Oid = 2606;
/// `pg_database`'s OID.
pub const PG_DATABASE_OID: Oid = 1262;

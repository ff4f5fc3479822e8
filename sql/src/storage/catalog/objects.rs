//! The catalog's objects: schemas, tables (with their columns, indexes and constraints),
//! sequences, views and per-table statistics.
//!
//! These structs are also the engine's **durable catalog format**: the compute stores each
//! object as a JSON document of these fields (serde). So: a field may be *added* — with
//! `#[serde(default)]`, so documents written before it still decode — but never renamed,
//! retyped or removed. Types are stored as their SQL text (`character varying(10)`), parsed
//! back with the binder's type parser ([`super::type_text`]). `sql/src/storage/catalog/tests.rs`
//! decodes golden documents of every version.
//!
//! Column positions (`usize`) index [`TableDef::columns`]; everything that refers to a column
//! by position (keys, indexes, constraints, `OWNED BY`) is remapped when a column is dropped.

use super::acl::AclItem;
use super::oids::{BOOTSTRAP_SUPERUSER, Oid};
use crate::types::DataType;
use serde::{Deserialize, Serialize};

/// Storage-assigned table identifier: the table's OID.
pub type TableId = Oid;

/// A schema (namespace).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SchemaDef {
    pub oid: Oid,
    pub name: String,
    #[serde(default = "superuser")]
    pub owner: Oid,
    #[serde(default)]
    pub comment: Option<String>,
    /// `nspacl`: `None` is the default (the owner has USAGE and CREATE).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acl: Option<Vec<AclItem>>,
}

fn superuser() -> Oid {
    BOOTSTRAP_SUPERUSER
}

fn is_superuser(oid: &Oid) -> bool {
    *oid == BOOTSTRAP_SUPERUSER
}

/// `GENERATED { ALWAYS | BY DEFAULT } AS IDENTITY`: values come from an internal sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// ALWAYS (an explicit value needs `OVERRIDING SYSTEM VALUE`), else BY DEFAULT.
    pub always: bool,
    pub sequence: Oid,
}

/// One column of a table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnDef {
    pub name: String,
    #[serde(with = "super::type_text")]
    pub data_type: DataType,
    pub not_null: bool,
    /// The DEFAULT expression's SQL text, bound anew at every INSERT (so the catalog does
    /// not depend on the binder's internal types). `None` means DEFAULT NULL.
    pub default: Option<String>,
    #[serde(default)]
    pub identity: Option<Identity>,
    #[serde(default)]
    pub comment: Option<String>,
    /// The domain the column was declared with (`data_type` is its base type): its
    /// default and constraints apply to the column's values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<Oid>,
    /// `attacl`: column privileges granted beyond the table's (`GRANT SELECT (c) ...`);
    /// `None` when there are none, as PostgreSQL stores it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acl: Option<Vec<AclItem>>,
    /// `attstattarget` set by `ALTER COLUMN ... SET STATISTICS` (`None`: -1, the default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stat_target: Option<i32>,
    /// `GENERATED ALWAYS AS (expr) STORED` (`attgenerated = 's'`): `default` holds the
    /// generation expression, computed from the row's other columns on every write.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub generated: bool,
}

impl ColumnDef {
    /// A nullable column without default.
    pub fn new(name: impl Into<String>, data_type: DataType) -> ColumnDef {
        ColumnDef {
            name: name.into(),
            data_type,
            not_null: false,
            default: None,
            identity: None,
            comment: None,
            domain: None,
            acl: None,
            stat_target: None,
            generated: false,
        }
    }
}

/// A secondary index (or the index behind a UNIQUE constraint).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct IndexDef {
    #[serde(default)]
    pub oid: Oid,
    pub name: String,
    /// Key column positions, leading column first.
    pub columns: Vec<usize>,
    pub unique: bool,
    /// `INCLUDE (...)` columns: recorded, not part of the key.
    #[serde(default)]
    pub include: Vec<usize>,
    /// The OID of the UNIQUE constraint this index implements (the constraint has the
    /// index's name), if any; a plain `CREATE UNIQUE INDEX` has none.
    #[serde(default)]
    pub constraint: Option<Oid>,
    #[serde(default)]
    pub comment: Option<String>,
    /// Key elements that are expressions, by key position: the SQL text over the table's
    /// columns (`lower(name)`); `columns` holds [`IndexDef::EXPRESSION`] at those positions.
    /// Empty for an index on plain columns.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exprs: Vec<Option<String>>,
    /// A partial index's `WHERE` predicate (SQL text over the table's columns): only rows for
    /// which it is true have an entry (and take part in its uniqueness).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub predicate: Option<String>,
    /// `pg_index.indoption` per key element ([`IndexDef::DESC`], [`IndexDef::NULLS_FIRST`]);
    /// empty when every element is ascending with nulls last. Recorded for the catalog and
    /// `pg_get_indexdef`: the B-tree itself is always ascending (the planner never relies on
    /// an index's order).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<u16>,
}

/// A CHECK constraint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckDef {
    pub oid: Oid,
    pub name: String,
    /// The expression's SQL text, over the table's columns.
    pub expr: String,
    /// Columns the expression reads (`pg_constraint.conkey`).
    #[serde(default)]
    pub columns: Vec<usize>,
}

/// What a foreign key does to referencing rows when the referenced row goes or changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum FkAction {
    #[default]
    NoAction,
    Restrict,
    Cascade,
    SetNull,
    SetDefault,
}

impl FkAction {
    /// `pg_constraint.confupdtype` / `confdeltype`.
    pub fn code(&self) -> char {
        match self {
            FkAction::NoAction => 'a',
            FkAction::Restrict => 'r',
            FkAction::Cascade => 'c',
            FkAction::SetNull => 'n',
            FkAction::SetDefault => 'd',
        }
    }

    /// The SQL words, as `pg_get_constraintdef` prints them.
    pub fn sql(&self) -> &'static str {
        match self {
            FkAction::NoAction => "NO ACTION",
            FkAction::Restrict => "RESTRICT",
            FkAction::Cascade => "CASCADE",
            FkAction::SetNull => "SET NULL",
            FkAction::SetDefault => "SET DEFAULT",
        }
    }
}

/// A FOREIGN KEY constraint of the table that holds it (the referencing table).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForeignKeyDef {
    pub oid: Oid,
    pub name: String,
    /// Referencing columns of this table.
    pub columns: Vec<usize>,
    pub ref_table: TableId,
    /// Referenced columns (a primary key or unique constraint of `ref_table`), in the
    /// order matching `columns`.
    pub ref_columns: Vec<usize>,
    pub on_delete: FkAction,
    pub on_update: FkAction,
    /// MATCH FULL (else MATCH SIMPLE: a NULL in any column exempts the row).
    #[serde(default)]
    pub match_full: bool,
    /// DEFERRABLE: `SET CONSTRAINTS` may postpone its checks to COMMIT
    /// (`crate::executor::deferred`).
    #[serde(default)]
    pub deferrable: bool,
    /// INITIALLY DEFERRED: its checks wait for COMMIT unless `SET CONSTRAINTS ... IMMEDIATE`.
    #[serde(default)]
    pub initially_deferred: bool,
}

/// A table's definition (also a materialized view's: see `materialized`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableDef {
    /// The table's OID (assigned with [`crate::storage::Txn::new_oid`]).
    pub id: TableId,
    #[serde(default = "public")]
    pub schema: Oid,
    pub name: String,
    pub columns: Vec<ColumnDef>,
    /// Column positions of the primary key; empty → hidden row id.
    pub primary_key: Vec<usize>,
    /// The primary key constraint's name (PostgreSQL's `{table}_pkey` by default).
    pub primary_key_name: Option<String>,
    /// OIDs of the primary key's index and constraint (0 without a primary key).
    #[serde(default)]
    pub pk_index_oid: Oid,
    #[serde(default)]
    pub pk_constraint_oid: Oid,
    pub indexes: Vec<IndexDef>,
    #[serde(default)]
    pub checks: Vec<CheckDef>,
    #[serde(default)]
    pub foreign_keys: Vec<ForeignKeyDef>,
    /// Storage options as given (`fillfactor=100`); accepted and shown, not used.
    #[serde(default)]
    pub options: Vec<String>,
    /// For a materialized view: its query's SQL text (the table holds its last result).
    #[serde(default)]
    pub materialized: Option<String>,
    #[serde(default)]
    pub comment: Option<String>,
    /// Comment on the primary key's index.
    #[serde(default)]
    pub pk_comment: Option<String>,
    /// The owning role (`relowner`): its creator, or `ALTER TABLE ... OWNER TO`.
    #[serde(default = "superuser", skip_serializing_if = "is_superuser")]
    pub owner: Oid,
    /// `relacl`: `None` is the default (the owner has every privilege).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acl: Option<Vec<AclItem>>,
    /// The index the last `CLUSTER ... USING` named (`indisclustered`), which a bare
    /// `CLUSTER t` uses again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clustered_index: Option<String>,
    /// `CREATE TRIGGER ... ON` this table (dropped with it), in creation order; they fire
    /// in name order, as in PostgreSQL.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub triggers: Vec<TriggerDef>,
    /// `PARTITION BY ...`: a partitioned table (`relkind 'p'`), which holds no rows of its
    /// own; its partitions do (see [`super::partition`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition_key: Option<Box<super::partition::PartitionKey>>,
    /// `PARTITION OF parent FOR VALUES ...`: this table is a partition of `parent`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition_of: Option<Box<super::partition::PartitionOf>>,
}

/// A trigger (`pg_trigger`): when it fires and the PL/pgSQL function it runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TriggerDef {
    pub oid: Oid,
    pub name: String,
    /// The trigger function's OID.
    pub function: Oid,
    /// BEFORE (else AFTER).
    pub before: bool,
    pub on_insert: bool,
    pub on_update: bool,
    pub on_delete: bool,
    /// `UPDATE OF col, ...`: column positions (empty: any UPDATE).
    #[serde(default)]
    pub update_columns: Vec<usize>,
    /// FOR EACH ROW (else FOR EACH STATEMENT).
    pub row: bool,
    /// The WHEN condition's SQL text (over NEW and OLD).
    #[serde(default)]
    pub when: Option<String>,
    /// The arguments (`TG_ARGV`), as text.
    #[serde(default)]
    pub args: Vec<String>,
    /// `ALTER TABLE ... DISABLE TRIGGER` clears it.
    pub enabled: bool,
}

fn public() -> Oid {
    super::oids::PUBLIC_NAMESPACE
}

impl Default for TableDef {
    /// An empty table in `public`.
    fn default() -> Self {
        TableDef {
            id: 0,
            schema: public(),
            name: String::new(),
            columns: Vec::new(),
            primary_key: Vec::new(),
            primary_key_name: None,
            pk_index_oid: 0,
            pk_constraint_oid: 0,
            indexes: Vec::new(),
            checks: Vec::new(),
            foreign_keys: Vec::new(),
            options: Vec::new(),
            materialized: None,
            comment: None,
            pk_comment: None,
            owner: BOOTSTRAP_SUPERUSER,
            acl: None,
            clustered_index: None,
            triggers: Vec::new(),
            partition_key: None,
            partition_of: None,
        }
    }
}

/// Where a sequence belongs (`OWNED BY table.column`; dropped with it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnedBy {
    pub table: TableId,
    pub column: usize,
}

/// A sequence's definition. Its *value* is not part of the catalog: it lives outside
/// transactions (see [`crate::storage::Sequences`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SequenceDef {
    pub oid: Oid,
    pub schema: Oid,
    pub name: String,
    /// smallint, integer or bigint.
    #[serde(with = "super::type_text")]
    pub data_type: DataType,
    pub start: i64,
    pub increment: i64,
    pub min: i64,
    pub max: i64,
    pub cache: i64,
    pub cycle: bool,
    pub owned_by: Option<OwnedBy>,
    #[serde(default)]
    pub comment: Option<String>,
    /// The owning role (`relowner`): its creator, the owning table's owner for a serial or
    /// identity column's sequence, or `ALTER SEQUENCE ... OWNER TO`.
    #[serde(default = "superuser", skip_serializing_if = "is_superuser")]
    pub owner: Oid,
    /// `relacl`: `None` is the default (the owner has USAGE, SELECT and UPDATE).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acl: Option<Vec<AclItem>>,
}

impl SequenceDef {
    /// The first value `nextval` returns after `RESTART` without a value.
    pub fn restart_value(&self) -> i64 {
        self.start
    }
}

/// A view: a stored query expanded where the view is named.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ViewDef {
    pub oid: Oid,
    pub schema: Oid,
    pub name: String,
    pub columns: Vec<ViewColumn>,
    /// The query's SQL text.
    pub query: String,
    /// The search path the query was created under (its names resolve the same way later).
    pub search_path: Vec<String>,
    /// Relations (tables, views, sequences) the query reads: `DROP` of one of them needs
    /// CASCADE.
    pub depends_on: Vec<Oid>,
    #[serde(default)]
    pub comment: Option<String>,
    /// The owning role: the relations the view reads are checked as this role.
    #[serde(default = "superuser", skip_serializing_if = "is_superuser")]
    pub owner: Oid,
    /// `relacl`: `None` is the default (the owner has every privilege).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acl: Option<Vec<AclItem>>,
}

/// A function created with `CREATE FUNCTION ... LANGUAGE sql`: its body is SQL text,
/// inlined into the calling query where it is called (see `binder/user_function.rs`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionDef {
    pub oid: Oid,
    pub schema: Oid,
    pub name: String,
    pub args: Vec<FunctionArg>,
    /// The result type (of each row, for a set-returning function; `record` for `RETURNS
    /// TABLE`).
    #[serde(with = "super::type_text")]
    pub returns: DataType,
    /// `RETURNS SETOF` / `RETURNS TABLE`.
    pub returns_set: bool,
    /// The columns of `RETURNS TABLE (...)`.
    #[serde(default)]
    pub table_columns: Vec<ViewColumn>,
    /// The body's SQL text.
    pub body: String,
    /// `provolatile`: `i`mmutable, `s`table or `v`olatile.
    pub volatility: char,
    /// STRICT / RETURNS NULL ON NULL INPUT.
    pub strict: bool,
    #[serde(default)]
    pub comment: Option<String>,
    /// `LANGUAGE plpgsql`: the body is PL/pgSQL, interpreted (`crate::plpgsql`); `None`
    /// for `LANGUAGE sql`.
    #[serde(default)]
    pub language: Option<String>,
    /// `RETURNS void` / `RETURNS trigger` (pseudo-types; `returns` is then `text`).
    #[serde(default)]
    pub pseudo_return: Option<String>,
    /// `proargmodes` when the function has OUT / INOUT parameters, one of `i`, `o`, `b` per
    /// parameter in declaration order (`args` holds the `i` and `b` ones, `table_columns`
    /// the `o` and `b` ones); empty when every parameter is IN (`RETURNS TABLE` columns
    /// are then `t`).
    #[serde(default)]
    pub arg_modes: String,
    /// `CREATE PROCEDURE` (`prokind` `p`): called with CALL, never in an expression. Its
    /// OUT / INOUT parameters are the columns of CALL's one row (`returns` is `record`
    /// then, `pseudo_return` `void` when it has none); CALL's arguments include its OUT
    /// parameters' (`all_parameters` order).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub procedure: bool,
    /// `proparallel`: `u`nsafe (the default), `r`estricted or `s`afe, as declared; the
    /// planner does not use it.
    #[serde(
        default = "parallel_unsafe",
        skip_serializing_if = "is_parallel_unsafe"
    )]
    pub parallel: char,
    /// SECURITY DEFINER was declared (`prosecdef`): a PL/pgSQL body runs as [`Self::owner`]
    /// (`plpgsql::routine_env`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub security_definer: bool,
    /// The owning role (`proowner`): its creator, or `ALTER FUNCTION ... OWNER TO`.
    #[serde(default = "superuser", skip_serializing_if = "is_superuser")]
    pub owner: Oid,
    /// `proconfig`: the `SET name = value` clauses as `name=value` (the value as
    /// PostgreSQL's `flatten_set_variable_args` prints it), applied for each call.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub config: Vec<String>,
    /// `COST n` as declared (`procost`; `None`: 100, the default of SQL and PL/pgSQL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<f32>,
    /// `ROWS n` of a set-returning function as declared (`prorows`; `None`: 1000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<f32>,
    /// `LEAKPROOF` (`proleakproof`; the planner does not use it).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub leakproof: bool,
    /// The body was SQL-standard (`RETURN expr`, stored as `SELECT expr`, or `BEGIN ATOMIC
    /// ... END`): `prosrc` is empty and `pg_get_functiondef` prints the body without `AS`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub standard_body: Option<StandardBody>,
}

/// The form of a SQL-standard function body ([`FunctionDef::standard_body`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StandardBody {
    /// `RETURN expr`.
    Return,
    /// `BEGIN ATOMIC stmt; ... END`.
    Atomic,
}

fn parallel_unsafe() -> char {
    'u'
}

fn is_parallel_unsafe(c: &char) -> bool {
    *c == 'u'
}

impl FunctionDef {
    /// `LANGUAGE plpgsql`.
    pub fn is_plpgsql(&self) -> bool {
        self.language.as_deref() == Some("plpgsql")
    }

    /// Calls run the body as a routine (`Function::Routine`, `SetFn::Routine`) rather than
    /// expanding it in the caller: PL/pgSQL, and SQL functions PostgreSQL does not inline —
    /// SECURITY DEFINER or `SET` clauses, which need their own environment for the call.
    pub fn runs_as_routine(&self) -> bool {
        self.is_plpgsql() || self.security_definer || !self.config.is_empty()
    }

    /// `procost`.
    pub fn procost(&self) -> f32 {
        self.cost.unwrap_or(100.0)
    }

    /// `prorows`: 0 for a function that returns no set.
    pub fn prorows(&self) -> f32 {
        match self.rows {
            Some(r) => r,
            None if self.returns_set => 1000.0,
            None => 0.0,
        }
    }

    /// The word PostgreSQL's messages use for it: `function` or `procedure`.
    pub fn kind_word(&self) -> &'static str {
        if self.procedure {
            "procedure"
        } else {
            "function"
        }
    }

    /// The function has OUT / INOUT parameters (its `table_columns` are those).
    pub fn has_out_params(&self) -> bool {
        !self.arg_modes.is_empty()
    }

    /// The result is one record of several columns per call (or per row): several OUT
    /// parameters or `RETURNS TABLE` columns.
    pub fn returns_record(&self) -> bool {
        self.table_columns.len() > 1
    }
}

/// One parameter of a [`FunctionDef`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionArg {
    pub name: Option<String>,
    #[serde(with = "super::type_text")]
    pub data_type: DataType,
    /// The DEFAULT expression's SQL text.
    #[serde(default)]
    pub default: Option<String>,
}

/// A type made by `CREATE TYPE` or `CREATE DOMAIN`: a composite type (`CREATE TYPE name AS
/// (f1 int, f2 text)`: its fields in order), an enum type or a domain ([`TypeBody`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TypeDef {
    pub oid: Oid,
    pub schema: Oid,
    pub name: String,
    /// A composite type's fields (empty for enums and domains).
    pub fields: Vec<ViewColumn>,
    #[serde(default = "superuser", skip_serializing_if = "is_superuser")]
    pub owner: Oid,
    #[serde(default)]
    pub comment: Option<String>,
    /// Composite, enum or domain (documents written before enums are composite).
    #[serde(default, skip_serializing_if = "TypeBody::is_composite")]
    pub body: TypeBody,
    /// `typarray`: the OID of the type's array type (0: none, as for composite types).
    #[serde(default)]
    pub array_oid: Oid,
}

/// What kind of type a [`TypeDef`] is.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub enum TypeBody {
    #[default]
    Composite,
    /// An enum type's labels (`pg_enum`), in sort order.
    Enum(Vec<EnumLabel>),
    Domain(DomainDef),
}

impl TypeBody {
    pub fn is_composite(&self) -> bool {
        matches!(self, TypeBody::Composite)
    }
}

/// One label of an enum type: its `pg_enum` OID, `enumsortorder` and text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnumLabel {
    pub oid: Oid,
    pub sort: f32,
    pub label: String,
}

/// A domain (`CREATE DOMAIN name AS base ...`): its base type, default and constraints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DomainDef {
    #[serde(with = "super::type_text")]
    pub base: DataType,
    pub not_null: bool,
    /// The DEFAULT expression's SQL text.
    #[serde(default)]
    pub default: Option<String>,
    /// CHECK constraints, in creation order (evaluated in name order, as PostgreSQL does).
    #[serde(default)]
    pub checks: Vec<DomainCheck>,
}

/// A domain's CHECK constraint (a `pg_constraint` row with `contypid`); `VALUE` in its
/// expression is the value being checked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DomainCheck {
    pub oid: Oid,
    pub name: String,
    /// The expression's SQL text (without the CHECK and parentheses).
    pub expr: String,
}

/// An installed extension (`CREATE EXTENSION`): the row of `pg_extension`. Its functions
/// are built in and callable while it is installed ([`crate::ddl::extension`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExtensionDef {
    pub oid: Oid,
    pub name: String,
    /// The schema its functions are in (`WITH SCHEMA`, else the creation schema).
    pub schema: Oid,
    pub version: String,
    #[serde(default = "superuser", skip_serializing_if = "is_superuser")]
    pub owner: Oid,
}

/// One output column of a view.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ViewColumn {
    pub name: String,
    #[serde(with = "super::type_text")]
    pub data_type: DataType,
    #[serde(default)]
    pub comment: Option<String>,
    /// `attacl` of a view's column, as [`ColumnDef::acl`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acl: Option<Vec<AclItem>>,
}

/// What ANALYZE last learned about a table, for the planner and `pg_class.reltuples`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct TableStats {
    pub rows: u64,
    /// Estimated distinct non-NULL values per column (PostgreSQL's `n_distinct`, always
    /// positive here), in column order.
    pub distinct: Vec<f64>,
    /// Fraction of NULLs per column.
    #[serde(default)]
    pub null_frac: Vec<f64>,
}

/// A role (`pg_authid`): `CREATE ROLE` / `CREATE USER`, changed by `ALTER ROLE`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoleDef {
    pub oid: Oid,
    pub name: String,
    pub superuser: bool,
    #[serde(default = "yes")]
    pub inherit: bool,
    pub create_role: bool,
    pub create_db: bool,
    pub login: bool,
    #[serde(default)]
    pub replication: bool,
    #[serde(default)]
    pub bypass_rls: bool,
    /// `CONNECTION LIMIT` (-1: none).
    #[serde(default = "no_limit")]
    pub connection_limit: i32,
    /// A SCRAM-SHA-256 verifier in PostgreSQL's `rolpassword` format
    /// (`SCRAM-SHA-256$<iter>:<salt>$<StoredKey>:<ServerKey>`), never a password.
    #[serde(default)]
    pub password: Option<String>,
    /// `VALID UNTIL`, as `timestamptz` text.
    #[serde(default)]
    pub valid_until: Option<String>,
    /// The roles this one is a member of (`GRANT role TO this`; `pg_auth_members`).
    #[serde(default)]
    pub member_of: Vec<Membership>,
    /// `ALTER ROLE ... [IN DATABASE d] SET name = value`: defaults for its sessions, in the
    /// order set (`pg_db_role_setting`).
    #[serde(default)]
    pub config: Vec<RoleSetting>,
}

/// The database's own settings (`ALTER DATABASE name SET ...`): defaults for every session
/// of it (`pg_db_role_setting` with `setrole = 0`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatabaseDef {
    pub oid: Oid,
    /// In the order set; `database` of each is `None`.
    pub config: Vec<RoleSetting>,
}

/// One `ALTER ROLE ... SET` default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleSetting {
    /// `IN DATABASE`'s database, `None` for every database.
    pub database: Option<Oid>,
    /// The parameter's canonical name (`TimeZone`, `work_mem`, `my.custom`).
    pub name: String,
    /// The value as written (`64MB`, `a, b`).
    pub value: String,
}

/// One membership of a role in another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Membership {
    /// The role whose member this is.
    pub role: Oid,
    /// Who granted it.
    pub grantor: Oid,
    /// `WITH ADMIN OPTION`: may grant `role` to others.
    pub admin: bool,
}

fn yes() -> bool {
    true
}

fn no_limit() -> i32 {
    -1
}

/// An `ALTER DEFAULT PRIVILEGES` entry (`pg_default_acl`): the privileges objects of kind
/// `objtype` get when `role` creates them later — in schema `schema`, or anywhere when it
/// is 0. See `ddl::default_privileges` for how entries combine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DefaultAclDef {
    pub oid: Oid,
    pub role: Oid,
    /// 0: every schema (a global entry, which replaces the built-in default).
    pub schema: Oid,
    /// `r` relations, `S` sequences, `f` functions, `T` types, `n` schemas.
    pub objtype: char,
    pub acl: Vec<AclItem>,
}

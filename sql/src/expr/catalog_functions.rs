//! Functions that read more than their arguments: sequences (`nextval`, `currval`, `setval`,
//! `lastval`), the search path (`current_schema`, `current_schemas`), and the helpers
//! catalog code shares (resolving a relation name given as text — what
//! `'t'::regclass` does).
//!
//! They run inside a statement and read its [`crate::env::CatalogEnv`]. A function taking a
//! relation (`nextval('s')`) is given its OID when the argument is a constant (the binder
//! resolves it, as PostgreSQL resolves a `regclass` constant), or a text to resolve when it
//! runs.

use crate::env;
use crate::privilege;
use crate::storage::catalog::acl;
use crate::storage::{Catalog, Oid, SequenceDef, format_lsn, parse_lsn};
use crate::types::oid::ObjectLookup;
use crate::{Error, Result, Value};

/// A function of this module, resolved by the binder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CatalogFn {
    NextVal,
    CurrVal,
    /// `setval(seq, value)` / `setval(seq, value, is_called)`.
    SetVal,
    LastVal,
    CurrentSchema,
    /// `current_schemas(include_implicit)`, as text in array syntax.
    CurrentSchemas,
    /// `pg_is_in_recovery()`: true on a read replica.
    IsInRecovery,
    /// `pg_current_wal_lsn()`: a primary's durable WAL end (55000 on a replica).
    CurrentWalLsn,
    /// `pg_last_wal_replay_lsn()`: a replica's applied LSN (NULL on a primary).
    LastReplayLsn,
    /// `pg_last_wal_receive_lsn()`: the commit LSN a replica's WAL source reported.
    LastReceiveLsn,
    /// `strata_wait_lsn(lsn [, timeout_ms])`: waits until the server has applied `lsn`
    /// (read-your-writes on a replica) and returns the LSN reached.
    WaitLsn,
}

/// How long `strata_wait_lsn` waits without a timeout argument.
pub const DEFAULT_WAIT_LSN_MS: u64 = 10_000;

pub use super::functions::format::quote_ident;

/// Splits a qualified name given as text (`public."My Table"`) into its parts: unquoted
/// parts lower-cased, quoted ones kept (PostgreSQL's `stringToQualifiedNameList`).
pub fn split_text_name(text: &str) -> Result<Vec<String>> {
    let invalid = || Error::InvalidName("invalid name syntax".into());
    let mut parts = Vec::new();
    let mut chars = text.trim().chars().peekable();
    loop {
        let mut part = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        part.push('"');
                    }
                    Some('"') => break,
                    Some(c) => part.push(c),
                    None => return Err(invalid()),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == '.' || c.is_whitespace() {
                    break;
                }
                part.push(c.to_ascii_lowercase());
                chars.next();
            }
            if part.is_empty() {
                return Err(invalid());
            }
        }
        parts.push(part);
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        match chars.next() {
            None => return Ok(parts),
            Some('.') => {}
            Some(_) => return Err(invalid()),
        }
    }
}

/// The relation a text names (`'t'`, `'s.t'`, a number as an OID), along `path` when
/// unqualified; `None` when nothing has that name.
pub fn resolve_relation_text(catalog: &Catalog, text: &str, path: &[Oid]) -> Result<Option<Oid>> {
    if let Ok(oid) = text.trim().parse::<Oid>() {
        return Ok(Some(oid));
    }
    let parts = split_text_name(text)?;
    let (schema, name) = match parts.as_slice() {
        [n] => (None, n.as_str()),
        [s, n] => (Some(s.as_str()), n.as_str()),
        [_, s, n] => (Some(s.as_str()), n.as_str()),
        _ => {
            return Err(Error::InvalidName(format!(
                "improper relation name (too many dotted names): {text}"
            )));
        }
    };
    find_relation(catalog, schema, name, path)
}

/// The OID of relation `name` in `schema` or along `path`, looked up as a name in SQL is
/// ([`privilege::lookup_schemas`]: USAGE on the schema), system relations included.
fn find_relation(
    catalog: &Catalog,
    schema: Option<&str>,
    name: &str,
    path: &[Oid],
) -> Result<Option<Oid>> {
    let schemas = privilege::lookup_schemas(catalog, schema, path, true)?;
    Ok(schemas.into_iter().find_map(|s| {
        crate::system::lookup(s, name)
            .map(|t| t.oid)
            .or_else(|| catalog.relation(s, name).map(|r| r.oid()))
    }))
}

/// A bound `nextval(<oid>)` call.
pub fn nextval_call(oid: Oid) -> super::Expr {
    super::Expr::Call(
        super::Function::Catalog(CatalogFn::NextVal),
        vec![super::Expr::Literal(Value::Int(i64::from(oid)))],
    )
}

/// The sequence an argument denotes: an OID, or a name resolved now.
fn sequence(env: &env::CatalogEnv, arg: &Value) -> Result<SequenceDef> {
    let oid = match arg {
        Value::Int(i) => Oid::try_from(*i).ok(),
        Value::Text(t) => {
            let oid = resolve_relation_text(&env.catalog, t, &env.search_path)?;
            if oid.is_none() {
                let name = split_text_name(t)?.pop().unwrap_or_default();
                return Err(Error::UndefinedTable(name));
            }
            oid
        }
        _ => None,
    };
    let oid = oid.ok_or_else(|| Error::Internal(format!("bad sequence argument {arg:?}")))?;
    if let Some(s) = env.catalog.sequence_by_id(oid) {
        return Ok(s.clone());
    }
    Err(match env.catalog.relation_by_oid(oid) {
        Some(r) => Error::WrongObjectType(format!("\"{}\" is not a sequence", r.name())),
        None => Error::UndefinedTable(format!("with OID {oid}")),
    })
}

impl CatalogFn {
    /// Resolves a function name of this module and its result type.
    pub fn resolve(name: &str, args: usize) -> Option<(CatalogFn, crate::DataType)> {
        use crate::DataType as T;
        Some(match (name, args) {
            ("nextval", 1) => (CatalogFn::NextVal, T::Int8),
            ("currval", 1) => (CatalogFn::CurrVal, T::Int8),
            ("setval", 2 | 3) => (CatalogFn::SetVal, T::Int8),
            ("lastval", 0) => (CatalogFn::LastVal, T::Int8),
            ("current_schema", 0) => (CatalogFn::CurrentSchema, T::Name),
            ("current_schemas", 1) => (CatalogFn::CurrentSchemas, T::array_of(T::Name)),
            ("pg_is_in_recovery", 0) => (CatalogFn::IsInRecovery, T::Bool),
            ("pg_current_wal_lsn", 0) => (CatalogFn::CurrentWalLsn, T::Text),
            ("pg_last_wal_replay_lsn", 0) => (CatalogFn::LastReplayLsn, T::Text),
            ("pg_last_wal_receive_lsn", 0) => (CatalogFn::LastReceiveLsn, T::Text),
            ("strata_wait_lsn", 1 | 2) => (CatalogFn::WaitLsn, T::Text),
            _ => return None,
        })
    }

    /// Whether the first argument is a relation (`regclass`).
    pub fn takes_relation(&self) -> bool {
        matches!(
            self,
            CatalogFn::NextVal | CatalogFn::CurrVal | CatalogFn::SetVal
        )
    }

    /// Whether a NULL argument gives NULL without calling.
    pub fn strict(&self) -> bool {
        true
    }

    /// Calls the function inside the running statement.
    pub fn call(&self, args: Vec<Value>) -> Result<Value> {
        if self.strict() && args.iter().any(Value::is_null) {
            return Ok(Value::Null);
        }
        let env = env::catalog()?;
        Ok(match self {
            CatalogFn::NextVal => {
                refuse_if_read_only("nextval()")?;
                let seq = sequence(&env, &args[0])?;
                privilege::require_sequence(&env.catalog, &seq, acl::USAGE | acl::UPDATE)?;
                let v = env.services.nextval(&seq)?;
                let mut vals = env.sequence_values();
                vals.values.insert(seq.oid, v);
                vals.last = Some(seq.oid);
                Value::Int(v)
            }
            CatalogFn::CurrVal => {
                let seq = sequence(&env, &args[0])?;
                privilege::require_sequence(&env.catalog, &seq, acl::USAGE | acl::SELECT)?;
                let v = env.sequence_values().values.get(&seq.oid).copied();
                Value::Int(v.ok_or_else(|| {
                    Error::ObjectNotInPrerequisiteState(format!(
                        "currval of sequence \"{}\" is not yet defined in this session",
                        seq.name
                    ))
                })?)
            }
            CatalogFn::LastVal => {
                let last = env.sequence_values().last;
                let not_yet = || {
                    Error::ObjectNotInPrerequisiteState(
                        "lastval is not yet defined in this session".into(),
                    )
                };
                let oid = last.ok_or_else(not_yet)?;
                let seq = env.catalog.sequence_by_id(oid).ok_or_else(not_yet)?;
                privilege::require_sequence(&env.catalog, seq, acl::USAGE | acl::SELECT)?;
                let v = env.sequence_values().values.get(&seq.oid).copied();
                Value::Int(v.ok_or_else(not_yet)?)
            }
            CatalogFn::SetVal => {
                refuse_if_read_only("setval()")?;
                let seq = sequence(&env, &args[0])?;
                privilege::require_sequence(&env.catalog, &seq, acl::UPDATE)?;
                let Value::Int(v) = args[1] else {
                    return Err(Error::Internal("setval value is not an integer".into()));
                };
                let called = !matches!(args.get(2), Some(Value::Bool(false)));
                env.services.setval(&seq, v, called)?;
                if called {
                    env.sequence_values().values.insert(seq.oid, v);
                }
                Value::Int(v)
            }
            CatalogFn::IsInRecovery => Value::Bool(env.services.replication().in_recovery),
            CatalogFn::CurrentWalLsn => {
                let r = env.services.replication();
                if r.in_recovery {
                    return Err(Error::ObjectNotInPrerequisiteState(
                        "recovery is in progress (this is a read replica: \
                         pg_last_wal_replay_lsn() tells how far it has applied the WAL)"
                            .into(),
                    ));
                }
                Value::Text(format_lsn(r.lsn))
            }
            CatalogFn::LastReplayLsn => {
                let r = env.services.replication();
                if !r.in_recovery {
                    return Ok(Value::Null);
                }
                Value::Text(format_lsn(r.lsn))
            }
            CatalogFn::LastReceiveLsn => {
                let r = env.services.replication();
                if !r.in_recovery {
                    return Ok(Value::Null);
                }
                Value::Text(format_lsn(r.received_lsn))
            }
            CatalogFn::WaitLsn => {
                let text = match &args[0] {
                    Value::Text(t) => t.clone(),
                    other => other.to_string(),
                };
                let lsn = parse_lsn(&text).ok_or_else(|| {
                    Error::InvalidTextRepresentation(format!(
                        "invalid input syntax for type pg_lsn: \"{text}\""
                    ))
                })?;
                let ms = match args.get(1) {
                    Some(Value::Int(ms)) if *ms >= 0 => *ms as u64,
                    Some(Value::Int(_)) => {
                        return Err(Error::InvalidParameterValue(
                            "strata_wait_lsn: the timeout must not be negative".into(),
                        ));
                    }
                    _ => DEFAULT_WAIT_LSN_MS,
                };
                let reached = env
                    .services
                    .wait_for_lsn(lsn, std::time::Duration::from_millis(ms))?;
                Value::Text(format_lsn(reached))
            }
            CatalogFn::CurrentSchema => {
                match crate::binder::creation_schema(&env.catalog, &env.search_path) {
                    Ok(s) => Value::Text(env.catalog.schema_name(s)),
                    Err(_) => Value::Null,
                }
            }
            CatalogFn::CurrentSchemas => {
                let implicit = args[0] == Value::Bool(true);
                let names: Vec<String> = env
                    .search_path
                    .iter()
                    .filter(|&&s| {
                        implicit || s != crate::storage::catalog::oids::PG_CATALOG_NAMESPACE
                    })
                    .map(|&s| env.catalog.schema_name(s))
                    .collect();
                Value::Array(Box::new(crate::types::Array::from_items(
                    names.into_iter().map(Value::Text).collect(),
                )))
            }
        })
    }
}

/// Relation names and OIDs for `regclass` (the types' [`ObjectLookup`]), resolved through the
/// running statement's catalog and search path.
impl ObjectLookup for env::CatalogEnv {
    fn relation_oid(&self, name: &str) -> Result<Option<u32>> {
        let parts: Vec<&str> = name.split('.').collect();
        let (schema, rel) = match parts.as_slice() {
            [n] => (None, *n),
            [s, n] => (Some(*s), *n),
            [_, s, n] => (Some(*s), *n),
            _ => return Ok(None),
        };
        find_relation(&self.catalog, schema, rel, &self.search_path)
    }

    fn relation_name(&self, oid: u32) -> Option<String> {
        let (schema, name) = match self.catalog.relation_by_oid(oid) {
            Some(r) => (r.schema(), r.name().to_string()),
            None => {
                let t = crate::system::tables().iter().find(|t| t.oid == oid)?;
                (t.schema, t.name.to_string())
            }
        };
        Some(qualified_name(
            &self.catalog,
            &self.search_path,
            schema,
            &name,
            oid,
        ))
    }

    /// The built-in functions `pg_proc` lists (with those behind `pg_operator`, `pg_cast`
    /// and `pg_type`), then the user's SQL functions: those of the schema named
    /// (`ri.add`), else those of the search path's schemas.
    fn function_oid(&self, name: &str) -> Result<Option<u32>> {
        let parts: Vec<&str> = name.split('.').collect();
        let (schema, bare) = match parts.as_slice() {
            [n] => (None, *n),
            [s, n] | [_, s, n] => (Some(*s), *n),
            _ => return Ok(None),
        };
        let schema = match schema {
            Some(s) => match self.catalog.schema_oid(s) {
                Some(o) => Some(o),
                None => return Err(crate::storage::catalog::undefined_schema(s)),
            },
            None => None,
        };
        let users: Vec<u32> = self
            .catalog
            .functions
            .iter()
            .filter(|f| f.name == bare)
            .filter(|f| schema.map_or(self.search_path.contains(&f.schema), |s| s == f.schema))
            .map(|f| f.oid)
            .collect();
        let builtin =
            if schema.is_none_or(|s| s == crate::storage::catalog::oids::PG_CATALOG_NAMESPACE) {
                crate::system::builtin_procs::count_by_name(bare)
            } else {
                0
            };
        if builtin + users.len() > 1 {
            return Err(Error::AmbiguousFunction(format!(
                "more than one function named \"{name}\""
            )));
        }
        if builtin > 0 {
            return Ok(crate::system::builtin_procs::oid_by_name(bare));
        }
        Ok(users.first().copied())
    }

    /// A built-in first when the name is unqualified or `pg_catalog.` (pg_catalog leads the
    /// search path), then the user's functions of the schema named or the search path's.
    fn function_oid_by_args(&self, name: &str, args: &[u32]) -> Result<Option<u32>> {
        let parts: Vec<&str> = name.split('.').collect();
        let (schema, bare) = match parts.as_slice() {
            [n] => (None, *n),
            [s, n] | [_, s, n] => (Some(*s), *n),
            _ => return Ok(None),
        };
        let schema = match schema {
            Some(s) => match self.catalog.schema_oid(s) {
                Some(o) => Some(o),
                None => return Err(crate::storage::catalog::undefined_schema(s)),
            },
            None => None,
        };
        if schema.is_none_or(|s| s == crate::storage::catalog::oids::PG_CATALOG_NAMESPACE) {
            let builtin = crate::system::builtin_procs::all()
                .iter()
                .find(|p| p.name == bare && p.arg_types == args);
            if let Some(p) = builtin {
                return Ok(Some(p.oid));
            }
        }
        let same_args = |f: &&crate::storage::FunctionDef| {
            f.args
                .iter()
                .map(|a| a.data_type.oid())
                .eq(args.iter().copied())
        };
        let found = match schema {
            Some(s) => self
                .catalog
                .functions
                .iter()
                .filter(|f| f.name == bare && f.schema == s)
                .find(same_args),
            None => self.search_path.iter().find_map(|s| {
                self.catalog
                    .functions
                    .iter()
                    .filter(|f| f.name == bare && f.schema == *s)
                    .find(same_args)
            }),
        };
        Ok(found.map(|f| f.oid))
    }

    /// Built-ins unqualified (pg_catalog is always searched); a user's function qualified
    /// when its schema is not on the search path.
    fn function_signature(&self, oid: u32) -> Option<(String, Vec<u32>)> {
        if let Some(p) = crate::system::builtin_procs::by_oid(oid) {
            return Some((p.name.to_string(), p.arg_types.clone()));
        }
        let f = self.catalog.functions.iter().find(|f| f.oid == oid)?;
        let name = if self.search_path.contains(&f.schema) {
            quote_ident(&f.name)
        } else {
            format!(
                "{}.{}",
                quote_ident(&self.catalog.schema_name(f.schema)),
                quote_ident(&f.name)
            )
        };
        Some((name, f.args.iter().map(|a| a.data_type.oid()).collect()))
    }

    fn namespace_oid(&self, name: &str) -> Option<u32> {
        self.catalog.schema_oid(name)
    }

    fn namespace_name(&self, oid: u32) -> Option<String> {
        let s = self.catalog.schema_by_oid(oid)?;
        Some(crate::expr::functions::format::quote_ident(&s.name))
    }

    fn role_oid(&self, name: &str) -> Option<u32> {
        privilege::role_named(&self.catalog, name).map(|r| r.oid)
    }

    fn role_name(&self, oid: u32) -> Option<String> {
        let r = self.catalog.role_by_oid(oid)?;
        Some(crate::expr::functions::format::quote_ident(&r.name))
    }

    /// Composite types and relations' row types, by possibly qualified name.
    fn type_oid(&self, name: &str) -> Option<u32> {
        use crate::ddl::types::oid_in;
        match name.split('.').collect::<Vec<_>>().as_slice() {
            [n] => self
                .search_path
                .iter()
                .find_map(|s| oid_in(&self.catalog, *s, n)),
            [s, n] | [_, s, n] => oid_in(&self.catalog, self.catalog.schema(s)?.oid, n),
            _ => None,
        }
    }

    fn type_name(&self, oid: u32) -> Option<String> {
        if let Some(c) = self.composite_type(oid) {
            return Some(c.name);
        }
        if let Some(c) = crate::types::record::array_elem(oid).and_then(|e| self.composite_type(e))
        {
            return Some(format!("{}[]", c.name));
        }
        let types = &self.catalog.types;
        if let Some(t) = types.iter().find(|t| t.oid == oid) {
            return Some(self.user_type_name(t));
        }
        let t = types.iter().find(|t| t.array_oid == oid && oid != 0)?;
        Some(format!("{}[]", self.user_type_name(t)))
    }

    fn composite_type(&self, oid: u32) -> Option<crate::types::record::CompositeType> {
        let (schema, name, fields) = crate::ddl::types::by_oid(&self.catalog, oid)?;
        let visible = self
            .search_path
            .iter()
            .find_map(|s| crate::ddl::types::oid_in(&self.catalog, *s, &name))
            == Some(oid);
        let qualified = if visible {
            quote_ident(&name)
        } else {
            format!(
                "{}.{}",
                quote_ident(&self.catalog.schema_name(schema)),
                quote_ident(&name)
            )
        };
        Some(crate::types::record::CompositeType {
            name: qualified,
            typname: name,
            fields,
        })
    }

    fn enum_type(&self, oid: u32) -> Option<crate::types::enums::EnumType> {
        let t = self.catalog.types.iter().find(|t| t.oid == oid)?;
        let crate::storage::TypeBody::Enum(labels) = &t.body else {
            return None;
        };
        Some(crate::types::enums::EnumType {
            name: self.user_type_name(t),
            typname: t.name.clone(),
            array_oid: t.array_oid,
            labels: labels
                .iter()
                .map(|l| crate::types::enums::Label {
                    oid: l.oid,
                    sort: l.sort,
                    label: l.label.clone(),
                })
                .collect(),
        })
    }

    fn domain_base(&self, oid: u32) -> Option<crate::types::DataType> {
        crate::ddl::domains::domain(&self.catalog, oid).map(|(_, d)| d.base)
    }

    fn enum_label(&self, oid: u32) -> Option<String> {
        self.catalog.types.iter().find_map(|t| match &t.body {
            crate::storage::TypeBody::Enum(labels) => labels
                .iter()
                .find(|l| l.oid == oid)
                .map(|l| l.label.clone()),
            _ => None,
        })
    }

    /// Qualified when the bare name would not find this very function (an overloaded
    /// built-in prints as `pg_catalog.lower`), as PostgreSQL's `regprocout` does.
    fn function_name(&self, oid: u32) -> Option<String> {
        use crate::system::builtin_procs::{count_by_name, function_name};
        function_name(oid)
            .map(|n| match count_by_name(n) {
                1 => n.to_string(),
                _ => format!("pg_catalog.{n}"),
            })
            .or_else(|| {
                let f = self.catalog.functions.iter().find(|f| f.oid == oid)?;
                Some(f.name.clone())
            })
    }
}

impl env::CatalogEnv {
    /// A `CREATE TYPE` / `CREATE DOMAIN` type's name as `format_type` prints it: quoted as
    /// needed, qualified unless the search path finds this very type under the bare name.
    fn user_type_name(&self, t: &crate::storage::TypeDef) -> String {
        let visible = self
            .search_path
            .iter()
            .find_map(|s| crate::ddl::types::oid_in(&self.catalog, *s, &t.name))
            == Some(t.oid);
        if visible {
            quote_ident(&t.name)
        } else {
            format!(
                "{}.{}",
                quote_ident(&self.catalog.schema_name(t.schema)),
                quote_ident(&t.name)
            )
        }
    }
}

/// `name` quoted as needed, qualified with its schema unless the search path finds this
/// very object under the bare name (PostgreSQL's rule for `regclass` output).
pub fn qualified_name(
    catalog: &Catalog,
    path: &[Oid],
    schema: Oid,
    name: &str,
    oid: Oid,
) -> String {
    let visible = path.iter().find_map(|&s| {
        crate::system::lookup(s, name)
            .map(|t| t.oid)
            .or_else(|| catalog.relation(s, name).map(|r| r.oid()))
    }) == Some(oid);
    if visible {
        quote_ident(name)
    } else {
        format!(
            "{}.{}",
            quote_ident(&catalog.schema_name(schema)),
            quote_ident(name)
        )
    }
}

/// 25006 when the running statement's transaction is read-only.
fn refuse_if_read_only(what: &str) -> Result<()> {
    if env::current()
        .session
        .read_only
        .load(std::sync::atomic::Ordering::Relaxed)
    {
        return Err(Error::ReadOnlySqlTransaction(format!(
            "cannot execute {what} in a read-only transaction"
        )));
    }
    Ok(())
}

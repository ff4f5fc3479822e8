//! CREATE TABLE (columns, constraints, `IF NOT EXISTS`, `WITH (...)` storage options, which
//! are recorded and otherwise ignored, `UNLOGGED`, which is logged like any table), CREATE
//! TABLE ... AS, `SELECT ... INTO`, and CREATE MATERIALIZED VIEW (a table filled from its
//! query, refreshed with REFRESH MATERIALIZED VIEW).

use super::Ddl;
use super::columns;
use super::constraints::{self, Pending};
use super::table_like::{Element, Expansion};
use crate::binder::ident;
use crate::result::StatementResult;
use crate::storage::{ColumnDef, OnConflict, Row, TableDef};
use crate::types::DataType;
use crate::{Error, Result};
use sqlparser::ast;

/// Storage options (`WITH (fillfactor = 100)`) as PostgreSQL's `reloptions` show them.
fn storage_options(opts: &ast::CreateTableOptions) -> Result<Vec<String>> {
    let list = match opts {
        ast::CreateTableOptions::None => return Ok(Vec::new()),
        ast::CreateTableOptions::With(l) => l,
        _ => {
            return Err(Error::unsupported(
                "this table option syntax is not supported",
            ));
        }
    };
    let mut out = Vec::new();
    for o in list {
        match o {
            ast::SqlOption::KeyValue { key, value } => {
                let v = match value {
                    ast::Expr::Value(v) => match &v.value {
                        ast::Value::SingleQuotedString(s) => s.clone(),
                        other => other.to_string(),
                    },
                    other => other.to_string(),
                };
                out.push(format!("{}={v}", key.to_string().to_lowercase()));
            }
            other => {
                return Err(Error::unsupported(format!(
                    "table option {other} is not supported"
                )));
            }
        }
    }
    Ok(out)
}

/// CREATE TABLE.
pub fn create(ddl: &mut Ddl, c: &ast::CreateTable) -> Result<StatementResult> {
    if c.clone.is_some() || c.or_replace || c.inherits.is_some() {
        return Err(Error::unsupported(
            "CREATE TABLE ... INHERITS is not supported yet",
        ));
    }
    if c.query.is_some() && super::table_like::has_like(c) {
        return Err(Error::SyntaxError("syntax error at or near \"AS\"".into()));
    }
    if c.partition_of.is_some() {
        return super::partition::create_partition_of(ddl, c);
    }
    if c.partition_by.is_some() && c.query.is_some() {
        return Err(Error::SyntaxError(
            "syntax error at or near \"PARTITION\"".into(),
        ));
    }
    // LIKE sources are looked up before the new name is checked (unless IF NOT EXISTS may
    // skip the statement), as in PostgreSQL.
    let early = if c.if_not_exists {
        None
    } else {
        Some(Expansion::of(ddl, c)?)
    };
    let Some((schema, name)) = ddl.new_relation(&c.name, c.temporary, c.if_not_exists)? else {
        let tag = match c.query {
            Some(_) => "CREATE TABLE AS",
            None => "CREATE TABLE",
        };
        return Ok(StatementResult::command(tag));
    };
    if let Some(q) = &c.query {
        let names: Vec<String> = c.columns.iter().map(|col| ident(&col.name)).collect();
        let with_data = c.with_data.as_ref().is_none_or(|w| w.data);
        return ctas(ddl, schema, name, &names, q, with_data, None);
    }
    let mut def = TableDef {
        id: ddl.txn.new_oid()?,
        schema,
        name: name.clone(),
        options: storage_options(&c.table_options)?,
        owner: crate::privilege::current(&*ddl.catalog()?).oid,
        ..Default::default()
    };
    def.acl = initial_acl(ddl, &def)?;
    let mut taken = vec![name];
    let mut pending = Vec::new();
    let mut sequences = Vec::new();
    let mut like = match early {
        Some(like) => like,
        None => Expansion::of(ddl, c)?,
    };
    for (i, element) in like.elements.iter().enumerate() {
        let nc = match element {
            Element::Written(col) => columns::column(ddl, &def, i, col, &taken)?,
            Element::Copied(col) => super::table_like::column(ddl, &def, i, col, &taken)?,
        };
        if def.column_index(&nc.def.name).is_some() {
            return Err(Error::DuplicateColumn(nc.def.name));
        }
        if let Some(s) = nc.sequence {
            taken.push(s.name.clone());
            sequences.push(s);
        }
        def.columns.push(nc.def);
        pending.extend(nc.constraints);
    }
    for i in 0..def.columns.len() {
        if def.columns[i].generated {
            super::generated::check(ddl, &def, i)?;
        }
    }
    for tc in &c.constraints {
        pending.push(Pending::from_table_constraint(tc)?);
    }
    // LIKE's constraints and indexes come after the table's own keys and before its
    // foreign keys, as in PostgreSQL.
    let (foreign, own): (Vec<_>, Vec<_>) = pending
        .into_iter()
        .partition(|p| matches!(p, Pending::ForeignKey { .. }));
    constraints::add(ddl, &mut def, own, &mut taken)?;
    like.add_constraints(ddl, &mut def, &mut taken)?;
    constraints::add(ddl, &mut def, foreign, &mut taken)?;
    if let Some(spec) = &c.partition_by {
        def.partition_key = Some(Box::new(super::partition::key(&def, spec)?));
        super::partition::check_unique_keys(&def)?;
    }
    def.validate()?;
    for s in sequences {
        ddl.txn.create_sequence(s)?;
    }
    ddl.txn.create_table(def)?;
    Ok(StatementResult::command("CREATE TABLE"))
}

/// Creates table `name` from a query's result: CREATE TABLE AS, SELECT INTO, CREATE
/// MATERIALIZED VIEW (`materialized`: the query's text). Tag `SELECT n`.
pub fn ctas(
    ddl: &mut Ddl,
    schema: u32,
    name: String,
    column_names: &[String],
    q: &ast::Query,
    with_data: bool,
    materialized: Option<String>,
) -> Result<StatementResult> {
    let (columns, rows) = ddl.query(q)?;
    if column_names.len() > columns.len() {
        return Err(Error::SyntaxError(
            "too many column names were specified".into(),
        ));
    }
    let mut def = TableDef {
        id: ddl.txn.new_oid()?,
        schema,
        name,
        materialized,
        owner: crate::privilege::current(&*ddl.catalog()?).oid,
        ..Default::default()
    };
    def.acl = initial_acl(ddl, &def)?;
    for (i, c) in columns.iter().enumerate() {
        let name = column_names
            .get(i)
            .cloned()
            .unwrap_or_else(|| c.name.clone());
        if def.column_index(&name).is_some() {
            return Err(Error::DuplicateColumn(name));
        }
        let ty = if c.data_type == DataType::Unknown {
            DataType::Text
        } else {
            c.data_type
        };
        crate::types::record::check_storable(&name, c.data_type)?;
        def.columns.push(ColumnDef::new(name, ty));
    }
    let id = ddl.txn.create_table(def)?;
    let rows: Vec<Row> = if with_data { rows } else { Vec::new() };
    let n = rows.len();
    for row in rows {
        ddl.txn.insert(id, row, &OnConflict::Error)?;
    }
    Ok(StatementResult::command(format!("SELECT {n}")))
}

/// `CREATE TABLE name (a, b) AS query`: column names given without types.
pub fn create_as(ddl: &mut Ddl, c: &crate::parse::CreateTableAs) -> Result<StatementResult> {
    let Some((schema, name)) = ddl.new_relation(&c.name, c.temporary, c.if_not_exists)? else {
        return Ok(StatementResult::command("CREATE TABLE AS"));
    };
    let names: Vec<String> = c.columns.iter().map(ident).collect();
    ctas(ddl, schema, name, &names, &c.query, c.with_data, None)
}

/// Whether a query is `SELECT ... INTO table`.
pub fn is_select_into(q: &ast::Query) -> bool {
    matches!(q.body.as_ref(), ast::SetExpr::Select(s) if s.into.is_some())
}

/// `SELECT ... INTO [TEMP | UNLOGGED] [TABLE] name ...`: CREATE TABLE AS without the INTO.
pub fn select_into(ddl: &mut Ddl, q: &ast::Query) -> Result<StatementResult> {
    let mut q = q.clone();
    let ast::SetExpr::Select(s) = q.body.as_mut() else {
        return Err(Error::Internal("SELECT INTO without a SELECT".into()));
    };
    let Some(into) = s.into.take() else {
        return Err(Error::Internal("SELECT INTO without INTO".into()));
    };
    let target = match into.targets.as_slice() {
        [ast::Expr::Identifier(i)] => ast::ObjectName::from(vec![i.clone()]),
        [ast::Expr::CompoundIdentifier(parts)] => ast::ObjectName::from(parts.clone()),
        _ => return Err(Error::SyntaxError("SELECT INTO names one table".into())),
    };
    let (schema, name) = if into.temporary {
        ddl.temp_target(&target)?
    } else {
        ddl.target(&target)?
    };
    if ddl.catalog()?.relation_exists(schema, &name) {
        return Err(Error::DuplicateTable(name));
    }
    ctas(ddl, schema, name, &[], &q, true, None)
}

/// The ACL a new table starts with (`ALTER DEFAULT PRIVILEGES` of its owner).
fn initial_acl(
    ddl: &Ddl,
    def: &TableDef,
) -> Result<Option<Vec<crate::storage::catalog::acl::AclItem>>> {
    Ok(super::default_privileges::initial_acl(
        &*ddl.catalog()?,
        super::default_privileges::RELATIONS,
        def.owner,
        def.schema,
    ))
}

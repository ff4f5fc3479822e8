//! Declarative partitioning's DDL: `CREATE TABLE ... PARTITION BY {RANGE | LIST | HASH}
//! (key)`, `CREATE TABLE c PARTITION OF p FOR VALUES ... | DEFAULT` (ATTACH / DETACH
//! PARTITION are in [`super::partition_attach`]), with PostgreSQL's checks and errors
//! (strategy / bound mismatches 42P16, overlaps and empty ranges 42P17, unique constraints
//! that miss a key column 0A000, rows of the default partition that the new bound would
//! take 23514).
//!
//! A partitioned table is an ordinary table definition with a [`PartitionKey`] that never
//! holds rows (the executor routes them to its partitions); a partition is an ordinary table
//! with a [`PartitionOf`]. See `storage/catalog/partition.rs` for the routing itself.

use super::Ddl;
use crate::binder::{ExprCtx, Scope, ident};
use crate::result::StatementResult;
use crate::storage::TableDef;
use crate::storage::catalog::partition::{
    self, Parsed, PartitionBound, PartitionKey, PartitionOf, RangeDatum, cmp_bounds,
};
use crate::storage::catalog::{IndexDef, partition_hash};
use crate::types::DataType;
use crate::{Error, Result};
use sqlparser::ast;
use std::cmp::Ordering;

/// The key of `PARTITION BY strategy (elements)` over `def`'s columns.
pub fn key(def: &TableDef, spec: &ast::Expr) -> Result<PartitionKey> {
    let ast::Expr::Function(f) = spec else {
        return Err(Error::SyntaxError(format!(
            "syntax error at or near \"{spec}\""
        )));
    };
    let strategy_name = f.name.to_string().to_lowercase();
    let strategy = match strategy_name.as_str() {
        "range" => 'r',
        "list" => 'l',
        "hash" => 'h',
        other => {
            return Err(Error::InvalidParameterValue(format!(
                "unrecognized partitioning strategy \"{other}\""
            )));
        }
    };
    let ast::FunctionArguments::List(list) = &f.args else {
        return Err(Error::SyntaxError("syntax error at or near \")\"".into()));
    };
    let mut columns = Vec::new();
    let mut exprs = Vec::new();
    for a in &list.args {
        let ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) = a else {
            return Err(Error::SyntaxError(format!(
                "syntax error at or near \"{a}\""
            )));
        };
        match e {
            ast::Expr::Identifier(i) => {
                let name = ident(i);
                let c = def.column_index(&name).ok_or_else(|| {
                    Error::UndefinedColumnMessage(format!(
                        "column \"{name}\" named in partition key does not exist"
                    ))
                })?;
                columns.push(c);
                exprs.push(None);
            }
            other => {
                let inner = match other {
                    ast::Expr::Nested(x) => x.as_ref(),
                    x => x,
                };
                crate::storage::catalog::index_keys::bind_key_expr(def, inner)?;
                columns.push(IndexDef::EXPRESSION);
                exprs.push(Some(inner.to_string()));
            }
        }
    }
    if columns.is_empty() {
        return Err(Error::SyntaxError("syntax error at or near \")\"".into()));
    }
    if strategy == 'l' && columns.len() > 1 {
        return Err(Error::InvalidObjectDefinition(
            "cannot use \"list\" partition strategy with more than one column".into(),
        ));
    }
    if exprs.iter().all(Option::is_none) {
        exprs.clear();
    }
    let key = PartitionKey {
        strategy,
        columns,
        exprs,
    };
    if strategy == 'h' {
        for t in key.types(def)? {
            if !partition_hash::hashable(t) {
                return Err(Error::unsupported(format!(
                    "hash partitioning on type {} is not supported yet",
                    t.name()
                )));
            }
        }
    }
    Ok(key)
}

/// PostgreSQL's 0A000 when a primary key or unique constraint of a partitioned table does
/// not include every key column.
pub fn check_unique_keys(def: &TableDef) -> Result<()> {
    let Some(key) = &def.partition_key else {
        return Ok(());
    };
    let mut uniques: Vec<(&str, &[usize])> = Vec::new();
    if !def.primary_key.is_empty() {
        uniques.push(("PRIMARY KEY", &def.primary_key));
    }
    for i in def.indexes.iter().filter(|i| i.unique) {
        uniques.push(("UNIQUE", &i.columns));
    }
    for (kind, cols) in uniques {
        for (k, &c) in key.columns.iter().enumerate() {
            if key.exprs.get(k).is_some_and(Option::is_some) {
                return Err(Error::unsupported(
                    "unsupported UNIQUE constraint with partition key definition",
                ));
            }
            if !cols.contains(&c) {
                return Err(Error::FeatureNotSupportedDetail {
                    message: "unique constraint on partitioned table must include all partitioning columns".into(),
                    detail: format!(
                        "{kind} constraint on table \"{}\" lacks column \"{}\" which is part of the partition key.",
                        def.name, def.columns[c].name
                    ),
                });
            }
        }
    }
    Ok(())
}

/// The bound `FOR VALUES ...` gives partition `name` of `parent`, checked against the
/// strategy and the existing partitions (`except`: a partition being re-attached).
pub fn bound(
    ddl: &Ddl,
    parent: &TableDef,
    name: &str,
    spec: &ast::ForValues,
) -> Result<PartitionBound> {
    let key = parent.partition_key.as_ref().ok_or_else(|| {
        Error::InvalidObjectDefinition(format!("\"{}\" is not partitioned", parent.name))
    })?;
    let types = key.types(parent)?;
    let mismatch = |kind: &str| {
        Error::InvalidTableDefinition(format!(
            "invalid bound specification for a {kind} partition"
        ))
    };
    let kind = match key.strategy {
        'l' => "list",
        'h' => "hash",
        _ => "range",
    };
    let b = match (spec, key.strategy) {
        (ast::ForValues::Default, 'h') => {
            return Err(Error::InvalidTableDefinition(
                "a hash-partitioned table may not have a default partition".into(),
            ));
        }
        (ast::ForValues::Default, _) => PartitionBound::Default,
        (ast::ForValues::In(vals), 'l') => {
            let mut out = Vec::new();
            for v in vals {
                out.push(value(
                    ddl,
                    v,
                    types.first().copied().unwrap_or(DataType::Text),
                )?);
            }
            PartitionBound::List(out)
        }
        (ast::ForValues::From { from, to }, 'r') => {
            let side = |vals: &[ast::PartitionBoundValue], word: &str| -> Result<Vec<RangeDatum>> {
                if vals.len() != types.len() {
                    return Err(Error::InvalidTableDefinition(format!(
                        "{word} must specify exactly one value per partitioning column"
                    )));
                }
                vals.iter()
                    .zip(&types)
                    .map(|(v, ty)| {
                        Ok(match v {
                            ast::PartitionBoundValue::MinValue => RangeDatum::MinValue,
                            ast::PartitionBoundValue::MaxValue => RangeDatum::MaxValue,
                            ast::PartitionBoundValue::Expr(e) => match value(ddl, e, *ty)? {
                                Some(t) => RangeDatum::Value(t),
                                None => {
                                    return Err(Error::InvalidTableDefinition(
                                        "cannot specify NULL in range bound".into(),
                                    ));
                                }
                            },
                        })
                    })
                    .collect()
            };
            PartitionBound::Range {
                from: side(from, "FROM")?,
                to: side(to, "TO")?,
            }
        }
        (ast::ForValues::With { modulus, remainder }, 'h') => {
            if *modulus == 0 || *modulus > i32::MAX as u64 {
                return Err(Error::InvalidTableDefinition(
                    "modulus for hash partition must be an integer value greater than zero".into(),
                ));
            }
            if remainder >= modulus {
                return Err(Error::InvalidTableDefinition(
                    "remainder for hash partition must be less than modulus".into(),
                ));
            }
            PartitionBound::Hash {
                modulus: *modulus as u32,
                remainder: *remainder as u32,
            }
        }
        _ => return Err(mismatch(kind)),
    };
    check_overlap(ddl, parent, name, &b, &types)?;
    Ok(b)
}

/// A bound value: the constant expression cast to the key's type, as text (`None`: NULL).
fn value(ddl: &Ddl, e: &ast::Expr, ty: DataType) -> Result<Option<String>> {
    let mut b = ddl.binder()?;
    let scope = Scope::default();
    let (x, from) = b.bind_expr(e, &mut ExprCtx::plain(&scope, "partition bound"))?;
    let v = x.eval(&[], &crate::expr::Params(&[]))?;
    if v.is_null() {
        return Ok(None);
    }
    let v = crate::types::cast::cast(v, from, ty, false)?;
    Ok(Some(v.to_string()))
}

fn overlap(name: &str, other: &str) -> Error {
    Error::InvalidObjectDefinition(format!(
        "partition \"{name}\" would overlap partition \"{other}\""
    ))
}

/// PostgreSQL's `check_new_partition_bound`.
fn check_overlap(
    ddl: &Ddl,
    parent: &TableDef,
    name: &str,
    b: &PartitionBound,
    types: &[DataType],
) -> Result<()> {
    let catalog = ddl.catalog()?;
    let new = b.parse(types)?;
    if let (Parsed::Range { from, to }, PartitionBound::Range { from: f, to: t }) = (&new, b)
        && cmp_bounds(from, to) != Ordering::Less
    {
        let show = |ds: &[RangeDatum]| {
            PartitionBound::Range {
                from: ds.to_vec(),
                to: Vec::new(),
            }
            .definition(types)
            .trim_start_matches("FOR VALUES FROM ")
            .trim_end_matches(" TO ()")
            .to_string()
        };
        return Err(Error::InvalidObjectDefinitionDetail {
            message: format!("empty range bound specified for partition \"{name}\""),
            detail: format!(
                "Specified lower bound {} is greater than or equal to upper bound {}.",
                show(f),
                show(t)
            ),
        });
    }
    for p in partition::partitions(&catalog, parent.id) {
        let Some(of) = &p.partition_of else { continue };
        if p.name == name && p.schema == parent.schema {
            continue;
        }
        let old = of.bound.parse(types)?;
        match (&new, &old) {
            (Parsed::Default, Parsed::Default) => {
                return Err(Error::InvalidObjectDefinition(format!(
                    "partition \"{name}\" conflicts with existing default partition \"{}\"",
                    p.name
                )));
            }
            (Parsed::List(a), Parsed::List(b)) => {
                let same = |x: &crate::types::Value, y: &crate::types::Value| {
                    (x.is_null() && y.is_null())
                        || (!x.is_null() && !y.is_null() && x.cmp(y) == Ordering::Equal)
                };
                if a.iter().any(|x| b.iter().any(|y| same(x, y))) {
                    return Err(overlap(name, &p.name));
                }
            }
            (Parsed::Range { from: f1, to: t1 }, Parsed::Range { from: f2, to: t2 })
                if cmp_bounds(f1, t2) == Ordering::Less && cmp_bounds(f2, t1) == Ordering::Less =>
            {
                return Err(overlap(name, &p.name));
            }
            (
                Parsed::Hash {
                    modulus: m1,
                    remainder: r1,
                },
                Parsed::Hash {
                    modulus: m2,
                    remainder: r2,
                },
            ) => {
                if m1 % m2 != 0 && m2 % m1 != 0 {
                    let (word, detail_mod) = if m1 < m2 {
                        ("not a factor of", m2)
                    } else {
                        ("not divisible by", m2)
                    };
                    return Err(Error::InvalidObjectDefinitionDetail {
                        message: "every hash partition modulus must be a factor of the next larger modulus".into(),
                        detail: format!(
                            "The new modulus {m1} is {word} {detail_mod}, the modulus of existing partition \"{}\".",
                            p.name
                        ),
                    });
                }
                let (small, r_small, r_big) = if m1 <= m2 { (m1, r1, r2) } else { (m2, r2, r1) };
                if r_big % small == *r_small {
                    return Err(overlap(name, &p.name));
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// A partition's definition: `parent`'s columns and constraints under a new name, with
/// its own OIDs and PostgreSQL's names for its indexes.
pub fn partition_def(
    ddl: &mut Ddl,
    parent: &TableDef,
    schema: u32,
    name: &str,
    bound: PartitionBound,
) -> Result<TableDef> {
    let catalog = ddl.catalog()?;
    let mut def = parent.clone();
    def.id = ddl.txn.new_oid()?;
    def.schema = schema;
    def.name = name.to_string();
    def.partition_key = None;
    def.partition_of = Some(Box::new(PartitionOf {
        parent: parent.id,
        bound,
    }));
    def.comment = None;
    def.pk_comment = None;
    def.triggers.clear();
    def.clustered_index = None;
    for c in &mut def.columns {
        c.comment = None;
        c.acl = None;
    }
    let mut taken = vec![name.to_string()];
    let is_taken = |n: &str, taken: &[String]| {
        super::names::relation_taken(&catalog, schema, n, taken)
            || super::names::constraint_taken(&catalog, schema, n, taken)
    };
    if !def.primary_key.is_empty() {
        let n = super::names::choose(name, None, "pkey", |n| is_taken(n, &taken));
        taken.push(n.clone());
        def.primary_key_name = Some(n);
        def.pk_index_oid = ddl.txn.new_oid()?;
        def.pk_constraint_oid = ddl.txn.new_oid()?;
    }
    for i in 0..def.indexes.len() {
        let idx = &def.indexes[i];
        let (addition, label) = super::names::cloned_index_parts(&def, idx);
        let n = super::names::choose(name, Some(&addition), label, |n| is_taken(n, &taken));
        taken.push(n.clone());
        let oid = ddl.txn.new_oid()?;
        let constraint = match def.indexes[i].constraint {
            Some(_) => Some(ddl.txn.new_oid()?),
            None => None,
        };
        let idx = &mut def.indexes[i];
        idx.name = n;
        idx.oid = oid;
        idx.constraint = constraint;
        idx.comment = None;
    }
    for c in &mut def.checks {
        c.oid = ddl.txn.new_oid()?;
    }
    for f in &mut def.foreign_keys {
        f.oid = ddl.txn.new_oid()?;
    }
    Ok(def)
}

/// `CREATE TABLE name PARTITION OF parent FOR VALUES ... [PARTITION BY ...]`.
pub fn create_partition_of(ddl: &mut Ddl, c: &ast::CreateTable) -> Result<StatementResult> {
    let Some(parent_name) = &c.partition_of else {
        return Err(Error::Internal("not PARTITION OF".into()));
    };
    if !c.columns.is_empty() || !c.constraints.is_empty() {
        return Err(Error::unsupported(
            "column and constraint definitions in CREATE TABLE ... PARTITION OF are not supported yet",
        ));
    }
    let parent = ddl.table(parent_name)?;
    if parent.partition_key.is_none() {
        return Err(Error::InvalidObjectDefinition(format!(
            "\"{}\" is not partitioned",
            parent.name
        )));
    }
    let Some((schema, name)) = ddl.new_relation(&c.name, c.temporary, c.if_not_exists)? else {
        return Ok(StatementResult::command("CREATE TABLE"));
    };
    let spec = c
        .for_values
        .as_ref()
        .ok_or_else(|| Error::SyntaxError("syntax error at end of input".into()))?;
    let b = bound(ddl, &parent, &name, spec)?;
    check_default_rows(ddl, &parent, &b)?;
    let mut def = partition_def(ddl, &parent, schema, &name, b)?;
    def.owner = crate::privilege::current(&*ddl.catalog()?).oid;
    if let Some(spec) = &c.partition_by {
        def.partition_key = Some(Box::new(key(&def, spec)?));
        check_unique_keys(&def)?;
    }
    def.validate()?;
    ddl.txn.create_table(def)?;
    Ok(StatementResult::command("CREATE TABLE"))
}

/// PostgreSQL's 23514 when the default partition holds a row the new bound `b` would take.
pub(super) fn check_default_rows(
    ddl: &mut Ddl,
    parent: &TableDef,
    b: &PartitionBound,
) -> Result<()> {
    if matches!(b, PartitionBound::Default) {
        return Ok(());
    }
    let catalog = ddl.catalog()?;
    let Some(default) = partition::partitions(&catalog, parent.id)
        .into_iter()
        .find(|p| {
            p.partition_of
                .as_ref()
                .is_some_and(|o| o.bound == PartitionBound::Default)
        })
        .cloned()
    else {
        return Ok(());
    };
    let Some(key) = &parent.partition_key else {
        return Ok(());
    };
    let types = key.types(parent)?;
    let parsed = b.parse(&types)?;
    for leaf in partition::leaves(&catalog, &default) {
        let rows = ddl.run(crate::planner::Plan::Scan {
            table: leaf.clone(),
            access: crate::planner::AccessPlan::Full,
            key_columns: false,
        })?;
        for row in rows {
            if parsed.contains(&key.key_of(&leaf, &row)?, &types) {
                return Err(Error::CheckViolation {
                    message: format!(
                        "updated partition constraint for default partition \"{}\" would be violated by some row",
                        default.name
                    ),
                    detail: String::new(),
                });
            }
        }
    }
    Ok(())
}

/// ALTER TABLE operations on a partitioned table or a partition that Strata does not
/// carry to the rest of the tree yet (0A000): column changes (partitions must keep their
/// parent's columns in its order).
pub fn refuse_alter(def: &TableDef, op: &ast::AlterTableOperation) -> Result<()> {
    use ast::AlterTableOperation as O;
    match op {
        O::AddColumn { .. }
        | O::DropColumn { .. }
        | O::RenameColumn { .. }
        | O::AlterColumn {
            op: ast::AlterColumnOperation::SetDataType { .. },
            ..
        } if def.partition_key.is_some() || def.partition_of.is_some() => {
            Err(Error::unsupported(format!(
                "changing the columns of partitioned table or partition \"{}\" is not supported yet",
                def.name
            )))
        }
        _ => Ok(()),
    }
}

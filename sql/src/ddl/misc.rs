//! TRUNCATE, COMMENT ON, VACUUM / ANALYZE, and CREATE / DROP DATABASE (refused: a timeline
//! holds one database).

use super::Ddl;
use crate::binder::split_name;
use crate::parse::Maintenance;
use crate::result::StatementResult;
use crate::storage::{IndexRef, Relation, Reservoir, TableDef, TableStats};
use crate::{Error, Result, Value};
use sqlparser::ast;
use std::collections::HashMap;

/// 0A000 for CREATE / DROP DATABASE.
pub fn one_database() -> Error {
    Error::unsupported(
        "CREATE DATABASE and DROP DATABASE are not supported: a Strata timeline holds exactly one database (create another timeline instead)",
    )
}

/// TRUNCATE [TABLE] a, b [RESTART IDENTITY] [CASCADE]: every row goes, in the transaction
/// (the old storage is dropped at commit). A table referenced by a foreign key from a table
/// not truncated with it needs CASCADE, which truncates that table too. RESTART IDENTITY
/// restarts the sequences the tables' columns own — at once, not at commit (PostgreSQL
/// does it transactionally).
/// `LOCK [TABLE] t, ... [IN mode MODE] [NOWAIT]` (inside a transaction block; the session
/// checks that). Strata's table locks have two modes: PostgreSQL's `ACCESS SHARE`, `ROW
/// SHARE` and `ROW EXCLUSIVE` take the shared one (what reads and DML take), the stronger
/// modes — the default `ACCESS EXCLUSIVE` among them — the exclusive one, which also keeps
/// readers out (PostgreSQL's `SHARE` / `EXCLUSIVE` let readers through). Privileges as
/// PostgreSQL asks them: SELECT (or any write privilege) for `ACCESS SHARE`, a write
/// privilege for `ROW EXCLUSIVE`, UPDATE / DELETE / TRUNCATE for the rest.
pub fn lock_tables(ddl: &mut Ddl, l: &ast::Lock) -> Result<StatementResult> {
    use crate::storage::catalog::acl::{DELETE, INSERT, SELECT, TRUNCATE, UPDATE};
    use ast::LockTableMode as M;
    let mode = l.lock_mode.as_ref().unwrap_or(&M::AccessExclusive);
    let exclusive = !matches!(mode, M::AccessShare | M::RowShare | M::RowExclusive);
    let any_of: &[u16] = match mode {
        M::AccessShare => &[SELECT, INSERT, UPDATE, DELETE, TRUNCATE],
        M::RowExclusive => &[INSERT, UPDATE, DELETE, TRUNCATE],
        _ => &[UPDATE, DELETE, TRUNCATE],
    };
    let catalog = ddl.catalog()?;
    let who = crate::privilege::current(&catalog);
    for target in &l.tables {
        let def = ddl.table(&target.name)?;
        let allowed = any_of
            .iter()
            .fold(None, |found: Option<Result<()>>, &p| match found {
                Some(Ok(())) => Some(Ok(())),
                _ => Some(crate::privilege::check(
                    &catalog,
                    &who,
                    &[crate::privilege::Need {
                        relation: def.id,
                        privileges: p,
                        table_level: true,
                        ..Default::default()
                    }],
                )),
            });
        allowed.unwrap_or(Ok(()))?;
        ddl.txn.lock_table(def.id, exclusive, l.nowait)?;
    }
    Ok(StatementResult::command("LOCK TABLE"))
}

pub fn truncate(ddl: &mut Ddl, t: &ast::Truncate) -> Result<StatementResult> {
    let mut tables: Vec<TableDef> = Vec::new();
    for target in &t.table_names {
        let def = ddl.table(&target.name)?;
        if def.partition_key.is_some() {
            if target.only {
                return Err(Error::WithHint {
                    error: Box::new(Error::WrongObjectType(
                        "cannot truncate only a partitioned table".into(),
                    )),
                    hint: "Do not specify the ONLY keyword, or use TRUNCATE ONLY on the partitions directly.".into(),
                });
            }
            // A partitioned table's partitions (at every level) are truncated with it.
            let catalog = ddl.catalog()?;
            let mut stack = vec![def.id];
            while let Some(id) = stack.pop() {
                for p in crate::storage::catalog::partition::partitions(&catalog, id) {
                    stack.push(p.id);
                    if !tables.iter().any(|x| x.id == p.id) {
                        tables.push(p.clone());
                    }
                }
            }
        }
        if !tables.iter().any(|x| x.id == def.id) {
            tables.push(def);
        }
    }
    let cascade = matches!(t.cascade, Some(ast::CascadeOption::Cascade));
    let catalog = ddl.catalog()?;
    let mut i = 0;
    while i < tables.len() {
        let id = tables[i].id;
        for (child, _) in catalog.referencing(id) {
            if tables.iter().any(|x| x.id == child.id) {
                continue;
            }
            if !cascade {
                return Err(Error::unsupported(format!(
                    "cannot truncate a table referenced in a foreign key constraint: table \"{}\" references \"{}\"",
                    child.name, tables[i].name
                )));
            }
            crate::notice::emit(crate::notice::Notice::new(
                "00000",
                format!("truncate cascades to table \"{}\"", child.name),
            ));
            tables.push(child.clone());
        }
        i += 1;
    }
    let needs: Vec<crate::privilege::Need> = tables
        .iter()
        .map(|t| crate::privilege::Need {
            relation: t.id,
            privileges: crate::storage::catalog::acl::TRUNCATE,
            ..Default::default()
        })
        .collect();
    crate::privilege::check(&catalog, &crate::privilege::current(&catalog), &needs)?;
    for def in &tables {
        crate::executor::deferred::refuse_if_pending(def, "TRUNCATE")?;
    }
    for def in &tables {
        ddl.txn.truncate(def.id)?;
        let truncated = crate::system::table_stats::Delta {
            truncated: true,
            ..Default::default()
        };
        crate::system::table_stats::note(def.id, truncated);
    }
    if matches!(t.identity, Some(ast::TruncateIdentityOption::Restart)) {
        let services = crate::env::catalog()?.services.clone();
        for s in &catalog.sequences {
            if s.owned_by
                .is_some_and(|o| tables.iter().any(|t| t.id == o.table))
            {
                services.setval(s, s.start, false)?;
            }
        }
    }
    Ok(StatementResult::command("TRUNCATE TABLE"))
}

/// COMMENT ON TABLE / VIEW / MATERIALIZED VIEW / COLUMN / INDEX / SEQUENCE / SCHEMA ... IS
/// 'text' | NULL (an empty string removes it too).
pub fn comment(
    ddl: &mut Ddl,
    kind: &ast::CommentObject,
    name: &ast::ObjectName,
    text: Option<&str>,
    _if_exists: bool,
) -> Result<StatementResult> {
    let text = text.filter(|t| !t.is_empty()).map(str::to_string);
    let catalog = ddl.catalog()?;
    use ast::CommentObject as K;
    match kind {
        K::Schema => {
            let n = split_name(name)?.1;
            let mut s = catalog
                .schemas
                .iter()
                .find(|s| s.name == n)
                .cloned()
                .ok_or_else(|| crate::storage::catalog::undefined_schema(&n))?;
            s.comment = text;
            ddl.txn.alter_schema(s)?;
        }
        K::Column => {
            let parts = &name.0;
            if parts.len() < 2 {
                return Err(Error::SyntaxError("column name must be qualified".into()));
            }
            let rel = ast::ObjectName(parts[..parts.len() - 1].to_vec());
            let col =
                crate::binder::object_name(&ast::ObjectName(parts[parts.len() - 1..].to_vec()))?;
            let (schema, rname) = split_name(&rel)?;
            match catalog.resolve(schema.as_deref(), &rname, &ddl.search_path)? {
                Some(Relation::Table(t)) => {
                    let mut t = t.clone();
                    let c = t.column_index(&col).ok_or_else(|| {
                        Error::UndefinedColumn(format!("{col}\" of relation \"{}", t.name))
                    })?;
                    t.columns[c].comment = text;
                    ddl.txn.alter_table(t)?;
                }
                Some(Relation::View(v)) => {
                    let mut v = v.clone();
                    let c = v
                        .columns
                        .iter_mut()
                        .find(|c| c.name == col)
                        .ok_or_else(|| {
                            Error::UndefinedColumn(format!("{col}\" of relation \"{rname}"))
                        })?;
                    c.comment = text;
                    ddl.txn.put_view(v)?;
                }
                Some(_) => {
                    return Err(Error::WrongObjectType(format!(
                        "\"{rname}\" is not a table"
                    )));
                }
                None => return Err(Error::UndefinedTable(rname)),
            }
        }
        K::Table | K::View | K::MaterializedView | K::Index | K::Sequence => {
            let (schema, rname) = split_name(name)?;
            let found = catalog.resolve(schema.as_deref(), &rname, &ddl.search_path)?;
            let want = match kind {
                K::Table => 'r',
                K::View => 'v',
                K::MaterializedView => 'm',
                K::Index => 'i',
                _ => 'S',
            };
            let Some(rel) = found else {
                return Err(Error::UndefinedTable(rname));
            };
            if rel.relkind() != want {
                return Err(Error::WrongObjectType(format!(
                    "\"{rname}\" is not a {}",
                    match want {
                        'r' => "table",
                        'v' => "view",
                        'm' => "materialized view",
                        'i' => "index",
                        _ => "sequence",
                    }
                )));
            }
            match rel {
                Relation::Table(t) => {
                    let mut t = t.clone();
                    t.comment = text;
                    ddl.txn.alter_table(t)?;
                }
                Relation::View(v) => {
                    let mut v = v.clone();
                    v.comment = text;
                    ddl.txn.put_view(v)?;
                }
                Relation::Sequence(s) => {
                    let mut s = s.clone();
                    s.comment = text;
                    ddl.txn.alter_sequence(s)?;
                }
                Relation::Index { table, index } => {
                    let mut t = table.clone();
                    match index {
                        IndexRef::Primary => t.pk_comment = text,
                        IndexRef::Secondary(i) => {
                            if let Some(x) = t.indexes.iter_mut().find(|x| x.oid == i.oid) {
                                x.comment = text;
                            }
                        }
                    }
                    ddl.txn.alter_table(t)?;
                }
            }
        }
        K::Type | K::Domain => {
            let Some(t) = super::types::find(&catalog, &ddl.search_path, name)? else {
                let n = split_name(name)?.1;
                return Err(Error::UndefinedObject(format!(
                    "type \"{n}\" does not exist"
                )));
            };
            let mut t = t.clone();
            if matches!(kind, K::Domain) && !matches!(t.body, crate::storage::TypeBody::Domain(_)) {
                return Err(Error::WrongObjectType(format!(
                    "\"{}\" is not a domain",
                    t.name
                )));
            }
            t.comment = text;
            ddl.txn.put_type(t)?;
        }
        other => {
            return Err(Error::unsupported(format!(
                "COMMENT ON {other} is not supported"
            )));
        }
    }
    Ok(StatementResult::command("COMMENT"))
}

/// Rows ANALYZE reads per table, at most (PostgreSQL samples 300 × statistics target).
const SAMPLE_ROWS: usize = 30_000;

/// ANALYZE's statistics of `table`: its row count, and per column the NULL fraction and
/// the number of distinct values, estimated from a sample of [`SAMPLE_ROWS`] rows with
/// PostgreSQL's estimator (Haas and Stokes' Duj1) when the table is larger.
pub fn analyze_table(ddl: &mut Ddl, table: &TableDef) -> Result<TableStats> {
    let mut reservoir = Reservoir::new(SAMPLE_ROWS);
    ddl.txn.sample(table.id, &mut reservoir)?;
    let rows = reservoir.seen();
    let sample = reservoir.rows();
    let n = sample.len() as f64;
    let total = rows as f64;
    let mut distinct = Vec::new();
    let mut null_frac = Vec::new();
    for c in 0..table.columns.len() {
        let mut counts: HashMap<String, u64> = HashMap::new();
        let mut nulls = 0u64;
        for row in sample {
            match &row[c] {
                Value::Null => nulls += 1,
                v => *counts.entry(format!("{v:?}")).or_default() += 1,
            }
        }
        let d = counts.len() as f64;
        let nonnull = n - nulls as f64;
        let f1 = counts.values().filter(|&&k| k == 1).count() as f64;
        let estimate = if rows as usize <= SAMPLE_ROWS || nonnull == 0.0 {
            d
        } else if f1 == nonnull {
            // Every sampled value unique: assume the column is unique.
            total * (nonnull / n)
        } else {
            let big_n = total * (nonnull / n);
            (nonnull * d / (nonnull - f1 + f1 * nonnull / big_n)).clamp(d, big_n)
        };
        distinct.push(estimate.round());
        null_frac.push(if n == 0.0 { 0.0 } else { nulls as f64 / n });
    }
    Ok(TableStats {
        rows,
        distinct,
        null_frac,
    })
}

/// VACUUM [ANALYZE] / ANALYZE: VACUUM has nothing to do (pruning happens as rows are
/// written); ANALYZE records [`analyze_table`]'s statistics.
pub fn maintenance(ddl: &mut Ddl, m: &Maintenance) -> Result<StatementResult> {
    let catalog = ddl.catalog()?;
    let tables: Vec<TableDef> = if m.tables.is_empty() {
        catalog.tables.clone()
    } else {
        m.tables
            .iter()
            .map(|n| ddl.table(n))
            .collect::<Result<_>>()?
    };
    let activity = crate::env::catalog()
        .ok()
        .and_then(|c| c.services.table_activity());
    let now = crate::env::current().statement_start;
    if m.analyze {
        for t in &tables {
            let stats = analyze_table(ddl, t)?;
            if let Some(a) = &activity {
                a.analyzed(t.id, stats.rows, now);
            }
            ddl.txn.set_stats(t.id, stats)?;
        }
    }
    if m.vacuum
        && let Some(a) = &activity
    {
        for t in &tables {
            a.vacuumed(t.id, now);
        }
    }
    Ok(StatementResult::command(if m.vacuum {
        "VACUUM"
    } else {
        "ANALYZE"
    }))
}

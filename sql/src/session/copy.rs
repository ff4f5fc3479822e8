//! COPY in the session: `COPY t [(cols)] FROM STDIN` takes its rows over several calls
//! (the front end passes each CopyData chunk to [`Session::copy_data`], then
//! [`Session::copy_done`] or [`Session::copy_fail`]); `COPY t | (query) TO STDOUT` answers
//! at once with the encoded lines.
//!
//! A COPY FROM is one statement: it runs in the open transaction block (or in a transaction
//! of its own outside one) between `begin_statement` and `end_statement`, so a bad row, a
//! constraint violation or a CopyFail discards every row it inserted and nothing of it is
//! left behind (in a block, the block fails, as in PostgreSQL). Rows are parsed with each
//! column's input function and inserted as they arrive, with the table's constraints
//! (CHECK, foreign keys) checked and its INSERT triggers fired as INSERT does (BEFORE
//! STATEMENT with the first chunk, BEFORE / AFTER ROW per row, the queued AFTER ROW and
//! AFTER STATEMENT ones at CopyDone): the session holds no more than one
//! chunk's rows, the engine's write set holds the rest until commit. Each chunk runs in the
//! COPY statement's environment (its catalog, for defaults such as a serial's `nextval`).

use std::sync::Arc;

use crate::binder::Binder;
use crate::copy::{CopyStatement, Decoder, Format, Header, RawRow, Source, encode_row};
use crate::env::{self, Env};
use crate::executor::constraints::Constraints;
use crate::executor::triggers::{Event, Triggers};
use crate::executor::{Context, check_not_null};
use crate::expr::Expr;
use crate::parse::Statement;
use crate::result::StatementResult;
use crate::storage::catalog::Relation;
use crate::storage::serializable::Tracked;
use crate::storage::{Catalog, OnConflict, Storage, TableDef, Txn};
use crate::types::Value;
use crate::types::cast::parse_text;
use crate::types::oid::ObjectLookup;
use crate::{Error, Result};

use super::{Block, Session, begin_txn};

/// What COPY the session is in.
pub(super) enum CopyState<T> {
    None,
    /// COPY FROM STDIN, waiting for data.
    In(Box<CopyIn<T>>),
    /// COPY TO STDOUT just produced its result (format, column count): the front end
    /// sends it as CopyData.
    Out(Format, usize),
}

/// A running COPY FROM.
pub(super) struct CopyIn<T> {
    /// The transaction of a COPY run outside a block (else the block's).
    own_txn: Option<T>,
    decoder: Decoder,
    table: TableDef,
    /// Column positions of the input fields, in input order.
    targets: Vec<usize>,
    /// Other columns and their DEFAULT expressions.
    defaults: Vec<(usize, Expr)>,
    /// Generated columns and their expressions over the row, computed last.
    generated: Vec<(usize, Expr)>,
    /// Per input field: FORCE_NOT_NULL, FORCE_NULL.
    force_not_null: Vec<bool>,
    force_null: Vec<bool>,
    null: String,
    constraints: Constraints,
    /// Rows of a partitioned table go to their partitions.
    routing: crate::executor::partition_route::Routing,
    /// The table's INSERT triggers, fired per row as INSERT fires them.
    triggers: Triggers,
    /// The COPY statement's environment, installed while each chunk is inserted.
    env: Arc<Env>,
    rows: u64,
}

/// The format and column count of a COPY FROM waiting for data (CopyInResponse).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CopyInInfo {
    pub format: Format,
    pub columns: usize,
}

/// The table a COPY names (`[schema.]name`, unqualified names along the search path).
fn copy_table(
    catalog: &Catalog,
    parts: &[String],
    path: &[crate::storage::Oid],
) -> Result<TableDef> {
    let (schema, name) = match parts {
        [n] => (None, n),
        [s, n] => (Some(s.as_str()), n),
        _ => {
            return Err(Error::unsupported(
                "cross-database references are not implemented",
            ));
        }
    };
    match catalog.resolve(schema, name, path)? {
        Some(Relation::Table(t)) => Ok(t.clone()),
        Some(r) => Err(Error::WrongObjectType(format!(
            "cannot copy to {} \"{name}\"",
            r.kind_name()
        ))),
        None => Err(Error::UndefinedTable(name.clone())),
    }
}

fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

impl<T: Txn> CopyIn<T> {
    /// Parses and inserts `rows` through `txn`.
    fn insert(&mut self, txn: &mut T, rows: Vec<RawRow>) -> Result<()> {
        let mut ctx = Context::new(txn, &[]);
        let triggers = !self.triggers.is_empty();
        if triggers {
            self.triggers.start(&mut ctx)?;
        }
        for raw in rows {
            crate::interrupt::check()?;
            let binary = self.decoder.options().format == Format::Binary;
            let line_context = || {
                if binary {
                    // PostgreSQL shows no line text for binary data.
                    return format!("COPY {}, line {}", self.table.name, raw.line);
                }
                format!(
                    "COPY {}, line {}: \"{}\"",
                    self.table.name, raw.line, raw.text
                )
            };
            if raw.fields.len() < self.targets.len() {
                let missing = &self.table.columns[self.targets[raw.fields.len()]].name;
                return Err(Error::BadCopyFileFormat(format!(
                    "missing data for column \"{missing}\""
                ))
                .with_context(line_context()));
            }
            if raw.fields.len() > self.targets.len() {
                return Err(Error::BadCopyFileFormat(
                    "extra data after last expected column".into(),
                )
                .with_context(line_context()));
            }
            let mut row = vec![Value::Null; self.table.columns.len()];
            for (i, (field, &col)) in raw.fields.iter().zip(&self.targets).enumerate() {
                if let Some(bytes) = &field.binary {
                    let column = &self.table.columns[col];
                    row[col] =
                        crate::types::binary::recv(bytes, column.data_type).map_err(|e| {
                            e.with_context(format!(
                                "COPY {}, line {}, column {}",
                                self.table.name, raw.line, column.name
                            ))
                        })?;
                    continue;
                }
                let text = match &field.value {
                    None if self.force_not_null[i] => Some(self.null.as_str()),
                    Some(v) if self.force_null[i] && field.quoted && *v == self.null => None,
                    v => v.as_deref(),
                };
                let Some(text) = text else { continue };
                let column = &self.table.columns[col];
                row[col] = parse_text(column.data_type, text).map_err(|e| {
                    e.with_context(format!(
                        "COPY {}, line {}, column {}: \"{text}\"",
                        self.table.name, raw.line, column.name
                    ))
                })?;
            }
            for (col, e) in &self.defaults {
                row[*col] = e.eval(&[], &crate::expr::Params(&[]))?;
            }
            for (col, e) in &self.generated {
                row[*col] = e.eval(&row, &crate::expr::Params(&[]))?;
            }
            let context = || format!("COPY {}, line {}", self.table.name, raw.line);
            if triggers {
                match self
                    .triggers
                    .before_row(&mut ctx, Event::Insert, None, row)
                    .map_err(|e| e.with_context(context()))?
                {
                    Some(r) => row = r,
                    None => continue,
                }
            }
            check_not_null(&ctx, &self.table, &row).map_err(|e| e.with_context(line_context()))?;
            let routed = self
                .routing
                .target(&ctx, &self.table, &row)
                .map_err(|e| e.with_context(context()))?;
            let (table_id, constraints) = match &routed {
                Some(t) => (t.id, self.routing.constraints(t)),
                None => (self.table.id, &mut self.constraints),
            };
            constraints
                .before_insert(&mut ctx, &row)
                .map_err(|e| e.with_context(context()))?;
            if !triggers && !constraints.checks_after_insert(&mut ctx)? {
                // No foreign key to check after the insert: the row itself goes in.
                ctx.txn_mut()?
                    .insert(table_id, row, &OnConflict::Error)
                    .map_err(|e| e.with_context(context()))?;
                self.rows += 1;
                continue;
            }
            ctx.txn_mut()?
                .insert(table_id, row.clone(), &OnConflict::Error)
                .map_err(|e| e.with_context(context()))?;
            constraints
                .after_insert(&mut ctx, &row)
                .map_err(|e| e.with_context(context()))?;
            if triggers {
                self.triggers.after_row(Event::Insert, None, Some(row));
            }
            self.rows += 1;
        }
        Ok(())
    }

    /// The end of the data: the queued AFTER ROW triggers and the AFTER STATEMENT ones.
    fn finish(&mut self, txn: &mut T) -> Result<()> {
        if self.triggers.is_empty() {
            return Ok(());
        }
        let mut ctx = Context::new(txn, &[]);
        self.triggers.finish(&mut ctx)
    }
}

impl<S: Storage> Session<S> {
    /// Runs a COPY statement: TO STDOUT answers now; FROM STDIN starts waiting for data
    /// (see [`Session::copy_in_pending`]) and answers at [`Session::copy_done`].
    pub(super) fn run_copy(&mut self, c: &CopyStatement) -> Result<StatementResult> {
        if let Block::Failed { .. } = self.block {
            return Err(Error::InFailedTransaction);
        }
        let r = if c.from && self.transaction_read_only() {
            Err(super::read_only::refusal("COPY FROM"))
        } else if c.from {
            self.copy_in_begin(c)
        } else {
            self.copy_out(c)
        };
        if r.is_err() {
            self.fail_block();
        }
        r
    }

    /// The COPY FROM waiting for data, if any: the front end answers CopyInResponse and
    /// feeds the session the client's CopyData.
    pub fn copy_in_pending(&self) -> bool {
        matches!(self.copy, CopyState::In(_))
    }

    /// The format and width of the COPY FROM waiting for data.
    pub fn copy_in_info(&self) -> Option<CopyInInfo> {
        match &self.copy {
            CopyState::In(c) => Some(CopyInInfo {
                format: c.decoder.options().format,
                columns: c.targets.len(),
            }),
            _ => None,
        }
    }

    /// After a statement: whether its result is a COPY TO STDOUT (its rows are the encoded
    /// lines, one text value each; in BINARY format the tuples, one bytea each), in which
    /// format and with how many columns. Clears the mark.
    pub fn take_copy_out(&mut self) -> Option<(Format, usize)> {
        match std::mem::replace(&mut self.copy, CopyState::None) {
            CopyState::Out(f, n) => Some((f, n)),
            other => {
                self.copy = other;
                None
            }
        }
    }

    /// The transaction a COPY FROM runs in: `own` (started here outside a block) or the
    /// block's.
    fn copy_txn<'a>(
        &'a mut self,
        own: &'a mut Option<Tracked<S::Txn>>,
    ) -> Result<&'a mut Tracked<S::Txn>> {
        if own.is_none() && matches!(self.block, Block::Idle) {
            *own = Some(begin_txn(&self.storage, self.default_isolation()?)?);
        }
        match (own, &mut self.block) {
            (Some(t), _) => Ok(t),
            (None, Block::Open { txn, isolation, .. }) => {
                if txn.is_none() {
                    *txn = Some(begin_txn(&self.storage, *isolation)?);
                }
                Ok(txn.as_mut().expect("started above"))
            }
            _ => Err(Error::InFailedTransaction),
        }
    }

    fn copy_in_begin(&mut self, c: &CopyStatement) -> Result<StatementResult> {
        let Source::Table { name, columns } = &c.source else {
            return Err(Error::Internal("COPY (query) FROM".into()));
        };
        let mut own_txn = None;
        let catalog = {
            let txn = self.copy_txn(&mut own_txn)?;
            txn.begin_statement()?;
            txn.catalog()
        };
        let prepared = catalog.and_then(|catalog| {
            let cenv = self.catalog_env(catalog.clone());
            let lookup: Arc<dyn ObjectLookup> = cenv.clone();
            let path = cenv.search_path.clone();
            let env = Arc::new(Env {
                lookup: Some(lookup),
                catalog: Some(cenv),
                ..(*env::current()).clone()
            });
            let _env = env::install(env.clone());
            let table = copy_table(&catalog, name, &path)?;
            let mut targets = Vec::new();
            for col in columns {
                let i = table.column_index(col).ok_or_else(|| {
                    Error::UndefinedColumn(format!("{col}\" of relation \"{}", table.name))
                })?;
                if table.columns[i].generated {
                    return Err(Error::InvalidColumnReferenceDetail {
                        message: format!("column \"{col}\" is a generated column"),
                        detail: "Generated columns cannot be used in COPY.".into(),
                    });
                }
                if targets.contains(&i) {
                    return Err(Error::DuplicateColumn(col.clone()));
                }
                targets.push(i);
            }
            if targets.is_empty() {
                targets = (0..table.columns.len())
                    .filter(|&i| !table.columns[i].generated)
                    .collect();
            }
            // INSERT on the table, or on each column copied into.
            crate::privilege::check(
                &catalog,
                &crate::privilege::current(&catalog),
                &[crate::privilege::Need {
                    relation: table.id,
                    privileges: crate::storage::catalog::acl::INSERT,
                    inserted: targets.clone(),
                    ..Default::default()
                }],
            )?;
            let mut binder = Binder::new(catalog, Vec::new()).with_search_path(path);
            let mut defaults = Vec::new();
            for i in (0..table.columns.len()).filter(|i| !targets.contains(i)) {
                defaults.push((i, binder.default_expr(&table, i)?));
            }
            let generated = binder.generated_columns(&table)?;
            let flags = |names: &[String], option: &str| -> Result<Vec<bool>> {
                for n in names {
                    if !targets.iter().any(|&t| table.columns[t].name == *n) {
                        return Err(Error::InvalidColumnReference(format!(
                            "{option} column \"{n}\" not referenced by COPY"
                        )));
                    }
                }
                Ok(targets
                    .iter()
                    .map(|&t| names.contains(&table.columns[t].name))
                    .collect())
            };
            let force_not_null = flags(&c.options.force_not_null, "FORCE_NOT_NULL")?;
            let force_null = flags(&c.options.force_null, "FORCE_NULL")?;
            let decoder = Decoder::new(c.options.clone(), &table.name, targets.len())?;
            Ok(CopyIn {
                own_txn: None,
                decoder,
                constraints: Constraints::new(&table),
                routing: crate::executor::partition_route::Routing::new(&table),
                triggers: Triggers::new(&table, &[Event::Insert], &[]),
                table,
                targets,
                defaults,
                generated,
                force_not_null,
                force_null,
                null: c.options.null().to_string(),
                env,
                rows: 0,
            })
        });
        match prepared {
            Ok(mut state) => {
                state.own_txn = own_txn;
                self.copy = CopyState::In(Box::new(state));
                Ok(StatementResult::command("COPY 0"))
            }
            Err(e) => {
                match own_txn {
                    Some(mut t) => {
                        t.end_statement(false);
                        t.rollback();
                    }
                    None => {
                        if let Block::Open { txn: Some(t), .. } = &mut self.block {
                            t.end_statement(false);
                        }
                    }
                }
                Err(e)
            }
        }
    }

    /// Runs `f` on the running COPY FROM and its transaction; on error the COPY is
    /// abandoned (see [`Session::copy_abort`]).
    fn with_copy_in<R>(
        &mut self,
        f: impl FnOnce(&mut CopyIn<Tracked<S::Txn>>, &mut Tracked<S::Txn>) -> Result<R>,
    ) -> Result<R> {
        let CopyState::In(state) = &mut self.copy else {
            return Err(Error::Internal("no COPY FROM STDIN is running".into()));
        };
        let _env = env::install(state.env.clone());
        let mut own = state.own_txn.take();
        let r = match (&mut own, &mut self.block) {
            (Some(t), _) => f(state, t),
            (None, Block::Open { txn: Some(t), .. }) => f(state, t),
            _ => Err(Error::Internal("COPY without a transaction".into())),
        };
        state.own_txn = own;
        if r.is_err() {
            self.copy_abort();
        }
        r
    }

    /// A chunk of COPY FROM data (one CopyData message).
    pub fn copy_data(&mut self, data: &[u8]) -> Result<()> {
        self.with_copy_in(|state, txn| {
            let rows = state.decoder.feed(data)?;
            state.insert(txn, rows)
        })
    }

    /// The end of COPY FROM data (CopyDone): the COPY's result, `COPY n`.
    pub fn copy_done(&mut self) -> Result<StatementResult> {
        self.with_copy_in(|state, txn| {
            let rows = state.decoder.finish()?;
            state.insert(txn, rows)?;
            state.finish(txn)
        })?;
        let CopyState::In(state) = std::mem::replace(&mut self.copy, CopyState::None) else {
            return Err(Error::Internal("no COPY FROM STDIN is running".into()));
        };
        let tag = format!("COPY {}", state.rows);
        let d = crate::system::table_stats::Delta {
            ins: state.rows,
            ..Default::default()
        };
        self.table_counts
            .statement_done(crate::system::table_stats::StatementTotals {
                tables: std::collections::BTreeMap::from([(state.table.id, d)]),
                indexes: Default::default(),
            });
        let _env = env::install(state.env.clone());
        let committed = match state.own_txn {
            Some(mut t) => {
                t.end_statement(true);
                let r = match self.check_deferred_in(&mut t) {
                    Ok(()) => t.commit(),
                    Err(e) => {
                        t.rollback();
                        Err(e)
                    }
                };
                self.table_counts.ended(r.is_ok());
                r
            }
            None => {
                if let Block::Open { txn: Some(t), .. } = &mut self.block {
                    t.end_statement(true);
                }
                Ok(())
            }
        };
        let mut out = vec![committed.map(|()| StatementResult::command(tag))];
        self.end_implicit(&mut out);
        out.pop()
            .unwrap_or_else(|| Err(Error::Internal("COPY lost its result".into())))
    }

    /// The client abandoned the COPY FROM (CopyFail): 57014, nothing of it is kept.
    pub fn copy_fail(&mut self, message: &str) -> Error {
        self.copy_abort();
        Error::QueryCanceledWith(format!("COPY from stdin failed: {message}"))
    }

    /// Abandons the running COPY FROM: its rows are discarded (statement-level rollback);
    /// in a block the block fails, and an implicit block ends.
    fn copy_abort(&mut self) {
        if let CopyState::In(state) = std::mem::replace(&mut self.copy, CopyState::None) {
            match state.own_txn {
                Some(mut t) => {
                    t.end_statement(false);
                    t.rollback();
                    self.info.deferred.clear();
                }
                None => {
                    if let Block::Open { txn: Some(t), .. } = &mut self.block {
                        t.end_statement(false);
                    }
                    self.fail_block();
                }
            }
        }
        let mut out = Vec::new();
        self.end_implicit(&mut out);
    }

    /// COPY TO STDOUT: runs the query (or reads the table) and encodes every row.
    /// The select list of `COPY table TO` without a column list: the columns that are not
    /// generated, as PostgreSQL copies them (`*` when there are none to leave out).
    fn copied_columns(&mut self, table: &str) -> Result<String> {
        let sql = format!(
            "SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) \
             FILTER (WHERE attgenerated = ''), \
             bool_or(attgenerated <> '') FROM pg_catalog.pg_attribute \
             WHERE attrelid = '{}'::regclass AND attnum > 0",
            table.replace('\'', "''")
        );
        let mut statements = crate::parse::parse(&sql)?;
        let Some(stmt) = statements.pop() else {
            return Ok("*".into());
        };
        let r = self.run_dml_or_ddl(&stmt, &[], &[])?;
        Ok(match r.rows.first().map(|r| r.as_slice()) {
            Some([Value::Text(list), Value::Bool(true)]) => list.clone(),
            _ => "*".into(),
        })
    }

    fn copy_out(&mut self, c: &CopyStatement) -> Result<StatementResult> {
        let text = match &c.source {
            Source::Table { name, columns } => {
                let table = name.iter().map(|n| quoted(n)).collect::<Vec<_>>().join(".");
                let cols = if columns.is_empty() {
                    self.copied_columns(&table)?
                } else {
                    columns
                        .iter()
                        .map(|c| quoted(c))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                format!("SELECT {cols} FROM {table}")
            }
            Source::Query(q) => q.clone(),
        };
        let mut statements = crate::parse::parse(&text)?;
        let stmt = match (statements.pop(), statements.is_empty()) {
            (Some(s @ Statement::Sql(sqlparser::ast::Statement::Query(_))), true) => s,
            _ => {
                return Err(Error::unsupported(
                    "COPY (query) TO supports a single SELECT or VALUES query",
                ));
            }
        };
        let result = self.run_dml_or_ddl(&stmt, &[], &[])?;
        let columns = result.columns.unwrap_or_default();
        if c.options.format == Format::Binary {
            return Ok(self.copy_out_binary(result.rows, &columns));
        }
        let force: Vec<bool> = match &c.options.force_quote {
            None => vec![false; columns.len()],
            Some(None) => vec![true; columns.len()],
            Some(Some(names)) => {
                for n in names {
                    if !columns.iter().any(|c| c.name == *n) {
                        return Err(Error::InvalidColumnReference(format!(
                            "FORCE_QUOTE column \"{n}\" not referenced by COPY"
                        )));
                    }
                }
                columns.iter().map(|c| names.contains(&c.name)).collect()
            }
        };
        // One line per row; a header line travels with the first row, so that the number
        // of lines is the number of rows (what CommandComplete reports).
        let mut header = (c.options.header != Header::No).then(|| {
            let names: Vec<Option<String>> = columns.iter().map(|c| Some(c.name.clone())).collect();
            encode_row(&names, &c.options, &[])
        });
        let mut lines = Vec::with_capacity(result.rows.len() + 1);
        let n = result.rows.len();
        for row in result.rows {
            let fields: Vec<Option<String>> = row
                .iter()
                .map(|v| (!v.is_null()).then(|| v.to_string()))
                .collect();
            let mut line = header.take().unwrap_or_default();
            line.push_str(&encode_row(&fields, &c.options, &force));
            lines.push(vec![Value::Text(line)]);
        }
        if let Some(h) = header {
            lines.push(vec![Value::Text(h)]);
        }
        self.copy = CopyState::Out(c.options.format, columns.len());
        Ok(StatementResult {
            tag: format!("COPY {n}"),
            columns: None,
            rows: lines,
            notices: Vec::new(),
        })
    }

    /// COPY TO in BINARY format: one CopyData per tuple (as `Value::Bytea`), the file header
    /// with the first and the trailer with the last.
    fn copy_out_binary(
        &mut self,
        rows: Vec<Vec<Value>>,
        columns: &[crate::binder::OutputColumn],
    ) -> StatementResult {
        use crate::copy::binary;
        let types: Vec<_> = columns.iter().map(|c| c.data_type).collect();
        let n = rows.len();
        let mut header = Some(binary::header());
        let mut chunks = Vec::with_capacity(n + 1);
        for row in rows {
            let mut chunk = header.take().unwrap_or_default();
            binary::encode_tuple(&mut chunk, &row, &types);
            chunks.push(chunk);
        }
        match chunks.last_mut() {
            Some(last) => last.extend_from_slice(&binary::TRAILER),
            None => {
                let mut only = header.take().unwrap_or_default();
                only.extend_from_slice(&binary::TRAILER);
                chunks.push(only);
            }
        }
        self.copy = CopyState::Out(Format::Binary, columns.len());
        StatementResult {
            tag: format!("COPY {n}"),
            columns: None,
            rows: chunks.into_iter().map(|c| vec![Value::Bytea(c)]).collect(),
            notices: Vec::new(),
        }
    }
}

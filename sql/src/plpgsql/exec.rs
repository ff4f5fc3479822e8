//! The interpreter: runs a parsed [`Block`] over the transaction of the statement that
//! called it. Every expression is evaluated and every embedded statement run through the
//! session's statement machinery ([`crate::session::run_nested`]) with the variables it
//! names bound as parameters ([`Scopes::bind_sql`]); each one starts a new statement
//! (`begin_statement`), so it sees the writes of the ones before it, as in PostgreSQL.
//!
//! A block with an EXCEPTION clause marks a savepoint first; an error caught by one of its
//! handlers rolls the block's writes back to it (variables keep their values), and the
//! handler runs with `SQLSTATE` / `SQLERRM` set.
//!
//! This file holds the control flow (blocks, loops, IF / CASE, RETURN, RAISE, GET
//! DIAGNOSTICS); [`sql`] the SQL half: evaluating expressions, running embedded and dynamic
//! statements, storing into variables and INTO targets; [`cursor`] OPEN / FETCH / MOVE /
//! CLOSE and FOR over a cursor.

use super::ast::*;
use super::conditions;
use super::vars::{Place, Rec, Scopes, Slot, Var};
use crate::StatementResult;
use crate::parse::Statement;
use crate::storage::Txn;
use crate::types::{DataType, Value};
use crate::{Error, Result};

pub mod call;
mod cursor;
mod sql;

/// How a statement list ended.
#[derive(Debug, PartialEq)]
pub enum Flow {
    Normal,
    Exit(Option<String>),
    Continue(Option<String>),
    Return,
}

/// What the function returns.
#[derive(Debug, Clone, PartialEq)]
pub enum Returns {
    Value(DataType),
    Void,
    Trigger,
    /// SETOF type (one column), or TABLE (...) / SETOF record.
    Set(Vec<DataType>),
    /// The values of the OUT parameters (one: that value; several: a record of them).
    Out(Vec<DataType>),
}

pub struct Interp<'t> {
    pub txn: &'t mut dyn Txn,
    pub scopes: Scopes,
    pub returns: Returns,
    /// `RETURN expr`'s value (a scalar function) or record (a trigger function).
    pub result: Option<Value>,
    pub result_rec: Option<Option<Rec>>,
    /// Rows of RETURN NEXT / RETURN QUERY.
    pub rows: Vec<Vec<Value>>,
    /// The OUT / INOUT parameters and `RETURNS TABLE` columns (scope 0 variables), in
    /// order: RETURN NEXT without an expression emits their values.
    pub out_vars: Vec<(usize, usize)>,
    /// The result's types come from the call site's column definition list (`SETOF
    /// record`): rows must have exactly those types (42804), as in PostgreSQL.
    pub exact_rows: bool,
    /// `#variable_conflict`.
    pub conflict: super::conflict::Conflict,
    /// Rows the last statement processed (GET DIAGNOSTICS ROW_COUNT).
    row_count: u64,
    /// The errors being handled, innermost last (`RAISE;`, GET STACKED DIAGNOSTICS).
    handling: Vec<Error>,
}

pub fn raised(code: &str, message: impl std::convert::Into<String>) -> Error {
    Error::Raised(Box::new(crate::error::Raised {
        code: conditions::intern(code),
        message: message.into(),
        detail: None,
        hint: None,
    }))
}

impl<'t> Interp<'t> {
    pub fn new(txn: &'t mut dyn Txn, returns: Returns) -> Interp<'t> {
        Interp {
            txn,
            scopes: Scopes::default(),
            returns,
            result: None,
            result_rec: None,
            rows: Vec::new(),
            out_vars: Vec::new(),
            exact_rows: false,
            conflict: Default::default(),
            row_count: 0,
            handling: Vec::new(),
        }
    }

    // ---- running SQL -------------------------------------------------------------------

    fn set_found(&mut self, found: bool) {
        if let Ok(Some(Place::Var(s, v))) = self.scopes.resolve(&["found".to_string()])
            && let Slot::Scalar { value, .. } = &mut self.scopes.var_mut((s, v)).slot
        {
            *value = Value::Bool(found);
        }
    }

    // ---- declarations -------------------------------------------------------------------

    fn declare(&mut self, d: &Decl) -> Result<()> {
        let slot = match &d.data_type {
            // A table's name is its row type: the variable is a row, as with %ROWTYPE.
            DeclType::Named(t) => match crate::types::names::parse(t.trim()) {
                Ok(DataType::Composite(oid)) => {
                    let fields = crate::types::record::fields_of(oid)?.fields;
                    Slot::Record(Some(super::vars::Rec {
                        names: fields.iter().map(|(n, _)| n.clone()).collect(),
                        types: fields.iter().map(|(_, t)| *t).collect(),
                        values: vec![Value::Null; fields.len()],
                        type_oid: oid,
                        null: false,
                    }))
                }
                Ok(ty) => Slot::Scalar {
                    ty,
                    value: Value::Null,
                },
                Err(e) => Slot::Record(Some(super::rowtype(self.txn, t).map_err(|_| e)?)),
            },
            DeclType::Record(None) => Slot::Record(None),
            DeclType::Record(Some(table)) => Slot::Record(Some(super::rowtype(self.txn, table)?)),
            DeclType::TypeOf(of) => {
                let parts: Vec<String> = of.split('.').map(|p| p.trim().to_string()).collect();
                match self.scopes.resolve(&parts)? {
                    Some(p) => {
                        let (_, ty) = self.scopes.read(p)?;
                        Slot::Scalar {
                            ty,
                            value: Value::Null,
                        }
                    }
                    None => Slot::Scalar {
                        ty: super::column_type(self.txn, &parts)?,
                        value: Value::Null,
                    },
                }
            }
            DeclType::Cursor(c) => {
                self.declare_cursor(d, c);
                return Ok(());
            }
            DeclType::Alias(target) => {
                let place = match target.strip_prefix('$') {
                    Some(n) => n
                        .parse::<usize>()
                        .ok()
                        .and_then(|n| n.checked_sub(1))
                        .and_then(|i| self.scopes.params.get(i).copied())
                        .map(|(s, v)| Place::Var(s, v)),
                    None => self.scopes.resolve(std::slice::from_ref(target))?,
                };
                let Some(Place::Var(s, v)) = place else {
                    return Err(Error::SyntaxError(format!(
                        "\"{target}\" is not a known variable"
                    )));
                };
                let mut var = self.scopes.var((s, v)).clone();
                var.name = d.name.clone();
                self.scopes.declare(var);
                return Ok(());
            }
        };
        let is_record = matches!(slot, Slot::Record(_));
        self.scopes.declare(Var {
            name: d.name.clone(),
            slot,
            constant: false,
            not_null: d.not_null,
        });
        let place = self.place_of(&d.name)?;
        if let Some(e) = &d.default {
            let (v, ty) = self.eval(e)?;
            self.store(place, v, ty)?;
        } else if d.not_null && !is_record {
            return Err(Error::NullValueNotAllowed(format!(
                "null value cannot be assigned to variable \"{}\" declared NOT NULL",
                d.name
            )));
        }
        if let Place::Var(s, v) = place {
            self.scopes.var_mut((s, v)).constant = d.constant;
        }
        Ok(())
    }

    // ---- blocks and statements ----------------------------------------------------------

    pub fn block(&mut self, b: &Block) -> Result<Flow> {
        self.scopes.push(b.label.clone());
        let r = self.block_inner(b);
        self.scopes.pop();
        match r? {
            Flow::Exit(Some(l)) if b.label.as_deref() == Some(l.as_str()) => Ok(Flow::Normal),
            f => Ok(f),
        }
    }

    fn block_inner(&mut self, b: &Block) -> Result<Flow> {
        if b.handlers.is_empty() {
            for d in &b.decls {
                self.declare(d)?;
            }
            return self.stmts(&b.body);
        }
        let sp = self.txn.savepoint();
        let cursors = self.cursor_mark();
        let r = call::in_subtransaction(|| {
            for d in &b.decls {
                self.declare(d)?;
            }
            self.stmts(&b.body)
        });
        let err = match r {
            Ok(f) => return Ok(f),
            Err(e) => e,
        };
        let code = err.code();
        let Some(h) = b.handlers.iter().find(|h| {
            h.conditions
                .iter()
                .any(|c| conditions::matches(c.as_deref(), code))
        }) else {
            return Err(err);
        };
        self.txn.rollback_to(sp)?;
        self.cursor_rollback(cursors);
        self.scopes.push(None);
        for (name, v) in [("sqlstate", code.to_string()), ("sqlerrm", err.to_string())] {
            self.scopes.declare(Var {
                name: name.into(),
                slot: Slot::Scalar {
                    ty: DataType::Text,
                    value: Value::Text(v),
                },
                constant: false,
                not_null: false,
            });
        }
        self.handling.push(err);
        let r = self.stmts(&h.body);
        self.handling.pop();
        self.scopes.pop();
        r
    }

    pub fn stmts(&mut self, stmts: &[Stmt]) -> Result<Flow> {
        for s in stmts {
            crate::interrupt::check()?;
            match self.stmt(s)? {
                Flow::Normal => {}
                f => return Ok(f),
            }
        }
        Ok(Flow::Normal)
    }

    /// Runs a loop body once; `Some(flow)` when the loop must end with `flow`.
    fn loop_step(&mut self, label: &Option<String>, body: &[Stmt]) -> Result<Option<Flow>> {
        let mine = |l: &Option<String>| l.is_none() || l == label;
        Ok(match self.stmts(body)? {
            Flow::Normal => None,
            Flow::Exit(l) if mine(&l) => Some(Flow::Normal),
            Flow::Continue(l) if mine(&l) => None,
            f => Some(f),
        })
    }

    fn stmt(&mut self, s: &Stmt) -> Result<Flow> {
        match s {
            Stmt::Block(b) => self.block(b),
            Stmt::Null => Ok(Flow::Normal),
            Stmt::Assign { target, expr } => {
                let place = self.place_of(target)?;
                let (v, ty) = self.eval(expr)?;
                self.store(place, v, ty)?;
                Ok(Flow::Normal)
            }
            Stmt::If { arms, otherwise } => {
                for (cond, body) in arms {
                    if self.eval_bool(cond)? {
                        return self.stmts(body);
                    }
                }
                self.stmts(otherwise)
            }
            Stmt::Case {
                subject,
                arms,
                otherwise,
            } => {
                for (when, body) in arms {
                    let hit = match subject {
                        Some(subj) => self.eval_bool(&format!("({subj}) IN ({when})"))?,
                        None => self.eval_bool(when)?,
                    };
                    if hit {
                        return self.stmts(body);
                    }
                }
                match otherwise {
                    Some(body) => self.stmts(body),
                    None => Err(raised("20000", "case not found")),
                }
            }
            Stmt::Loop { label, body } => loop {
                if let Some(f) = self.loop_step(label, body)? {
                    return Ok(f);
                }
            },
            Stmt::While { label, cond, body } => {
                while self.eval_bool(cond)? {
                    if let Some(f) = self.loop_step(label, body)? {
                        return Ok(f);
                    }
                }
                Ok(Flow::Normal)
            }
            Stmt::ForRange {
                label,
                var,
                reverse,
                low,
                high,
                step,
                body,
            } => self.for_range(label, var, *reverse, low, high, step.as_deref(), body),
            Stmt::ForQuery {
                label,
                var,
                query,
                body,
            } => {
                self.count_loop_portal();
                let r = self.run_source(query)?;
                let columns = r.columns.unwrap_or_default();
                let names: Vec<String> = columns.iter().map(|c| c.name.clone()).collect();
                let types: Vec<DataType> = columns.iter().map(|c| c.data_type).collect();
                let any = !r.rows.is_empty();
                let mut flow = Flow::Normal;
                for row in r.rows {
                    self.store_row(std::slice::from_ref(var), Some((&names, &types, row)))?;
                    if let Some(f) = self.loop_step(label, body)? {
                        flow = f;
                        break;
                    }
                }
                self.set_found(any);
                Ok(flow)
            }
            Stmt::ForCursor {
                label,
                var,
                cursor,
                args,
                body,
            } => self.for_cursor(label, var, cursor, args, body),
            Stmt::Open { cursor, source } => self.open(cursor, source),
            Stmt::Fetch {
                cursor,
                direction,
                into,
            } => self.fetch(cursor, direction, into.as_ref()),
            Stmt::Close(cursor) => self.close(cursor),
            Stmt::Foreach {
                label,
                var,
                array,
                body,
            } => {
                let (v, ty) = self.eval(array)?;
                let items = match v {
                    Value::Array(a) => a.items,
                    Value::Null => {
                        return Err(Error::NullValueNotAllowed(
                            "FOREACH expression must not be null".into(),
                        ));
                    }
                    _ => {
                        return Err(Error::DatatypeMismatch(format!(
                            "FOREACH expression must yield an array, not type {}",
                            ty.name()
                        )));
                    }
                };
                let elem = ty.elem().unwrap_or(DataType::Text);
                let place = self.place_of(var)?;
                for item in items {
                    self.store(place, item, elem)?;
                    if let Some(f) = self.loop_step(label, body)? {
                        return Ok(f);
                    }
                }
                Ok(Flow::Normal)
            }
            Stmt::Exit {
                is_continue,
                label,
                cond,
            } => {
                if let Some(c) = cond
                    && !self.eval_bool(c)?
                {
                    return Ok(Flow::Normal);
                }
                Ok(if *is_continue {
                    Flow::Continue(label.clone())
                } else {
                    Flow::Exit(label.clone())
                })
            }
            Stmt::Return(e) => self.ret(e.as_deref()),
            Stmt::ReturnNext(e) => {
                let Returns::Set(types) = &self.returns else {
                    return Err(raised(
                        "42804",
                        "cannot use RETURN NEXT in a non-SETOF function",
                    ));
                };
                let types = types.clone();
                let row = match e {
                    Some(_) if !self.out_vars.is_empty() => {
                        return Err(raised(
                            "42804",
                            "RETURN NEXT cannot have a parameter in function with OUT parameters",
                        ));
                    }
                    Some(e) => self.row_of(e, &types)?,
                    None if self.out_vars.is_empty() => {
                        return Err(Error::SyntaxError(
                            "RETURN NEXT must have a parameter".into(),
                        ));
                    }
                    None => self.out_values()?,
                };
                self.rows.push(row);
                Ok(Flow::Normal)
            }
            Stmt::ReturnQuery(q) => {
                let Returns::Set(types) = &self.returns else {
                    return Err(raised(
                        "42804",
                        "cannot use RETURN QUERY in a non-SETOF function",
                    ));
                };
                let types = types.clone();
                let r = self.run_source(q)?;
                let cols = r.columns.unwrap_or_default();
                if self.exact_rows {
                    let got: Vec<DataType> = cols.iter().map(|c| c.data_type).collect();
                    check_row_type(
                        &got,
                        &types,
                        "structure of query does not match function result type",
                    )?;
                }
                if cols.len() != types.len() {
                    return Err(Error::DatatypeMismatch(
                        "structure of query does not match function result type".into(),
                    ));
                }
                self.row_count = r.rows.len() as u64;
                self.set_found(!r.rows.is_empty());
                for row in r.rows {
                    let mut out = Vec::with_capacity(row.len());
                    for (k, v) in row.into_iter().enumerate() {
                        out.push(cast(v, cols[k].data_type, types[k])?);
                    }
                    self.rows.push(out);
                }
                Ok(Flow::Normal)
            }
            Stmt::Perform(q) => {
                let text = q.trim();
                let sql = if text.len() >= 6 && text[..6].eq_ignore_ascii_case("select") {
                    text.to_string()
                } else {
                    format!("SELECT {text}")
                };
                let r = self.run_sql(&sql, None)?;
                self.row_count = r.rows.len() as u64;
                self.set_found(!r.rows.is_empty());
                Ok(Flow::Normal)
            }
            Stmt::Sql { text, into } => {
                if into.is_none()
                    && let Some(flow) = self.procedure_statement(text)?
                {
                    return Ok(flow);
                }
                let r = self.run_sql(text, None)?;
                self.after_sql(r, into.as_ref(), text)
            }
            Stmt::Execute { expr, into, using } => {
                let sql = self.dynamic_text(expr)?;
                let using = self.eval_list(using)?;
                let r = self.run_sql(&sql, Some(&using))?;
                self.after_sql(r, into.as_ref(), &sql)
            }
            Stmt::Raise {
                level,
                condition,
                format,
                args,
                options,
            } => super::raise::raise(
                self,
                *level,
                condition.as_deref(),
                format.as_deref(),
                args,
                options,
            ),
            Stmt::ReRaise => match self.handling.last() {
                Some(e) => Err(e.clone()),
                None => Err(raised(
                    "0Z002",
                    "RAISE without parameters cannot be used outside an exception handler",
                )),
            },
            Stmt::GetDiagnostics { stacked, items } => {
                for (target, item) in items {
                    let (v, ty) = self.diagnostic(*stacked, item)?;
                    let place = self.place_of(target)?;
                    self.store(place, v, ty)?;
                }
                Ok(Flow::Normal)
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn for_range(
        &mut self,
        label: &Option<String>,
        var: &str,
        reverse: bool,
        low: &str,
        high: &str,
        step: Option<&str>,
        body: &[Stmt],
    ) -> Result<Flow> {
        let lo = self.eval_int(low, "lower bound")?;
        let hi = self.eval_int(high, "upper bound")?;
        let by = match step {
            Some(s) => self.eval_int(s, "BY value")?,
            None => 1,
        };
        if by <= 0 {
            return Err(Error::InvalidParameterValue(
                "BY value of FOR loop must be greater than zero".into(),
            ));
        }
        self.scopes.push(None);
        self.scopes.declare(Var {
            name: var.to_string(),
            slot: Slot::Scalar {
                ty: DataType::Int4,
                value: Value::Null,
            },
            constant: false,
            not_null: false,
        });
        let place = self.place_of(var)?;
        let mut i = lo;
        let mut ran = false;
        let mut flow = Flow::Normal;
        let r = (|| {
            while if reverse { i >= hi } else { i <= hi } {
                ran = true;
                self.store(place, Value::Int(i), DataType::Int8)?;
                if let Some(f) = self.loop_step(label, body)? {
                    flow = f;
                    break;
                }
                i = if reverse {
                    match i.checked_sub(by) {
                        Some(n) => n,
                        None => break,
                    }
                } else {
                    match i.checked_add(by) {
                        Some(n) => n,
                        None => break,
                    }
                };
            }
            Ok::<(), Error>(())
        })();
        self.scopes.pop();
        r?;
        self.set_found(ran);
        Ok(flow)
    }

    fn ret(&mut self, e: Option<&str>) -> Result<Flow> {
        match self.returns.clone() {
            Returns::Void => {
                if e.is_some() {
                    return Err(raised(
                        "42804",
                        "RETURN cannot have a parameter in function returning void",
                    ));
                }
            }
            Returns::Out(_) => {
                if e.is_some() {
                    return Err(raised(
                        "42804",
                        "RETURN cannot have a parameter in function with OUT parameters",
                    ));
                }
            }
            Returns::Set(_) => {
                if e.is_some() {
                    return Err(raised(
                        "42804",
                        "RETURN cannot have a parameter in function returning set",
                    ));
                }
            }
            Returns::Trigger => {
                let Some(e) = e else {
                    return Err(raised(
                        "2F005",
                        "control reached end of trigger procedure without RETURN",
                    ));
                };
                let name = e.trim().to_lowercase();
                if name == "null" {
                    self.result_rec = Some(None);
                    return Ok(Flow::Return);
                }
                match self.scopes.resolve(std::slice::from_ref(&name)) {
                    Ok(Some(Place::Var(s, v))) => {
                        if let Slot::Record(r) = &self.scopes.var((s, v)).slot {
                            self.result_rec = Some(r.clone());
                            return Ok(Flow::Return);
                        }
                    }
                    Err(e) => return Err(e),
                    _ => {}
                }
                return Err(Error::unsupported(
                    "a trigger function may return only NULL or a record variable in Strata",
                ));
            }
            Returns::Value(ty) => {
                let v = match e {
                    Some(e) => {
                        let (v, from) = self.eval(e)?;
                        cast(v, from, ty)?
                    }
                    None => {
                        return Err(raised("42804", "missing expression at or near \";\""));
                    }
                };
                self.result = Some(v);
            }
        }
        Ok(Flow::Return)
    }

    /// The current values of the OUT parameters.
    pub fn out_values(&self) -> Result<Vec<Value>> {
        let mut out = Vec::with_capacity(self.out_vars.len());
        for p in &self.out_vars {
            out.push(self.scopes.read(Place::Var(p.0, p.1))?.0);
        }
        Ok(out)
    }

    /// A RETURN NEXT row of `types` from `e` (a scalar, or a record variable).
    fn row_of(&mut self, e: &str, types: &[DataType]) -> Result<Vec<Value>> {
        let name = e.trim().to_lowercase();
        if let Ok(Some(Place::Var(s, v))) = self.scopes.resolve(std::slice::from_ref(&name))
            && let Slot::Record(r) = &self.scopes.var((s, v)).slot
        {
            let r = r.clone().ok_or_else(|| {
                Error::ObjectNotInPrerequisiteState(format!(
                    "record \"{name}\" is not assigned yet"
                ))
            })?;
            if self.exact_rows {
                check_row_type(&r.types, types, "wrong record type supplied in RETURN NEXT")?;
            }
            let mut out = Vec::new();
            for (k, ty) in types.iter().enumerate() {
                let v = r.values.get(k).cloned().unwrap_or(Value::Null);
                out.push(cast(v, r.types.get(k).copied().unwrap_or(*ty), *ty)?);
            }
            return Ok(out);
        }
        let (v, from) = self.eval(e)?;
        if types.len() == 1 {
            return Ok(vec![cast(v, from, types[0])?]);
        }
        // A row value (`RETURN NEXT (i, x)`, a composite) gives the columns.
        match v {
            Value::Record(r) => {
                if r.types.len() != types.len() {
                    check_row_type(&r.types, types, "wrong record type supplied in RETURN NEXT")?;
                }
                let mut out = Vec::with_capacity(types.len());
                for (k, ty) in types.iter().enumerate() {
                    let v = r.values.get(k).cloned().unwrap_or(Value::Null);
                    out.push(cast(v, r.types.get(k).copied().unwrap_or(*ty), *ty)?);
                }
                Ok(out)
            }
            Value::Null => Ok(vec![Value::Null; types.len()]),
            _ => Err(raised("42804", "wrong record type supplied in RETURN NEXT")),
        }
    }

    fn diagnostic(&mut self, stacked: bool, item: &str) -> Result<(Value, DataType)> {
        let text = |s: Option<&str>| (Value::Text(s.unwrap_or("").to_string()), DataType::Text);
        if !stacked {
            return match item {
                "row_count" => Ok((Value::Int(self.row_count as i64), DataType::Int8)),
                _ => Err(Error::unsupported(format!(
                    "GET DIAGNOSTICS {} is not supported",
                    item.to_uppercase()
                ))),
            };
        }
        let Some(e) = self.handling.last() else {
            return Err(raised(
                "0Z002",
                "GET STACKED DIAGNOSTICS cannot be used outside an exception handler",
            ));
        };
        Ok(match item {
            "returned_sqlstate" => text(Some(e.code())),
            "message_text" => text(Some(&e.to_string())),
            "pg_exception_detail" => text(e.detail()),
            "pg_exception_hint" => text(e.hint()),
            "pg_exception_context" => text(e.context()),
            _ => {
                return Err(Error::unsupported(format!(
                    "GET STACKED DIAGNOSTICS {} is not supported",
                    item.to_uppercase()
                )));
            }
        })
    }
}

/// `v` of type `from` as type `to` (PL/pgSQL assigns through casts).
pub fn cast(v: Value, from: DataType, to: DataType) -> Result<Value> {
    if from == to || v.is_null() {
        return Ok(v);
    }
    crate::types::cast::cast(v, from, to, true)
}

/// 42804 `message` unless a row of `got` types is one of `want` types, with PostgreSQL's
/// DETAIL (`build_attrmap_by_position`).
fn check_row_type(got: &[DataType], want: &[DataType], message: &str) -> Result<()> {
    let detail = if got.len() != want.len() {
        format!(
            "Number of returned columns ({}) does not match expected column count ({}).",
            got.len(),
            want.len()
        )
    } else if let Some(i) = got.iter().zip(want).position(|(g, w)| g != w) {
        format!(
            "Returned type {} does not match expected type {} in column {}.",
            got[i].name(),
            want[i].name(),
            i + 1
        )
    } else {
        return Ok(());
    };
    Err(Error::Raised(Box::new(crate::error::Raised {
        code: "42804",
        message: message.into(),
        detail: Some(detail),
        hint: None,
    })))
}

//! [`Context`]: what operators borrow from the session for one call, and the per-statement
//! state shared by a statement's operators and its subqueries.
//!
//! * The transaction is lent mutably to the statement's own plan (DML writes through it) and
//!   shared, read-only, with the plans of its subqueries and CTEs, which only scan — except
//!   a data-modifying CTE, which its `WITH` runs first through the writable transaction
//!   ([`Context::run_modifying_cte`]).
//! * `outer` holds the correlation values of the (sub)query the context runs (read by
//!   [`crate::expr::Expr::OuterRef`]).
//! * [`QueryState`] lives for one statement and is shared by every context derived from its
//!   root: cached subquery results, CTEs and recursive work tables.
//!
//! A CTE is computed lazily and shared: its `WITH` registers an operator tree for it, and
//! readers pull rows through a shared buffer, so every reader sees the same rows, and a
//! `LIMIT` over a reader of an endless `WITH RECURSIVE` stops it (as in PostgreSQL).
//!
//! Subquery results are cached by `(subquery id, correlation values)`: an uncorrelated
//! subquery runs once per statement (PostgreSQL's InitPlan); a correlated one runs once per
//! distinct correlation values when the binder marked it reusable (no volatile functions, no
//! CTE that changes between evaluations). Correlated entries are bounded by
//! [`CACHE_BUDGET`] values; past it, results are recomputed instead of kept.

use super::{Operator, build};
use crate::expr::{EvalEnv, Subquery, SubqueryResult};
use crate::planner::Plan;
use crate::storage::{Row, Txn};
use crate::{Error, Result, Value};
use std::cell::{Cell, Ref, RefCell, RefMut};
use std::collections::BTreeMap;
use std::rc::Rc;

/// How many values of correlated subquery results one statement keeps cached.
pub const CACHE_BUDGET: usize = 1 << 20;

/// The statement's transaction, shared by every context derived from the root one: the
/// root plan writes through it, subquery plans only read, and a PL/pgSQL function called
/// from an expression borrows it mutably for the call (while no operator holds a borrow).
type SharedTxn<'t> = Rc<RefCell<&'t mut dyn Txn>>;

/// A CTE's rows so far within one evaluation of its `WITH`.
struct Cte {
    rows: Vec<Row>,
    /// The operator producing further rows; `None` once exhausted (or while it runs).
    producer: Option<Box<dyn Operator>>,
    /// The correlation values of the query level that defines the CTE.
    outer: Rc<Vec<Value>>,
    done: bool,
}

/// Cached subquery results by `(subquery id, correlation values)`.
type SubqueryCache = BTreeMap<(usize, Vec<Value>), Rc<SubqueryResult>>;

/// Per-statement state shared by every context of the statement. See the module docs.
#[derive(Default)]
pub struct QueryState {
    subqueries: RefCell<SubqueryCache>,
    cached: Cell<usize>,
    ctes: RefCell<BTreeMap<usize, Rc<RefCell<Cte>>>>,
    work_tables: RefCell<BTreeMap<usize, Rc<Vec<Row>>>>,
    /// Bytes each sort / hash / aggregate may hold (`work_mem`); 0 means the default.
    work_mem: Cell<usize>,
}

/// What operators borrow from the session for one call.
pub struct Context<'a, 't> {
    txn: SharedTxn<'t>,
    /// Whether this context's plan may write (the statement's own plan, not a subquery's).
    writable: bool,
    pub params: &'a [Value],
    /// Correlation values of the (sub)query this context runs.
    pub outer: &'a [Value],
    state: Rc<QueryState>,
}

impl<'a, 't> Context<'a, 't> {
    /// The context of a statement's root plan.
    pub fn new(txn: &'t mut dyn Txn, params: &'a [Value]) -> Context<'a, 't> {
        Context {
            txn: Rc::new(RefCell::new(txn)),
            writable: true,
            params,
            outer: &[],
            state: Rc::new(QueryState::default()),
        }
    }

    /// Sets the statement's `work_mem` (see [`super::memory`]).
    pub fn with_work_mem(self, bytes: usize) -> Context<'a, 't> {
        self.state.work_mem.set(bytes);
        self
    }

    /// Bytes each sort / hash / aggregate of the statement may hold.
    pub fn work_mem(&self) -> usize {
        match self.state.work_mem.get() {
            0 => super::memory::DEFAULT_WORK_MEM,
            n => n,
        }
    }

    /// A read-only context for a subplan evaluated with correlation values `outer`.
    pub fn nested<'b>(&'b self, outer: &'b [Value]) -> Context<'b, 't> {
        Context {
            txn: self.txn.clone(),
            writable: false,
            params: self.params,
            outer,
            state: self.state.clone(),
        }
    }

    /// The transaction, for reading.
    pub fn txn(&self) -> Result<Ref<'_, dyn Txn + 't>> {
        let t = self
            .txn
            .try_borrow()
            .map_err(|_| Error::Internal("the transaction is in use by a function".into()))?;
        Ok(Ref::map(t, |t| &**t))
    }

    /// The transaction, for writing; only the statement's own plan may write.
    pub fn txn_mut(&mut self) -> Result<RefMut<'_, dyn Txn + 't>> {
        if !self.writable {
            return Err(Error::Internal("a subquery tried to write".into()));
        }
        self.shared_txn_mut()
    }

    /// The transaction, for writing, from any context of the statement: a function call
    /// (PL/pgSQL) runs its own statements through it.
    pub fn shared_txn_mut(&self) -> Result<RefMut<'_, dyn Txn + 't>> {
        let t = self.txn.try_borrow_mut().map_err(|_| {
            Error::unsupported("a function that runs statements cannot be called here")
        })?;
        Ok(RefMut::map(t, |t| &mut **t))
    }

    /// Runs `plan` to completion in a nested context with correlation values `outer`.
    pub fn run_nested(&self, plan: &Plan, outer: &[Value]) -> Result<Vec<Row>> {
        let mut ctx = self.nested(outer);
        let mut op = build(plan);
        Ok(super::collect(op.as_mut(), &mut ctx)?
            .into_iter()
            .map(|t| t.row)
            .collect())
    }

    /// Registers CTE `id` (not evaluated until first read), replacing an earlier
    /// registration: a correlated subquery re-registers its CTEs at each evaluation.
    pub fn register_cte(&self, id: usize, plan: &Plan) {
        let cte = Cte {
            rows: Vec::new(),
            producer: Some(build(plan)),
            outer: Rc::new(self.outer.to_vec()),
            done: false,
        };
        self.state
            .ctes
            .borrow_mut()
            .insert(id, Rc::new(RefCell::new(cte)));
    }

    /// Runs the data-modifying CTE `id` (`plan` is an INSERT, UPDATE or DELETE) to
    /// completion through this context's transaction — writable in the statement's own
    /// plan, where a `WITH` sits — and keeps its RETURNING rows as the CTE's rows.
    pub fn run_modifying_cte(&mut self, id: usize, plan: &Plan) -> Result<()> {
        let outer = Rc::new(self.outer.to_vec());
        let mut ctx = Context {
            txn: self.txn.clone(),
            writable: self.writable,
            params: self.params,
            outer: self.outer,
            state: self.state.clone(),
        };
        let mut op = build(plan);
        let rows = super::collect(op.as_mut(), &mut ctx)?
            .into_iter()
            .map(|t| t.row)
            .collect();
        let cte = Cte {
            rows,
            producer: None,
            outer,
            done: true,
        };
        self.state
            .ctes
            .borrow_mut()
            .insert(id, Rc::new(RefCell::new(cte)));
        Ok(())
    }

    /// Row `i` of CTE `id`, computing the CTE as far as needed.
    pub fn cte_row(&self, id: usize, i: usize) -> Result<Option<Row>> {
        let cte = self
            .state
            .ctes
            .borrow()
            .get(&id)
            .cloned()
            .ok_or_else(|| Error::Internal(format!("CTE {id} read before its WITH")))?;
        loop {
            let (mut producer, outer) = {
                let mut c = cte.borrow_mut();
                if let Some(row) = c.rows.get(i) {
                    return Ok(Some(row.clone()));
                }
                if c.done {
                    return Ok(None);
                }
                let producer = c.producer.take().ok_or_else(|| {
                    Error::Internal(format!("CTE {id} read while it is being computed"))
                })?;
                (producer, c.outer.clone())
            };
            let next = producer.next(&mut self.nested(&outer));
            let mut c = cte.borrow_mut();
            match next? {
                Some(t) => {
                    c.rows.push(t.row);
                    c.producer = Some(producer);
                }
                None => c.done = true,
            }
        }
    }

    /// Sets the working table of recursive CTE `id` for the next iteration.
    pub fn set_work_table(&self, id: usize, rows: Rc<Vec<Row>>) {
        self.state.work_tables.borrow_mut().insert(id, rows);
    }

    /// The current working table of recursive CTE `id`.
    pub fn work_table(&self, id: usize) -> Result<Rc<Vec<Row>>> {
        self.state
            .work_tables
            .borrow()
            .get(&id)
            .cloned()
            .ok_or_else(|| Error::Internal(format!("work table {id} read outside its CTE")))
    }
}

impl Context<'_, '_> {
    /// PL/pgSQL function `oid`'s definition.
    fn routine(&self, oid: u32) -> Result<crate::storage::FunctionDef> {
        let catalog = self.txn()?.catalog()?;
        catalog
            .functions
            .iter()
            .find(|f| f.oid == oid)
            .cloned()
            .ok_or_else(|| {
                Error::UndefinedFunction(format!("function with OID {oid} does not exist"))
            })
    }

    /// Calls set-returning PL/pgSQL function `oid` with `args`: its rows, each one record
    /// value when `record`.
    pub fn call_routine_set(
        &self,
        oid: u32,
        args: Vec<Value>,
        record: bool,
        columns: Option<&[crate::types::DataType]>,
    ) -> Result<Vec<Vec<Value>>> {
        let def = self.routine(oid)?;
        let rows = {
            let mut txn = self.shared_txn_mut()?;
            crate::plpgsql::call_set(&mut *txn, &def, args, columns)?
        };
        if !record {
            return Ok(rows);
        }
        let (crate::plpgsql::exec::Returns::Set(types) | crate::plpgsql::exec::Returns::Out(types)) =
            crate::plpgsql::returns_of(&def)
        else {
            return Err(Error::Internal("a set function returns a set".into()));
        };
        let types: std::sync::Arc<[crate::types::DataType]> = types.into();
        let type_oid = match def.returns {
            crate::types::DataType::Composite(oid) if def.table_columns.is_empty() => oid,
            _ => 0,
        };
        Ok(rows
            .into_iter()
            .map(|values| {
                vec![Value::Record(Box::new(crate::types::Record {
                    types: types.clone(),
                    values,
                    type_oid,
                }))]
            })
            .collect())
    }
}

impl EvalEnv for Context<'_, '_> {
    fn call_routine(&self, oid: u32, args: Vec<Value>) -> Result<Value> {
        let def = self.routine(oid)?;
        let mut txn = self.shared_txn_mut()?;
        crate::plpgsql::call(&mut *txn, &def, args)
    }

    fn param(&self, i: usize) -> Result<Value> {
        self.params.get(i).cloned().ok_or_else(|| {
            Error::InvalidParameterValue(format!("no value for parameter ${}", i + 1))
        })
    }

    fn outer(&self, i: usize) -> Result<Value> {
        self.outer
            .get(i)
            .cloned()
            .ok_or_else(|| Error::Internal(format!("outer reference {i} out of range")))
    }

    fn subquery(&self, s: &Subquery, args: Vec<Value>) -> Result<Rc<SubqueryResult>> {
        let key = (s.id, args);
        if s.reusable
            && let Some(r) = self.state.subqueries.borrow().get(&key)
        {
            return Ok(r.clone());
        }
        let result = {
            let mut ctx = self.nested(&key.1);
            let mut op: Box<dyn Operator> = build(&s.plan);
            Rc::new(SubqueryResult::build(&s.kind, || {
                Ok(op.next(&mut ctx)?.map(|t| t.row))
            })?)
        };
        if s.reusable {
            let weight = result.weight();
            let used = self.state.cached.get();
            if key.1.is_empty() || used + weight <= CACHE_BUDGET {
                self.state.cached.set(used + weight);
                self.state
                    .subqueries
                    .borrow_mut()
                    .insert(key, result.clone());
            }
        }
        Ok(result)
    }
}

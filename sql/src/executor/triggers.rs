//! The triggers of one INSERT, UPDATE, DELETE or MERGE operator ([`Triggers`]): BEFORE
//! STATEMENT triggers before the first row (for each event the statement can perform),
//! BEFORE ROW triggers per row (a NULL result skips the row, a changed NEW replaces it),
//! AFTER ROW triggers queued in the order the rows were written and run when the
//! statement's rows are done, then AFTER STATEMENT triggers — PostgreSQL's order. Triggers
//! of one timing run in name order; disabled ones not at all. Each runs through the
//! statement's transaction ([`crate::plpgsql::trigger::fire`]).

use super::Context;
use crate::plpgsql::trigger::{Firing, Outcome, fire};
use crate::storage::{Row, TableDef, TriggerDef};
use crate::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    Insert,
    Update,
    Delete,
}

impl Event {
    fn op(self) -> &'static str {
        match self {
            Event::Insert => "INSERT",
            Event::Update => "UPDATE",
            Event::Delete => "DELETE",
        }
    }
}

pub struct Triggers {
    table: TableDef,
    /// The statement's events in BEFORE STATEMENT order; AFTER STATEMENT triggers fire in
    /// the reverse order (INSERT ... ON CONFLICT DO UPDATE: INSERT, UPDATE; MERGE: INSERT,
    /// UPDATE, DELETE — PostgreSQL's `fireBSTriggers` / `fireASTriggers`).
    events: Vec<Event>,
    /// The columns an UPDATE sets (for `UPDATE OF` triggers).
    updated: Vec<usize>,
    /// The enabled triggers on any of the events, by name.
    defs: Vec<TriggerDef>,
    started: bool,
    finished: bool,
    /// AFTER ROW events in the order they happened: (event, OLD, NEW).
    pending: Vec<(Event, Option<Row>, Option<Row>)>,
}

impl Triggers {
    /// The triggers of `table` for a statement with `events`; `updated` are the columns
    /// its UPDATE sets.
    pub fn new(table: &TableDef, events: &[Event], updated: &[usize]) -> Triggers {
        let mut t = Triggers {
            table: table.clone(),
            events: events.to_vec(),
            updated: updated.to_vec(),
            defs: Vec::new(),
            started: false,
            finished: false,
            pending: Vec::new(),
        };
        let mut defs: Vec<TriggerDef> = table
            .triggers
            .iter()
            .filter(|d| d.enabled && events.iter().any(|e| t.fires(d, *e)))
            .cloned()
            .collect();
        defs.sort_by(|a, b| a.name.cmp(&b.name));
        t.defs = defs;
        t
    }

    /// Whether trigger `t` fires on `event` (an `UPDATE OF` trigger only when the statement
    /// sets one of its columns).
    fn fires(&self, t: &TriggerDef, event: Event) -> bool {
        match event {
            Event::Insert => t.on_insert,
            Event::Delete => t.on_delete,
            Event::Update => {
                t.on_update
                    && (t.update_columns.is_empty()
                        || t.update_columns.iter().any(|c| self.updated.contains(c)))
            }
        }
    }

    /// The triggers on `event` of one level and timing, in name order.
    fn matching(&self, event: Event, row: bool, before: bool) -> Vec<TriggerDef> {
        self.defs
            .iter()
            .filter(|t| t.row == row && t.before == before && self.fires(t, event))
            .cloned()
            .collect()
    }

    pub fn is_empty(&self) -> bool {
        self.defs.is_empty()
    }

    fn run(
        &self,
        ctx: &mut Context,
        t: &TriggerDef,
        event: Event,
        old: Option<&Row>,
        new: Option<&Row>,
    ) -> Result<Outcome> {
        let catalog = ctx.txn()?.catalog()?;
        let def = catalog
            .functions
            .iter()
            .find(|f| f.oid == t.function)
            .cloned()
            .ok_or_else(|| {
                Error::UndefinedFunction(format!("function with OID {} does not exist", t.function))
            })?;
        let mut txn = ctx.txn_mut()?;
        let firing = Firing {
            trigger: t,
            table: &self.table,
            op: event.op(),
            old,
            new,
        };
        fire(&mut *txn, &def, &firing)
    }

    fn statement(&mut self, ctx: &mut Context, event: Event, before: bool) -> Result<()> {
        for t in &self.matching(event, false, before) {
            self.run(ctx, t, event, None, None)?;
        }
        Ok(())
    }

    /// BEFORE STATEMENT triggers, once.
    pub fn start(&mut self, ctx: &mut Context) -> Result<()> {
        if !self.started {
            self.started = true;
            for event in self.events.clone() {
                self.statement(ctx, event, true)?;
            }
        }
        Ok(())
    }

    /// BEFORE ROW triggers on `event`: the row to write (`None`: skip it). For DELETE,
    /// `new` is the row to delete and is returned unchanged unless a trigger returns NULL.
    pub fn before_row(
        &mut self,
        ctx: &mut Context,
        event: Event,
        old: Option<&Row>,
        new: Row,
    ) -> Result<Option<Row>> {
        let mut row = new;
        for t in &self.matching(event, true, true) {
            let (o, n) = match event {
                Event::Delete => (Some(&row), None),
                Event::Insert => (None, Some(&row)),
                Event::Update => (old, Some(&row)),
            };
            match self.run(ctx, t, event, o, n)? {
                Outcome::Skipped => {}
                Outcome::Null => return Ok(None),
                Outcome::Row(r) => {
                    if event != Event::Delete {
                        row = r;
                    }
                }
            }
        }
        Ok(Some(row))
    }

    /// Queues AFTER ROW triggers on `event` for a written row.
    pub fn after_row(&mut self, event: Event, old: Option<Row>, new: Option<Row>) {
        if self
            .defs
            .iter()
            .any(|t| t.row && !t.before && self.fires(t, event))
        {
            self.pending.push((event, old, new));
        }
    }

    /// The queued AFTER ROW triggers, then AFTER STATEMENT ones, once.
    pub fn finish(&mut self, ctx: &mut Context) -> Result<()> {
        if self.finished {
            return Ok(());
        }
        self.start(ctx)?;
        self.finished = true;
        for (event, old, new) in std::mem::take(&mut self.pending) {
            for t in &self.matching(event, true, false) {
                self.run(ctx, t, event, old.as_ref(), new.as_ref())?;
            }
        }
        for event in self.events.clone().into_iter().rev() {
            self.statement(ctx, event, false)?;
        }
        Ok(())
    }
}

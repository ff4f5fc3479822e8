//! The triggers of one INSERT, UPDATE or DELETE operator ([`Triggers`]): BEFORE STATEMENT
//! triggers before the first row, BEFORE ROW triggers per row (a NULL result skips the row,
//! a changed NEW replaces it), AFTER ROW triggers queued and run when the statement's rows
//! are done, then AFTER STATEMENT triggers — PostgreSQL's order. Triggers of one timing run
//! in name order; disabled ones not at all. Each runs through the statement's transaction
//! ([`crate::plpgsql::trigger::fire`]).

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
    event: Event,
    /// The enabled triggers on this event, by name.
    defs: Vec<TriggerDef>,
    started: bool,
    finished: bool,
    /// AFTER ROW events: (OLD, NEW).
    pending: Vec<(Option<Row>, Option<Row>)>,
}

impl Triggers {
    /// The triggers of `table` for `event`; `updated` are the columns an UPDATE sets.
    pub fn new(table: &TableDef, event: Event, updated: &[usize]) -> Triggers {
        let mut defs: Vec<TriggerDef> = table
            .triggers
            .iter()
            .filter(|t| t.enabled)
            .filter(|t| match event {
                Event::Insert => t.on_insert,
                Event::Delete => t.on_delete,
                Event::Update => {
                    t.on_update
                        && (t.update_columns.is_empty()
                            || t.update_columns.iter().any(|c| updated.contains(c)))
                }
            })
            .cloned()
            .collect();
        defs.sort_by(|a, b| a.name.cmp(&b.name));
        Triggers {
            table: table.clone(),
            event,
            defs,
            started: false,
            finished: false,
            pending: Vec::new(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.defs.is_empty()
    }

    fn run(
        &self,
        ctx: &mut Context,
        t: &TriggerDef,
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
            op: self.event.op(),
            old,
            new,
        };
        fire(&mut *txn, &def, &firing)
    }

    fn statement(&mut self, ctx: &mut Context, before: bool) -> Result<()> {
        let defs: Vec<TriggerDef> = self
            .defs
            .iter()
            .filter(|t| !t.row && t.before == before)
            .cloned()
            .collect();
        for t in &defs {
            self.run(ctx, t, None, None)?;
        }
        Ok(())
    }

    /// BEFORE STATEMENT triggers, once.
    pub fn start(&mut self, ctx: &mut Context) -> Result<()> {
        if !self.started {
            self.started = true;
            self.statement(ctx, true)?;
        }
        Ok(())
    }

    /// BEFORE ROW triggers: the row to write (`None`: skip it). For DELETE, `new` is the
    /// row to delete and is returned unchanged unless a trigger returns NULL.
    pub fn before_row(
        &mut self,
        ctx: &mut Context,
        old: Option<&Row>,
        new: Row,
    ) -> Result<Option<Row>> {
        let defs: Vec<TriggerDef> = self
            .defs
            .iter()
            .filter(|t| t.row && t.before)
            .cloned()
            .collect();
        let mut row = new;
        for t in &defs {
            let (o, n) = match self.event {
                Event::Delete => (Some(&row), None),
                Event::Insert => (None, Some(&row)),
                Event::Update => (old, Some(&row)),
            };
            match self.run(ctx, t, o, n)? {
                Outcome::Skipped => {}
                Outcome::Null => return Ok(None),
                Outcome::Row(r) => {
                    if self.event != Event::Delete {
                        row = r;
                    }
                }
            }
        }
        Ok(Some(row))
    }

    /// Queues AFTER ROW triggers for a written row.
    pub fn after_row(&mut self, old: Option<Row>, new: Option<Row>) {
        if self.defs.iter().any(|t| t.row && !t.before) {
            self.pending.push((old, new));
        }
    }

    /// The queued AFTER ROW triggers, then AFTER STATEMENT ones, once.
    pub fn finish(&mut self, ctx: &mut Context) -> Result<()> {
        if self.finished {
            return Ok(());
        }
        self.start(ctx)?;
        self.finished = true;
        let defs: Vec<TriggerDef> = self
            .defs
            .iter()
            .filter(|t| t.row && !t.before)
            .cloned()
            .collect();
        for (old, new) in std::mem::take(&mut self.pending) {
            for t in &defs {
                self.run(ctx, t, old.as_ref(), new.as_ref())?;
            }
        }
        self.statement(ctx, false)
    }
}

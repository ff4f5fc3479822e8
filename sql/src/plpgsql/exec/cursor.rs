//! Cursors in a running body: OPEN, FETCH, MOVE, CLOSE and FOR over a bound cursor.
//!
//! A cursor variable is a `refcursor` holding a portal's name; the portals themselves are
//! the session's ([`crate::cursor::Cursors`], reached through the statement environment),
//! the same ones SQL's DECLARE / FETCH / CLOSE use. So a function can open a cursor and
//! return its name for the caller to `FETCH ALL FROM "<unnamed portal 1>"`, and a cursor
//! lives until the transaction ends unless closed, as in PostgreSQL.
//!
//! OPEN of a variable whose value is NULL names the portal `<unnamed portal N>` and
//! assigns the name to the variable; a bound cursor's variable starts as its own name
//! (PostgreSQL 15). The query runs at OPEN (its variables, and a bound cursor's arguments
//! as variables of a scope of their own, bound as parameters) and the portal holds its
//! rows. A portal opened in a block whose EXCEPTION handler catches an error is closed
//! with the block's rolled-back subtransaction.

use super::*;
use crate::cursor::{Cursor, Cursors};
use std::collections::BTreeSet;
use std::sync::Arc;

/// The session's portals.
fn portals() -> Arc<Cursors> {
    crate::env::current().session.cursors.clone()
}

/// The portals open when a block with an EXCEPTION clause began.
pub(super) struct Mark(BTreeSet<String>);

impl Interp<'_> {
    /// Declares bound cursor `d` (a refcursor variable whose value is its name).
    pub(super) fn declare_cursor(&mut self, d: &Decl, c: &std::rc::Rc<CursorDecl>) {
        self.scopes.declare(Var {
            name: d.name.clone(),
            slot: Slot::Scalar {
                ty: DataType::Refcursor,
                value: Value::Text(d.name.clone()),
            },
            constant: false,
            not_null: false,
        });
        if let Some(s) = self.scopes.scopes.last_mut() {
            s.cursors.retain(|(n, _)| *n != d.name);
            s.cursors.push((d.name.clone(), c.clone()));
        }
    }

    /// Cursor variable `name`: where it is, and the portal name it holds.
    fn cursor_var(&self, name: &str) -> Result<(Place, Option<String>)> {
        let place = self.place_of(name)?;
        match self.scopes.read(place)? {
            (_, ty) if ty != DataType::Refcursor => Err(raised(
                "42804",
                format!("variable \"{name}\" must be of type cursor or refcursor"),
            )),
            (Value::Text(portal), _) => Ok((place, Some(portal))),
            _ => Ok((place, None)),
        }
    }

    /// The portal name `name` holds (22004 when NULL).
    fn portal_name(&self, name: &str) -> Result<String> {
        self.cursor_var(name)?.1.ok_or_else(|| {
            Error::NullValueNotAllowed(format!("cursor variable \"{name}\" is null"))
        })
    }

    /// `OPEN cursor ...`.
    pub(super) fn open(&mut self, cursor: &str, source: &OpenSource) -> Result<Flow> {
        let (place, name) = self.cursor_var(cursor)?;
        let store = portals();
        if let Some(n) = &name
            && store.lock().open.contains_key(n)
        {
            return Err(in_use(n));
        }
        let (r, scroll) = match source {
            OpenSource::Bound(args) => {
                let decl = self.bound_decl(place, cursor)?;
                (self.run_bound(&decl, args)?, decl.scroll)
            }
            OpenSource::Query { scroll, query } => (self.run_source(query)?, *scroll),
        };
        let Some(columns) = r.columns else {
            let command = r.tag.split(' ').next().unwrap_or("").to_string();
            return Err(raised(
                "42P11",
                format!("cannot open {command} query as cursor"),
            ));
        };
        let name = match name {
            Some(n) => n,
            None => {
                let n = store.unnamed();
                self.store(place, Value::Text(n.clone()), DataType::Refcursor)?;
                n
            }
        };
        let mut p = store.lock();
        if p.open.contains_key(&name) {
            return Err(in_use(&name));
        }
        p.open
            .insert(name, Cursor::new(columns, r.rows, scroll, false, true));
        Ok(Flow::Normal)
    }

    /// The declaration of the bound cursor at `place`.
    fn bound_decl(&self, place: Place, cursor: &str) -> Result<std::rc::Rc<CursorDecl>> {
        let Place::Var(s, v) = place else {
            return Err(Error::Internal(format!("{cursor} is not a cursor")));
        };
        let var = &self.scopes.var((s, v)).name;
        self.scopes.scopes[s]
            .cursors
            .iter()
            .find(|(n, _)| n == var)
            .map(|(_, d)| d.clone())
            .ok_or_else(|| Error::Internal(format!("cursor \"{cursor}\" is not bound")))
    }

    /// Runs a bound cursor's query with its arguments as variables.
    fn run_bound(&mut self, decl: &CursorDecl, args: &[String]) -> Result<StatementResult> {
        let values = self.eval_list(args)?;
        let mut vars = Vec::with_capacity(values.len());
        for ((name, ty), (v, from)) in decl.params.iter().zip(values) {
            let ty = crate::types::names::parse(ty.trim())?;
            vars.push(Var {
                name: name.clone(),
                slot: Slot::Scalar {
                    ty,
                    value: cast(v, from, ty)?,
                },
                constant: false,
                not_null: false,
            });
        }
        self.scopes.push(None);
        for v in vars {
            self.scopes.declare(v);
        }
        let r = self.run_sql(&decl.query, None);
        self.scopes.pop();
        r
    }

    /// `FETCH ... INTO` (`into` set) or `MOVE`: FOUND and ROW_COUNT say whether it found a
    /// row (moved over any).
    pub(super) fn fetch(
        &mut self,
        cursor: &str,
        direction: &FetchDirection,
        into: Option<&Into>,
    ) -> Result<Flow> {
        let name = self.portal_name(cursor)?;
        let direction = self.direction(direction)?;
        let (rows, columns) = {
            let store = portals();
            let mut p = store.lock();
            let c = p
                .open
                .get_mut(&name)
                .ok_or_else(|| Error::InvalidCursorName(name.clone()))?;
            (c.advance(direction)?, c.columns().to_vec())
        };
        let n = rows.len();
        if let Some(into) = into {
            let names: Vec<String> = columns.iter().map(|c| c.name.clone()).collect();
            let types: Vec<DataType> = columns.iter().map(|c| c.data_type).collect();
            // no row: the targets become NULLs (a record gets the cursor's columns)
            let row = rows
                .into_iter()
                .next()
                .unwrap_or_else(|| vec![Value::Null; columns.len()]);
            self.store_row(&into.targets, Some((&names, &types, row)))?;
        }
        self.row_count = n as u64;
        self.set_found(n > 0);
        Ok(Flow::Normal)
    }

    /// A FETCH / MOVE direction with its count evaluated.
    fn direction(&mut self, d: &FetchDirection) -> Result<crate::parse::cursor::Direction> {
        use crate::parse::cursor::Direction;
        let count = |it: &mut Self, e: &str| -> Result<i64> {
            let (v, ty) = it.eval(e)?;
            match cast(v, ty, DataType::Int8)? {
                Value::Int(i) => Ok(i),
                _ => Err(Error::NullValueNotAllowed(
                    "relative or absolute cursor position is null".into(),
                )),
            }
        };
        Ok(match d {
            FetchDirection::Forward(None) => Direction::Forward(None),
            FetchDirection::Backward(None) => Direction::Backward(None),
            FetchDirection::Forward(Some(e)) => Direction::Forward(Some(count(self, e)?)),
            FetchDirection::Backward(Some(e)) => Direction::Backward(Some(count(self, e)?)),
            FetchDirection::Absolute(e) => Direction::Absolute(count(self, e)?),
            FetchDirection::Relative(e) => Direction::Relative(count(self, e)?),
        })
    }

    /// `CLOSE cursor`.
    pub(super) fn close(&mut self, cursor: &str) -> Result<Flow> {
        let name = self.portal_name(cursor)?;
        portals()
            .lock()
            .open
            .remove(&name)
            .ok_or(Error::InvalidCursorName(name))?;
        Ok(Flow::Normal)
    }

    /// `FOR var IN cursor[(args)] LOOP`: opens the bound cursor, runs the body for each
    /// row with `var` a record of it, closes it (and a variable that was NULL is again).
    pub(super) fn for_cursor(
        &mut self,
        label: &Option<String>,
        var: &str,
        cursor: &str,
        args: &[String],
        body: &[Stmt],
    ) -> Result<Flow> {
        let (place, was) = self.cursor_var(cursor)?;
        self.open(cursor, &OpenSource::Bound(args.to_vec()))?;
        let name = self.portal_name(cursor)?;
        self.scopes.push(None);
        self.scopes.declare(Var {
            name: var.to_string(),
            slot: Slot::Record(None),
            constant: false,
            not_null: false,
        });
        let mut any = false;
        let r = (|| {
            loop {
                let next = {
                    let store = portals();
                    let mut p = store.lock();
                    let c = p
                        .open
                        .get_mut(&name)
                        .ok_or_else(|| Error::InvalidCursorName(name.clone()))?;
                    let rows = c.advance(crate::parse::cursor::Direction::Forward(Some(1)))?;
                    rows.into_iter().next().map(|row| {
                        let names: Vec<String> =
                            c.columns().iter().map(|c| c.name.clone()).collect();
                        let types: Vec<DataType> =
                            c.columns().iter().map(|c| c.data_type).collect();
                        (names, types, row)
                    })
                };
                let Some((names, types, row)) = next else {
                    return Ok(Flow::Normal);
                };
                any = true;
                self.store_row(&[var.to_string()], Some((&names, &types, row)))?;
                if let Some(f) = self.loop_step(label, body)? {
                    return Ok(f);
                }
            }
        })();
        self.scopes.pop();
        portals().lock().open.remove(&name);
        if was.is_none() {
            self.store(place, Value::Null, DataType::Refcursor)?;
        }
        let flow = r?;
        self.set_found(any);
        Ok(flow)
    }

    /// The portals open now (a block with an EXCEPTION clause begins).
    pub(super) fn cursor_mark(&self) -> Mark {
        Mark(portals().lock().open.keys().cloned().collect())
    }

    /// A handler caught an error: the portals opened in the block since `mark` close.
    pub(super) fn cursor_rollback(&self, mark: Mark) {
        portals()
            .lock()
            .open
            .retain(|name, _| mark.0.contains(name));
    }

    /// A FOR loop over a query opens an unnamed portal in PostgreSQL: count it, so the
    /// names OPEN makes are PostgreSQL's.
    pub(super) fn count_loop_portal(&self) {
        portals().unnamed();
    }
}

fn in_use(name: &str) -> Error {
    raised("42P03", format!("cursor \"{name}\" already in use"))
}

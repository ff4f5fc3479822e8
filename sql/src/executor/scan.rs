//! `Scan`: reads a table through the storage's access path (full, primary-key range or
//! index range). Range bounds are constant expressions evaluated when the scan opens; a NULL
//! bound matches nothing (no key equals NULL under `=`/`<`/`>`).

use super::{Context, Operator, Tuple};
use crate::planner::{AccessPlan, RangePlan};
use crate::storage::{Access, KeyRange, RowStream, TableDef};
use crate::{Result, Value};
use std::ops::Bound;

pub struct Scan {
    table: TableDef,
    access: AccessPlan,
    stream: Option<RowStream>,
}

impl Scan {
    pub fn new(table: TableDef, access: AccessPlan) -> Self {
        Scan {
            table,
            access,
            stream: None,
        }
    }

    /// Evaluates the planned bounds; `None` if a bound is NULL (empty result).
    fn range(plan: &RangePlan, ctx: &Context) -> Result<Option<KeyRange>> {
        let eval = |b: &Bound<Vec<crate::expr::Expr>>| -> Result<Option<Bound<Vec<Value>>>> {
            let vals = |es: &Vec<crate::expr::Expr>| -> Result<Option<Vec<Value>>> {
                let v = es
                    .iter()
                    .map(|e| e.eval(&[], ctx))
                    .collect::<Result<Vec<_>>>()?;
                Ok(if v.iter().any(Value::is_null) {
                    None
                } else {
                    Some(v)
                })
            };
            Ok(match b {
                Bound::Unbounded => Some(Bound::Unbounded),
                Bound::Included(es) => vals(es)?.map(Bound::Included),
                Bound::Excluded(es) => vals(es)?.map(Bound::Excluded),
            })
        };
        match (eval(&plan.lower)?, eval(&plan.upper)?) {
            (Some(lower), Some(upper)) => Ok(Some(KeyRange { lower, upper })),
            _ => Ok(None),
        }
    }
}

impl Operator for Scan {
    fn next(&mut self, ctx: &mut Context) -> Result<Option<Tuple>> {
        crate::interrupt::check()?;
        if self.stream.is_none() {
            let access = match &self.access {
                AccessPlan::Full => Some(Access::Full),
                AccessPlan::Primary(r) => Self::range(r, ctx)?.map(Access::PrimaryRange),
                AccessPlan::Index { index, range } => {
                    Self::range(range, ctx)?.map(|range| Access::IndexRange {
                        index: index.clone(),
                        range,
                    })
                }
            };
            self.stream = Some(match access {
                Some(a) => ctx.txn().scan(self.table.id, &a)?,
                None => Box::new(std::iter::empty()),
            });
        }
        let stream = self.stream.as_mut().expect("opened above");
        match stream.next() {
            Some(r) => {
                let r = r?;
                Ok(Some(Tuple {
                    key: Some(r.key),
                    row: r.row,
                }))
            }
            None => Ok(None),
        }
    }
}

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
    /// Rows read, for `pg_stat_user_tables` (noted when the operator is dropped).
    fetched: u64,
    /// Whether tuples carry their storage key (see [`Operator::discard_keys`]).
    keys: bool,
    /// Whether each row is followed by its key's values (`Plan::Scan::key_columns`).
    key_columns: bool,
}

impl Scan {
    pub fn new(table: TableDef, access: AccessPlan) -> Self {
        Scan {
            table,
            access,
            stream: None,
            fetched: 0,
            keys: true,
            key_columns: false,
        }
    }

    /// Makes each row end with its key's values (for `SELECT ... FOR UPDATE`).
    pub fn with_key_columns(mut self, key_columns: bool) -> Self {
        self.key_columns = key_columns;
        self
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

impl Scan {
    /// One point lookup per distinct non-NULL value of an IN list, in key order.
    fn points(
        &self,
        ctx: &mut Context,
        index: &Option<String>,
        prefix: &[crate::expr::Expr],
        values: &[crate::expr::Expr],
    ) -> Result<RowStream> {
        let eval = |es: &[crate::expr::Expr], ctx: &Context| -> Result<Vec<Value>> {
            es.iter().map(|e| e.eval(&[], ctx)).collect()
        };
        let prefix = eval(prefix, ctx)?;
        if prefix.iter().any(Value::is_null) {
            return Ok(Box::new(std::iter::empty()));
        }
        let mut values: Vec<Value> = eval(values, ctx)?
            .into_iter()
            .filter(|v| !v.is_null())
            .collect();
        values.sort();
        values.dedup();
        let mut streams = Vec::with_capacity(values.len());
        for v in values {
            let mut key = prefix.clone();
            key.push(v);
            let range = KeyRange {
                lower: Bound::Included(key.clone()),
                upper: Bound::Included(key),
            };
            let access = match index {
                None => Access::PrimaryRange(range),
                Some(i) => Access::IndexRange {
                    index: i.clone(),
                    range,
                },
            };
            streams.push(ctx.txn()?.scan(self.table.id, &access)?);
        }
        Ok(Box::new(streams.into_iter().flatten()))
    }
}

impl Drop for Scan {
    fn drop(&mut self) {
        if self.stream.is_none() {
            return;
        }
        let mut d = crate::system::table_stats::Delta::default();
        if matches!(self.access, AccessPlan::Full) {
            (d.seq_scan, d.seq_tup_read) = (1, self.fetched);
        } else {
            (d.idx_scan, d.idx_tup_fetch) = (1, self.fetched);
            let index = match &self.access {
                AccessPlan::Primary(_) | AccessPlan::InList { index: None, .. } => {
                    Some(self.table.pk_index_oid).filter(|_| !self.table.primary_key.is_empty())
                }
                AccessPlan::Index { index, .. }
                | AccessPlan::InList {
                    index: Some(index), ..
                } => self
                    .table
                    .indexes
                    .iter()
                    .find(|i| &i.name == index)
                    .map(|i| i.oid),
                AccessPlan::Full => None,
            };
            if let Some(index) = index {
                crate::system::table_stats::note_index(index, self.fetched);
            }
        }
        crate::system::table_stats::note(self.table.id, d);
    }
}

impl Operator for Scan {
    fn next(&mut self, ctx: &mut Context) -> Result<Option<Tuple>> {
        crate::interrupt::check()?;
        if self.stream.is_none() {
            let access = match &self.access {
                AccessPlan::Full => Some(Access::Full),
                AccessPlan::Primary(r) => Self::range(r, ctx)?.map(Access::PrimaryRange),
                AccessPlan::InList { .. } => None,
                AccessPlan::Index { index, range } => {
                    Self::range(range, ctx)?.map(|range| Access::IndexRange {
                        index: index.clone(),
                        range,
                    })
                }
            };
            self.stream = Some(match (&self.access, access) {
                (
                    AccessPlan::InList {
                        index,
                        prefix,
                        values,
                    },
                    _,
                ) => self.points(ctx, index, prefix, values)?,
                (_, Some(a)) if self.keys || self.key_columns => {
                    ctx.txn()?.scan(self.table.id, &a)?
                }
                (_, Some(a)) => ctx.txn()?.scan_rows_only(self.table.id, &a)?,
                (_, None) => Box::new(std::iter::empty()),
            });
        }
        let stream = self.stream.as_mut().expect("opened above");
        match stream.next() {
            Some(r) => {
                let mut r = r?;
                self.fetched += 1;
                if self.key_columns {
                    r.row.extend(r.key.iter().cloned());
                }
                Ok(Some(Tuple {
                    key: self.keys.then_some(r.key),
                    row: r.row,
                }))
            }
            None => Ok(None),
        }
    }

    fn discard_keys(&mut self) {
        self.keys = false;
    }
}

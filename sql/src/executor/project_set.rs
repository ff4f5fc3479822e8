//! `ProjectSet`: runs set-returning functions (`unnest`, `generate_series`) for each input
//! row; each output row is the input row followed by one value per function, for as many
//! rows as the longest function yields (shorter ones padded with NULL). An input row for
//! which every function yields nothing produces no output.

use super::{Context, Operator, Tuple};
use crate::expr::Expr;
use crate::expr::set_fns::{SetFn, SetIter};
use crate::{Result, Value};

pub struct ProjectSet {
    input: Box<dyn Operator>,
    functions: Vec<(SetFn, Vec<Expr>)>,
    /// The current input row and its running functions (`None` once one finished).
    current: Option<(Vec<Value>, Vec<Option<SetIter>>)>,
}

impl ProjectSet {
    pub fn new(input: Box<dyn Operator>, functions: Vec<(SetFn, Vec<Expr>)>) -> Self {
        ProjectSet {
            input,
            functions,
            current: None,
        }
    }
}

impl Operator for ProjectSet {
    fn next(&mut self, ctx: &mut Context) -> Result<Option<Tuple>> {
        loop {
            crate::interrupt::check()?;
            if self.current.is_none() {
                let Some(t) = self.input.next(ctx)? else {
                    return Ok(None);
                };
                let mut iters = Vec::with_capacity(self.functions.len());
                for (f, args) in &self.functions {
                    let args = args
                        .iter()
                        .map(|a| a.eval(&t.row, &*ctx))
                        .collect::<Result<Vec<_>>>()?;
                    let it = match f {
                        SetFn::Routine {
                            oid,
                            strict,
                            record,
                            columns,
                            ..
                        } => {
                            if *strict && args.iter().any(Value::is_null) {
                                SetIter::Done
                            } else {
                                SetIter::Rows(
                                    ctx.call_routine_set(*oid, args, *record, columns.as_deref())?
                                        .into_iter(),
                                )
                            }
                        }
                        _ => f.start(args)?,
                    };
                    iters.push(Some(it));
                }
                self.current = Some((t.row, iters));
            }
            let (row, iters) = self.current.as_mut().expect("set above");
            let mut values = Vec::with_capacity(iters.len());
            let mut any = false;
            for (it, (f, _)) in iters.iter_mut().zip(&self.functions) {
                let width = f.width();
                if let Some(SetIter::Rows(rows)) = it {
                    match rows.next() {
                        Some(mut r) => {
                            any = true;
                            r.resize(width, Value::Null);
                            values.extend(r);
                        }
                        None => {
                            *it = None;
                            values.extend(std::iter::repeat_n(Value::Null, width));
                        }
                    }
                    continue;
                }
                if it.is_none() && width != 1 {
                    values.extend(std::iter::repeat_n(Value::Null, width));
                    continue;
                }
                let v = match it {
                    Some(i) => match i.next_value()? {
                        Some(v) => {
                            any |= *f != SetFn::Ordinality;
                            v
                        }
                        None => {
                            *it = None;
                            Value::Null
                        }
                    },
                    None => Value::Null,
                };
                values.push(v);
            }
            if !any {
                self.current = None;
                continue;
            }
            let mut out = row.clone();
            out.extend(values);
            return Ok(Some(Tuple::derived(out)));
        }
    }
}

//! `Zip`: `ROWS FROM (f1(...), f2(...)) [WITH ORDINALITY]` — its functions' rows side by
//! side, row `i` of each in row `i` of the output, a function that has finished padded with
//! NULLs (each input has a fixed width), until every one has finished; `WITH ORDINALITY`
//! appends the row number (bigint, from 1).

use super::{Context, Operator, Tuple};
use crate::{Result, Value};

pub struct Zip {
    inputs: Vec<Box<dyn Operator>>,
    widths: Vec<usize>,
    done: Vec<bool>,
    ordinality: bool,
    rows: i64,
}

impl Zip {
    pub fn new(inputs: Vec<Box<dyn Operator>>, widths: Vec<usize>, ordinality: bool) -> Self {
        let done = vec![false; inputs.len()];
        Zip {
            inputs,
            widths,
            done,
            ordinality,
            rows: 0,
        }
    }
}

impl Operator for Zip {
    fn next(&mut self, ctx: &mut Context) -> Result<Option<Tuple>> {
        crate::interrupt::check()?;
        let mut row = Vec::with_capacity(self.widths.iter().sum::<usize>() + 1);
        let mut any = false;
        for ((input, &width), done) in self.inputs.iter_mut().zip(&self.widths).zip(&mut self.done)
        {
            let got = if *done { None } else { input.next(ctx)? };
            match got {
                Some(t) => {
                    any = true;
                    let mut r = t.row;
                    r.resize(width, Value::Null);
                    row.extend(r);
                }
                None => {
                    *done = true;
                    row.extend(std::iter::repeat_n(Value::Null, width));
                }
            }
        }
        if !any {
            return Ok(None);
        }
        self.rows += 1;
        if self.ordinality {
            row.push(Value::Int(self.rows));
        }
        Ok(Some(Tuple::derived(row)))
    }
}

//! `Values`: constant rows (a VALUES list, or the single empty row of a FROM-less SELECT).

use super::{Context, Operator, Tuple};
use crate::Result;
use crate::expr::Expr;

pub struct Values {
    rows: std::vec::IntoIter<Vec<Expr>>,
}

impl Values {
    pub fn new(rows: Vec<Vec<Expr>>) -> Self {
        Values {
            rows: rows.into_iter(),
        }
    }
}

impl Operator for Values {
    fn next(&mut self, ctx: &mut Context) -> Result<Option<Tuple>> {
        let Some(exprs) = self.rows.next() else {
            return Ok(None);
        };
        let row = exprs
            .iter()
            .map(|e| e.eval(&[], ctx))
            .collect::<Result<Vec<_>>>()?;
        Ok(Some(Tuple::derived(row)))
    }
}

//! `With`: registers its CTEs with the statement's state (see `context.rs`: each CTE is
//! computed lazily, once per evaluation of the `WITH`, and shared by its readers), then
//! yields its input's rows. A data-modifying CTE (`WITH d AS (DELETE ... RETURNING *)`) is
//! run to completion first, so it changes its table even when nothing reads it. Unlike
//! PostgreSQL, whose WITH queries all see the statement's starting snapshot, the rest of the
//! statement then sees its changes.

use super::{Context, Operator, Tuple};
use crate::Result;
use crate::planner::Plan;
use std::sync::Arc;

pub struct With {
    ctes: Vec<(usize, Arc<Plan>)>,
    input: Box<dyn Operator>,
    registered: bool,
}

impl With {
    pub fn new(ctes: Vec<(usize, Arc<Plan>)>, input: Box<dyn Operator>) -> Self {
        With {
            ctes,
            input,
            registered: false,
        }
    }
}

impl Operator for With {
    fn next(&mut self, ctx: &mut Context) -> Result<Option<Tuple>> {
        if !self.registered {
            self.registered = true;
            // A data-modifying WITH query runs to completion whether or not it is read,
            // before the query that owns it (PostgreSQL also runs it exactly once).
            for (id, plan) in &self.ctes {
                if plan.modifies() {
                    ctx.run_modifying_cte(*id, plan)?;
                } else {
                    ctx.register_cte(*id, plan);
                }
            }
        }
        self.input.next(ctx)
    }
}

//! `With`: registers its CTEs with the statement's state (see `context.rs`: each CTE is
//! computed lazily, once per evaluation of the `WITH`, and shared by its readers), then
//! yields its input's rows.

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
            for (id, plan) in &self.ctes {
                ctx.register_cte(*id, plan);
            }
            self.registered = true;
        }
        self.input.next(ctx)
    }
}

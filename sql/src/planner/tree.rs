//! Generic walking of [`Plan`] trees: the one place that lists every node's children, so
//! rules only match the nodes they rewrite.

use super::Plan;

impl Plan {
    /// Rebuilds this node with `f` applied to each child (inputs), in order.
    pub fn map_children(self, mut f: impl FnMut(Plan) -> Plan) -> Plan {
        let mut g = |b: Box<Plan>| Box::new(f(*b));
        match self {
            leaf @ (Plan::Scan { .. } | Plan::Values { .. } | Plan::Series { .. }) => leaf,
            Plan::Filter { input, predicate } => Plan::Filter {
                input: g(input),
                predicate,
            },
            Plan::Join {
                left,
                right,
                kind,
                on,
                left_width,
                right_width,
            } => {
                let left = g(left);
                Plan::Join {
                    left,
                    right: g(right),
                    kind,
                    on,
                    left_width,
                    right_width,
                }
            }
            Plan::HashJoin { left, right, join } => {
                let left = g(left);
                Plan::HashJoin {
                    left,
                    right: g(right),
                    join,
                }
            }
            Plan::Aggregate {
                input,
                groups,
                calls,
            } => Plan::Aggregate {
                input: g(input),
                groups,
                calls,
            },
            Plan::Project { input, exprs } => Plan::Project {
                input: g(input),
                exprs,
            },
            Plan::Distinct { input } => Plan::Distinct { input: g(input) },
            Plan::Sort { input, keys } => Plan::Sort {
                input: g(input),
                keys,
            },
            Plan::Limit {
                input,
                limit,
                offset,
            } => Plan::Limit {
                input: g(input),
                limit,
                offset,
            },
            Plan::Insert {
                table,
                input,
                on_conflict,
                arbiter,
                returning,
            } => Plan::Insert {
                table,
                input: g(input),
                on_conflict,
                arbiter,
                returning,
            },
            Plan::Update {
                table,
                input,
                predicate,
                assignments,
                returning,
            } => Plan::Update {
                table,
                input: g(input),
                predicate,
                assignments,
                returning,
            },
            Plan::Delete {
                table,
                input,
                predicate,
                returning,
            } => Plan::Delete {
                table,
                input: g(input),
                predicate,
                returning,
            },
        }
    }

    /// The node's inputs, in order.
    pub fn children(&self) -> Vec<&Plan> {
        match self {
            Plan::Scan { .. } | Plan::Values { .. } | Plan::Series { .. } => vec![],
            Plan::Join { left, right, .. } | Plan::HashJoin { left, right, .. } => {
                vec![left, right]
            }
            Plan::Filter { input, .. }
            | Plan::Aggregate { input, .. }
            | Plan::Project { input, .. }
            | Plan::Distinct { input }
            | Plan::Sort { input, .. }
            | Plan::Limit { input, .. }
            | Plan::Insert { input, .. }
            | Plan::Update { input, .. }
            | Plan::Delete { input, .. } => vec![input],
        }
    }

    /// How many columns the node's rows have.
    pub fn width(&self) -> usize {
        match self {
            Plan::Scan { table, .. } => table.columns.len(),
            Plan::Values { rows } => rows.first().map_or(0, Vec::len),
            Plan::Series { .. } => 1,
            Plan::Join {
                left_width,
                right_width,
                ..
            } => left_width + right_width,
            Plan::HashJoin { join, .. } => join.left_width + join.right_width,
            Plan::Aggregate { groups, calls, .. } => groups.len() + calls.len(),
            Plan::Project { exprs, .. } => exprs.len(),
            Plan::Filter { input, .. }
            | Plan::Distinct { input }
            | Plan::Sort { input, .. }
            | Plan::Limit { input, .. } => input.width(),
            Plan::Insert { returning, .. }
            | Plan::Update { returning, .. }
            | Plan::Delete { returning, .. } => returning.as_ref().map_or(0, Vec::len),
        }
    }
}

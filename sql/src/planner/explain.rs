//! EXPLAIN: a plan as an indented tree of PostgreSQL-like node names.
//!
//! ```text
//! Hash Join  (rows=100)
//!   Hash Cond: (t1.a = t2.b)
//!   ->  Seq Scan on t1  (rows=1000)
//!   ->  Hash  (rows=100)
//!         ->  Seq Scan on t2  (rows=100)
//!               Filter: (t2.c > 5)
//! ```
//!
//! Node names follow PostgreSQL's (`Seq Scan`, `Index Scan using i on t`, `Hash Join`,
//! `Hash`, `Nested Loop`, `HashAggregate`, `Aggregate`, `Sort`, `Limit`, `Values Scan`,
//! `Result`, `Function Scan`, `Insert`/`Update`/`Delete on t`); a `Filter` is shown as a
//! `Filter:` line of the node below it, as PostgreSQL shows it, and projections are not
//! shown. Without ANALYZE the row count is the planner's estimate (`rows=N`); with ANALYZE it
//! is the number of rows the node produced (`actual rows=N`), from the executor's per-node
//! counters, which are numbered in pre-order over [`Plan::children`] (every node, shown or
//! not, has one).

use super::join_order::estimate;
use super::{AccessPlan, AggFunc, JoinKind, Plan};
use crate::expr::set_fns::SetFn;
use crate::expr::{CmpOp, Expr, Function};

/// Renders `plan`; `actual` holds the per-node row counts of an EXPLAIN ANALYZE run.
pub fn explain(plan: &Plan, actual: Option<&[u64]>) -> Vec<String> {
    let mut out = Vec::new();
    let mut next = 0;
    node(plan, actual, &mut next, 0, &mut out);
    out
}

fn rows(p: &Plan, id: usize, actual: Option<&[u64]>) -> String {
    match actual {
        Some(a) => format!(
            "  (actual rows={} loops=1)",
            a.get(id).copied().unwrap_or(0)
        ),
        None => format!("  (rows={})", estimate(p).round() as u64),
    }
}

/// Writes one node at `depth`; `id` counters advance in pre-order for every plan node.
fn node(p: &Plan, actual: Option<&[u64]>, next: &mut usize, depth: usize, out: &mut Vec<String>) {
    let id = *next;
    *next += 1;
    // Projections are not shown: their row count is their input's.
    if let Plan::Project { input, .. } | Plan::Partitioned { input, .. } = p {
        return node(input, actual, next, depth, out);
    }
    // A filter is a line of the node below it, with the filter's row count.
    let (shown, filter) = match p {
        Plan::Filter { input, predicate } => {
            *next += 1;
            (input.as_ref(), Some((predicate, input.as_ref())))
        }
        other => (other, None),
    };
    let pad = if depth == 0 {
        String::new()
    } else {
        " ".repeat(depth * 6 - 4) + "->  "
    };
    let detail = " ".repeat(if depth == 0 { 2 } else { depth * 6 + 2 });
    out.push(format!("{pad}{}{}", title(shown), rows(p, id, actual)));
    if let Some((pred, input)) = filter {
        out.push(format!("{detail}Filter: {}", show(pred, &names(input))));
    }
    for line in details(shown) {
        out.push(format!("{detail}{line}"));
    }
    match shown {
        Plan::HashJoin { left, right, .. } => {
            node(left, actual, next, depth + 1, out);
            // The build side, under PostgreSQL's `Hash` node (same rows as its input).
            let hash_pad = " ".repeat((depth + 1) * 6 - 4) + "->  ";
            out.push(format!("{hash_pad}Hash{}", rows(right, *next, actual)));
            node(right, actual, next, depth + 2, out);
        }
        Plan::SetOp {
            op: super::SetOpKind::Union,
            all: true,
            ..
        } => append_members(shown, actual, next, depth + 1, out),
        other => {
            for c in other.children() {
                node(c, actual, next, depth + 1, out);
            }
        }
    }
}

/// The inputs of a UNION ALL as one Append's members, as PostgreSQL flattens them: a
/// nested UNION ALL (the binder folds them pairwise) lists its own inputs instead of
/// showing as an Append of its own (its counter is skipped).
fn append_members(
    p: &Plan,
    actual: Option<&[u64]>,
    next: &mut usize,
    depth: usize,
    out: &mut Vec<String>,
) {
    for c in p.children() {
        if let Plan::SetOp {
            op: super::SetOpKind::Union,
            all: true,
            ..
        } = c
        {
            *next += 1;
            append_members(c, actual, next, depth, out);
        } else {
            node(c, actual, next, depth, out);
        }
    }
}

fn join_name(kind: JoinKind) -> &'static str {
    match kind {
        JoinKind::Inner => "",
        JoinKind::Left => " Left",
        JoinKind::Right => " Right",
        JoinKind::Full => " Full",
        JoinKind::Semi => " Semi",
        // NOT IN's null-aware anti join (PostgreSQL runs a hashed SubPlan instead).
        JoinKind::Anti | JoinKind::NotIn => " Anti",
    }
}

fn title(p: &Plan) -> String {
    match p {
        Plan::Scan { table, access, .. } => match access {
            AccessPlan::Full => format!("Seq Scan on {}", table.name),
            AccessPlan::Primary(_) | AccessPlan::InList { index: None, .. } => format!(
                "Index Scan using {} on {}",
                table
                    .primary_key_name
                    .clone()
                    .unwrap_or_else(|| format!("{}_pkey", table.name)),
                table.name
            ),
            AccessPlan::Index { index, .. }
            | AccessPlan::InList {
                index: Some(index), ..
            } => {
                format!("Index Scan using {index} on {}", table.name)
            }
        },
        Plan::SystemScan { source } => match source {
            super::SystemSource::Table { name, .. } => format!("Seq Scan on {name}"),
            super::SystemSource::Sequence(_) => "Seq Scan on sequence".into(),
        },
        Plan::Values { rows } if rows.is_empty() || (rows.len() == 1 && rows[0].is_empty()) => {
            "Result".into()
        }
        Plan::Values { .. } => "Values Scan on \"*VALUES*\"".into(),
        Plan::Series { .. } => "Function Scan on generate_series".into(),
        Plan::Filter { .. } => "Result".into(),
        Plan::Join { kind, .. } => match kind {
            JoinKind::Inner => "Nested Loop".into(),
            k => format!("Nested Loop{} Join", join_name(*k)),
        },
        Plan::HashJoin { join, .. } => format!("Hash{} Join", join_name(join.kind)),
        Plan::Aggregate {
            sets: Some(sets), ..
        } => {
            let empty = sets.iter().filter(|s| s.is_empty()).count();
            match empty {
                0 => "HashAggregate".into(),
                n if n == sets.len() => "Aggregate".into(),
                _ => "MixedAggregate".into(),
            }
        }
        Plan::Aggregate { groups, .. } if groups.is_empty() => "Aggregate".into(),
        Plan::Aggregate { .. } | Plan::Distinct { on: None, .. } => "HashAggregate".into(),
        Plan::Distinct { .. } => "Unique".into(),
        Plan::LateralJoin { kind, .. } => match kind {
            JoinKind::Inner => "Nested Loop".into(),
            k => format!("Nested Loop{} Join", join_name(*k)),
        },
        Plan::Window { .. } => "WindowAgg".into(),
        Plan::ProjectSet { .. } => "ProjectSet".into(),
        Plan::Zip { .. } => "Function Scan".into(),
        Plan::SetOp { op, all, .. } => match (op, all) {
            (super::SetOpKind::Union, true) => "Append".into(),
            (super::SetOpKind::Union, false) => "HashAggregate".into(),
            (k, all) => format!(
                "HashSetOp {}{}",
                if matches!(k, super::SetOpKind::Intersect) {
                    "Intersect"
                } else {
                    "Except"
                },
                if *all { " All" } else { "" }
            ),
        },
        Plan::With { .. } => "CTE".into(),
        Plan::CteScan { id } => format!("CTE Scan on cte{id}"),
        Plan::RecursiveUnion { .. } => "Recursive Union".into(),
        Plan::WorkTable { id } => format!("WorkTable Scan on cte{id}"),
        Plan::Project { .. } | Plan::Partitioned { .. } => "Result".into(),
        Plan::Sort { .. } => "Sort".into(),
        Plan::Limit { .. } => "Limit".into(),
        Plan::Sample { .. } => "Sample".into(),
        Plan::LockRows { .. } => "LockRows".into(),
        Plan::Insert { table, .. } => format!("Insert on {}", table.name),
        Plan::Update { table, .. } => format!("Update on {}", table.name),
        Plan::Delete { table, .. } => format!("Delete on {}", table.name),
        Plan::Merge(m) => format!("Merge on {}", m.table.name),
    }
}

/// The `Key: value` lines under a node.
fn details(p: &Plan) -> Vec<String> {
    match p {
        Plan::HashJoin { left, right, join } => {
            let ln = names(left);
            let rn = names(right);
            let conds: Vec<String> = join
                .left_keys
                .iter()
                .zip(&join.right_keys)
                .zip(&join.null_safe)
                .map(|((l, r), safe)| {
                    let op = if *safe { "IS NOT DISTINCT FROM" } else { "=" };
                    format!("({} {op} {})", show(l, &ln), show(r, &rn))
                })
                .collect();
            let mut v = vec![format!("Hash Cond: {}", conds.join(" AND "))];
            if let Some(r) = &join.residual {
                let mut all = ln;
                all.extend(rn);
                v.push(format!("Join Filter: {}", show(r, &all)));
            }
            v
        }
        Plan::Join { on: Some(on), .. } => vec![format!("Join Filter: {}", show(on, &names(p)))],
        Plan::Sample { percent, seed, .. } => {
            let mut line = format!("Sampling: ({})", show(percent, &[]));
            if let Some(s) = seed {
                line.push_str(&format!(" REPEATABLE ({s})"));
            }
            vec![line]
        }
        Plan::Aggregate {
            input,
            groups,
            sets: Some(sets),
            ..
        } => {
            // PostgreSQL's MixedAggregate lists the hashed sets, then the empty ones.
            let n = names(input);
            let hashed = sets.iter().filter(|s| !s.is_empty()).map(|s| {
                let keys: Vec<String> = s.iter().map(|&k| show(&groups[k], &n)).collect();
                format!("Hash Key: {}", keys.join(", "))
            });
            let empty = sets
                .iter()
                .filter(|s| s.is_empty())
                .map(|_| "Group Key: ()".to_string());
            hashed.chain(empty).collect()
        }
        Plan::Aggregate { input, groups, .. } if !groups.is_empty() => {
            let n = names(input);
            let keys: Vec<String> = groups.iter().map(|g| show(g, &n)).collect();
            vec![format!("Group Key: {}", keys.join(", "))]
        }
        Plan::Distinct { input, on: None } => {
            vec![format!("Group Key: {}", names(input).join(", "))]
        }
        Plan::LateralJoin { on: Some(on), .. } => {
            vec![format!("Join Filter: {}", show(on, &names(p)))]
        }
        Plan::Sort { input, keys } => {
            let n = names(input);
            let keys: Vec<String> = keys
                .iter()
                .map(|k| {
                    let name = n.get(k.column).cloned().unwrap_or_else(|| "?".into());
                    match (k.desc, k.nulls_first) {
                        (false, false) => name,
                        (true, true) => format!("{name} DESC"),
                        (false, true) => format!("{name} NULLS FIRST"),
                        (true, false) => format!("{name} DESC NULLS LAST"),
                    }
                })
                .collect();
            vec![format!("Sort Key: {}", keys.join(", "))]
        }
        _ => vec![],
    }
}

/// A name for each output column of `p`, for showing expressions over it.
pub fn names(p: &Plan) -> Vec<String> {
    match p {
        Plan::Scan { table, .. } => table
            .columns
            .iter()
            .map(|c| format!("{}.{}", table.name, c.name))
            .collect(),
        Plan::Values { rows } => (1..=rows.first().map_or(0, Vec::len))
            .map(|i| format!("\"*VALUES*\".column{i}"))
            .collect(),
        Plan::Series { .. } => vec!["generate_series".into()],
        Plan::HashJoin { left, join, .. } if join.kind.left_only() => names(left),
        Plan::Join { left, right, .. } | Plan::HashJoin { left, right, .. } => {
            let mut v = names(left);
            v.extend(names(right));
            v
        }
        Plan::Aggregate {
            input,
            groups,
            calls,
            ..
        } => {
            let n = names(input);
            let keys: Vec<String> = groups.iter().map(|g| show(g, &n)).collect();
            let mut v = keys.clone();
            v.extend(calls.iter().map(|c| {
                let f = match c.func {
                    AggFunc::Grouping => {
                        let args: Vec<String> = c
                            .args
                            .iter()
                            .map(|a| match a {
                                Expr::Literal(crate::Value::Int(k)) => usize::try_from(*k)
                                    .ok()
                                    .and_then(|k| keys.get(k).cloned())
                                    .unwrap_or_else(|| "?".into()),
                                _ => "?".into(),
                            })
                            .collect();
                        return format!("GROUPING({})", args.join(", "));
                    }
                    AggFunc::CountStar => return "count(*)".to_string(),
                    AggFunc::Count => "count",
                    AggFunc::SumInt | AggFunc::SumFloat => "sum",
                    AggFunc::Avg => "avg",
                    AggFunc::Min => "min",
                    AggFunc::Max => "max",
                    AggFunc::StringAgg => "string_agg",
                    AggFunc::JsonbAgg => "jsonb_agg",
                    AggFunc::JsonbObjectAgg => "jsonb_object_agg",
                    AggFunc::JsonAgg | AggFunc::JsonAggRows => "json_agg",
                    AggFunc::BoolAnd => "bool_and",
                    AggFunc::BoolOr => "bool_or",
                    _ => "agg",
                };
                let args: Vec<String> = c.args.iter().map(|a| show(a, &n)).collect();
                let arg = args.join(", ");
                let d = if c.distinct { "DISTINCT " } else { "" };
                format!("{f}({d}{arg})")
            }));
            v
        }
        Plan::Project { input, exprs } => {
            let n = names(input);
            exprs.iter().map(|e| show(e, &n)).collect()
        }
        Plan::LateralJoin { left, .. } => names(left),
        Plan::ProjectSet { input, functions } => {
            let mut v = names(input);
            let n_input = v.len();
            v.extend(functions.iter().map(|(f, _)| match f {
                SetFn::Unnest | SetFn::UnnestVector | SetFn::TsUnnest(_) => "unnest".to_string(),
                SetFn::Subscripts(_) => "generate_subscripts".to_string(),
                SetFn::PartitionAncestors => "pg_partition_ancestors".to_string(),
                SetFn::ListeningChannels => "pg_listening_channels".to_string(),
                SetFn::Ordinality => "ordinality".to_string(),
                SetFn::Jsonb(f) => f.name().to_string(),
                SetFn::RegexpMatches => "regexp_matches".to_string(),
                SetFn::RegexpSplit => "regexp_split_to_table".to_string(),
                SetFn::StringToTable => "string_to_table".to_string(),
                SetFn::Routine { oid, width, .. } => format!("function {oid} ({width} columns)"),
                _ => "generate_series".to_string(),
            }));
            // A routine's row is several columns.
            let mut i = n_input;
            for (f, _) in functions {
                for _ in 1..f.width() {
                    v.insert(i + 1, v[i].clone());
                    i += 1;
                }
                i += 1;
            }
            v
        }
        Plan::Filter { input, .. }
        | Plan::Distinct { input, .. }
        | Plan::Sort { input, .. }
        | Plan::Limit { input, .. }
        | Plan::Sample { input, .. }
        | Plan::LockRows { input, .. }
        | Plan::Partitioned { input, .. }
        | Plan::Window { input, .. }
        | Plan::With { input, .. } => names(input),
        Plan::SetOp { left, .. } => names(left),
        Plan::RecursiveUnion { anchor, .. } => names(anchor),
        // Unknown names show as `$i` (see `show`).
        Plan::CteScan { .. }
        | Plan::SystemScan { .. }
        | Plan::WorkTable { .. }
        | Plan::Zip { .. }
        | Plan::Insert { .. }
        | Plan::Update { .. }
        | Plan::Delete { .. }
        | Plan::Merge(_) => vec![],
    }
}

/// `e` as SQL text over input columns named `names` (parenthesized like PostgreSQL's).
pub fn show(e: &Expr, names: &[String]) -> String {
    let s = |x: &Expr| show(x, names);
    match e {
        Expr::Column(i) => names.get(*i).cloned().unwrap_or_else(|| format!("${i}")),
        Expr::Literal(v) => match v {
            crate::Value::Text(t) => format!("'{}'", t.replace('\'', "''")),
            other => other.to_string(),
        },
        Expr::Param(i) => format!("${}", i + 1),
        Expr::OuterRef(i) => format!("outer.{i}"),
        Expr::Subquery(q) => {
            let what = match &q.kind {
                crate::expr::SubqueryKind::Scalar => "SubPlan",
                crate::expr::SubqueryKind::Exists => "EXISTS(SubPlan)",
                crate::expr::SubqueryKind::Array | crate::expr::SubqueryKind::ArrayOfArrays => {
                    "ARRAY(SubPlan)"
                }
                crate::expr::SubqueryKind::Quantified { .. } => "ANY(SubPlan)",
            };
            format!("({what} {})", q.id)
        }
        Expr::Not(x) => format!("(NOT {})", s(x)),
        Expr::And(..) => {
            let parts: Vec<String> = e.conjuncts().into_iter().map(s).collect();
            format!("({})", parts.join(" AND "))
        }
        Expr::Or(a, b) => format!("({} OR {})", s(a), s(b)),
        Expr::Neg(x, _) => format!("(- {})", s(x)),
        Expr::Arith(op, a, b, _) => {
            format!("({} {} {})", s(a), op.symbol(), s(b))
        }
        Expr::Compare(op, a, b) => {
            let o = match op {
                CmpOp::Eq => "=",
                CmpOp::NotEq => "<>",
                CmpOp::Lt => "<",
                CmpOp::LtEq => "<=",
                CmpOp::Gt => ">",
                CmpOp::GtEq => ">=",
            };
            format!("({} {o} {})", s(a), s(b))
        }
        Expr::IsDistinct {
            left,
            right,
            negated,
        } => {
            let not = if *negated { " NOT" } else { "" };
            format!("({} IS{not} DISTINCT FROM {})", s(left), s(right))
        }
        Expr::Concat(a, b) => format!("({} || {})", s(a), s(b)),
        Expr::IsNull { expr, negated } => {
            let not = if *negated { " NOT" } else { "" };
            format!("({} IS{not} NULL)", s(expr))
        }
        Expr::IsBool {
            expr,
            value,
            negated,
        } => {
            let not = if *negated { " NOT" } else { "" };
            let v = match value {
                Some(true) => "TRUE",
                Some(false) => "FALSE",
                None => "UNKNOWN",
            };
            format!("({} IS{not} {v})", s(expr))
        }
        Expr::InList {
            expr,
            list,
            negated,
        } => {
            let items: Vec<String> = list.iter().map(s).collect();
            let not = if *negated { "NOT " } else { "" };
            format!("({} {not}IN ({}))", s(expr), items.join(", "))
        }
        Expr::Case { whens, otherwise } => {
            let mut t = "CASE".to_string();
            for (c, r) in whens {
                t.push_str(&format!(" WHEN {} THEN {}", s(c), s(r)));
            }
            if let Some(o) = otherwise {
                t.push_str(&format!(" ELSE {}", s(o)));
            }
            t + " END"
        }
        Expr::Cast { expr, to, .. } => format!("({})::{}", s(expr), to.name()),
        Expr::Coalesce(items) => {
            let items: Vec<String> = items.iter().map(s).collect();
            format!("COALESCE({})", items.join(", "))
        }
        Expr::Row(items, _) => {
            let items: Vec<String> = items.iter().map(s).collect();
            format!("ROW({})", items.join(", "))
        }
        Expr::Call(Function::Like { case_insensitive }, args) if args.len() == 2 => {
            let op = if *case_insensitive { "~~*" } else { "~~" };
            format!("({} {op} {})", s(&args[0]), s(&args[1]))
        }
        Expr::Call(Function::RegexMatch { case_insensitive }, args) if args.len() == 2 => {
            let op = if *case_insensitive { "~*" } else { "~" };
            format!("({} {op} {})", s(&args[0]), s(&args[1]))
        }
        Expr::Call(f, args) => {
            let args: Vec<String> = args.iter().map(s).collect();
            format!("{f:?}({})", args.join(", ")).to_lowercase()
        }
    }
}

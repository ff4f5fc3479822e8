//! SQL text of catalog objects, printed as PostgreSQL's `ruleutils.c` prints it:
//! `pg_get_expr` (defaults, CHECK expressions), `pg_get_constraintdef`, `pg_get_indexdef`,
//! `pg_get_viewdef`.
//!
//! Strata stores expressions as the SQL text the user wrote (see
//! [`crate::storage::ColumnDef::default`]); PostgreSQL stores the analyzed tree and prints
//! it back with the types the parser gave its constants. [`expr`] re-creates that from the
//! text and the table's column types, for the common forms: a constant gets PostgreSQL's
//! decoration (`'x'::text`, `0::numeric` beside a numeric column, `'-1'::integer`,
//! `'3000000000'::bigint`), `BETWEEN` becomes two comparisons, `current_date` and friends
//! print as SQL keywords, a `regclass` OID prints as the quoted relation name, and
//! parentheses follow operator precedence as in pretty mode. Forms beyond these print as
//! sqlparser prints them.

use super::relations::{ConstraintRef, IndexInfo};
pub use super::view_def::view_definition;
use crate::expr::catalog_functions::quote_ident;
use crate::storage::{Catalog, IndexDef, TableDef};
use crate::types::DataType;
use sqlparser::ast::{self, BinaryOperator as B, Expr, UnaryOperator};

/// The name of relation `oid` as `regclass` prints it (qualified when not visible).
pub fn relation_name(oid: u32) -> String {
    crate::types::oid::format(crate::types::oid::RegKind::Class, oid)
}

/// `pg_get_expr(text, relid)`: the stored expression `text` over the columns of `table`.
pub fn expr(text: &str, table: Option<&TableDef>) -> String {
    match crate::ddl::constraints::parse_expr(text) {
        Ok(e) => {
            Printer {
                scope: table.into_iter().map(|t| (None, t)).collect(),
                parens: false,
            }
            .print(&e, None)
            .0
        }
        Err(_) => text.to_string(),
    }
}

/// A column's DEFAULT as `pg_attrdef.adbin` holds it: the text with a bare string constant
/// typed as the column (`'x'::character varying`), as PostgreSQL coerces it when it stores
/// the default. [`expr`] prints the result unchanged.
pub fn default_expr(text: &str, table: &TableDef, column: &DataType) -> String {
    match crate::ddl::constraints::parse_expr(text) {
        Ok(e) => {
            let p = Printer {
                scope: vec![(None, table)],
                parens: false,
            };
            let string = matches!(&e, Expr::Value(v) if matches!(v.value, ast::Value::SingleQuotedString(_)));
            p.print(&e, string.then_some(*column)).0
        }
        Err(_) => text.to_string(),
    }
}

/// A stored expression in `ruleutils.c`'s pretty (`pretty`) or plain form (every operator
/// expression parenthesized).
pub fn expr_in_mode(text: &str, table: Option<&TableDef>, pretty: bool) -> String {
    match crate::ddl::constraints::parse_expr(text) {
        Ok(e) => {
            Printer {
                scope: table.into_iter().map(|t| (None, t)).collect(),
                parens: !pretty,
            }
            .print(&e, None)
            .0
        }
        Err(_) => text.to_string(),
    }
}

/// Key element `k` of index `i` as `pg_get_indexdef(oid, k + 1, pretty)` prints it: a
/// column's name, a function call as is, any other expression in parentheses.
pub fn index_column(i: &IndexInfo, k: usize, pretty: bool) -> Option<String> {
    let t = i.table;
    if let Some(text) = i.exprs.get(k).and_then(|e| e.as_deref()) {
        let function = matches!(
            crate::ddl::constraints::parse_expr(text),
            Ok(Expr::Function(_))
        );
        let s = expr_in_mode(text, Some(t), pretty);
        return Some(if function { s } else { format!("({s})") });
    }
    let c = *i.columns.iter().chain(i.include).nth(k)?;
    Some(quote_ident(&t.columns.get(c)?.name))
}

/// `pg_get_indexdef(oid, 0, pretty)`; the schema is named unless `pretty`.
pub fn index_definition_mode(cat: &Catalog, i: &IndexInfo, pretty: bool) -> String {
    let t = i.table;
    let keys: Vec<String> = (0..i.columns.len())
        .filter_map(|k| {
            let mut s = index_column(i, k, pretty)?;
            let o = i.option(k);
            let nulls_first = o & IndexDef::NULLS_FIRST != 0;
            if o & IndexDef::DESC != 0 {
                s.push_str(" DESC");
                if !nulls_first {
                    s.push_str(" NULLS LAST");
                }
            } else if nulls_first {
                s.push_str(" NULLS FIRST");
            }
            Some(s)
        })
        .collect();
    let table = if pretty {
        relation_name(t.id)
    } else {
        format!(
            "{}.{}",
            quote_ident(&cat.schema_name(t.schema)),
            quote_ident(&t.name)
        )
    };
    let mut s = format!(
        "CREATE {}INDEX {} ON {table} USING btree ({})",
        if i.unique { "UNIQUE " } else { "" },
        quote_ident(i.name),
        keys.join(", ")
    );
    if !i.include.is_empty() {
        let cols: Vec<String> = i
            .include
            .iter()
            .map(|&c| quote_ident(&t.columns[c].name))
            .collect();
        s.push_str(&format!(" INCLUDE ({})", cols.join(", ")));
    }
    if let Some(p) = i.predicate {
        s.push_str(&format!(" WHERE {}", expr_in_mode(p, Some(t), pretty)));
    }
    s
}

/// `pg_get_indexdef(oid)`.
pub fn index_definition(cat: &Catalog, i: &IndexInfo) -> String {
    index_definition_mode(cat, i, false)
}

/// `pg_get_constraintdef(oid, pretty)`.
pub fn constraint_definition(cat: &Catalog, c: &ConstraintRef, pretty: bool) -> String {
    let names = |t: &TableDef, cols: &[usize]| {
        cols.iter()
            .map(|&c| quote_ident(&t.columns[c].name))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match c {
        ConstraintRef::Key(i) => {
            let mut s = format!(
                "{} ({})",
                if i.primary { "PRIMARY KEY" } else { "UNIQUE" },
                names(i.table, i.columns)
            );
            if !i.include.is_empty() {
                s.push_str(&format!(" INCLUDE ({})", names(i.table, i.include)));
            }
            s
        }
        ConstraintRef::Check(t, ck) => {
            format!("CHECK ({})", expr_in_mode(&ck.expr, Some(t), pretty))
        }
        ConstraintRef::Foreign(t, fk) => {
            let ref_cols = match cat.table_by_id(fk.ref_table) {
                Some(rt) => names(rt, &fk.ref_columns),
                None => String::new(),
            };
            let mut s = format!(
                "FOREIGN KEY ({}) REFERENCES {}({})",
                names(t, &fk.columns),
                relation_name(fk.ref_table),
                ref_cols
            );
            if fk.match_full {
                s.push_str(" MATCH FULL");
            }
            if fk.on_update != crate::storage::FkAction::NoAction {
                s.push_str(&format!(" ON UPDATE {}", fk.on_update.sql()));
            }
            if fk.on_delete != crate::storage::FkAction::NoAction {
                s.push_str(&format!(" ON DELETE {}", fk.on_delete.sql()));
            }
            if fk.deferrable {
                s.push_str(" DEFERRABLE");
            }
            if fk.initially_deferred {
                s.push_str(" INITIALLY DEFERRED");
            }
            s
        }
    }
}

/// Operator precedence, higher binds tighter (PostgreSQL's grammar).
fn precedence(op: &B) -> u8 {
    match op {
        B::Or => 1,
        B::And => 2,
        B::Eq | B::NotEq | B::Lt | B::Gt | B::LtEq | B::GtEq => 4,
        B::Plus | B::Minus => 6,
        B::Multiply | B::Divide | B::Modulo => 7,
        _ => 5,
    }
}

pub(super) struct Printer<'a> {
    /// What column names resolve against: each range variable's name — columns of it print
    /// as `name.column` (a view's query), or unqualified when `None` — and its table.
    pub(super) scope: Vec<(Option<String>, &'a TableDef)>,
    /// Non-pretty mode: every operator expression in parentheses, as `ruleutils.c` prints
    /// without `PRETTY_PAREN`.
    pub(super) parens: bool,
}

/// A constant typed `t`, as PostgreSQL prints it.
fn typed_const(literal: &str, t: &DataType) -> String {
    match t {
        DataType::Int4 if !literal.starts_with('-') => literal.to_string(),
        DataType::Numeric(_)
            if !literal.starts_with('-') && literal.chars().all(|c| c.is_ascii_digit()) =>
        {
            format!("{literal}::numeric")
        }
        DataType::Numeric(_) if !literal.starts_with('-') => literal.to_string(),
        DataType::Bool => literal.to_string(),
        t => format!("'{}'::{}", literal.replace('\'', "''"), const_type_name(*t)),
    }
}

/// The type a constant is cast to: `bpchar` for `char(n)` (a constant has no type modifier,
/// and `character` would mean `character(1)`), else the type's name.
fn const_type_name(t: DataType) -> String {
    match t {
        DataType::Bpchar(_) => "bpchar".into(),
        t => t.without_typmod().name(),
    }
}

impl Printer<'_> {
    /// The range variable holding column `name` (the one named `range`, if given): its
    /// qualifier and the column's type.
    fn column(&self, range: Option<&str>, name: &str) -> Option<(Option<&str>, DataType)> {
        self.scope
            .iter()
            .filter(|(q, _)| range.is_none() || q.as_deref() == range)
            .find_map(|(q, t)| {
                let c = t.columns.iter().find(|c| c.name == name)?;
                Some((q.as_deref(), c.data_type))
            })
    }

    /// The number's own type: int4, int8 past int4's range, numeric with a point.
    fn number_type(n: &str) -> DataType {
        if n.contains(['.', 'e', 'E']) {
            DataType::Numeric(None)
        } else if n.parse::<i32>().is_ok() {
            DataType::Int4
        } else if n.parse::<i64>().is_ok() {
            DataType::Int8
        } else {
            DataType::Numeric(None)
        }
    }

    /// A constant, typed by the context when it is coerced (`want`); its own type otherwise.
    fn constant(&self, e: &Expr, want: Option<DataType>) -> Option<(String, DataType)> {
        let (negative, inner) = match e {
            Expr::UnaryOp {
                op: UnaryOperator::Minus,
                expr,
            } => (true, expr.as_ref()),
            e => (false, e),
        };
        let Expr::Value(v) = inner else {
            return None;
        };
        match &v.value {
            ast::Value::Number(n, _) => {
                let lit = if negative { format!("-{n}") } else { n.clone() };
                let own = Self::number_type(n);
                let t = match want {
                    Some(w) if w.is_numeric() && !w.is_integer() => w,
                    Some(w) if w.is_integer() && own.is_integer() => own,
                    _ => own,
                };
                if t.without_typmod() != own {
                    // An integer (or numeric) constant coerced to the context's type is a
                    // cast of the constant: `(0)::numeric` plain, `0::numeric` pretty, as
                    // ruleutils.c's get_coercion_expr prints it.
                    let inner = typed_const(&lit, &own);
                    let inner = if self.parens {
                        format!("({inner})")
                    } else {
                        inner
                    };
                    return Some((format!("{inner}::{}", t.without_typmod().name()), t));
                }
                Some((typed_const(&lit, &t), t))
            }
            ast::Value::SingleQuotedString(s) if !negative => {
                let t = want.unwrap_or(DataType::Text);
                let t = if t == DataType::Unknown {
                    DataType::Text
                } else {
                    t
                };
                Some((
                    format!("'{}'::{}", s.replace('\'', "''"), const_type_name(t)),
                    t,
                ))
            }
            ast::Value::Boolean(b) if !negative => Some((b.to_string(), DataType::Bool)),
            ast::Value::Null if !negative => Some(("NULL".into(), DataType::Unknown)),
            _ => None,
        }
    }

    fn is_constant(e: &Expr) -> bool {
        match e {
            Expr::Value(_) => true,
            Expr::UnaryOp {
                op: UnaryOperator::Minus,
                expr,
            } => matches!(expr.as_ref(), Expr::Value(_)),
            _ => false,
        }
    }

    /// `(text, type, precedence of the top operator)`.
    pub(super) fn print(&self, e: &Expr, want: Option<DataType>) -> (String, Option<DataType>, u8) {
        const ATOM: u8 = 10;
        if let Some((s, t)) = self.constant(e, want) {
            let p = if s.starts_with('\'') || !s.starts_with('-') {
                ATOM
            } else {
                3
            };
            return (s, Some(t), p);
        }
        match e {
            Expr::Nested(inner) => self.print(inner, want),
            Expr::Identifier(i) => {
                let name = crate::binder::ident(i);
                let (text, t) = match self.column(None, &name) {
                    Some((Some(q), t)) => (
                        format!("{}.{}", quote_ident(q), quote_ident(&name)),
                        Some(t),
                    ),
                    Some((None, t)) => (quote_ident(&name), Some(t)),
                    None => (quote_ident(&name), None),
                };
                (text, t, ATOM)
            }
            Expr::CompoundIdentifier(parts) if parts.len() == 2 => {
                let (range, name) = (
                    crate::binder::ident(&parts[0]),
                    crate::binder::ident(&parts[1]),
                );
                let t = self.column(Some(&range), &name).map(|(_, t)| t);
                (
                    format!("{}.{}", quote_ident(&range), quote_ident(&name)),
                    t,
                    ATOM,
                )
            }
            Expr::BinaryOp { left, op, right } if self.parens && matches!(op, B::And | B::Or) => {
                // PostgreSQL's grammar folds `a AND b AND c` into one AND of three
                // arguments (not one written in parentheses), printed `(a AND b AND c)`.
                let mut operands = vec![right.as_ref()];
                let mut spine = left.as_ref();
                while let Expr::BinaryOp {
                    left: l,
                    op: o,
                    right: r,
                } = spine
                    && o == op
                {
                    operands.push(r.as_ref());
                    spine = l.as_ref();
                }
                operands.push(spine);
                let printed: Vec<String> = operands
                    .iter()
                    .rev()
                    .map(|e| self.print(e, None).0)
                    .collect();
                let text = format!("({})", printed.join(&format!(" {op} ")));
                (text, Some(DataType::Bool), ATOM)
            }
            Expr::BinaryOp { left, op, right } => {
                let p = precedence(op);
                // `varchar = 'a'` and `varchar || x` are text's operators: PostgreSQL shows
                // the implicit cast of the operand (`(code)::text = 'a'::text`).
                let concat = matches!(op, B::StringConcat);
                let to_text = |printed: (String, Option<DataType>, u8)| match printed.1 {
                    Some(DataType::Varchar(_)) if is_comparison(op) || concat => {
                        self.implicit_cast(printed, DataType::Text)
                    }
                    // `char(n)` and `name` have comparisons of their own
                    Some(DataType::Bpchar(_) | DataType::Name) if concat => {
                        self.implicit_cast(printed, DataType::Text)
                    }
                    _ => printed,
                };
                let want = |t: Option<DataType>| {
                    if concat {
                        t.filter(|t| !t.is_string())
                    } else {
                        t.filter(|_| is_coercing(op))
                    }
                };
                let (l, r, t) = match (Self::is_constant(left), Self::is_constant(right)) {
                    (true, false) => {
                        let (r, rt, rp) = to_text(self.print(right, None));
                        let (l, lt, lp) = self.print(left, want(rt));
                        ((l, lp), (r, rp), lt.or(rt))
                    }
                    _ => {
                        let (l, lt, lp) = to_text(self.print(left, None));
                        let (r, rt, rp) = match Self::is_constant(right) {
                            true => self.print(right, want(lt)),
                            false => to_text(self.print(right, want(lt))),
                        };
                        ((l, lp), (r, rp), lt.or(rt))
                    }
                };
                let wrap = |(s, cp): (String, u8), right_side: bool| {
                    if cp < p || (right_side && cp == p && p >= 6) {
                        format!("({s})")
                    } else {
                        s
                    }
                };
                let result = match op {
                    B::Eq | B::NotEq | B::Lt | B::Gt | B::LtEq | B::GtEq | B::And | B::Or => {
                        Some(DataType::Bool)
                    }
                    B::StringConcat => Some(DataType::Text),
                    _ => t,
                };
                let text = format!("{} {} {}", wrap(l, false), op, wrap(r, true));
                if self.parens {
                    return (format!("({text})"), result, ATOM);
                }
                (text, result, p)
            }
            Expr::Between {
                expr,
                negated,
                low,
                high,
            } => {
                let (x, xt, _) = self.print(expr, None);
                let (lo, _, _) = self.print(low, xt);
                let (hi, _, _) = self.print(high, xt);
                if self.parens {
                    let text = if *negated {
                        format!("(({x} < {lo}) OR ({x} > {hi}))")
                    } else {
                        format!("(({x} >= {lo}) AND ({x} <= {hi}))")
                    };
                    return (text, Some(DataType::Bool), ATOM);
                }
                let text = if *negated {
                    format!("{x} < {lo} OR {x} > {hi}")
                } else {
                    format!("{x} >= {lo} AND {x} <= {hi}")
                };
                (text, Some(DataType::Bool), if *negated { 1 } else { 2 })
            }
            Expr::IsNull(x) | Expr::IsNotNull(x) => {
                let test = if matches!(e, Expr::IsNull(_)) {
                    "IS NULL"
                } else {
                    "IS NOT NULL"
                };
                self.test(format!("{} {test}", self.print(x, None).0))
            }
            Expr::IsDistinctFrom(l, r) | Expr::IsNotDistinctFrom(l, r) => {
                let (l, lt, _) = self.print(l, None);
                let (r, _, _) = self.print(r, lt);
                let (s, t, p) = self.test(format!("{l} IS DISTINCT FROM {r}"));
                if matches!(e, Expr::IsDistinctFrom(..)) {
                    return (s, t, p);
                }
                // PostgreSQL parses IS NOT DISTINCT FROM as NOT (... IS DISTINCT FROM ...).
                let s = if self.parens { s } else { format!("({s})") };
                self.test(format!("NOT {s}"))
            }
            Expr::UnaryOp {
                op: UnaryOperator::Not,
                expr,
            } => {
                // Pretty mode parenthesizes only AND / OR under NOT (`NOT a = b` is
                // NOT (a = b) in PostgreSQL's grammar); plain mode parenthesizes NOT itself.
                let (s, _, p) = self.print(expr, None);
                let s = if p < 3 { format!("({s})") } else { s };
                if self.parens {
                    return (format!("(NOT {s})"), Some(DataType::Bool), ATOM);
                }
                (format!("NOT {s}"), Some(DataType::Bool), 3)
            }
            Expr::Cast {
                expr, data_type, ..
            } => {
                let target = DataType::from_sql(data_type).ok();
                if target == Some(DataType::RegClass)
                    && let Expr::Value(v) = expr.as_ref()
                    && let ast::Value::Number(n, _) = &v.value
                    && let Ok(oid) = n.parse::<u32>()
                {
                    let name = relation_name(oid);
                    return (
                        format!("'{}'::regclass", name.replace('\'', "''")),
                        target,
                        ATOM,
                    );
                }
                if let Some(t) = target
                    && let Some((s, _)) = self.constant(expr, Some(t))
                {
                    return (s, target, ATOM);
                }
                let (s, _, p) = self.print(expr, None);
                let s = if p < ATOM { format!("({s})") } else { s };
                let tn = target.map_or_else(|| data_type.to_string(), |t| t.name());
                (format!("{s}::{tn}"), target, ATOM)
            }
            Expr::Like {
                negated,
                any: false,
                expr,
                pattern,
                escape_char: None,
            }
            | Expr::ILike {
                negated,
                any: false,
                expr,
                pattern,
                escape_char: None,
            } => {
                // LIKE is the `~~` operator family; only varchar goes through text's.
                let op = match (matches!(e, Expr::ILike { .. }), *negated) {
                    (false, false) => "~~",
                    (false, true) => "!~~",
                    (true, false) => "~~*",
                    (true, true) => "!~~*",
                };
                let x = self.print(expr, None);
                let x = match x.1 {
                    Some(DataType::Varchar(_)) => self.implicit_cast(x, DataType::Text),
                    _ => x,
                };
                let (pat, _, pp) = self.print(pattern, Some(DataType::Text));
                let pat = if pp < 5 { format!("({pat})") } else { pat };
                let x = if x.2 < 5 { format!("({})", x.0) } else { x.0 };
                let text = format!("{x} {op} {pat}");
                if self.parens {
                    return (format!("({text})"), Some(DataType::Bool), ATOM);
                }
                (text, Some(DataType::Bool), 5)
            }
            Expr::In {
                expr,
                target: ast::InTarget::List(list),
                negated,
                ..
            } if list.iter().all(Self::is_constant) => {
                // `x IN (1, 2)` is `x = ANY (ARRAY[1, 2])` after parse analysis; a varchar
                // operand compares as text, its array cast to text[]. One item is a plain
                // comparison.
                if let [item] = list.as_slice() {
                    let op = if *negated { B::NotEq } else { B::Eq };
                    let cmp = Expr::BinaryOp {
                        left: expr.clone(),
                        op,
                        right: Box::new(item.clone()),
                    };
                    return self.print(&cmp, want);
                }
                let x = self.print(expr, None);
                let elem = x.1;
                let items: Vec<String> = list.iter().map(|i| self.print(i, elem).0).collect();
                let mut array = format!("ARRAY[{}]", items.join(", "));
                let x = match elem {
                    Some(DataType::Varchar(_)) => {
                        array = if self.parens {
                            format!("({array})::text[]")
                        } else {
                            format!("{array}::text[]")
                        };
                        self.implicit_cast(x, DataType::Text)
                    }
                    _ => x,
                };
                let op = if *negated { "<> ALL" } else { "= ANY" };
                let text = format!("{} {op} ({array})", x.0);
                if self.parens {
                    return (format!("({text})"), Some(DataType::Bool), ATOM);
                }
                (text, Some(DataType::Bool), 0)
            }
            Expr::Function(f) => self.function(f),
            other => (other.to_string(), None, ATOM),
        }
    }

    /// `printed` under an implicit cast to `to`, as `ruleutils.c` shows one in an operator's
    /// or function's argument: `(code)::text` plain, `code::text` pretty.
    fn implicit_cast(
        &self,
        printed: (String, Option<DataType>, u8),
        to: DataType,
    ) -> (String, Option<DataType>, u8) {
        let (s, _, p) = printed;
        let s = if self.parens || p < 10 {
            format!("({s})")
        } else {
            s
        };
        (format!("{s}::{}", to.name()), Some(to), 10)
    }

    /// Argument `k` of built-in function `name`: a `varchar`, `char(n)` or `name` value
    /// passed where only a `text` parameter takes it (`lower((code)::text)`) shows the cast;
    /// a function with a parameter of the value's own type (`length(bpchar)`) takes it as is.
    fn function_arg(
        &self,
        name: &str,
        nargs: usize,
        k: usize,
        printed: (String, Option<DataType>, u8),
    ) -> String {
        let Some(t @ (DataType::Varchar(_) | DataType::Bpchar(_) | DataType::Name)) = printed.1
        else {
            return printed.0;
        };
        let candidates: Vec<&crate::system::builtin_procs::BuiltinProc> =
            crate::system::builtin_procs::all()
                .iter()
                .filter(|p| p.name == name && p.arg_types.len() == nargs)
                .collect();
        let own = t.without_typmod().oid();
        let takes = |oid: u32| candidates.iter().any(|p| p.arg_types.get(k) == Some(&oid));
        if !takes(own) && takes(DataType::Text.oid()) {
            return self.implicit_cast(printed, DataType::Text).0;
        }
        printed.0
    }

    /// A predicate (`x IS NULL`): parenthesized in non-pretty mode, as `ruleutils.c` does.
    fn test(&self, text: String) -> (String, Option<DataType>, u8) {
        if self.parens {
            (format!("({text})"), Some(DataType::Bool), 10)
        } else {
            (text, Some(DataType::Bool), 5)
        }
    }

    fn function(&self, f: &ast::Function) -> (String, Option<DataType>, u8) {
        const ATOM: u8 = 10;
        let name = crate::binder::function_name(f);
        let keyword = match name.as_str() {
            "current_date" => Some(("CURRENT_DATE", DataType::Date)),
            "current_timestamp" => Some(("CURRENT_TIMESTAMP", DataType::Timestamptz(None))),
            "localtimestamp" => Some(("LOCALTIMESTAMP", DataType::Timestamp(None))),
            "current_time" => Some(("CURRENT_TIME", DataType::Time(None))),
            "current_user" => Some(("CURRENT_USER", DataType::Name)),
            "session_user" => Some(("SESSION_USER", DataType::Name)),
            _ => None,
        };
        let args = match &f.args {
            ast::FunctionArguments::List(l) => Some(&l.args),
            _ => None,
        };
        if let Some((kw, t)) = keyword
            && args.is_none_or(|a| a.is_empty())
        {
            return (kw.to_string(), Some(t), ATOM);
        }
        let arg_count = args.map_or(0, |a| a.len());
        let printed: Vec<String> = args
            .into_iter()
            .flatten()
            .enumerate()
            .map(|(k, a)| match a {
                ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) => {
                    if name == "nextval"
                        && let Expr::Value(v) = e
                        && let ast::Value::SingleQuotedString(s) = &v.value
                    {
                        return format!("'{}'::regclass", s.replace('\'', "''"));
                    }
                    self.function_arg(&name, arg_count, k, self.print(e, None))
                }
                other => other.to_string(),
            })
            .collect();
        let t = match name.as_str() {
            "now" => Some(DataType::Timestamptz(None)),
            "nextval" => Some(DataType::Int8),
            _ => None,
        };
        (format!("{name}({})", printed.join(", ")), t, ATOM)
    }
}

/// Whether the operator is one of the six comparisons.
fn is_comparison(op: &B) -> bool {
    matches!(op, B::Eq | B::NotEq | B::Lt | B::Gt | B::LtEq | B::GtEq)
}

/// Whether the operator coerces a constant operand to the other side's type.
fn is_coercing(op: &B) -> bool {
    !matches!(op, B::And | B::Or)
}

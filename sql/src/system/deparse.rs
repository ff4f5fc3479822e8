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
use crate::expr::catalog_functions::quote_ident;
use crate::storage::{Catalog, TableDef, ViewDef};
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
                table,
                qualifier: None,
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
                table: Some(table),
                qualifier: None,
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
                table,
                qualifier: None,
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
        .filter_map(|k| index_column(i, k, pretty))
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

/// `pg_get_constraintdef(oid)`.
pub fn constraint_definition(cat: &Catalog, c: &ConstraintRef) -> String {
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
        ConstraintRef::Check(t, ck) => format!("CHECK ({})", expr(&ck.expr, Some(t))),
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
            s
        }
    }
}

/// `pg_get_viewdef(oid)` in PostgreSQL's pretty layout. A query over one table (select
/// list, WHERE, ORDER BY) is re-printed as PostgreSQL does — columns qualified by the table,
/// one output column per line, constants typed; other queries are given as written, with
/// PostgreSQL's leading space and closing semicolon.
pub fn view_definition(cat: &Catalog, v: &ViewDef) -> String {
    simple_view(cat, v).unwrap_or_else(|| format!(" {};", v.query.trim().trim_end_matches(';')))
}

fn simple_view(cat: &Catalog, v: &ViewDef) -> Option<String> {
    let dialect = sqlparser::dialect::PostgreSqlDialect {};
    let mut stmts = sqlparser::parser::Parser::parse_sql(&dialect, &v.query).ok()?;
    let Some(ast::Statement::Query(q)) = stmts.pop() else {
        return None;
    };
    if q.with.is_some() || q.limit_clause.is_some() || q.fetch.is_some() {
        return None;
    }
    let ast::SetExpr::Select(sel) = q.body.as_ref() else {
        return None;
    };
    if sel.distinct.is_some()
        || sel.having.is_some()
        || !matches!(&sel.group_by, ast::GroupByExpr::Expressions(g, m) if g.is_empty() && m.is_empty())
        || sel.from.len() != 1
        || !sel.from[0].joins.is_empty()
    {
        return None;
    }
    let ast::TableFactor::Table {
        name,
        alias: None,
        args: None,
        ..
    } = &sel.from[0].relation
    else {
        return None;
    };
    let parts: Vec<String> = name
        .0
        .iter()
        .map(|p| match p {
            ast::ObjectNamePart::Identifier(i) => crate::binder::ident(i),
            other => other.to_string(),
        })
        .collect();
    let table = match parts.as_slice() {
        [n] => v
            .search_path
            .iter()
            .filter_map(|s| cat.schema(s))
            .find_map(|s| {
                cat.tables
                    .iter()
                    .find(|t| t.schema == s.oid && &t.name == n)
            }),
        [s, n] => {
            let s = cat.schema(s)?;
            cat.tables
                .iter()
                .find(|t| t.schema == s.oid && &t.name == n)
        }
        _ => None,
    }?;
    let p = Printer {
        table: Some(table),
        qualifier: Some(quote_ident(&table.name)),
        parens: false,
    };
    let mut items = Vec::new();
    for item in &sel.projection {
        match item {
            ast::SelectItem::Wildcard(_) => {
                items.extend(table.columns.iter().map(|c| (c.name.clone(), None)));
            }
            ast::SelectItem::UnnamedExpr(e) | ast::SelectItem::ExprWithAlias { expr: e, .. } => {
                let direct = match e {
                    Expr::Identifier(i) => Some(crate::binder::ident(i)),
                    _ => None,
                };
                items.push((direct.unwrap_or_default(), Some(e)));
            }
            _ => return None,
        }
    }
    if items.len() != v.columns.len() {
        return None;
    }
    let columns: Vec<String> = items
        .iter()
        .zip(&v.columns)
        .map(|((direct, e), out)| {
            let text = match e {
                Some(e) => p.print(e, None).0,
                None => format!("{}.{}", quote_ident(&table.name), quote_ident(direct)),
            };
            if *direct == out.name {
                text
            } else {
                format!("{text} AS {}", quote_ident(&out.name))
            }
        })
        .collect();
    let from = relation_name(table.id);
    let mut s = format!(" SELECT {}\n   FROM {from}", columns.join(",\n    "));
    if let Some(w) = &sel.selection {
        s.push_str(&format!("\n  WHERE {}", p.print(w, None).0));
    }
    if let Some(ob) = &q.order_by {
        let ast::OrderByKind::Expressions(exprs) = &ob.kind else {
            return None;
        };
        let keys: Vec<String> = exprs
            .iter()
            .map(|o| {
                let mut k = p.print(&o.expr, None).0;
                let desc = matches!(&o.options.sort, Some(ast::OrderBySort::Desc));
                if desc {
                    k.push_str(" DESC");
                }
                match (desc, o.options.nulls_first) {
                    (true, Some(false)) => k.push_str(" NULLS LAST"),
                    (false, Some(true)) => k.push_str(" NULLS FIRST"),
                    _ => {}
                }
                k
            })
            .collect();
        s.push_str(&format!("\n  ORDER BY {}", keys.join(", ")));
    }
    s.push(';');
    Some(s)
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

struct Printer<'a> {
    table: Option<&'a TableDef>,
    /// Columns print as `qualifier.column` (a view's query).
    qualifier: Option<String>,
    /// Non-pretty mode: every operator expression in parentheses, as `ruleutils.c` prints
    /// without `PRETTY_PAREN`.
    parens: bool,
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
        t => format!(
            "'{}'::{}",
            literal.replace('\'', "''"),
            t.without_typmod().name()
        ),
    }
}

impl Printer<'_> {
    fn column_type(&self, name: &str) -> Option<DataType> {
        let t = self.table?;
        t.columns
            .iter()
            .find(|c| c.name == name)
            .map(|c| c.data_type)
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
                    format!("'{}'::{}", s.replace('\'', "''"), t.without_typmod().name()),
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
    fn print(&self, e: &Expr, want: Option<DataType>) -> (String, Option<DataType>, u8) {
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
                let t = self.column_type(&name);
                let text = match &self.qualifier {
                    Some(q) => format!("{q}.{}", quote_ident(&name)),
                    None => quote_ident(&name),
                };
                (text, t, ATOM)
            }
            Expr::BinaryOp { left, op, right } => {
                let p = precedence(op);
                let (l, r, t) = match (Self::is_constant(left), Self::is_constant(right)) {
                    (true, false) => {
                        let (r, rt, rp) = self.print(right, None);
                        let (l, lt, lp) = self.print(left, rt.filter(|_| is_coercing(op)));
                        ((l, lp), (r, rp), lt.or(rt))
                    }
                    _ => {
                        let (l, lt, lp) = self.print(left, None);
                        let (r, rt, rp) = self.print(right, lt.filter(|_| is_coercing(op)));
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
                let text = if *negated {
                    format!("{x} < {lo} OR {x} > {hi}")
                } else {
                    format!("{x} >= {lo} AND {x} <= {hi}")
                };
                (text, Some(DataType::Bool), if *negated { 1 } else { 2 })
            }
            Expr::IsNull(x) => (
                format!("{} IS NULL", self.print(x, None).0),
                Some(DataType::Bool),
                5,
            ),
            Expr::IsNotNull(x) => (
                format!("{} IS NOT NULL", self.print(x, None).0),
                Some(DataType::Bool),
                5,
            ),
            Expr::UnaryOp {
                op: UnaryOperator::Not,
                expr,
            } => {
                let (s, _, p) = self.print(expr, None);
                let s = if p < ATOM { format!("({s})") } else { s };
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
            Expr::Function(f) => self.function(f),
            other => (other.to_string(), None, ATOM),
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
        let printed: Vec<String> = args
            .into_iter()
            .flatten()
            .map(|a| match a {
                ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) => {
                    if name == "nextval"
                        && let Expr::Value(v) = e
                        && let ast::Value::SingleQuotedString(s) = &v.value
                    {
                        return format!("'{}'::regclass", s.replace('\'', "''"));
                    }
                    self.print(e, None).0
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

/// Whether the operator coerces a constant operand to the other side's type.
fn is_coercing(op: &B) -> bool {
    !matches!(op, B::And | B::Or)
}

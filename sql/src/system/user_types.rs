//! The catalog rows of enum types and domains ([`crate::storage::TypeBody`]): their
//! `pg_type` rows and those of their array types (`_name`), and `pg_enum`'s labels.
//! (Composite types' rows are `builtin`'s; domains' CHECK constraints are `pg_constraint`
//! rows, in `relations`.)

use super::Context;
use super::builtin::{TypeRow, category_code};
use super::builtin_procs::TypeIo;
use super::relations::{align_of, collation_of, storage_of};
use super::val::*;
use crate::Result;
use crate::storage::{Row, TypeBody};

/// The `pg_type` rows of enum types and domains and of their array types.
pub(super) fn pg_type_rows(ctx: &Context) -> Vec<Row> {
    let mut rows = Vec::new();
    for t in &ctx.env.catalog.types {
        let (row, elem_align) = match &t.body {
            TypeBody::Composite => continue,
            TypeBody::Enum(_) => (
                TypeRow {
                    oid: t.oid,
                    name: t.name.clone(),
                    namespace: t.schema,
                    owner: t.owner,
                    len: 4,
                    by_value: true,
                    kind: 'e',
                    category: 'E',
                    array: t.array_oid,
                    align: 'i',
                    storage: 'p',
                    io: TypeIo::ENUM,
                    ..TypeRow::default()
                },
                'i',
            ),
            TypeBody::Domain(d) => {
                let base = d.base;
                (
                    TypeRow {
                        oid: t.oid,
                        name: t.name.clone(),
                        namespace: t.schema,
                        owner: t.owner,
                        len: base.type_len().into(),
                        by_value: matches!(base.type_len(), 1 | 2 | 4 | 8),
                        kind: 'd',
                        category: category_code(&base),
                        array: t.array_oid,
                        align: align_of(&base),
                        storage: storage_of(&base),
                        collation: collation_of(&base),
                        not_null: d.not_null,
                        base: base.oid(),
                        typmod: Some(base.typmod()),
                        default: d.default.clone(),
                        elem: base.elem().map_or(0, |e| e.oid()),
                        io: TypeIo::domain(base.oid()),
                        ..TypeRow::default()
                    },
                    match align_of(&base) {
                        'd' => 'd',
                        _ => 'i',
                    },
                )
            }
        };
        rows.push(row.row());
        if t.array_oid != 0 {
            rows.push(
                TypeRow {
                    oid: t.array_oid,
                    name: format!("_{}", t.name),
                    namespace: t.schema,
                    owner: t.owner,
                    len: -1,
                    kind: 'b',
                    category: 'A',
                    elem: t.oid,
                    align: elem_align,
                    storage: 'x',
                    io: TypeIo::ARRAY,
                    ..TypeRow::default()
                }
                .row(),
            );
        }
    }
    rows
}

/// `pg_enum`: every label of every enum type.
pub(super) fn pg_enum(ctx: &Context) -> Result<Vec<Row>> {
    let mut rows = Vec::new();
    for t in &ctx.env.catalog.types {
        if let TypeBody::Enum(labels) = &t.body {
            for l in labels {
                rows.push(vec![
                    oid(l.oid),
                    oid(t.oid),
                    crate::Value::Float4(l.sort),
                    text(l.label.clone()),
                ]);
            }
        }
    }
    Ok(rows)
}

/// The `pg_constraint` rows of domains' CHECK constraints (`contypid` the domain).
pub(super) fn domain_constraints(ctx: &Context) -> Vec<Row> {
    let mut rows = Vec::new();
    for t in &ctx.env.catalog.types {
        let TypeBody::Domain(d) = &t.body else {
            continue;
        };
        for c in &d.checks {
            rows.push(vec![
                oid(c.oid),
                text(c.name.clone()),
                oid(t.schema),
                ch('c'),
                b(false),
                b(false),
                b(true),
                oid(0),
                oid(t.oid),
                oid(0),
                oid(0),
                oid(0),
                ch(' '),
                ch(' '),
                ch(' '),
                b(true),
                int(0),
                b(false),
                null(),
                null(),
                null(),
                null(),
                null(),
                null(),
                null(),
                text(c.expr.clone()),
            ]);
        }
    }
    rows
}

/// `pg_get_constraintdef` of a domain's CHECK constraint, if `oid` is one.
pub fn domain_constraint_definition(
    cat: &crate::storage::Catalog,
    oid: crate::storage::Oid,
    pretty: bool,
) -> Option<String> {
    cat.types.iter().find_map(|t| match &t.body {
        TypeBody::Domain(d) => d.checks.iter().find(|c| c.oid == oid).map(|c| {
            let e = super::deparse::expr_in_mode(&c.expr, None, pretty);
            format!("CHECK ({})", upper_value(&e))
        }),
        _ => None,
    })
}

/// `VALUE` written as PostgreSQL prints it in a domain's CHECK (the deparser prints the
/// unquoted identifier in lower case); strings and quoted names are left alone.
fn upper_value(text: &str) -> String {
    use sqlparser::tokenizer::{Token, Tokenizer};
    let dialect = sqlparser::dialect::PostgreSqlDialect {};
    let Ok(tokens) = Tokenizer::new(&dialect, text).tokenize() else {
        return text.to_string();
    };
    tokens
        .iter()
        .map(|t| match t {
            Token::Word(w) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case("value") => {
                "VALUE".to_string()
            }
            t => t.to_string(),
        })
        .collect()
}

/// The type a column of a domain or enum type reports in the catalogs (`atttypid`):
/// the domain's OID where the column was declared with one, else its type's.
pub fn column_type_oid(c: &crate::storage::ColumnDef) -> u32 {
    c.domain.unwrap_or_else(|| c.data_type.oid())
}

//! PostgreSQL's rules for the names it makes up: `t_pkey`, `t_a_key`, `t_a_b_idx`,
//! `t_a_check`, `t_a_fkey`, `t_id_seq` — at most 63 bytes (NAMEDATALEN - 1, the parts
//! truncated proportionally like `makeObjectName`), and a number appended to the label on a
//! collision (`t_a_key1`, `t_a_key2`), like `ChooseRelationName` / `ChooseConstraintName`.

use crate::storage::{Catalog, Oid};

/// Longest identifier PostgreSQL keeps.
pub const MAX_IDENTIFIER: usize = 63;

/// Truncates `s` to at most `n` bytes on a character boundary.
fn truncate(s: &str, n: usize) -> &str {
    if s.len() <= n {
        return s;
    }
    let mut end = n;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// `makeObjectName(name1, name2, label)`: `name1_name2_label`, shortening the longer of
/// `name1` / `name2` first until it fits.
pub fn object_name(name1: &str, name2: Option<&str>, label: &str) -> String {
    let overhead = label.len() + 1 + name2.map_or(0, |_| 1);
    let avail = MAX_IDENTIFIER.saturating_sub(overhead);
    let (mut l1, mut l2) = (name1.len(), name2.map_or(0, str::len));
    while l1 + l2 > avail {
        if l1 > l2 {
            l1 -= 1;
        } else {
            l2 -= 1;
        }
    }
    let mut out = truncate(name1, l1).to_string();
    if let Some(n2) = name2 {
        out.push('_');
        out.push_str(truncate(n2, l2));
    }
    out.push('_');
    out.push_str(label);
    out
}

/// The first of `name1_name2_label`, `..._label1`, `..._label2`, ... that `taken` rejects
/// not.
pub fn choose(
    name1: &str,
    name2: Option<&str>,
    label: &str,
    taken: impl Fn(&str) -> bool,
) -> String {
    let mut pass = 0;
    loop {
        let modlabel = if pass == 0 {
            label.to_string()
        } else {
            format!("{label}{pass}")
        };
        let name = object_name(name1, name2, &modlabel);
        if !taken(&name) {
            return name;
        }
        pass += 1;
    }
}

/// The name addition and label of a partition's copy of index `idx` of `def`: its key
/// columns joined (an expression is `expr`), `key` for a constraint's index, `idx` otherwise.
pub fn cloned_index_parts(
    def: &crate::storage::TableDef,
    idx: &crate::storage::IndexDef,
) -> (String, &'static str) {
    let cols = idx
        .columns
        .iter()
        .map(|&c| def.columns.get(c).map_or("expr", |col| col.name.as_str()));
    let label = if idx.constraint.is_some() {
        "key"
    } else {
        "idx"
    };
    (columns_addition(cols), label)
}

/// An index's column names made distinct as `ChooseIndexColumnNames` does: a name seen
/// before in the list gets the first free number appended (`expr`, `expr1`, `expr2`).
pub fn distinct_index_column_names(names: &mut [String]) {
    for k in 1..names.len() {
        let (before, rest) = names.split_at_mut(k);
        let orig = rest[0].clone();
        let mut n = 1;
        while before.iter().any(|b| *b == rest[0]) {
            let digits = n.to_string();
            let keep = truncate(&orig, MAX_IDENTIFIER - digits.len());
            rest[0] = format!("{keep}{digits}");
            n += 1;
        }
    }
}

/// Column names joined by `_` (`ChooseIndexNameAddition`), cut at the identifier limit.
pub fn columns_addition<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    let mut out = String::new();
    for n in names {
        if !out.is_empty() {
            out.push('_');
        }
        out.push_str(n);
        if out.len() >= MAX_IDENTIFIER {
            break;
        }
    }
    truncate(&out, MAX_IDENTIFIER).to_string()
}

/// Whether any constraint of any table in schema `schema` is called `name`, or one of
/// `extra` (names chosen earlier in the same statement).
pub fn constraint_taken(catalog: &Catalog, schema: Oid, name: &str, extra: &[String]) -> bool {
    extra.iter().any(|e| e == name)
        || catalog
            .tables
            .iter()
            .filter(|t| t.schema == schema)
            .any(|t| t.constraint_names().any(|c| c == name))
}

/// Whether a relation of schema `schema` is called `name`, or one of `extra`.
pub fn relation_taken(catalog: &Catalog, schema: Oid, name: &str, extra: &[String]) -> bool {
    extra.iter().any(|e| e == name)
        || catalog.relation_exists(schema, name)
        || crate::system::lookup(schema, name).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_postgres() {
        assert_eq!(object_name("t", Some("a"), "key"), "t_a_key");
        assert_eq!(object_name("t", None, "pkey"), "t_pkey");
        let long = "x".repeat(70);
        let n = object_name(&long, Some("col"), "key");
        assert_eq!(n.len(), 63);
        assert!(n.ends_with("_col_key"));
        let taken = ["t_a_key".to_string(), "t_a_key1".to_string()];
        assert_eq!(
            choose("t", Some("a"), "key", |n| taken.iter().any(|t| t == n)),
            "t_a_key2"
        );
    }
}

//! Names that are both a PL/pgSQL variable and a column (`plpgsql.variable_conflict`).
//!
//! A statement's variables become `$n` parameters before it is bound ([`super::vars`]); the
//! names of the plain ones (`x`, not `rec.f`) are kept here, per thread, while the statement
//! is bound, so the binder can tell when `$n` also names a column in scope. By default that
//! is 42702 (`column reference "x" is ambiguous`), as in PostgreSQL; `#variable_conflict
//! use_variable` at the top of the body keeps the variable, `use_column` the column.

use crate::{Error, Result};
use std::cell::RefCell;

/// How a name that is both a variable and a column resolves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Conflict {
    #[default]
    Error,
    UseVariable,
    UseColumn,
}

thread_local! {
    static NAMES: RefCell<Option<(Conflict, Vec<Option<String>>)>> = const { RefCell::new(None) };
}

/// Runs `f` (binding and running one statement) with parameter `i` standing for variable
/// `names[i]` (`None`: not a plain variable).
pub fn with_names<T>(conflict: Conflict, names: Vec<Option<String>>, f: impl FnOnce() -> T) -> T {
    let before = NAMES.with(|n| n.replace(Some((conflict, names))));
    let r = f();
    NAMES.with(|n| *n.borrow_mut() = before);
    r
}

/// Forgets the names while `f` runs (a statement bound inside another one's execution).
pub fn without_names<T>(f: impl FnOnce() -> T) -> T {
    let before = NAMES.with(|n| n.replace(None));
    let r = f();
    NAMES.with(|n| *n.borrow_mut() = before);
    r
}

/// The variable parameter `i` stands for and how a conflict resolves, if any.
pub fn variable(i: usize) -> Option<(String, Conflict)> {
    NAMES.with(|n| {
        let n = n.borrow();
        let (conflict, names) = n.as_ref()?;
        Some((names.get(i)?.clone()?, *conflict))
    })
}

/// PostgreSQL's 42702 for `name`.
pub fn ambiguous(name: &str) -> Error {
    Error::Raised(Box::new(crate::error::Raised {
        code: "42702",
        message: format!("column reference \"{name}\" is ambiguous"),
        detail: Some("It could refer to either a PL/pgSQL variable or a table column.".into()),
        hint: None,
    }))
}

/// Reads `#variable_conflict ...` options at the start of body `src`: the setting and the
/// text with the options blanked (so spans stay); 42601 for an unknown option or value.
pub fn options(src: &str) -> Result<(Conflict, String)> {
    let mut conflict = Conflict::Error;
    let mut out = src.to_string();
    let mut at = 0;
    loop {
        let rest = &src[at..];
        let trimmed = rest.trim_start();
        if !trimmed.starts_with('#') {
            break;
        }
        let start = at + (rest.len() - trimmed.len());
        let end = trimmed.find('\n').map_or(src.len(), |e| start + e);
        let line = &src[start + 1..end];
        let mut words = line.split_whitespace();
        match (words.next(), words.next()) {
            (Some(o), Some(v)) if o.eq_ignore_ascii_case("variable_conflict") => {
                conflict = match v.to_ascii_lowercase().as_str() {
                    "error" => Conflict::Error,
                    "use_variable" => Conflict::UseVariable,
                    "use_column" => Conflict::UseColumn,
                    _ => {
                        return Err(Error::SyntaxError(format!(
                            "syntax error at or near \"{v}\""
                        )));
                    }
                }
            }
            (Some(o), _) => {
                return Err(Error::SyntaxError(format!("unrecognized option \"{o}\"")));
            }
            _ => return Err(Error::SyntaxError("syntax error at or near \"#\"".into())),
        }
        out.replace_range(start..end, &" ".repeat(end - start));
        at = end;
    }
    Ok((conflict, out))
}

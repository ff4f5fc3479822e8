//! Choosing among overloads, following PostgreSQL's operator and function resolution
//! (`func_select_candidate`), for the families whose functions and operators have several
//! signatures:
//!
//! 1. For a binary operator with one unknown-typed operand, a candidate taking the other
//!    operand's type on both sides wins outright (`date - '2020-01-01'` is `date - date`).
//! 2. Candidates whose every parameter the argument converts to implicitly remain
//!    (an unknown literal converts to anything).
//! 3. Keep those with the most exact type matches, then those with the most parameters of
//!    their category's preferred type (`float8`, `text`, `timestamptz`, `interval`) where the
//!    argument needed a conversion.
//! 4. One left: chosen. None: 42883 "does not exist". Several: 42725 "is not unique".

use crate::types::coerce::can_implicit;
use crate::types::{Category, DataType};
use crate::{Error, Result};

/// One overload: parameter types, result type, and what to call.
#[derive(Debug, Clone)]
pub struct Candidate<F> {
    pub params: Vec<DataType>,
    pub ret: DataType,
    pub f: F,
}

impl<F> Candidate<F> {
    pub fn new(params: &[DataType], ret: DataType, f: F) -> Candidate<F> {
        Candidate {
            params: params.to_vec(),
            ret,
            f,
        }
    }
}

fn preferred(t: DataType) -> bool {
    matches!(
        t,
        DataType::Float8
            | DataType::Text
            | DataType::Timestamptz(_)
            | DataType::Interval
            | DataType::Bool
            | DataType::Oid
    )
}

fn same(a: DataType, b: DataType) -> bool {
    a.without_typmod() == b.without_typmod()
}

/// What is being resolved, for error messages.
pub enum Target<'a> {
    Function(&'a str),
    Operator(&'a str),
}

impl Target<'_> {
    fn undefined(&self, args: &[DataType]) -> Error {
        match self {
            Target::Function(name) => super::functions::undefined(name, args),
            Target::Operator(sym) => Error::UndefinedFunction(match args {
                [l, r] => format!("operator does not exist: {} {sym} {}", l.name(), r.name()),
                [r] => format!("operator does not exist: {sym} {}", r.name()),
                _ => format!("operator does not exist: {sym}"),
            }),
        }
    }

    fn ambiguous(&self, args: &[DataType]) -> Error {
        let names: Vec<String> = args.iter().map(|t| t.name()).collect();
        Error::AmbiguousFunction(match self {
            Target::Function(name) => {
                format!("function {name}({}) is not unique", names.join(", "))
            }
            Target::Operator(sym) => {
                format!(
                    "operator is not unique: {}",
                    names.join(&format!(" {sym} "))
                )
            }
        })
    }
}

/// Picks the overload for `args` (see the module docs).
pub fn choose<F: Clone>(
    target: Target<'_>,
    args: &[DataType],
    candidates: &[Candidate<F>],
) -> Result<Candidate<F>> {
    let unknown = DataType::Unknown;
    if let (Target::Operator(_), [l, r]) = (&target, args)
        && (*l == unknown) != (*r == unknown)
    {
        let known = if *l == unknown { *r } else { *l };
        if let Some(c) = candidates
            .iter()
            .find(|c| c.params.iter().all(|p| same(*p, known)))
        {
            return Ok(c.clone());
        }
    }
    let mut live: Vec<&Candidate<F>> = candidates
        .iter()
        .filter(|c| {
            c.params.len() == args.len()
                && args
                    .iter()
                    .zip(&c.params)
                    .all(|(a, p)| can_implicit(*a, *p))
        })
        .collect();
    if live.is_empty() {
        return Err(target.undefined(args));
    }
    let score = |c: &Candidate<F>, f: &dyn Fn(DataType, DataType) -> bool| {
        args.iter()
            .zip(&c.params)
            .filter(|(a, p)| f(**a, **p))
            .count()
    };
    let exact = |a: DataType, p: DataType| a != unknown && same(a, p);
    let best = live.iter().map(|c| score(c, &exact)).max().unwrap_or(0);
    live.retain(|c| score(c, &exact) == best);
    let pref = |a: DataType, p: DataType| !same(a, p) && a != unknown && preferred(p);
    let best = live.iter().map(|c| score(c, &pref)).max().unwrap_or(0);
    live.retain(|c| score(c, &pref) == best);
    // Unknown arguments: prefer candidates taking a string there, else a preferred type
    // when every candidate takes the same category there.
    for (i, a) in args.iter().enumerate() {
        if *a != unknown || live.len() < 2 {
            continue;
        }
        if live
            .iter()
            .any(|c| c.params[i].category() == Category::String)
        {
            live.retain(|c| c.params[i].category() == Category::String);
            continue;
        }
        let cat = live[0].params[i].category();
        if live.iter().all(|c| c.params[i].category() == cat)
            && live.iter().any(|c| preferred(c.params[i]))
        {
            live.retain(|c| preferred(c.params[i]));
        }
    }
    match live.as_slice() {
        [one] => Ok((*one).clone()),
        _ => Err(target.ambiguous(args)),
    }
}

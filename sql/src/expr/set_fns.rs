//! Set-returning functions: `unnest(array)`, `generate_series` over integers, numerics
//! and timestamps, and the jsonb ones ([`super::jsonb_fns::JsonbSet`]). They appear in FROM and in the select list (where several of them run in
//! lockstep, the shorter ones padded with NULLs, as PostgreSQL 10+ does); the
//! [`crate::executor::ProjectSet`] operator drives them.

use super::resolve::{Candidate, Target, choose};
use crate::types::datetime::{Interval, arith};
use crate::types::{DataType, Numeric, Value};
use crate::{Error, Result};

/// A set-returning function. See the module docs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetFn {
    Unnest,
    /// `unnest(int2vector | oidvector)`.
    UnnestVector,
    /// `generate_subscripts(array, dim [, reverse])`; `true` for a vector (subscripts from 0).
    Subscripts(bool),
    /// `generate_series` over integers of this type.
    SeriesInt(DataType),
    SeriesNumeric,
    /// `generate_series(timestamp, timestamp, interval)`; `true` for timestamptz.
    SeriesTimestamp(bool),
    /// `pg_partition_ancestors(regclass)`: the relation and the partitioned tables above
    /// it (column `relid`).
    PartitionAncestors,
    /// `pg_listening_channels()`: the session's committed LISTEN channels.
    ListeningChannels,
    /// `WITH ORDINALITY`'s row number: counts the rows of the other functions of its
    /// `ProjectSet` without extending them.
    Ordinality,
    Jsonb(super::jsonb_fns::JsonbSet),
    /// `jsonb_path_query(j, path [, vars [, silent]])`.
    JsonbPathQuery,
    /// `regexp_matches(s, pattern [, flags])`: text[] per match.
    RegexpMatches,
    /// `regexp_split_to_table(s, pattern [, flags])`.
    RegexpSplit,
    /// `string_to_table(s, delimiter [, null_string])`: `string_to_array`'s items as rows
    /// (a NULL delimiter splits into characters, as there).
    StringToTable,
    /// `unnest(tsvector)`: in FROM three of these in lockstep (the `lexeme`, `positions`
    /// and `weights` columns); in a select list one yielding the rows as records.
    TsUnnest(TsColumn),
    /// A set-returning PL/pgSQL function `oid`, called once per input row by
    /// [`crate::executor::ProjectSet`] (which lends it the transaction); each result row
    /// gives `width` values, or one record of them when `record` (in a select list).
    Routine {
        oid: u32,
        strict: bool,
        width: u16,
        record: bool,
        /// The call site's column definition list (`AS t(a int, b text)`) of a function
        /// returning `SETOF record`: the rows' types.
        columns: Option<std::sync::Arc<[DataType]>>,
    },
}

/// What `unnest(tsvector)` yields per lexeme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TsColumn {
    Lexeme,
    /// `smallint[]`, NULL for a lexeme without positions.
    Positions,
    /// `text[]` of `A`..`D`, NULL for a lexeme without positions.
    Weights,
    /// The three as a record (`(fat,"{2,4}","{D,D}")`).
    Record,
}

impl TsColumn {
    /// The columns in FROM: function, name, type.
    pub fn columns() -> [(TsColumn, &'static str, DataType); 3] {
        [
            (TsColumn::Lexeme, "lexeme", DataType::Text),
            (
                TsColumn::Positions,
                "positions",
                DataType::array_of(DataType::Int2),
            ),
            (
                TsColumn::Weights,
                "weights",
                DataType::array_of(DataType::Text),
            ),
        ]
    }

    /// The rows of `tsvector_unnest` on `v`.
    fn rows(self, v: &crate::types::tsvector::TsVector) -> Vec<Value> {
        use crate::types::Array;
        use crate::types::tsvector::{pos_of, weight_of};
        let array = |items: Vec<Value>| Value::Array(Box::new(Array::from_items(items)));
        let positions = |l: &crate::types::tsvector::Lexeme| {
            if l.pos.is_empty() {
                return Value::Null;
            }
            array(
                l.pos
                    .iter()
                    .map(|p| Value::Int(i64::from(pos_of(*p))))
                    .collect(),
            )
        };
        let weights = |l: &crate::types::tsvector::Lexeme| {
            if l.pos.is_empty() {
                return Value::Null;
            }
            array(
                l.pos
                    .iter()
                    .map(|p| {
                        Value::Text(["D", "C", "B", "A"][usize::from(weight_of(*p) & 3)].into())
                    })
                    .collect(),
            )
        };
        v.lexemes
            .iter()
            .map(|l| match self {
                TsColumn::Lexeme => Value::Text(l.word.clone()),
                TsColumn::Positions => positions(l),
                TsColumn::Weights => weights(l),
                TsColumn::Record => Value::Text(crate::types::record::format_fields(&[
                    Value::Text(l.word.clone()),
                    positions(l),
                    weights(l),
                ])),
            })
            .collect()
    }
}

/// Names of the set-returning functions (for finding them in a select list).
pub const NAMES: [&str; 20] = [
    "unnest",
    "jsonb_path_query_tz",
    "string_to_table",
    "pg_listening_channels",
    "regexp_matches",
    "regexp_split_to_table",
    "jsonb_path_query",
    "generate_subscripts",
    "generate_series",
    "pg_partition_ancestors",
    "jsonb_each",
    "jsonb_each_text",
    "jsonb_array_elements",
    "jsonb_array_elements_text",
    "jsonb_object_keys",
    "json_each",
    "json_each_text",
    "json_array_elements",
    "json_array_elements_text",
    "json_object_keys",
];

impl SetFn {
    /// How many columns each of its rows gives.
    pub fn width(&self) -> usize {
        match self {
            SetFn::Routine { record: true, .. } => 1,
            SetFn::Routine { width, .. } => usize::from(*width),
            _ => 1,
        }
    }

    /// Resolves a set-returning call: the function, its argument types, its row type.
    pub fn resolve(
        name: &str,
        args: &[DataType],
    ) -> Option<Result<(SetFn, Vec<DataType>, DataType)>> {
        use DataType as T;
        if let Some(r) = super::jsonb_fns::JsonbSet::resolve(name, args) {
            return Some(r.map(|(f, arg, ret)| (SetFn::Jsonb(f), vec![arg], ret)));
        }
        match name {
            "jsonb_path_query" | "jsonb_path_query_tz" => Some(
                super::jsonpath_exec::params(args)
                    .map(|p| (SetFn::JsonbPathQuery, p, T::Jsonb))
                    .ok_or_else(|| super::functions::undefined(name, args)),
            ),
            "unnest" => Some(match args {
                [DataType::Array(e)] => Ok((SetFn::Unnest, args.to_vec(), e.get())),
                [T::TsVector] => Ok((SetFn::TsUnnest(TsColumn::Record), args.to_vec(), T::Text)),
                [v @ (T::Int2Vector | T::OidVector)] => Ok((
                    SetFn::UnnestVector,
                    args.to_vec(),
                    crate::types::vector::elem(*v).unwrap_or(T::Int2),
                )),
                [DataType::Unknown] => Err(Error::UndefinedFunction(
                    "function unnest(unknown) is not unique".into(),
                )),
                _ => Err(super::functions::undefined(name, args)),
            }),
            "generate_subscripts" => Some(match args {
                [a, d] | [a, d, _] if d.is_integer() || *d == T::Unknown => {
                    let vector = matches!(a, T::Int2Vector | T::OidVector);
                    if !vector && !matches!(a, T::Array(_)) {
                        return Some(Err(super::functions::undefined(name, args)));
                    }
                    let mut params = vec![*a, T::Int4];
                    if args.len() == 3 {
                        params.push(T::Bool);
                    }
                    Ok((SetFn::Subscripts(vector), params, T::Int4))
                }
                _ => Err(super::functions::undefined(name, args)),
            }),
            "regexp_matches" | "regexp_split_to_table" => {
                let (f, ret) = if name == "regexp_matches" {
                    (SetFn::RegexpMatches, T::array_of(T::Text))
                } else {
                    (SetFn::RegexpSplit, T::Text)
                };
                let ok = matches!(args.len(), 2 | 3)
                    && args.iter().all(|t| t.is_string() || *t == T::Unknown);
                Some(if ok {
                    Ok((f, vec![T::Text; args.len()], ret))
                } else {
                    Err(super::functions::undefined(name, args))
                })
            }
            "string_to_table" => Some(
                if matches!(args.len(), 2 | 3)
                    && args.iter().all(|t| t.is_string() || *t == T::Unknown)
                {
                    Ok((SetFn::StringToTable, vec![T::Text; args.len()], T::Text))
                } else {
                    Err(super::functions::undefined(name, args))
                },
            ),
            "pg_listening_channels" => Some(match args {
                [] => Ok((SetFn::ListeningChannels, Vec::new(), T::Text)),
                _ => Err(super::functions::undefined(name, args)),
            }),
            "pg_partition_ancestors" => Some(match args {
                [_] => Ok((
                    SetFn::PartitionAncestors,
                    vec![DataType::RegClass],
                    DataType::RegClass,
                )),
                _ => Err(super::functions::undefined(name, args)),
            }),
            "generate_series" => {
                let ts = T::Timestamp(None);
                let tz = T::Timestamptz(None);
                let n = T::Numeric(None);
                let cands = [
                    Candidate::new(&[T::Int4, T::Int4], T::Int4, SetFn::SeriesInt(T::Int4)),
                    Candidate::new(
                        &[T::Int4, T::Int4, T::Int4],
                        T::Int4,
                        SetFn::SeriesInt(T::Int4),
                    ),
                    Candidate::new(&[T::Int8, T::Int8], T::Int8, SetFn::SeriesInt(T::Int8)),
                    Candidate::new(
                        &[T::Int8, T::Int8, T::Int8],
                        T::Int8,
                        SetFn::SeriesInt(T::Int8),
                    ),
                    Candidate::new(&[n, n], n, SetFn::SeriesNumeric),
                    Candidate::new(&[n, n, n], n, SetFn::SeriesNumeric),
                    Candidate::new(&[ts, ts, T::Interval], ts, SetFn::SeriesTimestamp(false)),
                    Candidate::new(&[tz, tz, T::Interval], tz, SetFn::SeriesTimestamp(true)),
                ];
                Some(choose(Target::Function(name), args, &cands).map(|c| (c.f, c.params, c.ret)))
            }
            _ => None,
        }
    }

    /// The rows of one call (NULL arguments: no rows).
    pub fn start(&self, args: Vec<Value>) -> Result<SetIter> {
        // string_to_table takes a NULL delimiter or null string, as string_to_array does.
        let strict_args = if *self == SetFn::StringToTable {
            &args[..1.min(args.len())]
        } else {
            &args[..]
        };
        if strict_args.iter().any(Value::is_null) {
            return Ok(SetIter::Done);
        }
        if *self == SetFn::StringToTable {
            let items = match super::array_fns::ArrayFn::StringToArray.call(args)? {
                Value::Array(a) => a.items,
                _ => Vec::new(),
            };
            return Ok(SetIter::Items(items.into_iter()));
        }

        let mut args = args.into_iter();
        let mut next = || args.next().unwrap_or(Value::Null);
        Ok(match self {
            SetFn::Routine { .. } => {
                return Err(Error::Internal(
                    "a PL/pgSQL set function is started by its ProjectSet".into(),
                ));
            }
            // started above, before the strictness check
            SetFn::StringToTable => SetIter::Done,
            SetFn::PartitionAncestors => {
                let rel = next();
                let mut out = Vec::new();
                let start = match rel {
                    Value::Int(i) => u32::try_from(i).ok(),
                    Value::Reg(_, o) => Some(o),
                    _ => None,
                };
                if let Some(mut oid) = start {
                    let env = crate::env::catalog()?;
                    while let Some(t) = env.catalog.table_by_id(oid) {
                        out.push(Value::Reg(crate::types::oid::RegKind::Class, oid));
                        match &t.partition_of {
                            Some(of) => oid = of.parent,
                            None => break,
                        }
                    }
                }
                SetIter::Items(out.into_iter())
            }
            SetFn::ListeningChannels => {
                let channels = crate::env::with(|e| e.session.notify.channels());
                SetIter::Items(
                    channels
                        .into_iter()
                        .map(Value::Text)
                        .collect::<Vec<_>>()
                        .into_iter(),
                )
            }
            SetFn::RegexpMatches | SetFn::RegexpSplit => {
                let text = |v: Value| match v {
                    Value::Text(t) => t,
                    _ => String::new(),
                };
                let (s, pattern, flags) = (text(next()), text(next()), text(next()));
                let rows = if *self == SetFn::RegexpMatches {
                    super::functions::regex::all_matches(&s, &pattern, &flags)?
                } else {
                    super::functions::regex::split_rows(&s, &pattern, &flags)?
                };
                SetIter::Items(rows.into_iter())
            }
            SetFn::Jsonb(f) => SetIter::Items(f.rows(next())?.into_iter()),
            SetFn::JsonbPathQuery => {
                let items = super::jsonpath_exec::items(args.collect(), false)?;
                let rows: Vec<Value> = items
                    .unwrap_or_default()
                    .into_iter()
                    .map(|j| Value::Jsonb(Box::new(j)))
                    .collect();
                SetIter::Items(rows.into_iter())
            }
            SetFn::Ordinality => SetIter::Int {
                next: Some(1),
                stop: i64::MAX,
                step: 1,
            },
            SetFn::UnnestVector => {
                SetIter::Items(crate::types::vector::items(&next())?.into_iter())
            }
            SetFn::Subscripts(vector) => {
                let (a, dim) = (next(), next());
                let reverse = matches!(next(), Value::Bool(true));
                let (lower, len) = match (a, vector) {
                    (v, true) => (0, crate::types::vector::items(&v)?.len() as i64),
                    (Value::Array(a), false) => match dim {
                        Value::Int(d) if d >= 1 && (d as usize) <= a.dims.len() => {
                            let d = &a.dims[d as usize - 1];
                            (i64::from(d.lower), i64::from(d.len))
                        }
                        _ => (0, 0),
                    },
                    (other, _) => {
                        return Err(Error::Internal(format!("generate_subscripts of {other:?}")));
                    }
                };
                let len = if *vector && !matches!(dim, Value::Int(1)) {
                    0
                } else {
                    len
                };
                let mut subs: Vec<Value> = (lower..lower + len).map(Value::Int).collect();
                if reverse {
                    subs.reverse();
                }
                SetIter::Items(subs.into_iter())
            }
            SetFn::TsUnnest(col) => match next() {
                Value::TsVector(v) => SetIter::Items(col.rows(&v).into_iter()),
                other => return Err(Error::Internal(format!("unnest of {other:?}"))),
            },
            SetFn::Unnest => match next() {
                Value::Array(a) => SetIter::Items(a.items.into_iter()),
                other => return Err(Error::Internal(format!("unnest of {other:?}"))),
            },
            SetFn::SeriesInt(_) => {
                let int = |v: Value| match v {
                    Value::Int(i) => Ok(i),
                    other => Err(Error::Internal(format!("generate_series of {other:?}"))),
                };
                let (start, stop) = (int(next())?, int(next())?);
                let step = match next() {
                    Value::Null => 1,
                    v => int(v)?,
                };
                if step == 0 {
                    return Err(zero_step());
                }
                SetIter::Int {
                    next: Some(start),
                    stop,
                    step,
                }
            }
            SetFn::SeriesNumeric => {
                let num = |v: Value| match v {
                    Value::Numeric(n) => Ok(*n),
                    Value::Int(i) => Ok(Numeric::from_i64(i)),
                    other => Err(Error::Internal(format!("generate_series of {other:?}"))),
                };
                let (start, stop) = (num(next())?, num(next())?);
                let step = match next() {
                    Value::Null => Numeric::from_i64(1),
                    v => num(v)?,
                };
                // PostgreSQL's checks, in its order: no NaN or infinite argument.
                for (n, what) in [
                    (&start, "start value"),
                    (&stop, "stop value"),
                    (&step, "step size"),
                ] {
                    let kind = match n {
                        Numeric::NaN => "NaN",
                        Numeric::Infinity | Numeric::NegInfinity => "infinity",
                        Numeric::Finite(_) => continue,
                    };
                    return Err(Error::InvalidParameterValue(format!(
                        "{what} cannot be {kind}"
                    )));
                }
                if step.signum() == 0 {
                    return Err(zero_step());
                }
                SetIter::Numeric {
                    next: start,
                    stop,
                    step,
                }
            }
            SetFn::SeriesTimestamp(tz) => {
                let ts = |v: Value| match v {
                    Value::Timestamp(t) | Value::Timestamptz(t) => Ok(t),
                    other => Err(Error::Internal(format!("generate_series of {other:?}"))),
                };
                let (start, stop) = (ts(next())?, ts(next())?);
                let step = match next() {
                    Value::Interval(i) => i,
                    other => {
                        return Err(Error::Internal(format!("generate_series step {other:?}")));
                    }
                };
                if step.span() == 0 {
                    return Err(zero_step());
                }
                SetIter::Timestamp {
                    next: Some(start),
                    stop,
                    step,
                    tz: *tz,
                }
            }
        })
    }
}

fn zero_step() -> Error {
    Error::InvalidParameterValue("step size cannot equal zero".into())
}

/// A running set-returning call.
pub enum SetIter {
    Done,
    Items(std::vec::IntoIter<Value>),
    /// Whole rows (of a [`SetFn::Routine`]).
    Rows(std::vec::IntoIter<Vec<Value>>),
    Int {
        next: Option<i64>,
        stop: i64,
        step: i64,
    },
    Numeric {
        next: Numeric,
        stop: Numeric,
        step: Numeric,
    },
    Timestamp {
        next: Option<i64>,
        stop: i64,
        step: Interval,
        tz: bool,
    },
}

impl SetIter {
    /// The next value (`None`: exhausted).
    pub fn next_value(&mut self) -> Result<Option<Value>> {
        Ok(match self {
            SetIter::Done => None,
            SetIter::Items(it) => it.next(),
            SetIter::Rows(it) => it.next().and_then(|r| r.into_iter().next()),
            SetIter::Int { next, stop, step } => match *next {
                Some(n) if (*step > 0 && n <= *stop) || (*step < 0 && n >= *stop) => {
                    *next = n.checked_add(*step);
                    Some(Value::Int(n))
                }
                _ => None,
            },
            SetIter::Numeric { next, stop, step } => {
                let done = match step.signum() {
                    s if s > 0 => next.total_cmp(stop).is_gt(),
                    _ => next.total_cmp(stop).is_lt(),
                };
                if done {
                    None
                } else {
                    let v = next.clone();
                    *next = next.add(step)?;
                    Some(Value::numeric(v))
                }
            }
            SetIter::Timestamp {
                next,
                stop,
                step,
                tz,
            } => {
                let positive = step.span() > 0;
                match *next {
                    Some(t) if (positive && t <= *stop) || (!positive && t >= *stop) => {
                        let zone = tz.then(|| crate::env::current().time_zone.clone());
                        *next = arith::add_interval(t, step, zone.as_ref()).ok();
                        Some(if *tz {
                            Value::Timestamptz(t)
                        } else {
                            Value::Timestamp(t)
                        })
                    }
                    _ => None,
                }
            }
        })
    }
}

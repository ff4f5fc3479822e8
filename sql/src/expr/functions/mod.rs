//! Built-in scalar functions: resolution of `name(argument types)` to a [`Function`] with
//! the types its arguments are coerced to and its result type ([`Function::resolve`]), and
//! the call ([`Function::call`]). One file per family: [`string`] (text functions, LIKE,
//! SIMILAR TO), [`regex`] (PostgreSQL's regular expressions on the `regex` crate),
//! [`format`] (`format()` and quoting), [`math`].
//!
//! Resolution follows PostgreSQL's choices where they differ from the obvious one: integer
//! arguments of `round`, `sqrt`, `power`, `sign`, ... go to the double precision versions
//! (`pg_typeof(sqrt(4))` is double precision), `mod`, `gcd` and `lcm` keep the integer
//! type. Functions that PostgreSQL only has for `numeric` (`round(x, n)`, `log(b, x)`) are
//! the numeric type's; `div` returns a bigint here where PostgreSQL returns a numeric with
//! no fraction (same text).
//!
//! Most functions are strict: a NULL argument gives NULL without calling. `concat`,
//! `concat_ws`, `format`, `quote_nullable`, `greatest`, `least`, `nullif`, `pg_typeof`,
//! `random` and `pi` see their NULLs.
//!
//! Each type family has its own file with its own function enum, tried before the general
//! functions here: [`super::numeric_fns`] (so `round(42)` is `round(double precision)` and
//! `round(42, 1)` is `round(numeric, integer)`, as PostgreSQL's resolution picks them),
//! [`super::datetime_fns`], [`super::bytea_fns`], [`super::array_fns`], [`super::jsonb_fns`].

pub mod format;
pub mod math;
pub mod regex;
pub mod string;
pub mod system;
pub mod system_columns;
pub mod trig_degrees;

use super::array_fns::ArrayFn;
use super::bytea_fns::ByteaFn;
use super::bytea_string::ByteaStringFn;
use super::datetime_fns::{self, DateTimeFn};
use super::jsonb_fns::JsonbFn;
use super::numeric_fns::NumericFn;
use crate::types::oid::RegKind;
use crate::types::{DataType, Value};
use crate::{Error, Result};

/// What an advisory lock function does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AdvisoryCall {
    /// Lock (waiting unless `try_`), or unlock.
    pub unlock: bool,
    pub try_: bool,
    pub shared: bool,
    /// Held until the transaction ends.
    pub xact: bool,
}

impl AdvisoryCall {
    /// The call `name` names, if it is an advisory lock function.
    fn from_name(name: &str) -> Option<AdvisoryCall> {
        let rest = name.strip_prefix("pg_")?;
        let (try_, rest) = match rest.strip_prefix("try_") {
            Some(r) => (true, r),
            None => (false, rest),
        };
        let rest = rest.strip_prefix("advisory_")?;
        let (xact, rest) = match rest.strip_prefix("xact_") {
            Some(r) => (true, r),
            None => (false, rest),
        };
        let (shared, op) = match rest.strip_suffix("_shared") {
            Some(op) => (true, op),
            None => (false, rest),
        };
        match op {
            "lock" => Some(AdvisoryCall {
                unlock: false,
                try_,
                shared,
                xact,
            }),
            "unlock" if !try_ && !xact => Some(AdvisoryCall {
                unlock: true,
                try_,
                shared,
                xact,
            }),
            _ => None,
        }
    }
}

/// A trigonometric function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trig {
    Sin,
    Cos,
    Tan,
    Cot,
    Asin,
    Acos,
    Atan,
    Sinh,
    Cosh,
    Tanh,
    Asinh,
    Acosh,
    Atanh,
    /// The degree-based ones (`sind` ... `atand`), by name ([`trig_degrees`]).
    Degrees(&'static str),
}

/// Which side(s) `trim` strips.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrimSide {
    Both,
    Leading,
    Trailing,
}

/// A built-in scalar function, resolved by the binder with its argument types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    /// A PL/pgSQL function (`crate::plpgsql`) by OID, called through the evaluation
    /// environment ([`crate::expr::EvalEnv::call_routine`]), which lends it the transaction.
    Routine {
        oid: u32,
        strict: bool,
    },
    // numbers
    /// `abs` on a number of the given type.
    Abs(DataType),
    /// `gcd`, `lcm` on integers of the given type. (`mod`, `div`, `round`, `trunc`,
    /// `floor`, `ceil`, `sign`, `sqrt`, `cbrt`, `exp`, `ln`, `log`, `power` and `pi` are
    /// [`super::numeric_fns`]'s, on numeric and on double precision alike.)
    Gcd(DataType),
    Lcm(DataType),
    Degrees,
    Radians,
    Trig(Trig),
    Atan2,
    Atan2d,
    Random,
    Setseed,
    // strings
    Lower,
    Upper,
    Length,
    OctetLength,
    BitLength,
    /// `substr(s, from [, count])`.
    Substr,
    /// `substring(s from pattern)`: the first match of a POSIX regular expression.
    SubstrRegex,
    /// `substring(s similar pattern escape e)`.
    SubstrSimilar,
    Strpos,
    /// `overlay(s placing r from n [for m])`.
    Overlay,
    Trim(TrimSide),
    Lpad,
    Rpad,
    Concat,
    ConcatWs,
    /// `num_nulls(VARIADIC "any")` (false) / `num_nonnulls` (true).
    NumNulls(bool),
    Replace,
    SplitPart,
    Left,
    Right,
    Repeat,
    Reverse,
    Initcap,
    Format,
    Md5,
    Ascii,
    Chr,
    Translate,
    StartsWith,
    /// `to_hex(int4)` (`true`: its two's complement has 32 bits) or `to_hex(int8)`.
    ToHex(bool),
    QuoteIdent,
    QuoteLiteral,
    QuoteNullable,
    /// `s LIKE / ILIKE pattern [ESCAPE e]`.
    Like {
        case_insensitive: bool,
    },
    /// `s SIMILAR TO pattern [ESCAPE e]`.
    SimilarTo,
    /// `s ~ pattern`, `~*` (case-insensitive).
    RegexMatch {
        case_insensitive: bool,
    },
    /// `regexp_replace(s, pattern, replacement [, flags])` and
    /// `regexp_replace(s, pattern, replacement, start [, n [, flags]])`.
    RegexpReplace,
    /// `regexp_like(s, pattern [, flags])`.
    RegexpLike,
    /// `regexp_count(s, pattern [, start [, flags]])`.
    RegexpCount,
    /// `regexp_substr(s, pattern [, start [, n [, flags [, subexpr]]]])`.
    RegexpSubstr,
    /// `regexp_instr(s, pattern [, start [, n [, endoption [, flags [, subexpr]]]]])`.
    RegexpInstr,
    /// `regexp_match(s, pattern [, flags])`: the first match's groups as text[].
    RegexpMatch,
    /// `regexp_split_to_array(s, pattern [, flags])`.
    RegexpSplitToArray,
    // session information
    Version,
    CurrentDatabase,
    /// `current_user`, `user`, `current_role`: the role statements run as (`SET ROLE`).
    CurrentUser,
    /// `session_user`: the session's user (`SET SESSION AUTHORIZATION`).
    SessionUser,
    BackendPid,
    /// `pg_sleep(seconds)`: waits, ended early by a cancel or `statement_timeout`.
    Sleep,
    /// `txid_current()` / `pg_current_xact_id()` (`false`), and their `_if_assigned`
    /// forms (`true`): see [`system::transaction_id`].
    TransactionId(bool),
    /// `pg_xact_status(xid8)`, `txid_status(bigint)`: see [`system::xact_status`].
    XactStatus,
    /// A table's computed system column (`xmin`, `ctid`): [`system_columns`].
    SystemColumn(system_columns::SystemColumn),
    /// `pg_stat_force_next_flush()`, `pg_stat_clear_snapshot()`: statistics are never
    /// pending or cached here (see `system::table_stats`), so nothing to do. `void` prints
    /// as an empty string.
    StatsNoOp,
    /// `current_setting(name [, missing_ok])`.
    CurrentSetting,
    /// `set_config(name, value, is_local)`.
    SetConfig,
    /// `pg_cancel_backend(pid)`.
    CancelBackend,
    /// `pg_terminate_backend(pid [, timeout])`.
    TerminateBackend,
    /// `pg_blocking_pids(pid)`: the sessions holding locks `pid` waits for.
    BlockingPids,
    /// `pg_[try_]advisory_[xact_]lock[_shared]` and `pg_advisory_unlock[_shared]` over a
    /// bigint key or two int4 keys.
    Advisory(AdvisoryCall),
    /// `pg_advisory_unlock_all()`.
    AdvisoryUnlockAll,
    /// `pg_notify(channel, payload)`: NOTIFY (NULLs are empty strings).
    Notify,
    /// `pg_notification_queue_usage()`.
    NotificationQueueUsage,
    // conditional
    /// `nullif(a, b)`.
    NullIf,
    Greatest,
    Least,
    /// `pg_typeof(x)`: the argument's type, as a `regtype`.
    TypeOf(DataType),
    /// `(r).f`: field `i` of a composite value (NULL for a NULL record).
    Field(usize),
    /// `CAST(x AS d)` of domain `d`: `x` (of the base type) after checking it against the
    /// domain's constraints.
    DomainCheck(u32),
    /// `enum_first(x)` / `enum_last(x)` of enum type `oid` (the argument's value unused).
    EnumEnd {
        oid: u32,
        last: bool,
    },
    /// `enum_range(x)` (one argument: every label) or `enum_range(a, b)` (NULL: open).
    EnumRange {
        oid: u32,
        bounded: bool,
    },
    // type families
    Numeric(NumericFn),
    DateTime(DateTimeFn),
    Bytea(ByteaFn),
    ByteaString(ByteaStringFn),
    /// An `inet` / `cidr` function or operator ([`super::inet_fns`]).
    Inet(super::inet_fns::InetFn),
    /// A range function or operator ([`super::range_fns`]).
    Range(super::range_fns::RangeFn),
    /// A text-search function or operator ([`super::ts_fns`]).
    TextSearch(super::ts_fns::TsFn),
    /// A function of an installed extension ([`super::extension_fns`]).
    Extension(super::extension_fns::ExtensionFn),
    Array(ArrayFn),
    Jsonb(JsonbFn),
    /// A function reading the catalog or session ([`super::catalog_functions`]).
    Catalog(super::catalog_functions::CatalogFn),
    /// A catalog information function ([`super::pg_functions`]).
    Pg(super::pg_functions::PgFn),
}

/// Whether a value of type `actual` converts implicitly to the parameter type `want`.
fn fits(actual: DataType, want: DataType) -> bool {
    crate::types::coerce::can_implicit(actual, want)
}

/// A resolved call: the function, the types its arguments are coerced to (`Unknown` keeps
/// an argument as it is, for functions taking any type) and the result type.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    pub func: Function,
    pub args: Vec<DataType>,
    pub ret: DataType,
}

impl Resolved {
    pub fn new(func: Function, args: Vec<DataType>, ret: DataType) -> Resolved {
        Resolved { func, args, ret }
    }
}

/// 42883 `function name(types) does not exist`.
pub fn undefined(name: &str, arg_types: &[DataType]) -> Error {
    let args: Vec<String> = arg_types.iter().map(|t| t.name()).collect();
    Error::UndefinedFunction(format!(
        "function {name}({}) does not exist",
        args.join(", ")
    ))
}

/// Whether every argument converts implicitly to the wanted type (unknown always does).
pub fn accepts(args: &[DataType], want: &[DataType]) -> bool {
    args.len() == want.len() && args.iter().zip(want).all(|(a, w)| fits(*a, *w))
}

impl Function {
    /// Resolves `name(args)`; see the module docs.
    pub fn resolve(name: &str, args: &[DataType]) -> Result<Resolved> {
        use DataType::*;
        if let Some(r) = super::range_fns::RangeFn::resolve(name, args) {
            return r;
        }
        if let Some(r) = NumericFn::resolve(name, args) {
            return r;
        }
        if let Some(r) = datetime_fns::resolve(name, args) {
            return r;
        }
        if let Some(r) = ByteaStringFn::resolve(name, args) {
            return r;
        }
        if let Some(r) = ByteaFn::resolve(name, args) {
            return r;
        }
        if let Some(r) = super::inet_fns::InetFn::resolve(name, args) {
            return r;
        }
        if let Some(r) = super::ts_fns::TsFn::resolve(name, args) {
            return r;
        }
        if let Some(r) = super::extension_fns::ExtensionFn::resolve(name, args) {
            return r;
        }
        if let Some(r) = ArrayFn::resolve(name, args) {
            return r;
        }
        if let Some(r) = JsonbFn::resolve(name, args) {
            return r;
        }
        // A signature of fixed parameter types.
        let sig = |f: Function, params: &[DataType], ret: DataType| -> Option<Resolved> {
            (params.len() == args.len() && args.iter().zip(params).all(|(a, p)| fits(*a, *p)))
                .then(|| Resolved::new(f, params.to_vec(), ret))
        };
        let keep = |f: Function, ret: DataType| Resolved::new(f, vec![Unknown; args.len()], ret);
        let r: Option<Resolved> = match name {
            // numbers
            "abs" => match args {
                [t] if t.is_numeric() => Some(Resolved::new(Function::Abs(*t), vec![*t], *t)),
                [Unknown] => Some(Resolved::new(Function::Abs(Float8), vec![Float8], Float8)),
                _ => None,
            },
            "gcd" | "lcm" => match args {
                [a, b] if int_or_unknown(*a) && int_or_unknown(*b) => {
                    let t = int_common(*a, *b);
                    let f = match name {
                        "gcd" => Function::Gcd(t),
                        _ => Function::Lcm(t),
                    };
                    (t != Int2).then(|| Resolved::new(f, vec![t, t], t))
                }
                [a, b]
                    if [a, b]
                        .iter()
                        .all(|t| int_or_unknown(**t) || matches!(t, Numeric(_)))
                        && [a, b].iter().any(|t| matches!(t, Numeric(_))) =>
                {
                    let t = Numeric(None);
                    let f = match name {
                        "gcd" => Function::Gcd(t),
                        _ => Function::Lcm(t),
                    };
                    Some(Resolved::new(f, vec![t, t], t))
                }
                _ => None,
            },
            "degrees" => sig(Function::Degrees, &[Float8], Float8),
            "radians" => sig(Function::Radians, &[Float8], Float8),
            "sin" | "cos" | "tan" | "cot" | "asin" | "acos" | "atan" | "sinh" | "cosh" | "tanh"
            | "asinh" | "acosh" | "atanh" | "sind" | "cosd" | "tand" | "cotd" | "asind"
            | "acosd" | "atand" => {
                let t = match name {
                    "sin" => Trig::Sin,
                    "cos" => Trig::Cos,
                    "tan" => Trig::Tan,
                    "cot" => Trig::Cot,
                    "asin" => Trig::Asin,
                    "acos" => Trig::Acos,
                    "atan" => Trig::Atan,
                    "sinh" => Trig::Sinh,
                    "cosh" => Trig::Cosh,
                    "tanh" => Trig::Tanh,
                    "asinh" => Trig::Asinh,
                    "acosh" => Trig::Acosh,
                    "atanh" => Trig::Atanh,
                    "sind" => Trig::Degrees("sind"),
                    "cosd" => Trig::Degrees("cosd"),
                    "tand" => Trig::Degrees("tand"),
                    "cotd" => Trig::Degrees("cotd"),
                    "asind" => Trig::Degrees("asind"),
                    "acosd" => Trig::Degrees("acosd"),
                    _ => Trig::Degrees("atand"),
                };
                sig(Function::Trig(t), &[Float8], Float8)
            }
            "atan2" => sig(Function::Atan2, &[Float8, Float8], Float8),
            "atan2d" => sig(Function::Atan2d, &[Float8, Float8], Float8),
            "random" => sig(Function::Random, &[], Float8),
            "setseed" => sig(Function::Setseed, &[Float8], Text),
            // strings
            "lower" => sig(Function::Lower, &[Text], Text),
            "upper" => sig(Function::Upper, &[Text], Text),
            "length" | "char_length" | "character_length" => sig(Function::Length, &[Text], Int4),
            "octet_length" => sig(Function::OctetLength, &[Text], Int4),
            "bit_length" => sig(Function::BitLength, &[Text], Int4),
            "substr" | "substring" => sig(Function::Substr, &[Text, Int4], Text)
                .or_else(|| sig(Function::Substr, &[Text, Int4, Int4], Text)),
            "strpos" => sig(Function::Strpos, &[Text, Text], Int4),
            "overlay" => sig(Function::Overlay, &[Text, Text, Int4], Text)
                .or_else(|| sig(Function::Overlay, &[Text, Text, Int4, Int4], Text)),
            "btrim" | "ltrim" | "rtrim" => {
                let side = match name {
                    "btrim" => TrimSide::Both,
                    "ltrim" => TrimSide::Leading,
                    _ => TrimSide::Trailing,
                };
                sig(Function::Trim(side), &[Text], Text)
                    .or_else(|| sig(Function::Trim(side), &[Text, Text], Text))
            }
            "lpad" | "rpad" => {
                let f = if name == "lpad" {
                    Function::Lpad
                } else {
                    Function::Rpad
                };
                sig(f, &[Text, Int4], Text).or_else(|| sig(f, &[Text, Int4, Text], Text))
            }
            "concat" if !args.is_empty() => Some(keep(Function::Concat, Text)),
            "num_nulls" | "num_nonnulls" if !args.is_empty() => Some(Resolved::new(
                Function::NumNulls(name == "num_nonnulls"),
                vec![Unknown; args.len()],
                Int4,
            )),
            "concat_ws" if !args.is_empty() => {
                let mut params = vec![Unknown; args.len()];
                params[0] = Text;
                fits(args[0], Text).then(|| Resolved::new(Function::ConcatWs, params, Text))
            }
            "format" if !args.is_empty() => {
                let mut params = vec![Unknown; args.len()];
                params[0] = Text;
                fits(args[0], Text).then(|| Resolved::new(Function::Format, params, Text))
            }
            "replace" => sig(Function::Replace, &[Text, Text, Text], Text),
            "split_part" => sig(Function::SplitPart, &[Text, Text, Int4], Text),
            "left" => sig(Function::Left, &[Text, Int4], Text),
            "right" => sig(Function::Right, &[Text, Int4], Text),
            "repeat" => sig(Function::Repeat, &[Text, Int4], Text),
            "reverse" => sig(Function::Reverse, &[Text], Text),
            "initcap" => sig(Function::Initcap, &[Text], Text),
            "md5" => sig(Function::Md5, &[Text], Text),
            "ascii" => sig(Function::Ascii, &[Text], Int4),
            "chr" => sig(Function::Chr, &[Int4], Text),
            "translate" => sig(Function::Translate, &[Text, Text, Text], Text),
            "starts_with" => sig(Function::StartsWith, &[Text, Text], Bool),
            "to_hex" => sig(Function::ToHex(true), &[Int4], Text)
                .or_else(|| sig(Function::ToHex(false), &[Int8], Text)),
            "quote_ident" => sig(Function::QuoteIdent, &[Text], Text),
            "quote_literal" => match args {
                [t] if fits(*t, Text) => {
                    Some(Resolved::new(Function::QuoteLiteral, vec![Text], Text))
                }
                [_] => Some(keep(Function::QuoteLiteral, Text)),
                _ => None,
            },
            "quote_nullable" => match args {
                [t] if fits(*t, Text) => {
                    Some(Resolved::new(Function::QuoteNullable, vec![Text], Text))
                }
                [_] => Some(keep(Function::QuoteNullable, Text)),
                _ => None,
            },
            "regexp_replace" => [
                &[Text, Text, Text][..],
                &[Text, Text, Text, Text],
                &[Text, Text, Text, Int4],
                &[Text, Text, Text, Int4, Int4],
                &[Text, Text, Text, Int4, Int4, Text],
            ]
            .into_iter()
            .find_map(|p| sig(Function::RegexpReplace, p, Text)),
            "regexp_like" => sig(Function::RegexpLike, &[Text, Text], Bool)
                .or_else(|| sig(Function::RegexpLike, &[Text, Text, Text], Bool)),
            "regexp_count" => sig(Function::RegexpCount, &[Text, Text], Int4)
                .or_else(|| sig(Function::RegexpCount, &[Text, Text, Int4], Int4))
                .or_else(|| sig(Function::RegexpCount, &[Text, Text, Int4, Text], Int4)),
            "regexp_substr" => [
                &[Text, Text][..],
                &[Text, Text, Int4],
                &[Text, Text, Int4, Int4],
                &[Text, Text, Int4, Int4, Text],
                &[Text, Text, Int4, Int4, Text, Int4],
            ]
            .into_iter()
            .find_map(|p| sig(Function::RegexpSubstr, p, Text)),
            "regexp_instr" => [
                &[Text, Text][..],
                &[Text, Text, Int4],
                &[Text, Text, Int4, Int4],
                &[Text, Text, Int4, Int4, Int4],
                &[Text, Text, Int4, Int4, Int4, Text],
                &[Text, Text, Int4, Int4, Int4, Text, Int4],
            ]
            .into_iter()
            .find_map(|p| sig(Function::RegexpInstr, p, Int4)),
            "regexp_match" | "regexp_split_to_array" => {
                let f = if name == "regexp_match" {
                    Function::RegexpMatch
                } else {
                    Function::RegexpSplitToArray
                };
                let texts = DataType::array_of(Text);
                sig(f, &[Text, Text], texts).or_else(|| sig(f, &[Text, Text, Text], texts))
            }
            "version" => sig(Function::Version, &[], Text),
            "current_database" | "current_catalog" => sig(Function::CurrentDatabase, &[], Name),
            "current_user" | "user" | "current_role" => sig(Function::CurrentUser, &[], Name),
            "session_user" => sig(Function::SessionUser, &[], Name),
            "pg_backend_pid" => sig(Function::BackendPid, &[], Int4),
            "pg_sleep" => sig(Function::Sleep, &[Float8], Text),
            "txid_current" => sig(Function::TransactionId(false), &[], Int8),
            "pg_current_xact_id" => sig(Function::TransactionId(false), &[], Xid8),
            "txid_current_if_assigned" => sig(Function::TransactionId(true), &[], Int8),
            "pg_current_xact_id_if_assigned" => sig(Function::TransactionId(true), &[], Xid8),
            "pg_xact_status" => sig(Function::XactStatus, &[Xid8], Text),
            "txid_status" => sig(Function::XactStatus, &[Int8], Text),
            "pg_stat_force_next_flush" | "pg_stat_clear_snapshot" => {
                sig(Function::StatsNoOp, &[], Text)
            }
            "current_setting" => sig(Function::CurrentSetting, &[Text], Text)
                .or_else(|| sig(Function::CurrentSetting, &[Text, Bool], Text)),
            "set_config" => sig(Function::SetConfig, &[Text, Text, Bool], Text),
            "pg_cancel_backend" => sig(Function::CancelBackend, &[Int4], Bool),
            "pg_advisory_unlock_all" => sig(Function::AdvisoryUnlockAll, &[], Text),
            // `void` prints as an empty string (see `StatsNoOp`).
            "pg_notify" => sig(Function::Notify, &[Text, Text], Text),
            "pg_notification_queue_usage" => sig(Function::NotificationQueueUsage, &[], Float8),
            n if AdvisoryCall::from_name(n).is_some() => {
                let call = AdvisoryCall::from_name(n).expect("checked");
                // `void` prints as an empty string (see `StatsNoOp`).
                let ret = if call.try_ || call.unlock { Bool } else { Text };
                sig(Function::Advisory(call), &[Int8], ret)
                    .or_else(|| sig(Function::Advisory(call), &[Int4, Int4], ret))
            }
            "pg_blocking_pids" => sig(Function::BlockingPids, &[Int4], DataType::array_of(Int4)),
            "pg_terminate_backend" => sig(Function::TerminateBackend, &[Int4], Bool)
                .or_else(|| sig(Function::TerminateBackend, &[Int4, Int8], Bool)),
            "pg_typeof" => match args {
                [t] => Some(Resolved::new(Function::TypeOf(*t), vec![Unknown], RegType)),
                _ => None,
            },
            "enum_first" | "enum_last" => match args {
                [Enum(oid)] => Some(Resolved::new(
                    Function::EnumEnd {
                        oid: *oid,
                        last: name == "enum_last",
                    },
                    vec![Enum(*oid)],
                    Enum(*oid),
                )),
                _ => None,
            },
            "enum_range" => {
                let of = |t: &DataType| match t {
                    Enum(o) => Some(*o),
                    _ => None,
                };
                let oid = args.iter().find_map(of);
                let fits = |o: u32| args.iter().all(|t| *t == Unknown || of(t) == Some(o));
                match oid {
                    Some(oid) if (1..=2).contains(&args.len()) && fits(oid) => Some(Resolved::new(
                        Function::EnumRange {
                            oid,
                            bounded: args.len() == 2,
                        },
                        vec![Enum(oid); args.len()],
                        DataType::array_of(Enum(oid)),
                    )),
                    _ => None,
                }
            }
            _ => None,
        };
        r.ok_or_else(|| undefined(name, args))
    }

    /// Whether a NULL argument makes the result NULL without a call.
    pub fn is_strict(&self) -> bool {
        match self {
            Function::Array(f) => return f.is_strict(),
            Function::Jsonb(f) => return f.is_strict(),
            Function::Range(f) => return f.is_strict(),
            Function::Catalog(_) | Function::Pg(_) => return false,
            _ => {}
        }
        !matches!(
            self,
            Function::Concat
                | Function::ConcatWs
                | Function::NumNulls(_)
                | Function::Format
                | Function::QuoteNullable
                | Function::Greatest
                | Function::Least
                | Function::NullIf
                | Function::TypeOf(_)
                | Function::Random
                | Function::EnumEnd { .. }
                | Function::EnumRange { .. }
                | Function::DomainCheck(_)
                | Function::SystemColumn(_)
                | Function::Notify
        )
    }

    /// Calls the function on argument values of the resolved types.
    pub fn call(&self, args: Vec<Value>) -> Result<Value> {
        if let Function::Routine { .. } = self {
            return Err(Error::unsupported(
                "a PL/pgSQL function cannot be called here",
            ));
        }
        if let Function::Catalog(f) = self {
            return f.call(args);
        }
        if let Function::Pg(f) = self {
            return f.call(args);
        }
        if self.is_strict() && args.iter().any(Value::is_null) {
            return Ok(Value::Null);
        }
        match self {
            Function::Numeric(f) => f.call(args),
            Function::DateTime(f) => f.call(args),
            Function::Bytea(f) => f.call(args),
            Function::ByteaString(f) => f.call(args),
            Function::Inet(f) => f.call(args),
            Function::TextSearch(f) => f.call(args),
            Function::Range(f) => f.call(args),
            Function::Extension(f) => f.call(args),
            Function::Array(f) => f.call(args),
            Function::Jsonb(f) => f.call(args),
            Function::TypeOf(t) => Ok(Value::Reg(RegKind::Type, t.oid())),
            Function::SystemColumn(c) => Ok(system_columns::call(*c, &args)),
            Function::DomainCheck(d) => {
                let v = args.into_iter().next().unwrap_or(Value::Null);
                crate::ddl::domains::check_value(*d, &v)?;
                Ok(v)
            }
            Function::EnumEnd { oid, last } => crate::types::enums::first_or_last(*oid, *last),
            Function::EnumRange { oid, bounded } => {
                let none = Value::Null;
                let (lo, hi) = match (bounded, args.as_slice()) {
                    (true, [a, b]) => (a, b),
                    _ => (&none, &none),
                };
                crate::types::enums::range(*oid, lo, hi)
            }
            Function::Field(i) => match args.into_iter().next() {
                Some(Value::Record(r)) => Ok(r.values.into_iter().nth(*i).unwrap_or(Value::Null)),
                _ => Ok(Value::Null),
            },
            Function::NullIf => {
                let mut it = args.into_iter();
                let (a, b) = (it.next(), it.next());
                match (a, b) {
                    (Some(a), Some(b)) if !a.is_null() && !b.is_null() && a == b => Ok(Value::Null),
                    (Some(a), _) => Ok(a),
                    _ => Err(Error::Internal("nullif takes two arguments".into())),
                }
            }
            Function::Greatest | Function::Least => {
                let values = args.into_iter().filter(|v| !v.is_null());
                let best = if *self == Function::Greatest {
                    values.max()
                } else {
                    values.min()
                };
                Ok(best.unwrap_or(Value::Null))
            }
            f if f.is_math() => math::call(*f, args),
            f if f.is_system() => system::call(*f, args),
            f => string::call(*f, args),
        }
    }

    fn is_system(&self) -> bool {
        use Function::*;
        matches!(
            self,
            Version
                | CurrentDatabase
                | CurrentUser
                | SessionUser
                | BackendPid
                | Sleep
                | TransactionId(_)
                | XactStatus
                | StatsNoOp
                | CurrentSetting
                | SetConfig
                | CancelBackend
                | TerminateBackend
                | BlockingPids
                | Advisory(_)
                | AdvisoryUnlockAll
                | Notify
                | NotificationQueueUsage
        )
    }

    fn is_math(&self) -> bool {
        use Function::*;
        matches!(
            self,
            Abs(_)
                | Gcd(_)
                | Lcm(_)
                | Degrees
                | Radians
                | Trig(_)
                | Atan2
                | Atan2d
                | Random
                | Setseed
        )
    }
}

fn int_or_unknown(t: DataType) -> bool {
    t.is_integer() || t == DataType::Unknown
}

/// The wider of two integer types (an unknown literal takes the other's).
fn int_common(a: DataType, b: DataType) -> DataType {
    match (a.numeric_rank(), b.numeric_rank()) {
        (Some(x), Some(y)) if y > x => b,
        (Some(_), _) => a,
        (None, Some(_)) => b,
        (None, None) => DataType::Int4,
    }
}

/// The first argument as text (the binder coerced it).
fn text(v: &Value) -> Result<&str> {
    match v {
        Value::Text(s) => Ok(s),
        other => Err(Error::Internal(format!("expected text, got {other:?}"))),
    }
}

/// An integer argument.
fn int(v: &Value) -> Result<i64> {
    match v {
        Value::Int(i) => Ok(*i),
        other => Err(Error::Internal(format!(
            "expected an integer, got {other:?}"
        ))),
    }
}

/// A float argument.
fn float(v: &Value) -> Result<f64> {
    v.as_f64()
        .ok_or_else(|| Error::Internal(format!("expected a number, got {v:?}")))
}

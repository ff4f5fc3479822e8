//! The built-in functions of `pg_proc`, with PostgreSQL 15's OIDs, and the I/O functions
//! of the built-in types (`pg_type.typinput` ... `typsubscript`).
//!
//! The rows come from `data/pg_proc.tsv` and `data/pg_type_io.tsv`, which
//! `scripts/gen-pg-proc` generates from a PostgreSQL 15 and a running Strata: a function is
//! listed when Strata binds a call with PostgreSQL's argument types to PostgreSQL's result
//! type, or when one of Strata's operators, casts or types names it. Drivers rely on
//! these facts: Npgsql tells arrays by `typreceive = array_recv`, Rails by
//! `typinput = 'array_in'::regproc`, and `'now'::regproc` must read back.
//!
//! Invariants: the rows are sorted by OID (checked by a test), so [`by_oid`] is a binary
//! search; a name PostgreSQL overloads has several rows ([`count_by_name`]: `regproc`
//! input refuses such a name with 42725, as PostgreSQL does).

use super::val::*;
use crate::storage::Row;
use crate::storage::catalog::oids::{BOOTSTRAP_SUPERUSER, PG_CATALOG_NAMESPACE};
use crate::types::Value;
use std::collections::HashMap;
use std::sync::OnceLock;

/// One built-in function: its `pg_proc` columns as PostgreSQL 15 has them.
#[derive(Debug, Clone)]
pub struct BuiltinProc {
    pub oid: u32,
    pub name: &'static str,
    pub lang: u32,
    pub cost: f32,
    pub rows: f32,
    pub variadic: u32,
    pub kind: char,
    pub security_definer: bool,
    pub leakproof: bool,
    pub strict: bool,
    pub returns_set: bool,
    pub volatility: char,
    pub parallel: char,
    pub nargs: i64,
    pub nargdefaults: i64,
    pub ret: u32,
    pub arg_types: Vec<u32>,
    pub all_arg_types: Option<Vec<u32>>,
    pub arg_modes: Option<Vec<&'static str>>,
    pub arg_names: Option<Vec<&'static str>>,
    pub src: &'static str,
}

/// A built-in type's I/O functions: `typinput`, `typoutput`, `typreceive`, `typsend`,
/// `typmodin`, `typmodout`, `typanalyze`, `typsubscript` (0: none).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TypeIo(pub [u32; 8]);

impl TypeIo {
    /// Arrays: `array_in`, `array_out`, `array_recv`, `array_send`, `array_typanalyze`,
    /// `array_subscript_handler`.
    pub const ARRAY: TypeIo = TypeIo([750, 751, 2400, 2401, 0, 0, 3816, 6179]);
    /// Composite types: `record_in` ... `record_send`.
    pub const RECORD: TypeIo = TypeIo([2290, 2291, 2402, 2403, 0, 0, 0, 0]);
    /// Enums: `enum_in` ... `enum_send`.
    pub const ENUM: TypeIo = TypeIo([3506, 3507, 3532, 3533, 0, 0, 0, 0]);

    /// A domain over `base`: `domain_in` and `domain_recv`, and the base type's output and
    /// send functions.
    pub fn domain(base: u32) -> TypeIo {
        let b = type_io(base).unwrap_or_default().0;
        TypeIo([2597, b[1], 2598, b[3], 0, 0, 0, 0])
    }

    pub fn values(self) -> [Value; 8] {
        self.0
            .map(|o| Value::Reg(crate::types::oid::RegKind::Proc, o))
    }
}

struct Tables {
    procs: Vec<BuiltinProc>,
    /// The lowest OID of each name, and how many functions have it.
    by_name: HashMap<&'static str, (u32, usize)>,
    type_io: HashMap<u32, TypeIo>,
    extra: HashMap<u32, ProcExtra>,
}

/// What `pg_get_functiondef` and `pg_get_function_arguments` print of a built-in beyond
/// [`BuiltinProc`] (from `data/pg_proc_extra.tsv`; most built-ins have none of these).
#[derive(Debug, Clone, Default)]
pub struct ProcExtra {
    /// `prosupport`'s name.
    pub support: Option<&'static str>,
    /// `pg_get_expr(proargdefaults)`: the DEFAULTs of the last input parameters, `, `
    /// separated (none of the listed ones has a comma inside).
    pub arg_defaults: Option<&'static str>,
    pub probin: Option<&'static str>,
    /// A SQL-standard body (`RETURN ...` / `BEGIN ATOMIC ... END`) as PostgreSQL prints it.
    pub sql_body: Option<String>,
    /// `pg_aggregate.aggnumdirectargs` of an ordered-set or hypothetical-set aggregate:
    /// where `pg_get_function_arguments` prints `ORDER BY`.
    pub order_by_at: Option<usize>,
}

/// A cell of COPY's text format: `\n`, `\t` and `\\` escapes.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some(c) => out.push(c),
            None => {}
        }
    }
    out
}

fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(|| {
        let procs: Vec<BuiltinProc> = data_lines(include_str!("data/pg_proc.tsv"))
            .map(parse_proc)
            .collect();
        let mut by_name = HashMap::new();
        for p in &procs {
            by_name.entry(p.name).or_insert((p.oid, 0)).1 += 1;
        }
        let type_io = data_lines(include_str!("data/pg_type_io.tsv"))
            .map(|l| {
                let f: Vec<u32> = l.split('\t').map(num).collect();
                let mut io = [0; 8];
                io.copy_from_slice(&f[1..9]);
                (f[0], TypeIo(io))
            })
            .collect();
        let extra = data_lines(include_str!("data/pg_proc_extra.tsv"))
            .map(|l| {
                let f: Vec<&'static str> = l.split('\t').collect();
                let cell = |i: usize| f.get(i).copied().and_then(nullable);
                let e = ProcExtra {
                    support: cell(1),
                    arg_defaults: cell(2),
                    probin: cell(3),
                    sql_body: cell(4).map(unescape),
                    order_by_at: cell(5).map(num),
                };
                (num(f[0]), e)
            })
            .collect();
        Tables {
            procs,
            by_name,
            type_io,
            extra,
        }
    })
}

fn data_lines(s: &'static str) -> impl Iterator<Item = &'static str> {
    s.lines().filter(|l| !l.is_empty() && !l.starts_with('#'))
}

/// A number of a generated data file (written by `scripts/gen-pg-proc`, so well formed).
fn num<T: std::str::FromStr>(s: &str) -> T {
    s.parse()
        .ok()
        .expect("data/*.tsv holds numbers where a number belongs")
}

fn nullable(s: &'static str) -> Option<&'static str> {
    (s != "\\N").then_some(s)
}

fn parse_proc(line: &'static str) -> BuiltinProc {
    let f: Vec<&'static str> = line.split('\t').collect();
    assert_eq!(f.len(), 21, "data/pg_proc.tsv: 21 columns in {line:?}");
    let oids = |s: &str| s.split_whitespace().map(num).collect::<Vec<u32>>();
    let flag = |s: &str| s == "t";
    let ch = |s: &str| s.chars().next().unwrap_or(' ');
    BuiltinProc {
        oid: num(f[0]),
        name: f[1],
        lang: num(f[2]),
        cost: num(f[3]),
        rows: num(f[4]),
        variadic: num(f[5]),
        kind: ch(f[6]),
        security_definer: flag(f[7]),
        leakproof: flag(f[8]),
        strict: flag(f[9]),
        returns_set: flag(f[10]),
        volatility: ch(f[11]),
        parallel: ch(f[12]),
        nargs: num(f[13]),
        nargdefaults: num(f[14]),
        ret: num(f[15]),
        arg_types: oids(f[16]),
        all_arg_types: nullable(f[17]).map(oids),
        arg_modes: nullable(f[18]).map(|s| s.split(' ').collect()),
        arg_names: nullable(f[19]).map(|s| s.split(' ').collect()),
        src: f[20],
    }
}

/// Every built-in function, by OID.
pub fn all() -> &'static [BuiltinProc] {
    &tables().procs
}

/// The built-in function `oid`.
pub fn by_oid(oid: u32) -> Option<&'static BuiltinProc> {
    let procs = all();
    procs
        .binary_search_by_key(&oid, |p| p.oid)
        .ok()
        .map(|i| &procs[i])
}

/// The name of built-in function `oid`.
pub fn function_name(oid: u32) -> Option<&'static str> {
    by_oid(oid).map(|p| p.name)
}

/// The lowest OID of the built-in functions named `name`.
pub fn oid_by_name(name: &str) -> Option<u32> {
    tables().by_name.get(name).map(|e| e.0)
}

/// How many built-in functions are named `name`.
pub fn count_by_name(name: &str) -> usize {
    tables().by_name.get(name).map_or(0, |e| e.1)
}

/// The `pg_proc_extra.tsv` facts of built-in function `oid`, if it has any.
pub fn extra(oid: u32) -> Option<&'static ProcExtra> {
    tables().extra.get(&oid)
}

/// The I/O functions of built-in type `type_oid`, if PostgreSQL's `pg_type` has it.
pub fn type_io(type_oid: u32) -> Option<TypeIo> {
    tables().type_io.get(&type_oid).copied()
}

/// The `pg_proc` row of built-in function `p` (columns as [`super::builtin`]'s `PG_PROC`).
pub fn pg_proc_row(p: &BuiltinProc) -> Row {
    let text_array = |v: &Option<Vec<&'static str>>| {
        v.as_ref()
            .map_or(null(), |v| array(v.iter().map(|s| text(*s)).collect()))
    };
    vec![
        oid(p.oid),
        text(p.name),
        oid(PG_CATALOG_NAMESPACE),
        oid(BOOTSTRAP_SUPERUSER),
        oid(p.lang),
        Value::Float4(p.cost),
        Value::Float4(p.rows),
        oid(p.variadic),
        proc0(),
        ch(p.kind),
        b(p.security_definer),
        b(p.leakproof),
        b(p.strict),
        b(p.returns_set),
        ch(p.volatility),
        ch(p.parallel),
        int(p.nargs),
        int(p.nargdefaults),
        oid(p.ret),
        vector(p.arg_types.iter().copied()),
        p.all_arg_types
            .as_ref()
            .map_or(null(), |v| int_array(v.iter().copied())),
        text_array(&p.arg_modes),
        text_array(&p.arg_names),
        null(),
        null(),
        text(p.src),
        null(),
        null(),
        null(),
        null(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_parse_sorted_by_oid() {
        let procs = all();
        assert!(procs.len() > 1000, "{} rows", procs.len());
        assert!(procs.windows(2).all(|w| w[0].oid < w[1].oid));
        for p in procs {
            assert_eq!(p.arg_types.len() as i64, p.nargs, "{}", p.name);
        }
        assert_eq!(function_name(65), Some("int4eq"));
        assert_eq!(oid_by_name("array_in"), Some(750));
        assert_eq!(oid_by_name("now"), Some(1299));
        assert_eq!(type_io(23), Some(TypeIo([42, 43, 2406, 2407, 0, 0, 0, 0])));
    }

    #[test]
    fn every_type_io_function_is_listed() {
        for io in tables().type_io.values().chain(&[
            TypeIo::ARRAY,
            TypeIo::RECORD,
            TypeIo::ENUM,
            TypeIo::domain(23),
        ]) {
            for f in io.0 {
                assert!(f == 0 || by_oid(f).is_some(), "{f}");
            }
        }
    }
}

//! Executing records and comparing results the way the C harness does.

use super::parse::{Condition, Expected, Record, RecordKind, SortMode};
use std::time::{Duration, Instant};

/// What a statement returned: its column count (0 for a command) and text values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Output {
    pub columns: usize,
    pub rows: Vec<Vec<Option<String>>>,
}

/// A database under test. An `Err` is the statement's error text.
pub trait Db {
    fn run(&mut self, sql: &str) -> Result<Output, String>;
}

/// The outcome of one executed record.
#[derive(Debug, Clone)]
pub struct RecordResult {
    pub line: usize,
    pub sql: String,
    /// `None` when it passed; otherwise why not.
    pub failure: Option<String>,
    pub elapsed: Duration,
}

impl RecordResult {
    pub fn passed(&self) -> bool {
        self.failure.is_none()
    }
}

fn applies(conditions: &[Condition], engine: &str) -> bool {
    conditions.iter().all(|c| match c {
        Condition::SkipIf(e) => e != engine,
        Condition::OnlyIf(e) => e == engine,
    })
}

/// Runs `records` on `db` as engine `engine`; returns one result per executed statement or
/// query (skipped records and control records yield none).
pub fn run(records: &[Record], engine: &str, db: &mut dyn Db) -> Vec<RecordResult> {
    run_with(records, engine, db, &mut |_| {})
}

/// [`run`], calling `observe` with each result as soon as it is known (progress, slow queries).
pub fn run_with(
    records: &[Record],
    engine: &str,
    db: &mut dyn Db,
    observe: &mut dyn FnMut(&RecordResult),
) -> Vec<RecordResult> {
    let mut out = Vec::new();
    for r in records {
        if !applies(&r.conditions, engine) {
            continue;
        }
        let start = Instant::now();
        let (sql, failure) = match &r.kind {
            RecordKind::Halt => break,
            RecordKind::HashThreshold(_) => continue,
            RecordKind::Statement { expect_ok, sql } => {
                let failure = match (db.run(sql), expect_ok) {
                    (Ok(_), true) | (Err(_), false) => None,
                    (Ok(_), false) => Some("statement succeeded, expected an error".to_string()),
                    (Err(e), true) => Some(format!("statement failed: {e}")),
                };
                (sql, failure)
            }
            RecordKind::Query {
                types,
                sort,
                sql,
                expected,
                ..
            } => {
                let failure = match db.run(sql) {
                    Err(e) => Some(format!("query failed: {e}")),
                    Ok(o) => compare(&o, types, *sort, expected).err(),
                };
                (sql, failure)
            }
        };
        let result = RecordResult {
            line: r.line,
            sql: sql.clone(),
            failure,
            elapsed: start.elapsed(),
        };
        observe(&result);
        out.push(result);
    }
    out
}

/// Checks `o` against `expected`; `Err` says how it differs.
fn compare(o: &Output, types: &str, sort: SortMode, expected: &Expected) -> Result<(), String> {
    let types: Vec<char> = types.chars().collect();
    if !o.rows.is_empty() && o.columns != types.len() {
        return Err(format!("{} columns, expected {}", o.columns, types.len()));
    }
    let mut rows: Vec<Vec<String>> = o
        .rows
        .iter()
        .map(|r| {
            r.iter()
                .zip(&types)
                .map(|(v, t)| format_value(v.as_deref(), *t))
                .collect()
        })
        .collect();
    let values: Vec<String> = match sort {
        SortMode::NoSort => rows.into_iter().flatten().collect(),
        SortMode::RowSort => {
            rows.sort();
            rows.into_iter().flatten().collect()
        }
        SortMode::ValueSort => {
            let mut v: Vec<String> = rows.into_iter().flatten().collect();
            v.sort();
            v
        }
    };
    match expected {
        Expected::Values(want) if *want == values => Ok(()),
        Expected::Values(want) => Err(format!(
            "got {} values {:?}, expected {} values {:?}",
            values.len(),
            head(&values),
            want.len(),
            head(want)
        )),
        Expected::Hash { count, md5 } => {
            let got = hash_values(&values);
            if values.len() == *count && got == *md5 {
                Ok(())
            } else {
                Err(format!(
                    "got {} values hashing to {got} {:?}, expected {count} values hashing to {md5}",
                    values.len(),
                    head(&values)
                ))
            }
        }
    }
}

fn head(v: &[String]) -> &[String] {
    &v[..v.len().min(12)]
}

/// The MD5 (hex) of every value followed by a newline.
pub fn hash_values(values: &[String]) -> String {
    use md5::Digest;
    let mut ctx = md5::Md5::new();
    for v in values {
        ctx.update(v.as_bytes());
        ctx.update(b"\n");
    }
    format!("{:x}", ctx.finalize())
}

/// One result value as the C harness prints it for column type `t` (`I`, `R` or `T`).
pub fn format_value(v: Option<&str>, t: char) -> String {
    let Some(v) = v else {
        return "NULL".to_string();
    };
    match (t, v) {
        // PostgreSQL's booleans reach the C harness's ODBC driver as 1 and 0.
        ('I', "t") => "1".to_string(),
        ('I', "f") => "0".to_string(),
        ('R', "t") => "1.000".to_string(),
        ('R', "f") => "0.000".to_string(),
        ('I', _) => match v.parse::<i64>() {
            Ok(i) => i.to_string(),
            Err(_) => match v.parse::<f64>() {
                // An integer column holding a fraction prints truncated, like C's int64 cast.
                Ok(f) if f.is_finite() => (f.trunc() as i64).to_string(),
                _ => leading_integer(v).to_string(),
            },
        },
        ('R', _) => format!("{:.3}", v.parse::<f64>().unwrap_or(0.0)),
        (_, "") => "(empty)".to_string(),
        _ => v
            .chars()
            .map(|c| if (' '..='~').contains(&c) { c } else { '@' })
            .collect(),
    }
}

/// `strtoll`'s reading of `s`: an optional sign and the digits that follow (0 if none).
fn leading_integer(s: &str) -> i64 {
    let s = s.trim_start();
    let (neg, rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let n = digits.parse::<i64>().unwrap_or(0);
    if neg { -n } else { n }
}

#[cfg(test)]
mod tests {
    use super::super::parse::parse;
    use super::*;

    #[test]
    fn formats_like_the_c_harness() {
        assert_eq!(format_value(None, 'I'), "NULL");
        assert_eq!(format_value(Some("-12"), 'I'), "-12");
        assert_eq!(format_value(Some("12.75"), 'I'), "12");
        assert_eq!(format_value(Some("abc"), 'I'), "0");
        assert_eq!(format_value(Some("t"), 'I'), "1");
        assert_eq!(format_value(Some("f"), 'R'), "0.000");
        assert_eq!(format_value(Some("t"), 'T'), "t");
        assert_eq!(format_value(Some("2"), 'R'), "2.000");
        assert_eq!(format_value(Some("-1.23456"), 'R'), "-1.235");
        assert_eq!(format_value(Some(""), 'T'), "(empty)");
        assert_eq!(format_value(Some("a\tb"), 'T'), "a@b");
    }

    #[test]
    fn hashes_values_with_newlines() {
        // md5("1\n2\n")
        assert_eq!(
            hash_values(&["1".into(), "2".into()]),
            format!("{:x}", <md5::Md5 as md5::Digest>::digest(b"1\n2\n"))
        );
    }

    struct Fake;

    impl Db for Fake {
        fn run(&mut self, sql: &str) -> Result<Output, String> {
            match sql {
                "rows" => Ok(Output {
                    columns: 2,
                    rows: vec![
                        vec![Some("2".into()), None],
                        vec![Some("1".into()), Some("".into())],
                    ],
                }),
                "bad" => Err("boom".into()),
                _ => Ok(Output::default()),
            }
        }
    }

    #[test]
    fn sorts_compares_skips_and_halts() {
        let h = hash_values(&["1".into(), "(empty)".into(), "2".into(), "NULL".into()]);
        let script = format!(
            "statement ok\nok\n\nstatement error\nbad\n\nquery IT rowsort\nrows\n----\n1\n(empty)\n2\nNULL\n\n\
             query IT valuesort\nrows\n----\n(empty)\n1\n2\nNULL\n\n\
             query IT nosort\nrows\n----\n1\n(empty)\n2\nNULL\n\n\
             query IT rowsort\nrows\n----\n4 values hashing to {h}\n\n\
             onlyif sqlite\nstatement ok\nbad\n\nskipif postgresql\nhalt\n\n\
             statement ok\nbad\n\nonlyif postgresql\nhalt\n\nstatement ok\nbad\n"
        );
        let records = parse(&script).unwrap();
        let results = run(&records, "postgresql", &mut Fake);
        let passed: Vec<bool> = results.iter().map(RecordResult::passed).collect();
        assert_eq!(passed, vec![true, true, true, true, false, true, false]);
        assert_eq!(results[6].line, 43);
    }
}

//! The classic sqllogictest script format: records separated by blank lines.

/// A `skipif ENGINE` or `onlyif ENGINE` line before a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    SkipIf(String),
    OnlyIf(String),
}

/// How a query's values are ordered before comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortMode {
    NoSort,
    RowSort,
    ValueSort,
}

/// A query's expected result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expected {
    /// One value per line.
    Values(Vec<String>),
    /// `N values hashing to H`.
    Hash { count: usize, md5: String },
}

/// What a record asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordKind {
    Statement {
        expect_ok: bool,
        sql: String,
    },
    Query {
        /// One of `I`, `R`, `T` per column.
        types: String,
        sort: SortMode,
        label: Option<String>,
        sql: String,
        expected: Expected,
    },
    HashThreshold(usize),
    Halt,
}

/// One record and where it starts (1-based line of its `statement`/`query`/... line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub line: usize,
    pub conditions: Vec<Condition>,
    pub kind: RecordKind,
}

/// Parses a whole script. Errors name the line.
pub fn parse(text: &str) -> Result<Vec<Record>, String> {
    let lines: Vec<&str> = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    let mut records = Vec::new();
    let mut i = 0;
    let mut conditions = Vec::new();
    while i < lines.len() {
        let line = lines[i];
        let lineno = i + 1;
        i += 1;
        let tokens: Vec<&str> = line.split_whitespace().collect();
        let Some(&first) = tokens.first() else {
            continue;
        };
        if first.starts_with('#') {
            continue;
        }
        let arg = |n: usize| tokens.get(n).copied().filter(|t| !t.starts_with('#'));
        let kind = match first {
            "skipif" | "onlyif" => {
                let engine = arg(1).ok_or(format!("line {lineno}: {first} without an engine"))?;
                conditions.push(if first == "skipif" {
                    Condition::SkipIf(engine.to_string())
                } else {
                    Condition::OnlyIf(engine.to_string())
                });
                continue;
            }
            "halt" => RecordKind::Halt,
            "hash-threshold" => RecordKind::HashThreshold(
                arg(1)
                    .and_then(|n| n.parse().ok())
                    .ok_or(format!("line {lineno}: bad hash-threshold"))?,
            ),
            "statement" => {
                let expect_ok = match arg(1) {
                    Some("ok") => true,
                    Some("error") => false,
                    other => return Err(format!("line {lineno}: statement {other:?}")),
                };
                let (sql, next) = body(&lines, i);
                i = next;
                RecordKind::Statement { expect_ok, sql }
            }
            "query" => {
                let types = arg(1).ok_or(format!("line {lineno}: query without types"))?;
                if !types.chars().all(|c| matches!(c, 'I' | 'R' | 'T')) {
                    return Err(format!("line {lineno}: bad column types {types:?}"));
                }
                let sort = match arg(2) {
                    None | Some("nosort") => SortMode::NoSort,
                    Some("rowsort") => SortMode::RowSort,
                    Some("valuesort") => SortMode::ValueSort,
                    Some(other) => return Err(format!("line {lineno}: sort mode {other:?}")),
                };
                let label = arg(3).map(str::to_string);
                let (sql, next) = body(&lines, i);
                i = next;
                let mut values = Vec::new();
                if lines.get(i).copied() == Some("----") {
                    i += 1;
                    while let Some(l) = lines.get(i).filter(|l| !l.trim().is_empty()) {
                        values.push(l.to_string());
                        i += 1;
                    }
                }
                RecordKind::Query {
                    types: types.to_string(),
                    sort,
                    label,
                    sql,
                    expected: expected(values),
                }
            }
            other => return Err(format!("line {lineno}: unknown record {other:?}")),
        };
        records.push(Record {
            line: lineno,
            conditions: std::mem::take(&mut conditions),
            kind,
        });
    }
    Ok(records)
}

/// The SQL text from line `i` up to a blank line or `----`; returns it and the next line.
fn body(lines: &[&str], mut i: usize) -> (String, usize) {
    let mut sql = Vec::new();
    while let Some(l) = lines.get(i) {
        if l.trim().is_empty() || *l == "----" {
            break;
        }
        sql.push(*l);
        i += 1;
    }
    (sql.join("\n"), i)
}

fn expected(values: Vec<String>) -> Expected {
    if let [only] = values.as_slice() {
        let parts: Vec<&str> = only.split(' ').collect();
        if let [n, "values", "hashing", "to", h] = parts.as_slice()
            && let Ok(count) = n.parse()
            && h.len() == 32
            && h.bytes().all(|b| b.is_ascii_hexdigit())
        {
            return Expected::Hash {
                count,
                md5: h.to_string(),
            };
        }
    }
    Expected::Values(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_records_conditions_and_crlf() {
        let text = "hash-threshold 8\r\n\r\n# a comment\r\nonlyif sqlite # why\r\nskipif mysql\r\n\
                    statement ok\r\nCREATE TABLE t1(x INTEGER)\r\n\r\nquery IT rowsort label-1\r\n\
                    SELECT x,\r\n 'a' FROM t1\r\n----\r\n1\r\n(empty)\r\n\r\nquery I nosort\r\n\
                    SELECT 1\r\n----\r\n3 values hashing to 0123456789abcdef0123456789abcdef\r\n\r\n\
                    statement error\r\nSELECT nope\r\n\r\nhalt\r\n";
        let r = parse(text).unwrap();
        assert_eq!(r.len(), 6);
        assert_eq!(r[0].kind, RecordKind::HashThreshold(8));
        assert_eq!(
            r[1].conditions,
            vec![
                Condition::OnlyIf("sqlite".into()),
                Condition::SkipIf("mysql".into())
            ]
        );
        assert_eq!(r[1].line, 6);
        assert_eq!(
            r[2].kind,
            RecordKind::Query {
                types: "IT".into(),
                sort: SortMode::RowSort,
                label: Some("label-1".into()),
                sql: "SELECT x,\n 'a' FROM t1".into(),
                expected: Expected::Values(vec!["1".into(), "(empty)".into()]),
            }
        );
        assert!(matches!(
            &r[3].kind,
            RecordKind::Query { expected: Expected::Hash { count: 3, md5 }, .. } if md5.starts_with("0123")
        ));
        assert_eq!(
            r[4].kind,
            RecordKind::Statement {
                expect_ok: false,
                sql: "SELECT nope".into()
            }
        );
        assert_eq!(parse("halt\n").unwrap()[0].kind, RecordKind::Halt);
    }

    #[test]
    fn rejects_what_it_does_not_know() {
        assert!(parse("query X\nSELECT 1\n").is_err());
        assert!(parse("frobnicate\n").is_err());
        assert!(parse("query I sideways\nSELECT 1\n").is_err());
    }
}

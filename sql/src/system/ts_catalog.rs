//! The text-search catalogs for the built-in configurations ([`crate::expr::ts_config`]):
//! `pg_ts_parser` (the default parser), `pg_ts_template` (`simple`, `snowball`),
//! `pg_ts_dict` (`simple`, `english_stem`), `pg_ts_config` (`simple`, `english`) and
//! `pg_ts_config_map` (which dictionary each token type goes to), with PostgreSQL 15's
//! OIDs (the snowball objects' are those a fresh PostgreSQL 15 cluster assigns), and
//! their `pg_description` rows (what psql's `\dF`, `\dFd`, `\dFp`, `\dFt` print).

use super::Context;
use super::val::*;
use crate::Result;
use crate::storage::Row;
use crate::storage::catalog::oids::{BOOTSTRAP_SUPERUSER, PG_CATALOG_NAMESPACE};
use crate::types::Value;
use crate::types::oid::RegKind;

const DEFAULT_PARSER: u32 = 3722;
const SIMPLE_DICT: u32 = 3765;
const ENGLISH_STEM: u32 = 13163;

fn proc(o: u32) -> Value {
    Value::Reg(RegKind::Proc, o)
}

pub(super) fn pg_ts_parser(_ctx: &Context) -> Result<Vec<Row>> {
    Ok(vec![vec![
        oid(DEFAULT_PARSER),
        text("default"),
        oid(PG_CATALOG_NAMESPACE),
        proc(3717),
        proc(3718),
        proc(3719),
        proc(3720),
        proc(3721),
    ]])
}

pub(super) fn pg_ts_template(_ctx: &Context) -> Result<Vec<Row>> {
    Ok(vec![
        vec![
            oid(3727),
            text("simple"),
            oid(PG_CATALOG_NAMESPACE),
            proc(3725),
            proc(3726),
        ],
        vec![
            oid(13150),
            text("snowball"),
            oid(PG_CATALOG_NAMESPACE),
            proc(13148),
            proc(13149),
        ],
    ])
}

pub(super) fn pg_ts_dict(_ctx: &Context) -> Result<Vec<Row>> {
    Ok(vec![
        vec![
            oid(SIMPLE_DICT),
            text("simple"),
            oid(PG_CATALOG_NAMESPACE),
            oid(BOOTSTRAP_SUPERUSER),
            oid(3727),
            null(),
        ],
        vec![
            oid(ENGLISH_STEM),
            text("english_stem"),
            oid(PG_CATALOG_NAMESPACE),
            oid(BOOTSTRAP_SUPERUSER),
            oid(13150),
            text("language = 'english', stopwords = 'english'"),
        ],
    ])
}

pub(super) fn pg_ts_config(_ctx: &Context) -> Result<Vec<Row>> {
    use crate::expr::ts_config::Config;
    Ok([Config::Simple, Config::English]
        .into_iter()
        .map(|c| {
            vec![
                oid(c.oid()),
                text(c.name()),
                oid(PG_CATALOG_NAMESPACE),
                oid(BOOTSTRAP_SUPERUSER),
                oid(DEFAULT_PARSER),
            ]
        })
        .collect())
}

/// The default parser's token types the configurations map (`ts_token_type`'s ids), and
/// whether english stems them.
const MAPPED: &[(i64, bool)] = &[
    (1, true),
    (2, true),
    (3, false),
    (4, false),
    (5, false),
    (6, false),
    (7, false),
    (8, false),
    (9, false),
    (10, true),
    (11, true),
    (15, false),
    (16, true),
    (17, true),
    (18, false),
    (19, false),
    (20, false),
    (21, false),
    (22, false),
];

pub(super) fn pg_ts_config_map(_ctx: &Context) -> Result<Vec<Row>> {
    use crate::expr::ts_config::Config;
    let mut rows = Vec::new();
    for c in [Config::Simple, Config::English] {
        for &(ty, word) in MAPPED {
            let dict = if c == Config::English && word {
                ENGLISH_STEM
            } else {
                SIMPLE_DICT
            };
            rows.push(vec![oid(c.oid()), int(ty), int(1), oid(dict)]);
        }
    }
    Ok(rows)
}

/// `pg_description` rows of the text-search objects: `(objoid, classoid, 0, description)`,
/// PostgreSQL 15's texts.
pub fn comments() -> Vec<(u32, u32, i64, String)> {
    use crate::expr::ts_config::Config;
    const PARSER: u32 = 3601;
    const DICT: u32 = 3600;
    const CONFIG: u32 = 3602;
    const TEMPLATE: u32 = 3764;
    let simple = "simple dictionary: just lower case and check for stopword";
    [
        (DEFAULT_PARSER, PARSER, "default word parser"),
        (3727, TEMPLATE, simple),
        (13150, TEMPLATE, "snowball stemmer"),
        (SIMPLE_DICT, DICT, simple),
        (ENGLISH_STEM, DICT, "snowball stemmer for english language"),
        (Config::Simple.oid(), CONFIG, "simple configuration"),
        (
            Config::English.oid(),
            CONFIG,
            "configuration for english language",
        ),
    ]
    .into_iter()
    .map(|(o, class, d)| (o, class, 0, d.to_string()))
    .collect()
}

//! Every SQL type over the wire, black-box with tokio-postgres: parameters and results in
//! the binary format (what drivers use: tokio-postgres, sqlx, JDBC, psycopg's binary mode)
//! and in the text format, stored in a table and read back, with the type OIDs drivers
//! look at.

use std::error::Error;

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use compute::frontend::{FrontendConfig, bind_and_serve};
use rust_decimal::Decimal;
use sql::memory::MemoryStorage;
use tokio_postgres::types::{FromSql, IsNull, ToSql, Type, to_sql_checked};
use tokio_postgres::{Client, NoTls, SimpleQueryMessage};
use tokio_util::sync::CancellationToken;

struct Server {
    cancel: CancellationToken,
    client: Client,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

async fn start() -> Server {
    let storage = MemoryStorage::new();
    let cancel = CancellationToken::new();
    let (addr, _task) = bind_and_serve(
        "127.0.0.1:0".parse().unwrap(),
        FrontendConfig::default(),
        move || storage.clone(),
        cancel.clone(),
    )
    .await
    .unwrap();
    let conn_str = format!("host=127.0.0.1 port={} user=anyone", addr.port());
    let (client, conn) = tokio_postgres::connect(&conn_str, NoTls).await.unwrap();
    tokio::spawn(conn);
    Server { cancel, client }
}

/// PostgreSQL's binary interval (microseconds, days, months); tokio-postgres has none.
#[derive(Debug, PartialEq)]
struct PgInterval {
    micros: i64,
    days: i32,
    months: i32,
}

impl<'a> FromSql<'a> for PgInterval {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn Error + Sync + Send>> {
        if raw.len() != 16 {
            return Err("interval is 16 bytes".into());
        }
        Ok(PgInterval {
            micros: i64::from_be_bytes(raw[..8].try_into()?),
            days: i32::from_be_bytes(raw[8..12].try_into()?),
            months: i32::from_be_bytes(raw[12..].try_into()?),
        })
    }

    fn accepts(ty: &Type) -> bool {
        *ty == Type::INTERVAL
    }
}

impl ToSql for PgInterval {
    fn to_sql(
        &self,
        _: &Type,
        out: &mut bytes::BytesMut,
    ) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
        out.extend_from_slice(&self.micros.to_be_bytes());
        out.extend_from_slice(&self.days.to_be_bytes());
        out.extend_from_slice(&self.months.to_be_bytes());
        Ok(IsNull::No)
    }

    fn accepts(ty: &Type) -> bool {
        *ty == Type::INTERVAL
    }

    to_sql_checked!();
}

/// The text of the first row's columns via the simple protocol (text format).
async fn text_row(c: &Client, sql: &str) -> Vec<Option<String>> {
    for m in c.simple_query(sql).await.unwrap() {
        if let SimpleQueryMessage::Row(r) = m {
            return (0..r.len()).map(|i| r.get(i).map(str::to_string)).collect();
        }
    }
    panic!("no row from {sql}");
}

#[tokio::test]
async fn numbers_and_strings_in_binary_and_text() {
    let s = start().await;
    let c = &s.client;
    c.batch_execute(
        "CREATE TABLE n (id int2 PRIMARY KEY, a numeric(12, 2), b numeric, c char(4), d varchar(5), e \"char\", f name, g oid)",
    )
    .await
    .unwrap();
    let price = Decimal::new(1234567, 2); // 12345.67
    let big: Decimal = "-123456789012345678.123456789".parse().unwrap();
    c.execute(
        "INSERT INTO n VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        &[
            &7i16,
            &price,
            &big,
            &"ab",
            &"xyz",
            &(b'q' as i8),
            &"relname",
            &4_000_000_000u32,
        ],
    )
    .await
    .unwrap();
    let row = c
        .query_one(
            "SELECT id, a, b, c, d, e, f, g, a * 2 FROM n WHERE id = $1",
            &[&7i16],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, i16>(0), 7);
    assert_eq!(row.get::<_, Decimal>(1), price);
    assert_eq!(row.get::<_, Decimal>(2), big);
    assert_eq!(row.get::<_, &str>(3), "ab  ");
    assert_eq!(row.get::<_, &str>(4), "xyz");
    assert_eq!(row.get::<_, i8>(5), b'q' as i8);
    assert_eq!(row.get::<_, &str>(6), "relname");
    assert_eq!(row.get::<_, u32>(7), 4_000_000_000);
    assert_eq!(row.get::<_, Decimal>(8), Decimal::new(2469134, 2));
    let types: Vec<Type> = row.columns().iter().map(|c| c.type_().clone()).collect();
    assert_eq!(
        types,
        [
            Type::INT2,
            Type::NUMERIC,
            Type::NUMERIC,
            Type::BPCHAR,
            Type::VARCHAR,
            Type::CHAR,
            Type::NAME,
            Type::OID,
            Type::NUMERIC
        ]
    );
    assert_eq!(
        text_row(c, "SELECT a, b, c, e, g FROM n").await,
        [
            Some("12345.67".into()),
            Some("-123456789012345678.123456789".into()),
            Some("ab  ".into()),
            Some("q".into()),
            Some("4000000000".into())
        ]
    );
    // numeric NaN, a typmod applied to a binary parameter, and an overflow
    let nan: String = c
        .query_one("SELECT ($1::numeric / 3)::text", &[&Decimal::new(1, 0)])
        .await
        .unwrap()
        .get(0);
    assert_eq!(nan, "0.33333333333333333333");
    let err = c
        .execute(
            "INSERT INTO n (id, a) VALUES (8, $1)",
            &[&Decimal::new(1_000_000_000_000, 0)],
        )
        .await
        .unwrap_err();
    assert_eq!(err.code().unwrap().code(), "22003");
}

#[tokio::test]
async fn dates_and_times_in_binary_and_text() {
    let s = start().await;
    let c = &s.client;
    c.batch_execute(
        "SET TIME ZONE 'America/New_York';
         CREATE TABLE t (d date PRIMARY KEY, t time, ts timestamp, tz timestamptz, iv interval)",
    )
    .await
    .unwrap();
    let d = NaiveDate::from_ymd_opt(2020, 2, 29).unwrap();
    let t = NaiveTime::from_hms_micro_opt(13, 14, 15, 123456).unwrap();
    let ts = NaiveDateTime::new(d, t);
    let tz: DateTime<Utc> = "2020-07-01T12:00:00Z".parse().unwrap();
    let iv = PgInterval {
        micros: 3_600_000_001,
        days: -2,
        months: 14,
    };
    c.execute(
        "INSERT INTO t VALUES ($1, $2, $3, $4, $5)",
        &[&d, &t, &ts, &tz, &iv],
    )
    .await
    .unwrap();
    let row = c
        .query_one(
            "SELECT d, t, ts, tz, iv, d + 1, tz + iv FROM t WHERE d = $1",
            &[&d],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, NaiveDate>(0), d);
    assert_eq!(row.get::<_, NaiveTime>(1), t);
    assert_eq!(row.get::<_, NaiveDateTime>(2), ts);
    assert_eq!(row.get::<_, DateTime<Utc>>(3), tz);
    assert_eq!(row.get::<_, PgInterval>(4), iv);
    assert_eq!(row.get::<_, NaiveDate>(5), d.succ_opt().unwrap());
    let shifted: DateTime<Utc> = "2021-08-30T13:00:00.000001Z".parse().unwrap();
    assert_eq!(row.get::<_, DateTime<Utc>>(6), shifted);
    // text output follows the session's TimeZone
    assert_eq!(
        text_row(c, "SELECT d, t, ts, tz, iv FROM t").await,
        [
            Some("2020-02-29".into()),
            Some("13:14:15.123456".into()),
            Some("2020-02-29 13:14:15.123456".into()),
            Some("2020-07-01 08:00:00-04".into()),
            Some("1 year 2 mons -2 days +01:00:00.000001".into())
        ]
    );
    // text input of a timestamptz is read in the session's zone
    let back: DateTime<Utc> = c
        .query_one("SELECT '2020-01-01 00:00'::timestamptz", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        back,
        "2020-01-01T05:00:00Z".parse::<DateTime<Utc>>().unwrap()
    );
}

#[tokio::test]
async fn bytea_uuid_json_and_arrays_in_binary_and_text() {
    let s = start().await;
    let c = &s.client;
    c.batch_execute(
        "CREATE TABLE o (id uuid PRIMARY KEY, b bytea, j json, jb jsonb, ai int4[], at text[], an numeric[])",
    )
    .await
    .unwrap();
    let id = uuid::Uuid::parse_str("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11").unwrap();
    let bytes = vec![0u8, 1, 2, 255];
    let j = serde_json::json!({"b": [1, 2], "a": "x"});
    let ai = vec![Some(1i32), None, Some(3)];
    let at = vec!["a b".to_string(), "{\"}".to_string(), String::new()];
    let an = vec![Decimal::new(15, 1), Decimal::new(-2, 0)];
    c.execute(
        "INSERT INTO o VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[&id, &bytes, &j, &j, &ai, &at, &an],
    )
    .await
    .unwrap();
    let row = c
        .query_one(
            "SELECT id, b, j, jb, ai, at, an FROM o WHERE id = $1",
            &[&id],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, uuid::Uuid>(0), id);
    assert_eq!(row.get::<_, Vec<u8>>(1), bytes);
    assert_eq!(row.get::<_, serde_json::Value>(2), j);
    assert_eq!(row.get::<_, serde_json::Value>(3), j);
    assert_eq!(row.get::<_, Vec<Option<i32>>>(4), ai);
    assert_eq!(row.get::<_, Vec<String>>(5), at);
    assert_eq!(row.get::<_, Vec<Decimal>>(6), an);
    let types: Vec<Type> = row.columns().iter().map(|c| c.type_().clone()).collect();
    assert_eq!(
        types,
        [
            Type::UUID,
            Type::BYTEA,
            Type::JSON,
            Type::JSONB,
            Type::INT4_ARRAY,
            Type::TEXT_ARRAY,
            Type::NUMERIC_ARRAY
        ]
    );
    assert_eq!(
        text_row(c, "SELECT id, b, j, jb, ai, at, an FROM o").await,
        [
            Some("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11".into()),
            Some("\\x000102ff".into()),
            Some(r#"{"a":"x","b":[1,2]}"#.into()),
            Some(r#"{"a": "x", "b": [1, 2]}"#.into()),
            Some("{1,NULL,3}".into()),
            Some(r#"{"a b","{\"}",""}"#.into()),
            Some("{1.5,-2}".into())
        ]
    );
    // malformed binary parameters are errors with 22P03, not panics
    for ty in ["uuid", "numeric", "date", "int4[]", "interval"] {
        let err = c
            .query_one(&format!("SELECT $1::{ty}"), &[&Raw(&[1, 2, 3])])
            .await
            .unwrap_err();
        assert_eq!(err.code().unwrap().code(), "22P03", "{ty}: {err}");
    }
}

/// Bytes sent as they are, whatever the parameter's type.
#[derive(Debug)]
struct Raw(&'static [u8]);

impl ToSql for Raw {
    fn to_sql(
        &self,
        _: &Type,
        out: &mut bytes::BytesMut,
    ) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
        out.extend_from_slice(self.0);
        Ok(IsNull::No)
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

/// An enum value as tokio-postgres reads it in binary: the label's bytes.
#[derive(Debug, PartialEq)]
struct Label(String);

impl<'a> FromSql<'a> for Label {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn Error + Sync + Send>> {
        Ok(Label(std::str::from_utf8(raw)?.to_string()))
    }

    fn accepts(ty: &Type) -> bool {
        matches!(ty.kind(), tokio_postgres::types::Kind::Enum(_))
    }
}

impl ToSql for Label {
    fn to_sql(
        &self,
        _: &Type,
        out: &mut bytes::BytesMut,
    ) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
        out.extend_from_slice(self.0.as_bytes());
        Ok(IsNull::No)
    }

    fn accepts(ty: &Type) -> bool {
        matches!(ty.kind(), tokio_postgres::types::Kind::Enum(_))
    }

    to_sql_checked!();
}

#[tokio::test]
async fn enums_and_domains_over_the_wire() {
    let s = start().await;
    let c = &s.client;
    c.batch_execute(
        "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
         CREATE DOMAIN posint AS int CHECK (VALUE > 0);
         CREATE TABLE f (m mood PRIMARY KEY, ms mood[], n posint)",
    )
    .await
    .unwrap();
    // tokio-postgres learns the enum's labels from pg_type and pg_enum (its typeinfo
    // queries), sends and reads labels in binary.
    let stmt = c
        .prepare("INSERT INTO f VALUES ($1, $2, $3) RETURNING m, ms, n")
        .await
        .unwrap();
    let t = &stmt.params()[0];
    assert_eq!(t.name(), "mood");
    assert_eq!(
        t.kind(),
        &tokio_postgres::types::Kind::Enum(vec!["sad".into(), "ok".into(), "happy".into()])
    );
    // A domain is its base type on the wire.
    assert_eq!(stmt.params()[2], Type::INT4);
    assert_eq!(stmt.columns()[2].type_(), &Type::INT4);
    let row = c
        .query_one(
            &stmt,
            &[
                &Label("ok".into()),
                &vec![Label("happy".into()), Label("sad".into())],
                &5i32,
            ],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, Label>(0), Label("ok".into()));
    assert_eq!(
        row.get::<_, Vec<Label>>(1),
        vec![Label("happy".into()), Label("sad".into())]
    );
    assert_eq!(row.get::<_, i32>(2), 5);
    let err = c
        .query_one(&stmt, &[&Label("angry".into()), &None::<Vec<Label>>, &1i32])
        .await
        .unwrap_err();
    assert_eq!(err.code().unwrap().code(), "22P02", "{err}");
    let err = c
        .query_one(&stmt, &[&Label("sad".into()), &None::<Vec<Label>>, &0i32])
        .await
        .unwrap_err();
    assert_eq!(err.code().unwrap().code(), "23514", "{err}");
    // Text format: labels; order by declaration.
    let msgs = c
        .simple_query("INSERT INTO f VALUES ('happy', NULL, 1), ('sad', '{ok}', 2); SELECT m, ms FROM f ORDER BY m")
        .await
        .unwrap();
    let rows: Vec<(String, Option<String>)> = msgs
        .iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(r) => {
                Some((r.get(0).unwrap().to_string(), r.get(1).map(str::to_string)))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("sad".to_string(), Some("{ok}".to_string())),
            ("ok".to_string(), Some("{happy,sad}".to_string())),
            ("happy".to_string(), None),
        ]
    );
}

/// A value's binary form as it came, whatever its type.
#[derive(Debug, PartialEq)]
struct Bytes(Vec<u8>);

impl<'a> FromSql<'a> for Bytes {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn Error + Sync + Send>> {
        Ok(Bytes(raw.to_vec()))
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

#[tokio::test]
async fn ranges_in_binary_and_text() {
    let s = start().await;
    let c = &s.client;
    // Results: PostgreSQL's range_send (flags, then each finite bound's length and bytes),
    // the bytes PostgreSQL 15 sends for these values; the types are the built-in ones.
    let row = c
        .query_one(
            "SELECT int4range(1, 5, '[]'), numrange(NULL, 2.5), 'empty'::daterange, int8range(NULL, NULL), numrange(1, 2, '(]')",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(row.columns()[0].type_(), &Type::INT4_RANGE);
    assert_eq!(row.columns()[1].type_(), &Type::NUM_RANGE);
    assert_eq!(row.columns()[2].type_(), &Type::DATE_RANGE);
    assert_eq!(row.columns()[3].type_(), &Type::INT8_RANGE);
    let hex = |i: usize| -> String {
        row.get::<_, Bytes>(i)
            .0
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    assert_eq!(hex(0), "0200000004000000010000000400000006");
    assert_eq!(hex(1), "080000000c000200000000000100021388");
    assert_eq!(hex(2), "01");
    assert_eq!(hex(3), "18");
    assert_eq!(
        hex(4),
        "040000000a000100000000000000010000000a00010000000000000002"
    );
    // Parameters: received, canonicalized and checked like text input.
    let int4 = |flags: u8, lo: i32, hi: i32| {
        let mut b = vec![flags, 0, 0, 0, 4];
        b.extend_from_slice(&lo.to_be_bytes());
        b.extend_from_slice(&[0, 0, 0, 4]);
        b.extend_from_slice(&hi.to_be_bytes());
        Box::leak(b.into_boxed_slice()) as &'static [u8]
    };
    let row = c
        .query_one(
            "SELECT $1::int4range::text, $2::int4range::text, $3::int4range::text",
            &[
                &Raw(int4(0x06, 1, 5)),
                &Raw(&[0x01]),
                &Raw(int4(0x00, 3, 4)),
            ],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "[1,6)");
    assert_eq!(row.get::<_, String>(1), "empty");
    assert_eq!(row.get::<_, String>(2), "empty");
    let err = c
        .query_one("SELECT $1::int4range", &[&Raw(int4(0x02, 5, 1))])
        .await
        .unwrap_err();
    assert_eq!(err.code().unwrap().code(), "22000", "{err}");
    let err = c
        .query_one("SELECT $1::int4range", &[&Raw(&[0x02, 0, 0, 0, 4, 1])])
        .await
        .unwrap_err();
    assert_eq!(err.code().unwrap().code(), "22P03", "{err}");
    // A range column round-trips through storage in both formats.
    c.batch_execute(
        "CREATE TABLE r (k tstzrange PRIMARY KEY); INSERT INTO r VALUES ('[2020-01-01 00:00+00,2020-01-02 00:00+00)'), ('(,)')",
    )
    .await
    .unwrap();
    let rows = c.query("SELECT k FROM r ORDER BY k", &[]).await.unwrap();
    assert_eq!(rows[0].get::<_, Bytes>(0).0, [0x18]);
    assert_eq!(
        text_row(c, "SELECT k FROM r ORDER BY k DESC").await,
        [Some(
            r#"["2020-01-01 00:00:00+00","2020-01-02 00:00:00+00")"#.into()
        )]
    );
}

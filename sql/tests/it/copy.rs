//! COPY through the session API on the in-memory storage: rows in chunks of any size, the
//! error context of PostgreSQL, statement-level rollback of a failed COPY (in and out of a
//! transaction block), CopyFail, COPY TO in text, CSV and BINARY, the foreign keys and triggers of
//! copied rows.
//! Expected texts are PostgreSQL 15's.

use sql::memory::MemoryStorage;
use sql::{Session, Value};

fn session() -> Session<MemoryStorage> {
    let mut s = Session::new(MemoryStorage::new());
    run(
        &mut s,
        "CREATE TABLE t (a int PRIMARY KEY, b text NOT NULL, c int DEFAULT 7)",
    );
    s
}

fn run(s: &mut Session<MemoryStorage>, sql: &str) -> Vec<Vec<Option<String>>> {
    let mut out = s.execute(sql);
    let last = out.pop().expect("a result");
    assert!(out.iter().all(|r| r.is_ok()), "{sql}: {out:?}");
    last.unwrap_or_else(|e| panic!("{sql}: {e}")).text_rows()
}

fn copy_in(
    s: &mut Session<MemoryStorage>,
    sql: &str,
    data: &[u8],
    chunk: usize,
) -> sql::Result<String> {
    let r = s.execute(sql);
    assert!(r.iter().all(|r| r.is_ok()), "{sql}: {r:?}");
    assert!(s.copy_in_pending(), "{sql} waits for data");
    for c in data.chunks(chunk.max(1)) {
        s.copy_data(c)?;
    }
    s.copy_done().map(|r| r.tag)
}

#[test]
fn rows_arrive_in_any_chunking_and_defaults_fill_the_rest() {
    let data = b"1\tone\n2\ttwo\t\\N\n";
    for chunk in [1, 3, 100] {
        let mut s = session();
        let err = copy_in(&mut s, "COPY t FROM STDIN", data, chunk).unwrap_err();
        assert_eq!(err.to_string(), "missing data for column \"c\"");
        assert_eq!(err.context(), Some("COPY t, line 1: \"1\tone\""));
        assert_eq!(
            run(&mut s, "SELECT count(*) FROM t"),
            vec![vec![Some("0".into())]]
        );
        let tag = copy_in(
            &mut s,
            "COPY t (a, b) FROM STDIN",
            b"1\tone\n2\ttwo\n",
            chunk,
        )
        .unwrap();
        assert_eq!(tag, "COPY 2");
        assert_eq!(
            run(&mut s, "SELECT a, b, c FROM t ORDER BY a"),
            vec![
                vec![Some("1".into()), Some("one".into()), Some("7".into())],
                vec![Some("2".into()), Some("two".into()), Some("7".into())],
            ]
        );
    }
}

#[test]
fn a_bad_row_leaves_nothing_behind() {
    let mut s = session();
    let err = copy_in(&mut s, "COPY t FROM STDIN", b"1\ta\t1\n2\tb\tx\n", 4).unwrap_err();
    assert_eq!(err.code(), "22P02");
    assert_eq!(
        err.to_string(),
        "invalid input syntax for type integer: \"x\""
    );
    assert_eq!(err.context(), Some("COPY t, line 2, column c: \"x\""));
    assert!(!s.copy_in_pending());
    assert_eq!(s.transaction_status(), 'I');
    assert_eq!(
        run(&mut s, "SELECT count(*) FROM t"),
        vec![vec![Some("0".into())]]
    );

    // Inside a block the block fails, and the rows of earlier statements go with it at
    // ROLLBACK; a COPY that succeeded before stays until then.
    run(&mut s, "BEGIN");
    copy_in(&mut s, "COPY t FROM STDIN", b"1\ta\t1\n", 100).unwrap();
    let err = copy_in(&mut s, "COPY t FROM STDIN", b"1\tdup\t1\n", 100).unwrap_err();
    assert_eq!(err.code(), "23505");
    assert_eq!(err.context(), Some("COPY t, line 1"));
    assert_eq!(s.transaction_status(), 'E');
    assert_eq!(
        s.execute("SELECT 1")[0].as_ref().unwrap_err().code(),
        "25P02"
    );
    run(&mut s, "ROLLBACK");
    assert_eq!(
        run(&mut s, "SELECT count(*) FROM t"),
        vec![vec![Some("0".into())]]
    );

    // CopyFail: 57014, nothing kept.
    s.execute("COPY t FROM STDIN");
    s.copy_data(b"5\te\t1\n").unwrap();
    let err = s.copy_fail("client gave up");
    assert_eq!(err.code(), "57014");
    assert_eq!(err.to_string(), "COPY from stdin failed: client gave up");
    assert_eq!(
        run(&mut s, "SELECT count(*) FROM t"),
        vec![vec![Some("0".into())]]
    );
}

#[test]
fn copy_to_writes_text_and_csv() {
    let mut s = session();
    copy_in(
        &mut s,
        "COPY t FROM STDIN (FORMAT csv, HEADER true)",
        b"a,b,c\n1,\"x,\"\"y\"\"\",\n2,tab\there,3\n",
        5,
    )
    .unwrap();
    let lines = |s: &mut Session<MemoryStorage>, sql: &str| -> (String, String) {
        let r = s.execute(sql).pop().unwrap().unwrap();
        assert!(s.take_copy_out().is_some(), "{sql} is a COPY TO");
        let text: String = r.rows.iter().map(|row| row[0].to_string()).collect();
        (r.tag, text)
    };
    assert_eq!(
        lines(&mut s, "COPY t TO STDOUT"),
        (
            "COPY 2".into(),
            "1\tx,\"y\"\t\\N\n2\ttab\\there\t3\n".into()
        )
    );
    assert_eq!(
        lines(&mut s, "COPY t (a, c) TO STDOUT WITH CSV HEADER"),
        ("COPY 2".into(), "a,c\n1,\n2,3\n".into())
    );
    assert_eq!(
        lines(
            &mut s,
            "COPY (SELECT b FROM t WHERE a = 1) TO STDOUT (FORMAT csv, FORCE_QUOTE *)"
        ),
        ("COPY 1".into(), "\"x,\"\"y\"\"\"\n".into())
    );
    // pgbench's form, and a query string ending in a COPY.
    let r = s.execute("DELETE FROM t; COPY t FROM STDIN WITH (FREEZE ON)");
    assert!(r.iter().all(|r| r.is_ok()), "{r:?}");
    assert_eq!(
        s.transaction_status(),
        'T',
        "the implicit block waits for the COPY"
    );
    s.copy_data(b"9\tz\t9\n\\.\nafter the end marker\n")
        .unwrap();
    assert_eq!(s.copy_done().unwrap().tag, "COPY 1");
    assert_eq!(s.transaction_status(), 'I');
    assert_eq!(run(&mut s, "SELECT a FROM t"), vec![vec![Some("9".into())]]);
}

/// A COPY into a table with foreign keys checks each row's parent (rows copied earlier in
/// the same COPY count as parents); one without hands its rows straight to the insert.
#[test]
fn foreign_keys_are_checked_for_every_copied_row() {
    let mut s = session();
    run(&mut s, "CREATE TABLE p (id int PRIMARY KEY)");
    run(&mut s, "INSERT INTO p VALUES (1), (2)");
    run(
        &mut s,
        "CREATE TABLE c (id int PRIMARY KEY, p int REFERENCES p)",
    );
    let err = copy_in(&mut s, "COPY c FROM STDIN", b"1\t1\n2\t9\n3\t2\n", 5).unwrap_err();
    assert_eq!(err.code(), "23503");
    assert_eq!(
        err.to_string(),
        "insert or update on table \"c\" violates foreign key constraint \"c_p_fkey\""
    );
    assert_eq!(
        run(&mut s, "SELECT count(*) FROM c"),
        vec![vec![Some("0".into())]]
    );
    let tag = copy_in(&mut s, "COPY c FROM STDIN", b"1\t1\n2\t\\N\n3\t2\n", 5).unwrap();
    assert_eq!(tag, "COPY 3");

    run(
        &mut s,
        "CREATE TABLE tree (id int PRIMARY KEY, parent int REFERENCES tree)",
    );
    let tag = copy_in(&mut s, "COPY tree FROM STDIN", b"1\t\\N\n2\t1\n3\t3\n", 3).unwrap();
    assert_eq!(tag, "COPY 3");
    let err = copy_in(&mut s, "COPY tree FROM STDIN", b"4\t5\n", 3).unwrap_err();
    assert_eq!(err.code(), "23503");

    let tag = copy_in(&mut s, "COPY t FROM STDIN", b"1\tone\t1\n2\ttwo\t2\n", 4).unwrap();
    assert_eq!(tag, "COPY 2");
    assert_eq!(
        run(&mut s, "SELECT a, b, c FROM t ORDER BY a"),
        vec![
            vec![Some("1".into()), Some("one".into()), Some("1".into())],
            vec![Some("2".into()), Some("two".into()), Some("2".into())],
        ]
    );
}

/// COPY into enum and domain columns: labels are read by the enum's input function (22P02
/// with PostgreSQL's context), domain constraints are checked, a missing domain column
/// takes the domain's default. Expected texts are PostgreSQL 15's.
#[test]
fn copy_checks_enum_labels_and_domain_constraints() {
    let mut s = Session::new(MemoryStorage::new());
    run(&mut s, "CREATE TYPE mood AS ENUM ('sad', 'happy')");
    run(
        &mut s,
        "CREATE DOMAIN posint AS int DEFAULT 3 CHECK (VALUE > 0)",
    );
    run(&mut s, "CREATE TABLE f (m mood, n posint)");
    let err = copy_in(&mut s, "COPY f FROM STDIN", b"happy\t1\nangry\t2\n", 100).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid input value for enum mood: \"angry\""
    );
    assert_eq!(err.code(), "22P02");
    let err = copy_in(&mut s, "COPY f FROM STDIN", b"happy\t-1\n", 100).unwrap_err();
    assert_eq!(
        err.to_string(),
        "value for domain posint violates check constraint \"posint_check\""
    );
    assert_eq!(err.code(), "23514");
    let tag = copy_in(&mut s, "COPY f (m) FROM STDIN", b"sad\nhappy\n", 100).unwrap();
    assert_eq!(tag, "COPY 2");
    assert_eq!(
        run(&mut s, "SELECT m::text, n FROM f ORDER BY f.m DESC"),
        vec![
            vec![Some("happy".into()), Some("3".into())],
            vec![Some("sad".into()), Some("3".into())],
        ]
    );
}

#[test]
fn copy_computes_generated_columns_and_refuses_to_name_them() {
    let mut s = Session::new(MemoryStorage::new());
    run(
        &mut s,
        "CREATE TABLE g (a int, c int GENERATED ALWAYS AS (a + b) STORED, b int DEFAULT 10)",
    );
    // Without a column list, COPY reads the non-generated columns.
    let tag = copy_in(&mut s, "COPY g FROM STDIN", b"1\t2\n", 100).unwrap();
    assert_eq!(tag, "COPY 1");
    let tag = copy_in(&mut s, "COPY g (a) FROM STDIN", b"5\n", 100).unwrap();
    assert_eq!(tag, "COPY 1");
    assert_eq!(
        run(&mut s, "SELECT a, b, c FROM g ORDER BY a"),
        vec![
            vec![Some("1".into()), Some("2".into()), Some("3".into())],
            vec![Some("5".into()), Some("10".into()), Some("15".into())],
        ]
    );
    // COPY TO without a column list leaves the generated column out too.
    let r = s.execute("COPY g TO STDOUT").pop().unwrap().unwrap();
    assert!(s.take_copy_out().is_some(), "a COPY TO");
    let text: String = r.rows.iter().map(|row| row[0].to_string()).collect();
    assert_eq!(text, "1\t2\n5\t10\n");
    let r = s.execute("COPY g (a, c) FROM STDIN");
    let err = r.into_iter().last().expect("a result").unwrap_err();
    assert_eq!(err.to_string(), "column \"c\" is a generated column");
    assert_eq!(err.code(), "42P10");
    assert_eq!(
        err.detail(),
        Some("Generated columns cannot be used in COPY.")
    );
}

/// COPY FROM fires the table's INSERT triggers as INSERT does (PostgreSQL 15's order and
/// result: a BEFORE ROW trigger's NULL skips the row, which `COPY n` does not count).
#[test]
fn copy_fires_insert_triggers() {
    let mut s = Session::new(MemoryStorage::new());
    for sql in [
        "CREATE TABLE ct (a int, b text)",
        "CREATE TABLE clog (seq serial, what text)",
        "CREATE FUNCTION ct_fn() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN
           INSERT INTO clog (what) VALUES (TG_NAME || ' ' || TG_LEVEL || coalesce(' ' || NEW.a || ':' || NEW.b, ''));
           IF TG_LEVEL = 'STATEMENT' THEN RETURN NULL; END IF;
           IF NEW.b = 'skip' THEN RETURN NULL; END IF;
           IF TG_WHEN = 'BEFORE' THEN NEW.b := upper(NEW.b); END IF;
           RETURN NEW;
         END $$",
        "CREATE TRIGGER ct_a BEFORE INSERT ON ct FOR EACH STATEMENT EXECUTE FUNCTION ct_fn()",
        "CREATE TRIGGER ct_b BEFORE INSERT ON ct FOR EACH ROW EXECUTE FUNCTION ct_fn()",
        "CREATE TRIGGER ct_c AFTER INSERT ON ct FOR EACH ROW EXECUTE FUNCTION ct_fn()",
        "CREATE TRIGGER ct_d AFTER INSERT ON ct FOR EACH STATEMENT EXECUTE FUNCTION ct_fn()",
    ] {
        run(&mut s, sql);
    }
    let tag = copy_in(
        &mut s,
        "COPY ct FROM STDIN",
        b"1\tone\n2\tskip\n3\tthree\n",
        5,
    )
    .unwrap();
    assert_eq!(tag, "COPY 2");
    let text = |rows: Vec<Vec<Option<String>>>| -> Vec<String> {
        rows.into_iter()
            .map(|r| {
                r.into_iter()
                    .map(|v| v.unwrap_or_default())
                    .collect::<Vec<_>>()
                    .join("|")
            })
            .collect()
    };
    assert_eq!(
        text(run(&mut s, "SELECT * FROM ct ORDER BY a")),
        ["1|ONE", "3|THREE"]
    );
    assert_eq!(
        text(run(&mut s, "SELECT what FROM clog ORDER BY seq")),
        [
            "ct_a STATEMENT",
            "ct_b ROW 1:one",
            "ct_b ROW 2:skip",
            "ct_b ROW 3:three",
            "ct_c ROW 1:ONE",
            "ct_c ROW 3:THREE",
            "ct_d STATEMENT",
        ]
    );
}

/// COPY TO in BINARY format writes PostgreSQL's bytes (these are PostgreSQL 15's for the
/// same rows), and COPY FROM reads them back.
#[test]
fn copy_to_binary_writes_what_postgresql_writes_and_reads_back() {
    let mut s = session();
    run(&mut s, "INSERT INTO t VALUES (1, 'x', NULL), (2, 'hé', 3)");
    let bytes = |s: &mut Session<MemoryStorage>, sql: &str| -> (String, Vec<u8>) {
        let r = s.execute(sql).pop().unwrap().unwrap();
        let (format, _) = s.take_copy_out().expect("a COPY TO");
        assert_eq!(format, sql::copy::Format::Binary);
        let mut out = Vec::new();
        for row in &r.rows {
            match &row[0] {
                Value::Bytea(b) => out.extend_from_slice(b),
                other => panic!("{other:?}"),
            }
        }
        (r.tag, out)
    };
    let header: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";
    let mut want = header.to_vec();
    want.extend_from_slice(b"\0\x03\0\0\0\x04\0\0\0\x01\0\0\0\x01x\xff\xff\xff\xff");
    want.extend_from_slice(b"\0\x03\0\0\0\x04\0\0\0\x02\0\0\0\x03h\xc3\xa9\0\0\0\x04\0\0\0\x03");
    want.extend_from_slice(b"\xff\xff");
    let (tag, got) = bytes(&mut s, "COPY t TO STDOUT (FORMAT binary)");
    assert_eq!((tag.as_str(), &got), ("COPY 2", &want));
    // No rows: the header and the trailer.
    let (tag, empty) = bytes(
        &mut s,
        "COPY (SELECT a FROM t WHERE a > 5) TO STDOUT BINARY",
    );
    assert_eq!(tag, "COPY 0");
    assert_eq!(empty, [header, b"\xff\xff"].concat());
    run(&mut s, "DELETE FROM t");
    assert_eq!(
        copy_in(&mut s, "COPY t FROM STDIN (FORMAT binary)", &got, 7).unwrap(),
        "COPY 2"
    );
    assert_eq!(
        run(&mut s, "SELECT a, b, c FROM t ORDER BY a"),
        vec![
            vec![Some("1".into()), Some("x".into()), None],
            vec![Some("2".into()), Some("hé".into()), Some("3".into())]
        ]
    );
}

//! Session-level behaviour that `.slt` files cannot express: result column names and type
//! OIDs, CommandComplete tags, the extended protocol, Strata-specific refusals
//! (SERIALIZABLE), EvalPlanQual, and robustness against malformed input.

use sql::memory::MemoryStorage;
use sql::{DataType, Session, Value};

fn session() -> Session<MemoryStorage> {
    Session::new(MemoryStorage::new())
}

fn run(s: &mut Session<MemoryStorage>, sql: &str) -> sql::StatementResult {
    let mut results = s.execute(sql);
    results
        .pop()
        .expect("one result")
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

fn error_code(s: &mut Session<MemoryStorage>, sql: &str) -> &'static str {
    match s.execute(sql).pop().expect("one result") {
        Ok(r) => panic!("{sql} succeeded: {r:?}"),
        Err(e) => e.code(),
    }
}

#[test]
fn command_tags() {
    let mut s = session();
    assert_eq!(
        run(&mut s, "CREATE TABLE t (a int PRIMARY KEY, b text)").tag,
        "CREATE TABLE"
    );
    assert_eq!(
        run(&mut s, "INSERT INTO t VALUES (1, 'x'), (2, 'y'), (3, 'z')").tag,
        "INSERT 0 3"
    );
    assert_eq!(
        run(&mut s, "UPDATE t SET b = 'w' WHERE a < 3").tag,
        "UPDATE 2"
    );
    assert_eq!(run(&mut s, "DELETE FROM t WHERE a = 3").tag, "DELETE 1");
    assert_eq!(run(&mut s, "SELECT * FROM t").tag, "SELECT 2");
    assert_eq!(run(&mut s, "CREATE INDEX ON t (b)").tag, "CREATE INDEX");
    assert_eq!(run(&mut s, "DROP INDEX t_b_idx").tag, "DROP INDEX");
    assert_eq!(run(&mut s, "BEGIN").tag, "BEGIN");
    assert_eq!(run(&mut s, "SAVEPOINT p").tag, "SAVEPOINT");
    assert_eq!(run(&mut s, "RELEASE p").tag, "RELEASE");
    assert_eq!(run(&mut s, "COMMIT").tag, "COMMIT");
    run(&mut s, "BEGIN");
    error_code(&mut s, "SELECT 1/0");
    assert_eq!(s.transaction_status(), 'E');
    assert_eq!(run(&mut s, "COMMIT").tag, "ROLLBACK");
    assert_eq!(s.transaction_status(), 'I');
    assert_eq!(run(&mut s, "DROP TABLE t").tag, "DROP TABLE");
    assert_eq!(run(&mut s, "SET client_encoding = 'UTF8'").tag, "SET");
}

#[test]
fn column_names_and_types_match_postgres() {
    let mut s = session();
    run(
        &mut s,
        "CREATE TABLE t (a int2, b int8, c float8, d varchar(3), e bool, f int)",
    );
    let r = run(
        &mut s,
        "SELECT a, b, c, d, e, count(*), f + 1, 1::int, 'x'::text, true, CASE WHEN e THEN 1 END, coalesce(f, 0) AS z, sum(f), abs(f) FROM t GROUP BY a, b, c, d, e, f",
    );
    let cols: Vec<(String, u32)> = r
        .columns
        .expect("columns")
        .into_iter()
        .map(|c| (c.name, c.data_type.oid()))
        .collect();
    let want: Vec<(&str, u32)> = vec![
        ("a", 21),
        ("b", 20),
        ("c", 701),
        ("d", 1043),
        ("e", 16),
        ("count", 20),
        ("?column?", 23),
        ("int4", 23),
        ("text", 25),
        ("?column?", 16), // PostgreSQL 15: a boolean constant is no cast
        ("case", 23),
        ("z", 23),
        ("sum", 20),
        ("abs", 23),
    ];
    let got: Vec<(&str, u32)> = cols.iter().map(|(n, o)| (n.as_str(), *o)).collect();
    assert_eq!(got, want);
    let r = run(&mut s, "SELECT 'lit', NULL");
    let cols = r.columns.expect("columns");
    assert_eq!(cols[0].data_type, DataType::Text);
    assert_eq!(cols[0].name, "?column?");
}

#[test]
fn serializable_is_every_way_of_asking_for_it() {
    let mut s = session();
    run(&mut s, "BEGIN ISOLATION LEVEL SERIALIZABLE");
    assert_eq!(s.transaction_status(), 'T');
    assert_eq!(
        run(&mut s, "SHOW transaction_isolation").rows,
        vec![vec![Value::Text("serializable".into())]]
    );
    run(&mut s, "COMMIT");
    run(&mut s, "SET default_transaction_isolation = 'serializable'");
    run(&mut s, "CREATE TABLE t (id int PRIMARY KEY)");
    run(&mut s, "INSERT INTO t VALUES (1)");
    assert_eq!(
        run(&mut s, "SELECT count(*) FROM t").rows,
        vec![vec![Value::Int(1)]]
    );
    run(
        &mut s,
        "SET default_transaction_isolation = 'repeatable read'",
    );
    assert_eq!(
        run(&mut s, "SHOW transaction_isolation").rows,
        vec![vec![Value::Text("repeatable read".into())]]
    );
}

#[test]
fn extended_protocol_types_parameters() {
    let mut s = session();
    run(
        &mut s,
        "CREATE TABLE t (id int PRIMARY KEY, name text, score float8)",
    );
    let info = s
        .prepare("ins", "INSERT INTO t VALUES ($1, $2, $3)", &[])
        .expect("prepare");
    assert_eq!(
        info.param_types,
        vec![DataType::Int4, DataType::Text, DataType::Float8]
    );
    assert_eq!(info.columns, None);
    for (i, n) in [(1, "a"), (2, "b"), (3, "c")] {
        let r = s
            .execute_prepared(
                "ins",
                &[
                    Value::Int(i),
                    Value::Text(n.into()),
                    Value::Float(i as f64 / 2.0),
                ],
            )
            .expect("exec");
        assert_eq!(r.tag, "INSERT 0 1");
    }
    let info = s
        .prepare(
            "q",
            "SELECT name, score * 2 FROM t WHERE id >= $1 ORDER BY id LIMIT $2",
            &[],
        )
        .expect("prepare");
    assert_eq!(info.param_types, vec![DataType::Int4, DataType::Int8]);
    let cols = info.columns.expect("columns");
    assert_eq!(
        (cols[0].name.as_str(), cols[1].name.as_str()),
        ("name", "?column?")
    );
    let r = s
        .execute_prepared("q", &[Value::Int(2), Value::Int(5)])
        .expect("exec");
    assert_eq!(
        r.text_rows(),
        vec![
            vec![Some("b".into()), Some("2".into())],
            vec![Some("c".into()), Some("3".into())]
        ]
    );
    // Declared types win; untyped parameters default to text.
    let info = s
        .prepare("d", "SELECT $1::int8, $2", &[None, None])
        .expect("prepare");
    assert_eq!(info.param_types, vec![DataType::Int8, DataType::Text]);
    assert_eq!(
        s.execute_prepared("missing", &[]).unwrap_err().code(),
        "26000"
    );
    assert_eq!(s.execute_prepared("q", &[]).unwrap_err().code(), "22023");
    assert_eq!(s.prepare("q", "SELECT 1", &[]).unwrap_err().code(), "42P05");
    s.close_prepared("q");
    assert!(s.prepare("q", "SELECT 1", &[]).is_ok());
    assert_eq!(
        sql::types::cast::parse_text(DataType::Int4, "x")
            .unwrap_err()
            .code(),
        "22P02"
    );
}

#[test]
fn eval_plan_qual_rechecks_changed_rows() {
    use sql::storage::{Access, Isolation, LockOutcome, Storage, Txn};
    let storage = MemoryStorage::new();
    let mut s = Session::new(storage.clone());
    run(&mut s, "CREATE TABLE t (id int PRIMARY KEY, v int)");
    run(&mut s, "INSERT INTO t VALUES (1, 10)");
    let table = {
        let mut t = storage.begin(Isolation::ReadCommitted).expect("begin");
        t.begin_statement().expect("stmt");
        t.catalog()
            .expect("catalog")
            .relation(2200, "t")
            .expect("t")
            .oid()
    };
    // Read Committed: the statement's snapshot predates a concurrent commit → Changed.
    let mut rc = storage.begin(Isolation::ReadCommitted).expect("begin");
    rc.begin_statement().expect("stmt");
    let seen: Vec<_> = rc
        .scan(table, &Access::Full)
        .expect("scan")
        .collect::<Result<_, _>>()
        .expect("rows");
    assert_eq!(seen[0].row, vec![Value::Int(1), Value::Int(10)]);
    run(&mut s, "UPDATE t SET v = 11");
    match rc.lock_row(table, &seen[0].key).expect("lock") {
        LockOutcome::Changed(row) => assert_eq!(row, vec![Value::Int(1), Value::Int(11)]),
        other => panic!("expected Changed, got {other:?}"),
    }
    rc.rollback();
    // Repeatable Read: the same situation is a serialization failure.
    let mut rr = storage.begin(Isolation::RepeatableRead).expect("begin");
    rr.begin_statement().expect("stmt");
    run(&mut s, "UPDATE t SET v = 12");
    assert_eq!(
        rr.lock_row(table, &seen[0].key).unwrap_err().code(),
        "40001"
    );
    rr.rollback();
    // A concurrent delete: Deleted under Read Committed.
    let mut rc = storage.begin(Isolation::ReadCommitted).expect("begin");
    rc.begin_statement().expect("stmt");
    run(&mut s, "DELETE FROM t");
    assert_eq!(
        rc.lock_row(table, &seen[0].key).expect("lock"),
        LockOutcome::Deleted
    );
}

#[test]
fn first_writer_wins_between_sessions() {
    let storage = MemoryStorage::new();
    let mut a = Session::new(storage.clone());
    let mut b = Session::new(storage);
    run(&mut a, "CREATE TABLE t (id int PRIMARY KEY, v int)");
    run(&mut a, "INSERT INTO t VALUES (1, 0)");
    run(&mut a, "BEGIN");
    run(&mut a, "UPDATE t SET v = 1 WHERE id = 1");
    // MemoryStorage does not block: the second writer fails with 40001.
    assert_eq!(
        error_code(&mut b, "UPDATE t SET v = 2 WHERE id = 1"),
        "40001"
    );
    run(&mut a, "INSERT INTO t VALUES (2, 0)");
    assert_eq!(error_code(&mut b, "INSERT INTO t VALUES (2, 5)"), "40001");
    run(&mut a, "COMMIT");
    assert_eq!(
        run(&mut b, "UPDATE t SET v = 2 WHERE id = 1").tag,
        "UPDATE 1"
    );
}

#[test]
fn malformed_input_never_panics() {
    // A fixed seed, printed, so a failure can be replayed.
    let seed = 0x5eed_u64;
    eprintln!("fuzz seed {seed:#x}");
    let fragments = [
        "SELECT",
        "INSERT",
        "INTO",
        "t",
        "VALUES",
        "(",
        ")",
        ",",
        "1",
        "'x'",
        "NULL",
        "*",
        "FROM",
        "WHERE",
        "=",
        "+",
        "/",
        "0",
        "ORDER",
        "BY",
        "LIMIT",
        "-1",
        "GROUP",
        "count(*)",
        "sum(a)",
        "a",
        "b",
        "::int",
        "::text",
        "CREATE",
        "TABLE",
        "int",
        "PRIMARY KEY",
        "UPDATE",
        "SET",
        "DELETE",
        "BEGIN",
        "COMMIT",
        "ROLLBACK",
        "SAVEPOINT",
        "s",
        "ON CONFLICT",
        "DO NOTHING",
        "RETURNING",
        "AND",
        "OR",
        "NOT",
        "IS",
        "LIKE",
        "IN",
        "CASE",
        "WHEN",
        "THEN",
        "END",
        "$1",
        "$0",
        "9999999999999999999999",
        "1e999",
        ";",
        "DISTINCT",
        "HAVING",
        "JOIN",
        "UNION",
        "(SELECT 1)",
        "DEFAULT",
        "excluded.a",
        "t.a",
        "\"A\"",
        "--",
        "'",
        "\\",
        "é",
        "1.5",
    ];
    let mut s = session();
    run(&mut s, "CREATE TABLE t (a int PRIMARY KEY, b text)");
    run(&mut s, "INSERT INTO t VALUES (1, 'x'), (2, NULL)");
    let mut state = seed;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..600 {
        let len = 1 + next() % 12;
        let sql: Vec<&str> = (0..len)
            .map(|_| fragments[(next() % fragments.len() as u64) as usize])
            .collect();
        let sql = sql.join(" ");
        for r in s.execute(&sql) {
            if let Err(e) = r {
                assert!(!e.code().is_empty(), "{sql}: {e}");
                assert_ne!(e.code(), "XX000", "internal error for {sql:?}: {e}");
            }
        }
        let _ = s.prepare("", &sql, &[]);
    }
    // Deep nesting is bounded by the parser's recursion limit, not the stack.
    let deep = format!("SELECT {}1{}", "(".repeat(5000), ")".repeat(5000));
    assert!(s.execute(&deep).pop().expect("result").is_err());
    let _ = s.execute("ROLLBACK");
    assert_eq!(
        run(&mut s, "SELECT count(*) FROM t").rows[0][0],
        Value::Int(2)
    );
}

#[test]
fn long_operator_chains_do_not_overflow_the_stack() {
    let mut s = session();
    // Up to 512 terms are accepted (debug builds on a 2 MiB test thread stay within the
    // stack); longer chains fail cleanly with 54001 instead of overflowing the stack.
    for n in [500usize, 20000] {
        let sql = format!("SELECT 1{}", " + 1".repeat(n));
        match s.execute(&sql).pop().expect("result") {
            Ok(r) => assert_eq!(r.rows[0][0], Value::Int(n as i64 + 1)),
            Err(e) => assert!(n > 512 && e.code() == "54001", "{n}: {e}"),
        }
        let or_chain = format!("SELECT 1 WHERE false{}", " OR false".repeat(n));
        match s.execute(&or_chain).pop().expect("result") {
            Ok(r) => assert!(r.rows.is_empty()),
            Err(e) => assert!(n > 512 && e.code() == "54001", "{n}: {e}"),
        }
    }
    // In aggregate mode chains are bound recursively; the depth limit still holds.
    for n in [100usize, 300, 5000] {
        let sql = format!(
            "SELECT count(*){} FROM generate_series(1, 3)",
            " + count(*)".repeat(n)
        );
        match s.execute(&sql).pop().expect("result") {
            Ok(r) => assert_eq!(r.rows[0][0], Value::Int(3 * (n as i64 + 1))),
            Err(e) => assert!(n > 100 && e.code() == "54001", "{n}: {e}"),
        }
    }
}

#[test]
fn concurrent_increments_lose_no_updates() {
    // Four threads increment one counter 50 times each, retrying on serialization failures
    // (MemoryStorage's first-writer-wins); every successful commit must be counted once.
    let storage = MemoryStorage::new();
    let mut setup = Session::new(storage.clone());
    run(
        &mut setup,
        "CREATE TABLE c (id int PRIMARY KEY, n int8 NOT NULL)",
    );
    run(&mut setup, "INSERT INTO c VALUES (1, 0)");
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let storage = storage.clone();
            std::thread::spawn(move || {
                let mut s = Session::new(storage);
                let mut done = 0;
                while done < 50 {
                    let results = s.execute("BEGIN; UPDATE c SET n = n + 1 WHERE id = 1; COMMIT");
                    if results.iter().all(|r| r.is_ok()) {
                        done += 1;
                    } else {
                        let e = results.into_iter().find_map(|r| r.err()).expect("an error");
                        assert_eq!(e.code(), "40001", "{e}");
                        let _ = s.execute("ROLLBACK");
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("thread");
    }
    assert_eq!(
        run(&mut setup, "SELECT n FROM c").rows[0][0],
        Value::Int(200)
    );
}

#[test]
fn prepared_plans_are_reused_until_the_catalog_changes() {
    let mut s = session();
    run(&mut s, "CREATE TABLE t (id int PRIMARY KEY, v int)");
    run(&mut s, "INSERT INTO t VALUES (1, 10), (2, 20), (3, 30)");
    s.prepare("q", "SELECT id FROM t WHERE v >= $1 ORDER BY id", &[])
        .expect("prepare");
    let ids = |s: &mut Session<MemoryStorage>, v: i64| -> Vec<String> {
        s.execute_prepared("q", &[Value::Int(v)])
            .expect("execute")
            .text_rows()
            .into_iter()
            .map(|r| r[0].clone().unwrap_or_default())
            .collect()
    };
    assert_eq!(ids(&mut s, 20), ["2", "3"]);
    assert_eq!(ids(&mut s, 30), ["3"]);
    run(&mut s, "INSERT INTO t VALUES (4, 40)");
    assert_eq!(ids(&mut s, 25), ["3", "4"]);
    assert_eq!(
        s.prepared_binds("q"),
        Some(1),
        "bound once, reused (DML is no DDL)"
    );

    // DDL invalidates: the next execution binds again (and can use the new index).
    run(&mut s, "CREATE INDEX t_v ON t (v)");
    assert_eq!(ids(&mut s, 25), ["3", "4"]);
    assert_eq!(s.prepared_binds("q"), Some(2));
    assert_eq!(ids(&mut s, 35), ["4"]);
    assert_eq!(s.prepared_binds("q"), Some(2));

    // A DDL inside a transaction is seen by that transaction's executions, and a rollback
    // brings the old catalog (and a re-bind) back.
    run(&mut s, "BEGIN");
    run(&mut s, "DROP INDEX t_v");
    assert_eq!(ids(&mut s, 25), ["3", "4"]);
    run(&mut s, "ROLLBACK");
    assert_eq!(ids(&mut s, 25), ["3", "4"]);
    assert_eq!(s.prepared_binds("q"), Some(4));

    // A new plan may not change the result type, as in PostgreSQL.
    run(&mut s, "DROP TABLE t");
    run(&mut s, "CREATE TABLE t (id text PRIMARY KEY, v int)");
    let err = s
        .execute_prepared("q", &[Value::Int(1)])
        .expect_err("result type changed");
    assert_eq!(err.code(), "0A000");
    assert_eq!(err.to_string(), "cached plan must not change result type");
}

/// Records: the `record` type OID in RowDescription, PostgreSQL's column names, the binary
/// form a driver asking for binary results gets, and the Strata-specific refusal to store a
/// record column (PostgreSQL would create a column of the table's row type).
#[test]
fn records_describe_encode_and_refuse_storage() {
    let mut s = session();
    run(&mut s, "CREATE TABLE t (a int, b text)");
    run(&mut s, "INSERT INTO t VALUES (7, NULL)");
    let r = run(&mut s, "SELECT t, ROW(1, 'x'), (2, 3), (t).a FROM t");
    let cols: Vec<(String, u32)> = r
        .columns
        .expect("columns")
        .into_iter()
        .map(|c| (c.name, c.data_type.oid()))
        .collect();
    let got: Vec<(&str, u32)> = cols.iter().map(|(n, o)| (n.as_str(), *o)).collect();
    // A whole row of t has t's row type (its OID is the table's); row constructors are
    // anonymous records.
    let t_oid = match &run(&mut s, "SELECT 't'::regclass::oid").rows[0][0] {
        Value::Int(o) => *o as u32,
        v => panic!("not an oid: {v:?}"),
    };
    assert_eq!(
        got,
        vec![("t", t_oid), ("row", 2249), ("row", 2249), ("a", 23)]
    );
    let bytes = sql::types::binary::send(&r.rows[0][0], DataType::Record);
    let mut want = Vec::new();
    for part in [2i32.to_be_bytes(), 23i32.to_be_bytes(), 4i32.to_be_bytes()] {
        want.extend_from_slice(&part);
    }
    want.extend_from_slice(&7i32.to_be_bytes());
    want.extend_from_slice(&25i32.to_be_bytes());
    want.extend_from_slice(&(-1i32).to_be_bytes());
    assert_eq!(bytes, want);
    // A column of t's row type can be stored; one of an anonymous record cannot.
    run(&mut s, "CREATE TABLE c AS SELECT t FROM t");
    assert_eq!(
        error_code(&mut s, "CREATE VIEW v AS SELECT (1, 2) AS r"),
        "0A000"
    );
    assert!(matches!(&r.rows[0][1], Value::Record(_)));
}

/// `pg_stat_database`'s counters move as PostgreSQL's do: every transaction counts as
/// committed or rolled back (the SELECT reading them included), and rows inserted by a
/// rolled-back transaction still count as inserted.
#[test]
fn pg_stat_database_counts_transactions_and_rows() {
    let mut s = session();
    let read = |s: &mut Session<MemoryStorage>| -> Vec<i64> {
        let r = run(
            s,
            "SELECT numbackends, xact_commit, xact_rollback, tup_inserted, tup_deleted \
             FROM pg_stat_database WHERE datid <> 0",
        );
        assert_eq!(r.rows.len(), 1);
        r.rows[0]
            .iter()
            .map(|v| match v {
                Value::Int(i) => *i,
                v => panic!("not a count: {v:?}"),
            })
            .collect()
    };
    let before = read(&mut s);
    run(&mut s, "CREATE TABLE t (a int)");
    run(&mut s, "INSERT INTO t VALUES (1), (2)");
    run(&mut s, "BEGIN");
    run(&mut s, "INSERT INTO t VALUES (3)");
    run(&mut s, "ROLLBACK");
    run(&mut s, "DELETE FROM t WHERE a = 1");
    // A dropped table's rows stay in the database's totals.
    run(&mut s, "DROP TABLE t");
    let after = read(&mut s);
    assert_eq!(before[0], 1, "one backend: this session");
    // The first SELECT, CREATE, INSERT, DELETE and DROP committed; one block rolled back.
    assert_eq!(after[1] - before[1], 5, "{before:?} → {after:?}");
    assert_eq!(after[2] - before[2], 1);
    assert_eq!(after[3] - before[3], 3);
    assert_eq!(after[4] - before[4], 1);
}

/// A `PREPARE` sent over the extended protocol lists its own Parse text in
/// `pg_prepared_statements`, not the text of an earlier simple query.
#[test]
fn a_protocol_prepare_lists_its_own_text() {
    let mut s = session();
    run(&mut s, "PREPARE a AS SELECT 1");
    s.prepare("", "PREPARE b AS SELECT 2", &[]).unwrap();
    s.execute_prepared("", &[]).unwrap();
    let r = run(
        &mut s,
        "SELECT name, statement FROM pg_prepared_statements ORDER BY name",
    );
    let text = |v: &Value| match v {
        Value::Text(t) => t.clone(),
        v => panic!("not text: {v:?}"),
    };
    let listed: Vec<(String, String)> = r
        .rows
        .iter()
        .map(|row| (text(&row[0]), text(&row[1])))
        .collect();
    assert_eq!(
        listed,
        vec![
            ("a".to_string(), "PREPARE a AS SELECT 1".to_string()),
            ("b".to_string(), "PREPARE b AS SELECT 2".to_string()),
        ]
    );
}

/// A role that writes a table through column privileges, without the table's SELECT,
/// sees no row values it may not read in a constraint error's DETAIL: a unique key only with
/// SELECT on its columns, no check violation's row (PostgreSQL shows the readable columns
/// there); the owner sees them all.
#[test]
fn constraint_errors_hide_rows_from_column_privileged_roles() {
    let mut s = session();
    for sql in [
        "CREATE ROLE colpriv_writer",
        "CREATE TABLE cp (id int PRIMARY KEY, secret text, n int CHECK (n > 0))",
        "INSERT INTO cp VALUES (1, 'hidden', 1)",
        "GRANT INSERT (id, n), UPDATE (n) ON cp TO colpriv_writer",
    ] {
        run(&mut s, sql);
    }
    let detail = |s: &mut Session<MemoryStorage>, sql: &str| match s.execute(sql).pop() {
        Some(Err(e)) => (e.code(), e.detail().map(str::to_string)),
        other => panic!("{sql}: {other:?}"),
    };
    assert_eq!(
        detail(&mut s, "INSERT INTO cp (id, n) VALUES (1, 1)"),
        ("23505", Some("Key (id)=(1) already exists.".into()))
    );
    run(&mut s, "SET ROLE colpriv_writer");
    assert_eq!(
        detail(&mut s, "INSERT INTO cp (id, n) VALUES (1, 1)"),
        ("23505", None)
    );
    assert_eq!(detail(&mut s, "UPDATE cp SET n = -1"), ("23514", None));
    assert_eq!(detail(&mut s, "SELECT secret FROM cp"), ("42501", None));
    // SELECT on every key column shows the key again, as PostgreSQL does.
    run(&mut s, "RESET ROLE");
    run(&mut s, "GRANT SELECT (id) ON cp TO colpriv_writer");
    run(&mut s, "SET ROLE colpriv_writer");
    assert_eq!(
        detail(&mut s, "INSERT INTO cp (id, n) VALUES (1, 1)"),
        ("23505", Some("Key (id)=(1) already exists.".into()))
    );
    assert_eq!(detail(&mut s, "UPDATE cp SET n = -1"), ("23514", None));
}

/// DROP ROLE of a role holding column privileges lists them as PostgreSQL 15 does: after
/// the table's own line, by column number.
#[test]
fn drop_role_lists_column_privileges() {
    let mut s = session();
    for sql in [
        "CREATE ROLE colpriv_holder",
        "CREATE TABLE t9 (a int, b int)",
        "CREATE TABLE t10 (x int)",
        "GRANT SELECT (a, b) ON t9 TO colpriv_holder",
        "GRANT SELECT ON t10 TO colpriv_holder",
        "GRANT UPDATE (x) ON t10 TO colpriv_holder",
    ] {
        run(&mut s, sql);
    }
    match s.execute("DROP ROLE colpriv_holder").pop() {
        Some(Err(e)) => assert_eq!(
            (e.code(), e.detail()),
            (
                "2BP01",
                Some(
                    "privileges for column a of table t9\nprivileges for column b of table t9\n\
                     privileges for table t10\nprivileges for column x of table t10"
                )
            )
        ),
        other => panic!("DROP ROLE: {other:?}"),
    }
    run(&mut s, "DROP OWNED BY colpriv_holder");
    run(&mut s, "DROP ROLE colpriv_holder");
}

/// A temporary schema left by a session that ended without dropping it (a compute that
/// died) is not another session's, even one given the same backend pid: its tables are not
/// on that session's search path, and its first CREATE TEMP TABLE empties the schema.
#[test]
fn a_leftover_temporary_schema_is_not_the_next_sessions() {
    let storage = MemoryStorage::new();
    let mut old = Session::new(storage.clone());
    run(&mut old, "CREATE TEMP TABLE leftover (x int)");
    // The in-memory sessions share the process id, as a restarted compute's might.
    std::mem::forget(old);
    let mut new = Session::new(storage);
    let e = new
        .execute("SELECT * FROM leftover")
        .pop()
        .expect("a result")
        .expect_err("not on the new session's path");
    assert_eq!(e.code(), "42P01");
    run(&mut new, "CREATE TEMP TABLE mine (y int)");
    let e = new
        .execute("SELECT * FROM pg_temp.leftover")
        .pop()
        .expect("a result")
        .expect_err("emptied");
    assert_eq!(e.code(), "42P01");
    assert_eq!(run(&mut new, "SELECT count(*) FROM mine").rows.len(), 1);
}

/// A user let in by trust or the users file, with no role of its own, acts as the bootstrap
/// superuser: naming it (`OWNER TO CURRENT_USER`, `GRANT ... TO` it, `SET ROLE`, `regrole`,
/// `has_table_privilege`) names that superuser, where it was 42704 before.
#[test]
fn an_unlisted_session_user_names_the_bootstrap_superuser() {
    let mut s = session();
    s.identify("strata", "postgres", 1);
    run(&mut s, "CREATE TABLE t (a int)");
    run(&mut s, "CREATE ROLE alice");
    run(&mut s, "ALTER TABLE t OWNER TO alice");
    run(&mut s, "ALTER TABLE t OWNER TO CURRENT_USER");
    let owner = run(
        &mut s,
        "SELECT pg_get_userbyid(relowner) FROM pg_class WHERE relname = 't'",
    );
    assert_eq!(owner.text_rows(), vec![vec![Some("postgres".into())]]);
    run(&mut s, "ALTER TABLE t OWNER TO strata");
    run(&mut s, "GRANT SELECT ON t TO alice, strata");
    run(&mut s, "SET ROLE strata");
    run(&mut s, "RESET ROLE");
    let r = run(
        &mut s,
        "SELECT 'strata'::regrole::oid, has_table_privilege('strata', 't', 'SELECT')",
    );
    assert_eq!(
        r.text_rows(),
        vec![vec![Some("10".into()), Some("t".into())]]
    );
    // Any other unknown name is still unknown.
    assert_eq!(error_code(&mut s, "ALTER TABLE t OWNER TO nobody"), "42704");
    assert_eq!(error_code(&mut s, "SELECT 'nobody'::regrole"), "42704");
}

/// An aggregate whose arguments read only an enclosing query's columns is, in PostgreSQL,
/// an aggregate of that query (`max(o.a)` below makes the outer query return one row);
/// Strata refuses it (0A000) rather than aggregate per row of the subquery. Aggregates
/// that also read their own query's columns, or none at all, stay where they are.
#[test]
fn aggregates_of_only_outer_columns_are_refused_not_misanswered() {
    let mut s = session();
    run(&mut s, "CREATE TABLE agg_o (a int)");
    run(&mut s, "INSERT INTO agg_o VALUES (1), (2)");
    for sql in [
        "SELECT (SELECT max(o.a) FROM generate_series(1, 3) g) FROM agg_o o",
        "SELECT (SELECT count(o.a) FILTER (WHERE o.a > 0) FROM agg_o i) FROM agg_o o",
        "SELECT avg((SELECT avg(a1.a ORDER BY (SELECT avg(a2.a) FROM agg_o a3)) FROM agg_o a1)) FROM agg_o a2",
    ] {
        assert_eq!(error_code(&mut s, sql), "0A000", "{sql}");
    }
    let r = run(
        &mut s,
        "SELECT o.a, (SELECT count(*) FROM agg_o i WHERE i.a <= o.a), \
         (SELECT sum(i.a + o.a) FROM agg_o i) FROM agg_o o ORDER BY 1",
    );
    assert_eq!(
        r.rows,
        vec![
            vec![Value::Int(1), Value::Int(1), Value::Int(5)],
            vec![Value::Int(2), Value::Int(2), Value::Int(7)],
        ]
    );
}

//! Deferred foreign keys through the session API, where `.slt` files cannot look: the
//! DETAIL and error fields of a violation found at COMMIT, the block state after it, a
//! COPY and an extended-protocol batch checked at their end, another session's committed
//! parent seen at COMMIT, and the DEFERRABLE unique keys Strata refuses. Expected texts are
//! PostgreSQL 15's.

use sql::Session;
use sql::memory::MemoryStorage;

fn run(s: &mut Session<MemoryStorage>, sql: &str) {
    for r in s.execute(sql) {
        r.unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
}

fn failure(s: &mut Session<MemoryStorage>, sql: &str) -> sql::Error {
    match s.execute(sql).pop().expect("a result") {
        Ok(r) => panic!("{sql} succeeded: {r:?}"),
        Err(e) => e,
    }
}

fn session(storage: &MemoryStorage) -> Session<MemoryStorage> {
    Session::new(storage.clone())
}

fn tables(s: &mut Session<MemoryStorage>) {
    run(s, "CREATE TABLE p (id int PRIMARY KEY)");
    run(
        s,
        "CREATE TABLE c (id int PRIMARY KEY, pid int REFERENCES p DEFERRABLE INITIALLY DEFERRED)",
    );
}

#[test]
fn a_violation_at_commit_has_postgres_detail_and_rolls_back() {
    let storage = MemoryStorage::new();
    let mut s = session(&storage);
    tables(&mut s);
    run(&mut s, "BEGIN");
    run(&mut s, "INSERT INTO p VALUES (1)");
    run(&mut s, "INSERT INTO c VALUES (1, 5)");
    let e = failure(&mut s, "COMMIT");
    assert_eq!(e.code(), "23503");
    assert_eq!(
        e.to_string(),
        "insert or update on table \"c\" violates foreign key constraint \"c_pid_fkey\""
    );
    assert_eq!(
        e.detail(),
        Some("Key (pid)=(5) is not present in table \"p\".")
    );
    assert_eq!(s.transaction_status(), 'I');
    let rows = s.execute("SELECT count(*) FROM p").pop().unwrap().unwrap();
    assert_eq!(rows.text_rows(), vec![vec![Some("0".to_string())]]);

    run(&mut s, "INSERT INTO p VALUES (2)");
    run(&mut s, "INSERT INTO c VALUES (2, 2)");
    run(&mut s, "BEGIN");
    run(&mut s, "DELETE FROM p WHERE id = 2");
    let e = failure(&mut s, "COMMIT");
    assert_eq!(
        (e.code(), e.to_string(), e.detail()),
        (
            "23503",
            "update or delete on table \"p\" violates foreign key constraint \"c_pid_fkey\" on table \"c\"".to_string(),
            Some("Key (id)=(2) is still referenced from table \"c\".")
        )
    );
    assert_eq!(s.transaction_status(), 'I');
}

#[test]
fn copy_and_batches_are_checked_at_their_end() {
    let storage = MemoryStorage::new();
    let mut s = session(&storage);
    tables(&mut s);
    // COPY outside a block: the missing parent fails the COPY, which keeps nothing.
    for r in s.execute("COPY c FROM STDIN") {
        r.unwrap();
    }
    s.copy_data(b"1\t7\n2\t7\n").unwrap();
    let e = s.copy_done().unwrap_err();
    assert_eq!(e.code(), "23503");
    let rows = s.execute("SELECT count(*) FROM c").pop().unwrap().unwrap();
    assert_eq!(rows.text_rows(), vec![vec![Some("0".to_string())]]);
    // Extended protocol: a batch is one implicit transaction, checked at Sync.
    s.prepare("", "INSERT INTO c VALUES (3, 8)", &[]).unwrap();
    s.execute_prepared("", &[]).unwrap();
    s.prepare("", "INSERT INTO p VALUES (8)", &[]).unwrap();
    s.execute_prepared("", &[]).unwrap();
    assert!(s.sync().is_none());
    s.prepare("", "INSERT INTO c VALUES (4, 9)", &[]).unwrap();
    s.execute_prepared("", &[]).unwrap();
    assert_eq!(s.sync().map(|e| e.code()), Some("23503"));
    let rows = s
        .execute("SELECT id FROM c ORDER BY id")
        .pop()
        .unwrap()
        .unwrap();
    assert_eq!(rows.text_rows(), vec![vec![Some("3".to_string())]]);
}

#[test]
fn a_parent_another_session_committed_satisfies_the_check() {
    let storage = MemoryStorage::new();
    let mut a = session(&storage);
    let mut b = session(&storage);
    tables(&mut a);
    run(&mut a, "BEGIN ISOLATION LEVEL REPEATABLE READ");
    run(&mut a, "INSERT INTO c VALUES (1, 5)");
    run(&mut b, "INSERT INTO p VALUES (5)");
    run(&mut a, "COMMIT");
    // B's delete of the referenced row is checked at the end of its statement.
    assert_eq!(
        failure(&mut b, "DELETE FROM p WHERE id = 5").code(),
        "23503"
    );
}

#[test]
fn deferrable_unique_keys_are_refused() {
    let storage = MemoryStorage::new();
    let mut s = session(&storage);
    for sql in [
        "CREATE TABLE u1 (a int UNIQUE DEFERRABLE)",
        "CREATE TABLE u2 (a int PRIMARY KEY DEFERRABLE INITIALLY DEFERRED)",
        "CREATE TABLE u3 (a int, UNIQUE (a) DEFERRABLE)",
        "CREATE TABLE u4 (a int, PRIMARY KEY (a) INITIALLY DEFERRED)",
    ] {
        assert_eq!(failure(&mut s, sql).code(), "0A000", "{sql}");
    }
    run(
        &mut s,
        "CREATE TABLE u5 (a int UNIQUE NOT DEFERRABLE INITIALLY IMMEDIATE)",
    );
    assert_eq!(
        failure(
            &mut s,
            "ALTER TABLE u5 ADD CONSTRAINT u5_k UNIQUE (a) DEFERRABLE"
        )
        .code(),
        "0A000"
    );
}

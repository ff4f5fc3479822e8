//! Error fields, black box: a real client (tokio-postgres) receives an error's position
//! (the `P` field), HINT and SQLSTATE over the simple and the extended protocol. (The
//! positions and wording against PostgreSQL 15 are compared through psql in the
//! workspace's `psql_meta` test, `tests/clients/psql/errors.sql`.)

use tokio_postgres::error::ErrorPosition;
use tokio_postgres::{Client, NoTls};

use crate::frontend::server;

async fn connect(port: u16) -> Client {
    let conn_str = format!("host=127.0.0.1 port={port} user=anyone dbname=db");
    let (client, conn) = tokio_postgres::connect(&conn_str, NoTls)
        .await
        .expect("connect");
    tokio::spawn(conn);
    client
}

fn fields(e: tokio_postgres::Error) -> (String, Option<u32>, Option<String>) {
    let db = e.as_db_error().expect("a server error");
    let position = match db.position() {
        Some(ErrorPosition::Original(p)) => Some(*p),
        Some(ErrorPosition::Internal { .. }) => panic!("an internal position"),
        None => None,
    };
    (
        db.code().code().to_string(),
        position,
        db.hint().map(str::to_string),
    )
}

#[tokio::test]
async fn errors_carry_their_position_and_hint_on_both_protocols() {
    let s = server(8).await;
    let c = connect(s.addr.port()).await;
    c.batch_execute("CREATE TABLE t (id int, name text)")
        .await
        .unwrap();

    // Simple protocol: the position is in the whole query string.
    let e = c
        .simple_query("SELECT 1; SELECT nocol FROM t")
        .await
        .unwrap_err();
    assert_eq!(fields(e), ("42703".into(), Some(18), None));

    // Extended protocol (Parse): the same, for the statement's text.
    let e = c.prepare("SELECT id,\n  Nme FROM t").await.unwrap_err();
    assert_eq!(
        fields(e),
        (
            "42703".into(),
            Some(14),
            Some("Perhaps you meant to reference the column \"t.name\".".into())
        )
    );
    let e = c.prepare("SELECT abs('x', 2)").await.unwrap_err();
    assert_eq!(
        fields(e),
        (
            "42883".into(),
            Some(8),
            Some(
                "No function matches the given name and argument types. You might need to add explicit type casts."
                    .into()
            )
        )
    );
    let e = c.prepare("SELEC 1").await.unwrap_err();
    assert_eq!(fields(e), ("42601".into(), Some(1), None));
    let e = c.prepare("SELECT * FROM t WHERE").await.unwrap_err();
    assert_eq!(fields(e), ("42601".into(), Some(22), None));
    let e = c
        .query("SELECT * FROM t WHERE id = 'x'", &[])
        .await
        .unwrap_err();
    assert_eq!(fields(e), ("22P02".into(), Some(28), None));

    // Errors PostgreSQL reports without a position have none.
    let e = c.query("SELECT 1 / 0", &[]).await.unwrap_err();
    assert_eq!(fields(e), ("22012".into(), None, None));
}

/// The object fields of an error: (schema, table, column, datatype, constraint).
type Object = (
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

fn object(e: tokio_postgres::Error) -> (String, Object) {
    let db = e.as_db_error().expect("a server error");
    let s = |v: Option<&str>| v.map(str::to_string);
    (
        db.code().code().to_string(),
        (
            s(db.schema()),
            s(db.table()),
            s(db.column()),
            s(db.datatype()),
            s(db.constraint()),
        ),
    )
}

fn named(schema: &str, table: &str, column: Option<&str>, constraint: Option<&str>) -> Object {
    (
        Some(schema.into()),
        Some(table.into()),
        column.map(str::to_string),
        None,
        constraint.map(str::to_string),
    )
}

/// Constraint violations name their schema, table and constraint (or column), as
/// PostgreSQL 15 does (checked with psql's `\set VERBOSITY verbose`): ORMs map them to
/// their own exceptions by `constraint_name`. Data errors name nothing.
#[tokio::test]
async fn constraint_violations_name_their_schema_table_column_and_constraint() {
    let s = server(8).await;
    let c = connect(s.addr.port()).await;
    c.batch_execute(
        "CREATE SCHEMA app;
         CREATE TABLE app.p (id int PRIMARY KEY, v varchar(3), n int NOT NULL DEFAULT 0,
                             c int CHECK (c > 0), CONSTRAINT cc CHECK (n < 100));
         CREATE TABLE app.ch (id int REFERENCES app.p (id), u int UNIQUE);
         INSERT INTO app.p VALUES (1, 'a', 0, 1);
         INSERT INTO app.ch VALUES (1, 1);",
    )
    .await
    .unwrap();
    let fails = |sql: &'static str| {
        let c = &c;
        async move { object(c.query(sql, &[]).await.unwrap_err()) }
    };
    let p = |n: &str| ("23505".to_string(), named("app", "p", None, Some(n)));
    assert_eq!(
        fails("INSERT INTO app.p VALUES (1, 'a', 0, 1)").await,
        p("p_pkey")
    );
    assert_eq!(
        fails("INSERT INTO app.ch VALUES (1, 1)").await,
        ("23505".into(), named("app", "ch", None, Some("ch_u_key")))
    );
    // Both sides of a foreign key name the referencing table.
    assert_eq!(
        fails("INSERT INTO app.ch VALUES (2, 2)").await,
        ("23503".into(), named("app", "ch", None, Some("ch_id_fkey")))
    );
    assert_eq!(
        fails("DELETE FROM app.p").await,
        ("23503".into(), named("app", "ch", None, Some("ch_id_fkey")))
    );
    assert_eq!(
        fails("INSERT INTO app.p VALUES (2, 'a', NULL, 1)").await,
        ("23502".into(), named("app", "p", Some("n"), None))
    );
    assert_eq!(
        fails("UPDATE app.p SET c = -1").await,
        ("23514".into(), named("app", "p", None, Some("p_c_check")))
    );
    assert_eq!(
        fails("INSERT INTO app.p VALUES (3, 'a', 101, 1)").await,
        ("23514".into(), named("app", "p", None, Some("cc")))
    );
    // Data errors carry no object.
    let none: Object = (None, None, None, None, None);
    assert_eq!(
        fails("INSERT INTO app.p VALUES (3, 'abcd', 1, 1)").await,
        ("22001".into(), none.clone())
    );
    assert_eq!(
        fails("INSERT INTO app.p VALUES (3, 'a', 1, 99999999999)").await,
        ("22003".into(), none)
    );
    // DDL validating existing rows names them too.
    c.batch_execute("CREATE TABLE app.d (id int, b int); INSERT INTO app.d VALUES (NULL, 1), (NULL, 1), (NULL, 7)")
        .await
        .unwrap();
    assert_eq!(
        fails("CREATE UNIQUE INDEX d_b ON app.d (b)").await,
        ("23505".into(), named("app", "d", None, Some("d_b")))
    );
    assert_eq!(
        fails("ALTER TABLE app.d ADD CONSTRAINT dc CHECK (b > 5)").await,
        ("23514".into(), named("app", "d", None, Some("dc")))
    );
    assert_eq!(
        fails("ALTER TABLE app.d ALTER COLUMN id SET NOT NULL").await,
        ("23502".into(), named("app", "d", Some("id"), None))
    );
    assert_eq!(
        fails("ALTER TABLE app.d ADD CONSTRAINT dfk FOREIGN KEY (b) REFERENCES app.p (id)").await,
        ("23503".into(), named("app", "d", None, Some("dfk")))
    );
    // The extended protocol carries the same fields.
    let e = c
        .execute("INSERT INTO app.p VALUES ($1, 'a', 0, 1)", &[&1i32])
        .await
        .unwrap_err();
    assert_eq!(object(e), p("p_pkey"));
}

/// `ALTER DATABASE ... SET` and `ALTER ROLE ... SET` are defaults of new sessions: the
/// role's for this database win over the role's, which win over the database's.
#[tokio::test]
async fn database_and_role_settings_apply_to_new_sessions() {
    let s = server(8).await;
    let c = connect(s.addr.port()).await;
    let show = |c: Client, name: &'static str| async move {
        let rows = c.simple_query(&format!("SHOW {name}")).await.unwrap();
        rows.iter()
            .find_map(|m| match m {
                tokio_postgres::SimpleQueryMessage::Row(r) => Some(r.get(0).unwrap().to_string()),
                _ => None,
            })
            .expect("a row")
    };
    let default = show(connect(s.addr.port()).await, "work_mem").await;
    c.batch_execute(
        "ALTER DATABASE db SET work_mem = '8MB';
         ALTER DATABASE db SET statement_timeout TO '7s';",
    )
    .await
    .unwrap();
    let e = c
        .batch_execute("ALTER DATABASE nosuch SET work_mem = '8MB'")
        .await
        .unwrap_err();
    assert_eq!(e.code().unwrap().code(), "3D000");
    let fresh = connect(s.addr.port()).await;
    assert_eq!(show(fresh, "work_mem").await, "8MB");
    c.batch_execute(
        "CREATE ROLE anyone SUPERUSER LOGIN; ALTER ROLE CURRENT_USER SET work_mem = '16MB'",
    )
    .await
    .unwrap();
    let fresh = connect(s.addr.port()).await;
    assert_eq!(show(fresh, "work_mem").await, "16MB");
    let fresh = connect(s.addr.port()).await;
    assert_eq!(show(fresh, "statement_timeout").await, "7s");
    c.batch_execute("ALTER ROLE CURRENT_USER RESET ALL; ALTER DATABASE db RESET ALL")
        .await
        .unwrap();
    let fresh = connect(s.addr.port()).await;
    assert_eq!(show(fresh, "work_mem").await, default);
}

//! Strata's SQL layer: PostgreSQL-dialect SQL text in, result rows out, over a storage trait.
//!
//! # Decisions
//!
//! * **Synchronous and pure.** No tokio, no I/O: the compute runs each session on its own
//!   thread, and a storage call that misses the page cache blocks that thread. The pgwire
//!   front end (compute crate) is a thin mapping onto [`Session`].
//! * **Storage behind a trait.** [`storage::Storage`] / [`storage::Txn`] is the contract with
//!   the engine (B-link trees, MVCC by LSN, write sets tagged by statement, row and key
//!   locks); [`memory::MemoryStorage`] is its in-memory reference implementation.
//! * **One error enum** ([`Error`]) whose every variant has a SQLSTATE ([`Error::code`]).
//! * **Cooperative cancellation.** The executor's leaf operators and row loops call
//!   [`interrupt::check`], which fails with 57014 once the session thread's [`Interrupt`] is
//!   canceled (a client's CancelRequest); storage waits may check it too.
//!
//! # A statement's path
//!
//! Take `UPDATE t SET v = v + 1 WHERE id = $1` executed through the extended protocol:
//!
//! 1. [`Session::prepare`] parses the text with `sqlparser` ([`parse`]) and binds it
//!    once to describe it: `$1` gets the type of `id` (int4) and there are no result columns.
//! 2. [`Session::execute_prepared`] enters the transaction state machine (`session.rs`):
//!    outside a block it begins an implicit transaction ([`storage::Storage::begin`]); it calls
//!    [`storage::Txn::begin_statement`], which numbers the statement and, under Read
//!    Committed, takes a fresh snapshot.
//! 3. [`binder::Binder::bind`] resolves names against [`storage::Txn::catalog`] and produces
//!    a typed logical plan: `Update(Filter(id = $1, Scan(t, Full)), SET v = v + 1)`. Operand
//!    types are unified here (`binder/expr.rs`), so the executor never guesses types. A
//!    prepared statement keeps its bound and optimized plan (steps 3–4) and reuses it while
//!    the catalog is unchanged.
//! 4. [`planner::optimize`] applies the rules (join order and predicate pushdown, hash joins,
//!    access paths); `planner/access.rs` turns the full scan under `id = $1` into a
//!    primary-key range scan `[$1, $1]`.
//! 5. [`executor::build`] makes Volcano operators, one file each (`executor/scan.rs`,
//!    `filter.rs`, `update.rs`, ...). Pulling the root: `Scan` evaluates `$1` and calls
//!    [`storage::Txn::scan`], a detached stream of rows visible to the statement (snapshot +
//!    the transaction's writes of *earlier* statements — no Halloween problem); `Filter`
//!    re-checks the predicate; `Update` calls [`storage::Txn::lock_row`] — if a concurrent
//!    transaction committed a newer version under Read Committed it re-checks the WHERE
//!    clause on it (EvalPlanQual); under Repeatable Read the storage raises 40001 — and then
//!    [`storage::Txn::update`], which records the new row in the write set tagged with the
//!    statement number.
//! 6. `end_statement(ok)` discards the statement's writes if it failed (statement-level
//!    rollback); the implicit transaction commits ([`storage::Txn::commit`]) and the session
//!    returns a [`StatementResult`] with tag `UPDATE 1`.
//!
//! A SELECT takes the same path with `Project`, `Sort`, `Limit`, `Aggregate`, `HashJoin`,
//! `NestedLoopJoin` operators; the
//! rows come back as [`Value`]s, which print in PostgreSQL's text format
//! ([`types::format`]).
//!
//! # Modules
//!
//! * [`types`] — data types, values, casts, text formatting.
//! * [`expr`] — bound expressions and their evaluation (three-valued logic), subqueries.
//! * [`binder`] — AST → typed logical plan.
//! * [`planner`] — plan nodes and access-path rules.
//! * [`executor`] — operators.
//! * [`storage`] — the storage contract; [`memory`] — the reference implementation.
//! * [`session`] — transaction blocks, SET/SHOW/RESET, prepared statements, COPY.
//! * [`settings`] — run-time parameters (GUCs); [`copy`] — COPY's statement and formats.
//! * [`parse`] — SQL text to statements (`sqlparser`, plus the forms it refuses).
//! * [`ddl`] — DDL statements (CREATE / ALTER / DROP ..., TRUNCATE, COMMENT, ANALYZE).
//! * [`system`] — the virtual `pg_catalog` / `information_schema` relations.
//! * [`notice`] — NOTICE / WARNING messages a statement raises for its client.
//! * [`plpgsql`] — PL/pgSQL functions, `DO` blocks and trigger functions, interpreted.
//! * [`position`] — where in the query text an error points (PostgreSQL's `P` field).
//! * [`env`] — the session environment (`TimeZone`, `now()`, catalog lookup, the running
//!   statement's catalog and services) that evaluation and text output read, installed on
//!   the session's thread, with the session's identity, settings and server
//!   ([`env::SessionInfo`], [`env::Activity`]).
//!
//! # Limits
//!
//! * Expressions nest at most 256 deep and operator chains (`a OR b OR ...`) are at most 512
//!   terms long; deeper input fails with 54001 instead of overflowing the stack. Sessions
//!   should run on threads with at least 2 MiB of stack (debug builds need all of it).
//! * Text compares byte-wise (the `C` collation).
//!
//! # Known gaps (this slice)
//!
//! * Join order comes from estimates (ANALYZE's row counts and distinct values where it
//!   ran); correlated subqueries other than EXISTS / IN (which become semi and anti joins)
//!   are re-run per distinct correlation values, using a key lookup when one fits.
//! * Regular expressions: no back-references or lookaround (the `regex` crate's limits).
//! * `ARRAY(SELECT ...)` of array values (multi-dimensional results) is refused.
//! * COPY reads from STDIN and writes to STDOUT only (no server-side files).
//! * PL/pgSQL is interpreted statement by statement ([`plpgsql`]): no cursors;
//!   set-returning PL/pgSQL functions take no `RETURNS SETOF record` column definition
//!   lists and no OUT parameters. LISTEN / NOTIFY reach the sessions of one compute only ([`notify`]), not
//!   a whole cluster.
//! * System columns: `xmin` hashes the row's values, `ctid` is its key (no physical
//!   addresses), `xmax`/`cmin`/`cmax` are 0; `ctid` of a table without a primary key not in
//!   INSERT ... RETURNING.
//! * `CLUSTER`, `REINDEX`, `CHECKPOINT` are checked no-ops; renumbering an enum's labels
//!   rewrites the tables that store it, and is refused where it is inside a composite.
//! * DDL: see [`ddl`] for what differs from PostgreSQL (partitions and inheritance are
//!   refused with 0A000; temporary tables are ordinary tables in a per-session schema).

pub mod binder;
pub mod column_privilege;
pub mod copy;
pub mod cursor;
pub mod ddl;
pub mod env;
mod error;
pub mod executor;
pub mod expr;
pub mod interrupt;
pub mod memory;
pub mod notice;
pub mod notify;
pub mod parse;
pub mod planner;
pub mod plpgsql;
pub mod position;
pub mod privilege;
mod result;
pub mod scram;
pub mod session;
pub mod settings;
#[cfg(feature = "slt")]
pub mod slt;
pub mod storage;
pub mod system;
pub mod types;

pub use error::{Error, ErrorObject, Result};
pub use interrupt::Interrupt;
pub use result::StatementResult;
pub use session::{PreparedInfo, Session};
pub use types::{DataType, Value};

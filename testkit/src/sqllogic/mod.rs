//! A runner for the classic sqllogictest format of SQLite's corpus (`select1–5.test`,
//! `evidence/`), following the original C harness (`sqllogictest.c` + `slt_sqlite.c`) rather
//! than the dialect of the `sqllogictest` crate, which differs where this corpus depends on it
//! (it rejects conditions with trailing comments and does not hash value-wise results the way
//! the C harness does).
//!
//! * [`parse`] turns a script into [`Record`]s: `statement ok|error`, `query <types> <sort>
//!   [label]` with results after `----`, `hash-threshold N`, `halt`, each with its
//!   `skipif`/`onlyif` conditions (only the engine name is read, so `onlyif sqlite # why`
//!   works). CRLF line endings are accepted; `#` lines between records are comments.
//! * [`run`] executes records against a [`Db`] under an engine name (`postgresql` for us):
//!   a record is skipped when a `skipif` names the engine or an `onlyif` names another, a
//!   `halt` that applies ends the script. Every executed record yields a [`RecordResult`].
//! * Results are compared as the C harness does: every value becomes one string
//!   ([`format_value`]: NULL is `NULL`; `I` columns print as integers, `R` columns as `%.3f`,
//!   booleans (`t`/`f`) as 1 and 0 in `I` and `R` columns, as PostgreSQL's ODBC driver gives
//!   them to the C harness; `T` columns as text with `(empty)` for the empty string and bytes outside `' '..='~'`
//!   printed as `@`); `rowsort` sorts rows (column-wise byte order), `valuesort` sorts all
//!   values, `nosort` keeps the engine's order; an expected `N values hashing to H` is checked
//!   against the count and the MD5 of every value followed by `\n`, and any other expected
//!   result is compared value by value (so `hash-threshold` needs no state: the file's expected
//!   form says which comparison the C harness made). The number of columns must match the
//!   type string.
//! * [`PgClient`] is a [`Db`] over `tokio-postgres`'s simple-query protocol with a per-query
//!   timeout that sends a CancelRequest when it expires.

mod client;
mod parse;
mod run;

pub use client::PgClient;
pub use parse::{Condition, Expected, Record, RecordKind, SortMode, parse};
pub use run::{Db, Output, RecordResult, format_value, hash_values, run, run_with};

/// A parsed script.
pub type Records = Vec<Record>;

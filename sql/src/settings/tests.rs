//! Each expected value here is what PostgreSQL 15.18 shows for the same SET.

use super::*;

fn set(s: &mut Settings, name: &str, value: &str) -> String {
    s.set(name, value, false)
        .unwrap_or_else(|e| panic!("SET {name} = {value}: {e}"));
    s.show(name).unwrap()
}

#[test]
fn values_are_shown_as_postgresql_shows_them() {
    let mut s = Settings::new();
    assert_eq!(s.show("DateStyle").unwrap(), "ISO, MDY");
    assert_eq!(s.show("server_version").unwrap(), "15.18");
    assert_eq!(s.show("server_version_num").unwrap(), "150018");
    assert_eq!(set(&mut s, "datestyle", "sql"), "SQL, MDY");
    assert_eq!(set(&mut s, "datestyle", "german"), "German, DMY");
    assert_eq!(set(&mut s, "datestyle", "iso, dmy"), "ISO, DMY");
    assert_eq!(set(&mut s, "datestyle", "postgres"), "Postgres, DMY");
    assert_eq!(set(&mut s, "datestyle", "iso"), "ISO, DMY");
    assert_eq!(set(&mut s, "datestyle", "US"), "ISO, MDY");
    assert_eq!(set(&mut s, "datestyle", "ymd"), "ISO, YMD");
    assert_eq!(set(&mut s, "statement_timeout", "5000"), "5s");
    assert_eq!(set(&mut s, "statement_timeout", "60s"), "1min");
    assert_eq!(set(&mut s, "statement_timeout", "90min"), "90min");
    assert_eq!(set(&mut s, "statement_timeout", "1.5s"), "1500ms");
    assert_eq!(set(&mut s, "statement_timeout", "86400000"), "1d");
    assert_eq!(set(&mut s, "work_mem", "1024"), "1MB");
    assert_eq!(set(&mut s, "work_mem", "100kB"), "100kB");
    assert_eq!(set(&mut s, "work_mem", "1GB"), "1GB");
    assert_eq!(set(&mut s, "client_encoding", "utf-8"), "UTF8");
    assert_eq!(set(&mut s, "client_encoding", "unicode"), "UTF8");
    assert_eq!(set(&mut s, "enable_seqscan", "yes"), "on");
    assert_eq!(set(&mut s, "enable_seqscan", "0"), "off");
    assert_eq!(set(&mut s, "client_min_messages", "WARNING"), "warning");
    assert_eq!(set(&mut s, "application_name", "héllo"), "h??llo");
    assert_eq!(set(&mut s, "timezone", "utc"), "UTC");
    assert_eq!(set(&mut s, "timezone", "+3"), "<+03>-03");
    assert_eq!(set(&mut s, "my.custom", "x"), "x");
    assert_eq!(Settings::display_name("timezone"), "TimeZone");
    assert_eq!(Settings::display_name("my.custom"), "my.custom");
}

#[test]
fn bad_values_fail_as_in_postgresql() {
    let mut s = Settings::new();
    let err = |s: &mut Settings, n: &str, v: &str| s.set(n, v, false).unwrap_err();
    let e = err(&mut s, "extra_float_digits", "4");
    assert_eq!(
        e.to_string(),
        "4 is outside the valid range for parameter \"extra_float_digits\" (-15 .. 3)"
    );
    assert_eq!(e.code(), "22023");
    let e = err(&mut s, "lock_timeout", "-1");
    assert_eq!(
        e.to_string(),
        "-1 ms is outside the valid range for parameter \"lock_timeout\" (0 .. 2147483647)"
    );
    let e = err(&mut s, "statement_timeout", "x");
    assert_eq!(
        e.to_string(),
        "invalid value for parameter \"statement_timeout\": \"x\""
    );
    let e = err(&mut s, "enable_seqscan", "maybe");
    assert_eq!(
        e.to_string(),
        "parameter \"enable_seqscan\" requires a Boolean value"
    );
    let e = err(&mut s, "foo", "1");
    assert_eq!(
        e.to_string(),
        "unrecognized configuration parameter \"foo\""
    );
    assert_eq!(e.code(), "42704");
    let e = err(&mut s, "server_version", "1");
    assert_eq!(
        e.to_string(),
        "parameter \"server_version\" cannot be changed"
    );
    assert_eq!(e.code(), "55P02");
    assert_eq!(s.show("nope.nope").unwrap_err().code(), "42704");
}

#[test]
fn settings_follow_transactions() {
    let mut s = Settings::new();
    set(&mut s, "work_mem", "100kB");
    s.begin();
    s.set("work_mem", "8MB", true).unwrap();
    assert_eq!(s.show("work_mem").unwrap(), "8MB");
    s.commit();
    assert_eq!(
        s.show("work_mem").unwrap(),
        "100kB",
        "SET LOCAL ends with the transaction"
    );
    s.begin();
    set(&mut s, "work_mem", "16MB");
    s.abort();
    assert_eq!(
        s.show("work_mem").unwrap(),
        "100kB",
        "an aborted SET is undone"
    );
    s.begin();
    set(&mut s, "work_mem", "16MB");
    s.set("work_mem", "32MB", true).unwrap();
    assert_eq!(s.show("work_mem").unwrap(), "32MB");
    s.commit();
    assert_eq!(s.show("work_mem").unwrap(), "16MB");
    s.set("work_mem", "2MB", true).unwrap();
    assert_eq!(
        s.show("work_mem").unwrap(),
        "16MB",
        "SET LOCAL outside a block does nothing"
    );
    s.begin();
    s.savepoint();
    set(&mut s, "work_mem", "1MB");
    s.rollback_to(0);
    assert_eq!(s.show("work_mem").unwrap(), "16MB");
    s.commit();
    s.reset_all();
    // Strata's default (PostgreSQL's is 4MB: see the catalog).
    assert_eq!(s.show("work_mem").unwrap(), "64MB");
}

#[test]
fn startup_values_are_the_reset_values_and_changes_are_reported_once() {
    let mut s = Settings::new();
    s.set_startup("DateStyle", "ISO").unwrap();
    s.set_startup("application_name", "psql").unwrap();
    let startup = s.startup_reports();
    assert!(startup.contains(&("server_version", "15.18".to_string())));
    assert!(startup.contains(&("application_name", "psql".to_string())));
    assert!(s.take_changed_reports().is_empty());
    set(&mut s, "application_name", "other");
    set(&mut s, "work_mem", "8MB");
    assert_eq!(
        s.take_changed_reports(),
        vec![("application_name", "other".to_string())]
    );
    assert!(s.take_changed_reports().is_empty());
    s.reset("application_name", false).unwrap();
    assert_eq!(s.show("application_name").unwrap(), "psql");
    assert_eq!(
        s.take_changed_reports(),
        vec![("application_name", "psql".to_string())]
    );
}

#[test]
fn time_parameters_read_in_milliseconds() {
    let mut s = Settings::new();
    assert_eq!(s.millis("statement_timeout"), Some(0));
    set(&mut s, "statement_timeout", "1.5s");
    assert_eq!(s.millis("statement_timeout"), Some(1500));
    set(&mut s, "statement_timeout", "2min");
    assert_eq!(s.millis("statement_timeout"), Some(120_000));
    set(&mut s, "statement_timeout", "250");
    assert_eq!(s.millis("statement_timeout"), Some(250));
    assert_eq!(s.millis("no_such_parameter"), None);
    assert_eq!(s.millis("application_name"), None);
}

/// Strata's own `strata.wait_lsn` (no PostgreSQL counterpart): an LSN in `pg_lsn` text,
/// shown upper case, or empty; anything else is refused at SET.
#[test]
fn strata_wait_lsn_holds_an_lsn_or_nothing() {
    let mut s = Settings::new();
    assert_eq!(s.show("strata.wait_lsn").unwrap(), "");
    assert_eq!(s.show("strata.wait_lsn_timeout").unwrap(), "10s");
    assert_eq!(s.millis("strata.wait_lsn_timeout"), Some(10_000));
    assert_eq!(set(&mut s, "strata.wait_lsn", "0/16b3748"), "0/16B3748");
    assert_eq!(set(&mut s, "STRATA.WAIT_LSN", " 1/0 "), "1/0");
    assert_eq!(set(&mut s, "strata.wait_lsn", ""), "");
    let e = s.set("strata.wait_lsn", "16B3748", false).unwrap_err();
    assert_eq!(e.code(), "22023");
    assert_eq!(
        e.to_string(),
        "invalid value for parameter \"strata.wait_lsn\": \"16B3748\""
    );
    assert_eq!(set(&mut s, "strata.wait_lsn_timeout", "250"), "250ms");
}

#[test]
fn values_a_transaction_end_takes_back_are_reported_again() {
    let mut s = Settings::new();
    s.startup_reports();
    // SET LOCAL: reported while it lasts, and again when the commit ends it.
    s.begin();
    s.set("application_name", "local", true).unwrap();
    assert_eq!(
        s.take_changed_reports(),
        vec![("application_name", "local".to_string())]
    );
    s.commit();
    assert_eq!(
        s.take_changed_reports(),
        vec![("application_name", String::new())]
    );
    // An aborted SET, and one undone by ROLLBACK TO a savepoint taken before any change.
    s.begin();
    s.savepoint();
    set(&mut s, "application_name", "doomed");
    s.rollback_to(0);
    assert_eq!(s.show("application_name").unwrap(), "");
    set(&mut s, "application_name", "also doomed");
    assert_eq!(s.take_changed_reports().len(), 1);
    s.abort();
    assert_eq!(s.show("application_name").unwrap(), "");
    assert_eq!(
        s.take_changed_reports(),
        vec![("application_name", String::new())]
    );
    // Transactions that change nothing report nothing.
    s.begin();
    s.commit();
    s.begin();
    s.abort();
    assert!(s.take_changed_reports().is_empty());
}

#[test]
fn a_transaction_setting_what_it_already_is_changes_no_generation() {
    let mut s = Settings::new();
    let g = s.generation();
    // What every transaction sets about itself at its start, already so.
    s.begin();
    s.set_local_unless_same("transaction_read_only", "off")
        .unwrap();
    s.set_local_unless_same("transaction_isolation", "read committed")
        .unwrap();
    s.commit();
    assert_eq!(s.generation(), g);
    // A different value is a change: in force for the transaction, gone after it.
    s.begin();
    s.set_local_unless_same("transaction_read_only", "on")
        .unwrap();
    assert_eq!(s.show("transaction_read_only").unwrap(), "on");
    assert_ne!(s.generation(), g);
    let during = s.generation();
    s.commit();
    assert_ne!(s.generation(), during);
    assert_eq!(s.show("transaction_read_only").unwrap(), "off");
    // A SET LOCAL aborted leaves the session's values as they were.
    s.begin();
    set(&mut s, "application_name", "kept");
    s.commit();
    s.begin();
    s.set("application_name", "local only", true).unwrap();
    s.abort();
    assert_eq!(s.show("application_name").unwrap(), "kept");
}

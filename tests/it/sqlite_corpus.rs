//! SQLite's sqllogictest corpus (`../shared/testdata/sqllogictest`: select1–5 and evidence/)
//! on the real engine, held to what PostgreSQL 15 passes.
//!
//! 1. **The reference.** Every file runs on a throwaway PostgreSQL 15 (`testkit::postgres`),
//!    each in a fresh database, through `testkit::sqllogic` (the C harness's rules) as engine
//!    `postgresql`. The records PostgreSQL fails must be exactly those listed in
//!    `tests/sqlite_corpus/postgres_failures.txt` (49 of 11,030): a difference means the
//!    runner or the oracle changed, and is a failure. Without PostgreSQL (outside CI) the
//!    checked-in list stands in for the live run.
//! 2. **Strata.** Every file runs on a fresh `LocalCluster` (three safekeepers, a pageserver
//!    and a compute in this process, over gRPC and pgwire on loopback) through tokio-postgres.
//!    Every record PostgreSQL passes must pass, except those in the ratchet list
//!    `tests/sqlite_corpus/strata_known_failures.txt`, which may only shrink: records in it
//!    that now pass are printed loudly, and `STRATA_CORPUS_SHRINK=1` rewrites the list
//!    without them.
//!
//! Each query gets [`QUERY_TIMEOUT`] (then it is canceled and counts as failed); queries
//! slower than [`SLOW`] are reported. `STRATA_CORPUS_FILES=select1,in1` runs only the files
//! whose name contains one of the words (the reference comparison then covers those files).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use strata::{LocalCluster, LocalClusterConfig};
use testkit::sqllogic::{self, PgClient, RecordResult};

const ENGINE: &str = "postgresql";
const QUERY_TIMEOUT: Duration = Duration::from_secs(5);
const SLOW: Duration = Duration::from_millis(500);
const PG_FAILURES: &str = "tests/sqlite_corpus/postgres_failures.txt";
const KNOWN_FAILURES: &str = "tests/sqlite_corpus/strata_known_failures.txt";

/// A record's place: `select1.test:112` or `evidence/in1.test:40`.
type Location = String;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The corpus files (relative names, sorted), or `None` when the test data is missing.
fn corpus() -> Option<Vec<(String, sqllogic::Records)>> {
    let dir = repo().join("../shared/testdata/sqllogictest/test");
    if !dir.is_dir() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{} is missing",
            dir.display()
        );
        eprintln!(
            "\n!!!!! SKIPPING the SQLite corpus: {} is missing !!!!!\n",
            dir.display()
        );
        return None;
    }
    let filter: Vec<String> = std::env::var("STRATA_CORPUS_FILES")
        .map(|s| s.split(',').map(str::to_string).collect())
        .unwrap_or_default();
    let mut names = Vec::new();
    for sub in ["", "evidence/"] {
        for e in std::fs::read_dir(dir.join(sub)).expect("read the corpus directory") {
            let name = e
                .expect("directory entry")
                .file_name()
                .to_string_lossy()
                .to_string();
            if name.ends_with(".test") {
                names.push(format!("{sub}{name}"));
            }
        }
    }
    names.sort();
    names.retain(|n| filter.is_empty() || filter.iter().any(|f| n.contains(f.as_str())));
    Some(
        names
            .into_iter()
            .map(|n| {
                let text = std::fs::read_to_string(dir.join(&n)).expect("read a corpus file");
                let records = sqllogic::parse(&text).unwrap_or_else(|e| panic!("{n}: {e}"));
                (n, records)
            })
            .collect(),
    )
}

/// One file's results as `location → failure (None = passed)`.
fn outcomes(file: &str, results: &[RecordResult]) -> BTreeMap<Location, Option<String>> {
    results
        .iter()
        .map(|r| (format!("{file}:{}", r.line), r.failure.clone()))
        .collect()
}

fn read_list(path: &str) -> BTreeSet<Location> {
    std::fs::read_to_string(repo().join(path))
        .unwrap_or_else(|e| panic!("read {path}: {e}"))
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

fn in_files(set: &BTreeSet<Location>, files: &[String]) -> BTreeSet<Location> {
    set.iter()
        .filter(|l| {
            files
                .iter()
                .any(|f| l.rsplit_once(':').is_some_and(|(n, _)| n == f))
        })
        .cloned()
        .collect()
}

/// Runs every file on PostgreSQL 15, each in its own database; `None` without PostgreSQL.
fn run_postgres(
    files: &[(String, sqllogic::Records)],
) -> Option<BTreeMap<Location, Option<String>>> {
    let pg = testkit::postgres::PgServer::start()?;
    let mut admin =
        PgClient::connect(&pg.conn_str(), QUERY_TIMEOUT).expect("connect to PostgreSQL");
    let mut all = BTreeMap::new();
    let start = Instant::now();
    for (i, (name, records)) in files.iter().enumerate() {
        let db = format!("corpus_{i}");
        sqllogic::Db::run(&mut admin, &format!("CREATE DATABASE {db}")).expect("create a database");
        let mut c = PgClient::connect(&pg.conn_str_db(&db), QUERY_TIMEOUT).expect("connect");
        // select5's joins of up to 64 tables go to PostgreSQL's genetic join search; a small
        // population plans them in ~30 ms instead of ~400 ms each (results are the same).
        sqllogic::Db::run(&mut c, "SET geqo_pool_size = 10; SET geqo_generations = 10")
            .expect("set the GEQO effort");
        let t = Instant::now();
        let results = sqllogic::run_with(records, ENGINE, &mut c, &mut |r| {
            report_slow("PostgreSQL", name, std::slice::from_ref(r))
        });
        all.extend(outcomes(name, &results));
        println!("PostgreSQL: {name} in {:.1?}", t.elapsed());
    }
    println!("PostgreSQL ran the corpus in {:.1?}", start.elapsed());
    Some(all)
}

fn summary(label: &str, results: &BTreeMap<Location, Option<String>>) {
    let passed = results.values().filter(|f| f.is_none()).count();
    println!("{label}: {passed} of {} records pass", results.len());
}

/// Runs every file on a fresh in-process cluster each.
fn run_strata(files: &[(String, sqllogic::Records)]) -> BTreeMap<Location, Option<String>> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let mut all = BTreeMap::new();
    let start = Instant::now();
    for (name, records) in files {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = LocalClusterConfig::new(dir.path().join("data"));
        config.port = 0;
        let cluster = rt
            .block_on(async {
                tokio::time::timeout(Duration::from_secs(60), LocalCluster::start(config)).await
            })
            .expect("start the cluster in time")
            .expect("start the cluster");
        let conn = format!(
            "host=127.0.0.1 port={} user=strata dbname=postgres",
            cluster.postgres_addr.port()
        );
        let mut c = PgClient::connect(&conn, QUERY_TIMEOUT).expect("connect to Strata");
        let t = Instant::now();
        let results = sqllogic::run_with(records, ENGINE, &mut c, &mut |r| {
            report_slow("Strata", name, std::slice::from_ref(r))
        });
        println!("Strata: {name} in {:.1?}", t.elapsed());
        all.extend(outcomes(name, &results));
        drop(c);
        rt.block_on(async { tokio::time::timeout(Duration::from_secs(60), cluster.stop()).await })
            .expect("stop the cluster in time");
    }
    println!("Strata ran the corpus in {:.1?}", start.elapsed());
    all
}

/// The most common reasons for Strata's failures (first words of the message).
fn failure_kinds(results: &BTreeMap<Location, Option<String>>, pg_failing: &BTreeSet<Location>) {
    let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
    for (l, f) in results {
        if let Some(f) = f.as_deref().filter(|_| !pg_failing.contains(l)) {
            let kind: String = f.chars().take(70).collect();
            *kinds.entry(kind).or_default() += 1;
        }
    }
    let mut kinds: Vec<(usize, String)> = kinds.into_iter().map(|(k, n)| (n, k)).collect();
    kinds.sort_by(|a, b| b.cmp(a));
    println!("Strata's most common failures:");
    for (n, k) in kinds.iter().take(15) {
        println!("  {n:5}  {k}");
    }
}

fn report_slow(engine: &str, file: &str, results: &[RecordResult]) {
    for r in results.iter().filter(|r| r.elapsed > SLOW) {
        println!("SLOW on {engine}: {file}:{} took {:.1?}", r.line, r.elapsed);
    }
}

fn failing(results: &BTreeMap<Location, Option<String>>) -> BTreeSet<Location> {
    results
        .iter()
        .filter(|(_, f)| f.is_some())
        .map(|(l, _)| l.clone())
        .collect()
}

fn write_list(path: &str, header: &str, set: &BTreeSet<Location>) {
    let mut text = header.to_string();
    for l in set {
        text.push_str(l);
        text.push('\n');
    }
    std::fs::write(repo().join(path), text).unwrap_or_else(|e| panic!("write {path}: {e}"));
}

const PG_HEADER: &str = "# Records of SQLite's sqllogictest corpus that PostgreSQL 15 fails under\n\
# testkit::sqllogic (tests/it/sqlite_corpus.rs checks this list against a live run).\n";
const KNOWN_HEADER: &str = "# Records of SQLite's sqllogictest corpus that PostgreSQL 15 passes and Strata does\n\
# not yet. This list may only shrink: STRATA_CORPUS_SHRINK=1 drops the records that pass now.\n";

/// PostgreSQL's failures from a live run must be the checked-in list (for the files run).
fn check_reference(pg: &BTreeMap<Location, Option<String>>, files: &[String]) {
    summary("PostgreSQL 15", pg);
    let live = failing(pg);
    if std::env::var("STRATA_CORPUS_WRITE_PG").as_deref() == Ok("1") {
        write_list(PG_FAILURES, PG_HEADER, &live);
        return;
    }
    let listed = in_files(&read_list(PG_FAILURES), files);
    let mut diff = String::new();
    for l in live.difference(&listed) {
        diff.push_str(&format!(
            "  fails on PostgreSQL but is not listed: {l}: {:?}\n",
            pg[l]
        ));
    }
    for l in listed.difference(&live) {
        diff.push_str(&format!("  listed but passes on PostgreSQL: {l}\n"));
    }
    assert!(
        diff.is_empty(),
        "the runner no longer reproduces PostgreSQL's reference ({PG_FAILURES}):\n{diff}"
    );
}

#[test]
fn sqlite_corpus() {
    let Some(files) = corpus() else { return };
    let names: Vec<String> = files.iter().map(|(n, _)| n.clone()).collect();
    // PostgreSQL's run (mostly its planning of select5's 64-way joins) overlaps Strata's.
    let reference = {
        let files = files.clone();
        std::thread::spawn(move || run_postgres(&files))
    };
    let strata = run_strata(&files);
    let pg = reference.join().expect("the PostgreSQL run panicked");
    match &pg {
        Some(pg) => check_reference(pg, &names),
        None => println!("no PostgreSQL 15: using the checked-in reference {PG_FAILURES}"),
    }
    let pg_failing = in_files(&read_list(PG_FAILURES), &names);
    summary("Strata", &strata);
    failure_kinds(&strata, &pg_failing);
    let strata_failing = failing(&strata);
    let pg_passed = strata.len() - pg_failing.len();
    let both = strata
        .iter()
        .filter(|(l, f)| f.is_none() && !pg_failing.contains(*l))
        .count();
    println!("Strata passes {both} of the {pg_passed} records PostgreSQL 15 passes");

    if std::env::var("STRATA_CORPUS_WRITE_KNOWN").as_deref() == Ok("1") {
        let known: BTreeSet<Location> = strata_failing.difference(&pg_failing).cloned().collect();
        write_list(KNOWN_FAILURES, KNOWN_HEADER, &known);
        return;
    }
    let all_known = read_list(KNOWN_FAILURES);
    let known = in_files(&all_known, &names);
    let now_passing: BTreeSet<Location> = known
        .iter()
        .filter(|l| matches!(strata.get(*l), Some(None)))
        .cloned()
        .collect();
    if !now_passing.is_empty() {
        println!(
            "\n!!!!! {} records in {KNOWN_FAILURES} pass now: remove them \
             (STRATA_CORPUS_SHRINK=1 does) !!!!!",
            now_passing.len()
        );
        for l in &now_passing {
            println!("  now passes: {l}");
        }
        if std::env::var("STRATA_CORPUS_SHRINK").as_deref() == Ok("1") {
            let kept: BTreeSet<Location> = all_known.difference(&now_passing).cloned().collect();
            write_list(KNOWN_FAILURES, KNOWN_HEADER, &kept);
        }
    }
    let regressions: Vec<String> = strata_failing
        .iter()
        .filter(|l| !pg_failing.contains(*l) && !known.contains(*l))
        .map(|l| format!("  {l}: {}", strata[l].as_deref().unwrap_or_default()))
        .collect();
    assert!(
        regressions.is_empty(),
        "{} records PostgreSQL 15 passes fail on Strata and are not in {KNOWN_FAILURES}:\n{}",
        regressions.len(),
        regressions.join("\n")
    );
}

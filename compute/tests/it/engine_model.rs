//! The engine against the reference storage (`sql::memory::MemoryStorage`), and its WAL
//! against the pages.
//!
//! A seeded random workload (CREATE/DROP TABLE, CREATE INDEX, INSERT, UPDATE, DELETE,
//! transaction blocks with COMMIT/ROLLBACK and savepoints) runs through `sql::Session` on
//! both; every statement must give the same result or the same SQLSTATE, and full scans
//! must agree. Then the durability model: the MemoryWalSink's bytes are replayed with
//! `proto::WalDecoder` + `redo::apply` into an empty page table, a new engine opens those
//! pages (learning the schema from the catalog tree), and every committed state recorded
//! during the run — at its durable LSN — is read back at that snapshot. Each seed runs twice:
//! keeping every version, and pruning them as commits go (then only the latest state can
//! be read back from resident pages).
//!
//! Replay a failure with `ENGINE_MODEL_SEED=<seed>`.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::engine_common::{engine, small_pages, small_pages_with_history};
use compute::engine::{Engine, MemoryWalSink, PageTable};
use proto::Lsn;
use sql::Session;
use sql::memory::MemoryStorage;
use sql::storage::{Access, Storage, Txn};

/// A tiny deterministic generator (xorshift64*), so seeds replay exactly.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

type Output = Result<(String, Vec<Vec<String>>), String>;

fn run<S: Storage>(s: &mut Session<S>, sql: &str) -> Output {
    let mut last = None;
    for r in s.execute(sql) {
        match r {
            Ok(r) => last = Some(r),
            Err(e) if e.code() == "XX000" || e.code() == "XX001" => {
                return Err(format!("XX000 {e}"));
            }
            Err(e) => return Err(e.code().to_string()),
        }
    }
    let r = last.ok_or("no result")?;
    let rows = r
        .text_rows()
        .into_iter()
        .map(|r| {
            r.into_iter()
                .map(|v| v.unwrap_or_else(|| "NULL".into()))
                .collect()
        })
        .collect();
    Ok((r.tag, rows))
}

/// Table states by name: sorted rows as text.
type State = BTreeMap<String, Vec<Vec<String>>>;

struct Workload {
    rng: Rng,
    tables: Vec<(String, bool)>,
    next_table: usize,
    next_index: usize,
    in_block: bool,
}

impl Workload {
    fn table(&mut self) -> Option<(String, bool)> {
        if self.tables.is_empty() {
            return None;
        }
        let i = self.rng.below(self.tables.len() as u64) as usize;
        Some(self.tables[i].clone())
    }

    fn statement(&mut self) -> String {
        let r = self.rng.below(100);
        if r < 5 || self.tables.is_empty() {
            let name = format!("t{}", self.next_table);
            self.next_table += 1;
            let with_pk = self.rng.chance(70);
            self.tables.push((name.clone(), with_pk));
            return if with_pk {
                format!("CREATE TABLE {name} (id int PRIMARY KEY, v int, s text)")
            } else {
                format!("CREATE TABLE {name} (id int, v int, s text)")
            };
        }
        let (t, _) = self.table().expect("tables exist");
        let k = self.rng.below(40);
        let v = self.rng.below(1000);
        match r {
            5..=6 => {
                self.tables.retain(|(n, _)| *n != t);
                format!("DROP TABLE {t}")
            }
            7..=9 => {
                self.next_index += 1;
                let unique = if self.rng.chance(30) { "UNIQUE " } else { "" };
                let col = if self.rng.chance(50) { "v" } else { "s" };
                format!("CREATE {unique}INDEX i{} ON {t} ({col})", self.next_index)
            }
            10..=49 => {
                let n = 1 + self.rng.below(4);
                let vals: Vec<String> = (0..n)
                    .map(|i| {
                        let s = if self.rng.chance(10) {
                            "NULL".to_string()
                        } else {
                            format!("'s{}'", self.rng.below(60))
                        };
                        format!("({}, {}, {s})", (k + i * 7) % 40, v + i)
                    })
                    .collect();
                format!("INSERT INTO {t} VALUES {}", vals.join(", "))
            }
            50..=64 => format!("UPDATE {t} SET v = v + 1 WHERE id % 5 = {}", k % 5),
            65..=69 => format!("UPDATE {t} SET id = id + 40 WHERE id = {k}"),
            70..=79 => format!("DELETE FROM {t} WHERE id = {k}"),
            80..=84 => format!("SELECT count(*) FROM {t}"),
            85..=89 => format!("SELECT id, v FROM {t} WHERE v >= {v} ORDER BY id, v"),
            _ => format!("SELECT * FROM {t} WHERE s = 's{}' ORDER BY id, v, s", k),
        }
    }
}

fn model_state(model: &mut Session<MemoryStorage>, tables: &[String]) -> State {
    tables
        .iter()
        .filter_map(|t| {
            let rows = run(model, &format!("SELECT * FROM {t} ORDER BY id, v, s")).ok()?;
            Some((t.clone(), rows.1))
        })
        .collect()
}

/// Reads every table of `names` at `snapshot` on `engine`, as sorted text rows.
fn engine_state_at(engine: &Engine, snapshot: Lsn, names: &[String]) -> State {
    let mut txn = engine.begin_at(snapshot);
    txn.begin_statement().expect("begin statement");
    let catalog = txn.catalog().expect("catalog");
    let mut state = State::new();
    for name in names {
        let Some(def) = catalog.table(name) else {
            continue;
        };
        let mut rows: Vec<Vec<sql::Value>> = txn
            .scan(def.id, &Access::Full)
            .expect("scan")
            .map(|r| r.expect("row").row)
            .collect();
        rows.sort();
        let rows = rows
            .into_iter()
            .map(|r| r.iter().map(|v| v.to_string()).collect())
            .collect();
        state.insert(name.clone(), rows);
    }
    txn.rollback();
    state
}

fn seeds() -> Vec<u64> {
    match std::env::var("ENGINE_MODEL_SEED") {
        Ok(s) => vec![s.parse().expect("ENGINE_MODEL_SEED is a number")],
        Err(_) => (1..=6).map(|i| i * 0x9E37_79B9).collect(),
    }
}

#[test]
fn random_workload_matches_reference_and_survives_replay() {
    for seed in seeds() {
        for keep_history in [true, false] {
            println!("seed {seed}, keep_history {keep_history}");
            check_seed(seed, keep_history);
        }
    }
}

/// With `keep_history`, nothing is pruned and every recorded state is read back at its
/// snapshot; without it, commits prune old versions and only the latest state is checked.
fn check_seed(seed: u64, keep_history: bool) {
    let config = || {
        if keep_history {
            small_pages_with_history()
        } else {
            small_pages()
        }
    };
    let (engine, wal) = engine(config());
    let mut db = Session::new(engine.clone());
    let mut model = Session::new(MemoryStorage::new());
    let mut w = Workload {
        rng: Rng(seed | 1),
        tables: Vec::new(),
        next_table: 0,
        next_index: 0,
        in_block: false,
    };
    let mut all_names: Vec<String> = Vec::new();
    // (durable LSN after a commit, the model's state then)
    let mut history: Vec<(Lsn, State)> = Vec::new();
    for step in 0..400 {
        let sql = if !w.in_block && w.rng.chance(10) {
            w.in_block = true;
            "BEGIN".to_string()
        } else if w.in_block && w.rng.chance(8) {
            w.in_block = false;
            if w.rng.chance(70) {
                "COMMIT"
            } else {
                "ROLLBACK"
            }
            .to_string()
        } else if w.in_block && w.rng.chance(5) {
            "SAVEPOINT sp".to_string()
        } else if w.in_block && w.rng.chance(4) {
            "ROLLBACK TO SAVEPOINT sp".to_string()
        } else {
            w.statement()
        };
        let got = run(&mut db, &sql);
        let want = run(&mut model, &sql);
        assert_eq!(got, want, "seed {seed} step {step}: {sql}");
        for (n, _) in &w.tables {
            if !all_names.contains(n) {
                all_names.push(n.clone());
            }
        }
        if sql == "ROLLBACK" || got.is_err() && w.in_block {
            // Tables created inside the block may be gone; the model decides.
            let existing: Vec<(String, bool)> = w
                .tables
                .iter()
                .filter(|(n, _)| run(&mut model, &format!("SELECT 1 FROM {n} LIMIT 1")).is_ok())
                .cloned()
                .collect();
            if model.transaction_status() == 'I' {
                w.tables = existing;
            }
        }
        if model.transaction_status() == 'I' {
            w.in_block = false;
            let s = engine.durable_lsn();
            if history.last().is_none_or(|(l, _)| *l != s) {
                history.push((s, model_state(&mut model, &all_names)));
            }
        }
    }
    if w.in_block {
        run(&mut db, "COMMIT").ok();
        run(&mut model, "COMMIT").ok();
        history.push((engine.durable_lsn(), model_state(&mut model, &all_names)));
    }

    // Full scans agree on the live engine.
    let (_, last) = history.last().expect("some commits").clone();
    assert_eq!(
        engine_state_at(&engine, engine.durable_lsn(), &all_names),
        last,
        "seed {seed}: live engine"
    );

    // Durability: rebuild the pages from the WAL alone and open a new engine on them.
    let (pages, end) = PageTable::replay(wal.start_lsn(), &wal.bytes()).expect("replay WAL");
    assert_eq!(
        end,
        engine.durable_lsn(),
        "seed {seed}: replay reaches the end"
    );
    assert_eq!(
        pages.pages(),
        engine.pages().pages(),
        "seed {seed}: replayed pages equal the engine's"
    );
    let reopened = Engine::open(Arc::new(pages), Arc::new(MemoryWalSink::new(end)), config())
        .expect("open on replayed pages");
    let checked = if keep_history { history.len() } else { 1 };
    for (lsn, state) in history.iter().rev().take(checked).step_by(7) {
        assert_eq!(
            &engine_state_at(&reopened, *lsn, &all_names),
            state,
            "seed {seed}: state at {lsn}"
        );
    }
    // And the reopened engine keeps working from the catalog it read.
    let mut s = Session::new(reopened.clone());
    for t in &all_names {
        let q = format!("SELECT count(*) FROM {t}");
        assert_eq!(run(&mut s, &q), run(&mut model, &q), "seed {seed}: {q}");
    }
    let created = run(&mut s, "CREATE TABLE after_reopen (id int PRIMARY KEY)");
    assert!(created.is_ok(), "seed {seed}: {created:?}");
    assert!(run(&mut s, "INSERT INTO after_reopen VALUES (1), (2)").is_ok());
    assert_eq!(
        run(&mut s, "SELECT count(*) FROM after_reopen").map(|r| r.1),
        Ok(vec![vec!["2".to_string()]])
    );
}

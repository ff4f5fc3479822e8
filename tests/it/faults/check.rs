//! The fault matrix's verdict: the final state, read on a fresh compute, against every
//! writer's log.
//!
//! - every acknowledged commit is present, with the content its writer wrote;
//! - no attempt that can never have committed (failed before or at COMMIT) is present, and
//!   nothing is present that no writer attempted;
//! - an attempt whose outcome is unknown is wholly there or wholly absent: every account's
//!   balance is its starting balance plus exactly the transfers whose ledger rows are
//!   present, so a ledger row without its balance changes (or the reverse) shows;
//! - the balances sum to the starting total over every account.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use tokio_postgres::Client;

use super::workload::{ACCOUNTS, Attempt, Op, Outcome, START_BALANCE, TOTAL, payload};

/// The tables as a fresh compute shows them.
pub struct FinalState {
    items: BTreeMap<(i64, i64), String>,
    ledger: BTreeMap<(i64, i64), (i64, i64, i64)>,
    balances: BTreeMap<i64, i64>,
}

fn int(v: &Option<String>) -> i64 {
    v.as_deref()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("an integer column holds {v:?}"))
}

/// The rows of `sql` as text (bounded).
async fn rows(c: &Client, sql: &str) -> Result<Vec<Vec<Option<String>>>, String> {
    let messages = tokio::time::timeout(Duration::from_secs(60), c.simple_query(sql))
        .await
        .map_err(|_| format!("{sql}: no answer within 60 s"))?
        .map_err(|e| match e.as_db_error() {
            Some(db) => format!("{sql}: {} {}", db.code().code(), db.message()),
            None => format!("{sql}: {e}"),
        })?;
    Ok(messages
        .iter()
        .filter_map(|m| match m {
            tokio_postgres::SimpleQueryMessage::Row(r) => {
                Some((0..r.len()).map(|i| r.get(i).map(str::to_string)).collect())
            }
            _ => None,
        })
        .collect())
}

impl FinalState {
    /// Reads the three tables; `Err` if a query fails.
    pub async fn read(c: &Client) -> Result<FinalState, String> {
        let items = rows(c, "SELECT writer, seq, payload FROM items")
            .await?
            .iter()
            .map(|r| ((int(&r[0]), int(&r[1])), r[2].clone().unwrap_or_default()))
            .collect();
        let ledger = rows(c, "SELECT writer, seq, src, dst, amount FROM ledger")
            .await?
            .iter()
            .map(|r| {
                (
                    (int(&r[0]), int(&r[1])),
                    (int(&r[2]), int(&r[3]), int(&r[4])),
                )
            })
            .collect();
        let balances = rows(c, "SELECT id, balance FROM accounts")
            .await?
            .iter()
            .map(|r| (int(&r[0]), int(&r[1])))
            .collect();
        Ok(FinalState {
            items,
            ledger,
            balances,
        })
    }
}

/// What the logs held, for the report.
#[derive(Debug, Default)]
pub struct Tally {
    pub acked: usize,
    pub failed: usize,
    pub unknown_present: usize,
    pub unknown_absent: usize,
}

/// Checks `state` against the writers' `logs` (writer `w`'s at index `w`); returns the
/// tally and every violation found.
pub fn verify(logs: &[Vec<Attempt>], state: &FinalState) -> (Tally, Vec<String>) {
    let mut tally = Tally::default();
    let mut bad = Vec::new();
    let mut attempted = BTreeSet::new();
    for (w, log) in logs.iter().enumerate() {
        let w = w as i64;
        for a in log {
            attempted.insert((w, a.seq));
            let key = (w, a.seq);
            let present = match a.op {
                Op::Insert => match state.items.get(&key) {
                    Some(p) if *p != payload(w, a.seq) => {
                        bad.push(format!("item {key:?} holds {p:?}"));
                        true
                    }
                    found => found.is_some(),
                },
                Op::Transfer { src, dst, amount } => match state.ledger.get(&key) {
                    Some(&row) if row != (src, dst, amount) => {
                        bad.push(format!(
                            "ledger row {key:?} is {row:?}, the writer moved {amount} from {src} to {dst}"
                        ));
                        true
                    }
                    found => found.is_some(),
                },
            };
            match (&a.outcome, present) {
                (Outcome::Acked, true) => tally.acked += 1,
                (Outcome::Acked, false) => {
                    bad.push(format!("acknowledged {:?} {key:?} is missing", a.op))
                }
                (Outcome::Failed(_), false) => tally.failed += 1,
                (Outcome::Failed(why), true) => bad.push(format!(
                    "{:?} {key:?} is present although it failed for certain ({why})",
                    a.op
                )),
                (Outcome::Unknown(_), true) => tally.unknown_present += 1,
                (Outcome::Unknown(_), false) => tally.unknown_absent += 1,
            }
        }
    }
    for key in state.items.keys().chain(state.ledger.keys()) {
        if !attempted.contains(key) {
            bad.push(format!("{key:?} is present but was never attempted"));
        }
    }
    let mut expected: BTreeMap<i64, i64> = (1..=ACCOUNTS).map(|id| (id, START_BALANCE)).collect();
    for &(src, dst, amount) in state.ledger.values() {
        *expected.entry(src).or_default() -= amount;
        *expected.entry(dst).or_default() += amount;
    }
    if state.balances != expected {
        let diff: Vec<String> = expected
            .iter()
            .filter(|(id, b)| state.balances.get(id) != Some(b))
            .take(8)
            .map(|(id, b)| {
                format!(
                    "account {id}: {:?}, the ledger says {b}",
                    state.balances.get(id)
                )
            })
            .collect();
        bad.push(format!(
            "balances disagree with the ledger rows present (a transfer half there): {}",
            diff.join("; ")
        ));
    }
    let sum: i64 = state.balances.values().sum();
    if sum != TOTAL || state.balances.len() as i64 != ACCOUNTS {
        bad.push(format!(
            "{} accounts hold {sum}, not {ACCOUNTS} holding {TOTAL}",
            state.balances.len()
        ));
    }
    (tally, bad)
}

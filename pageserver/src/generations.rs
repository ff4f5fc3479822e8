//! Pageserver generations and feedback to the safekeepers: the
//! [`Generations`] trait, the majority rule, and [`MemoryGenerations`] for
//! tests.
//!
//! A pageserver attaching a timeline asks every safekeeper for a generation;
//! each persists and returns its highest + 1, and the pageserver takes the
//! maximum over a majority ([`max_over_majority`]). Two attachments thus get
//! different generations, the later one higher, with no control plane. The
//! generation names every object the pageserver writes, so two pageservers
//! never write the same object; the older one learns it is fenced when it
//! sees a newer `index-*.json` (see [`crate::remote`]).
//!
//! `remote_consistent_lsn` is reported back through the same trait, so the
//! safekeepers may trim WAL below it. A new timeline (root or branch) is
//! created on the safekeepers through it too, before its first generation.

use std::collections::HashMap;
use std::sync::Mutex;

use futures::future::BoxFuture;
use proto::{Lsn, TimelineId};

use crate::{Error, Result};

/// Issues generations and takes `remote_consistent_lsn` feedback.
pub trait Generations: Send + Sync + 'static {
    /// A generation for this pageserver's attachment of `id`, higher than
    /// any issued before.
    fn issue<'a>(
        &'a self,
        id: &'a TimelineId,
        pageserver_id: &'a str,
    ) -> BoxFuture<'a, Result<u64>>;

    /// Makes the safekeepers hold `id` with its WAL starting at `start`
    /// (a new root or branch) before a generation is asked for it; a
    /// timeline they already hold must start there too. Fakes need nothing.
    fn create_timeline<'a>(&'a self, id: &'a TimelineId, start: Lsn) -> BoxFuture<'a, Result<()>> {
        let _ = (id, start);
        Box::pin(async { Ok(()) })
    }

    /// Reports that generation `generation` has everything up to
    /// `remote_consistent_lsn` in object storage.
    fn feedback<'a>(
        &'a self,
        id: &'a TimelineId,
        generation: u64,
        remote_consistent_lsn: Lsn,
        last_record_lsn: Lsn,
    ) -> BoxFuture<'a, Result<()>>;
}

/// The generation from the answers of `n` safekeepers (`None`: no answer):
/// the maximum, if a majority answered.
pub fn max_over_majority(answers: &[Option<u64>], n: usize) -> Result<u64> {
    let got: Vec<u64> = answers.iter().flatten().copied().collect();
    if got.len() < n / 2 + 1 {
        return Err(Error::Safekeeper(format!(
            "a generation needs answers from a majority of {n} safekeepers, got {}",
            got.len()
        )));
    }
    Ok(got
        .into_iter()
        .max()
        .expect("a majority is at least one answer"))
}

/// One timeline's state in [`MemoryGenerations`].
#[derive(Debug, Default)]
struct Issued {
    highest: u64,
    /// The last `(generation, remote_consistent_lsn)` reported.
    feedback: Option<(u64, Lsn)>,
}

/// In-memory generations (one counter per timeline) that remember feedback.
#[derive(Debug, Default)]
pub struct MemoryGenerations {
    state: Mutex<HashMap<TimelineId, Issued>>,
}

impl MemoryGenerations {
    pub fn new() -> MemoryGenerations {
        MemoryGenerations::default()
    }

    /// The last `(generation, remote_consistent_lsn)` reported for `id`.
    pub fn last_feedback(&self, id: &TimelineId) -> Option<(u64, Lsn)> {
        let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state.get(id).and_then(|i| i.feedback)
    }
}

impl Generations for MemoryGenerations {
    fn issue<'a>(
        &'a self,
        id: &'a TimelineId,
        _pageserver_id: &'a str,
    ) -> BoxFuture<'a, Result<u64>> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let entry = state.entry(id.clone()).or_default();
        entry.highest += 1;
        let generation = entry.highest;
        Box::pin(async move { Ok(generation) })
    }

    fn feedback<'a>(
        &'a self,
        id: &'a TimelineId,
        generation: u64,
        remote_consistent_lsn: Lsn,
        _last_record_lsn: Lsn,
    ) -> BoxFuture<'a, Result<()>> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let entry = state.entry(id.clone()).or_default();
        if generation >= entry.highest {
            entry.feedback = Some((generation, remote_consistent_lsn));
        }
        Box::pin(async { Ok(()) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn majority_maximum() {
        assert_eq!(max_over_majority(&[Some(3), None, Some(5)], 3).unwrap(), 5);
        assert!(max_over_majority(&[Some(3), None, None], 3).is_err());
        assert_eq!(max_over_majority(&[Some(1)], 1).unwrap(), 1);
        assert!(max_over_majority(&[], 0).is_err());
    }
}

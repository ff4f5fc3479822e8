//! # wal_times: when this safekeeper wrote its WAL, so that lag can be told in seconds
//!
//! A reader's lag in bytes (`commit_lsn - sent_lsn`) says how much it misses, not for how
//! long. Like PostgreSQL's `pg_stat_replication.replay_lag` (the time since WAL the standby
//! has not yet confirmed was flushed on the primary), the lag in seconds of a reader at LSN
//! `r` is the **age of the oldest WAL after `r`**: how long ago this safekeeper made the
//! first WAL past `r` durable; 0 when the reader has everything.
//!
//! [`WalTimes`] keeps samples `(flush_lsn, when)`, one each time the durable end of WAL
//! grows, coalesced to one per [`SPACING_MS`] (a sample then dates WAL up to its LSN no
//! later than its time, so an age is at most that much too high) and at most
//! [`CAPACITY`] of them (the oldest are forgotten: an age past them is a lower bound).
//! `Status` sends them as ages ([`WalTimes::ages`], relative to this safekeeper's clock,
//! so no clock skew enters), and `strata status` applies [`lag_ms`] to each LSN it
//! reports (a reader's sent LSN, the pageserver's ingested and remote-consistent LSNs).

use std::collections::VecDeque;

use proto::Lsn;

/// Samples closer together than this share one.
pub const SPACING_MS: u64 = 100;
/// Samples kept (at one per [`SPACING_MS`] under constant writes, about 100 s).
pub const CAPACITY: usize = 1024;

/// When the durable end of WAL reached each LSN (milliseconds on a monotonic clock).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct WalTimes {
    samples: VecDeque<(Lsn, u64)>,
}

impl WalTimes {
    /// WAL up to `flush_lsn` was durable at `now_ms`.
    pub fn note(&mut self, flush_lsn: Lsn, now_ms: u64) {
        match self.samples.back_mut() {
            Some((lsn, _)) if flush_lsn <= *lsn => {}
            Some((lsn, at)) if now_ms.saturating_sub(*at) < SPACING_MS => *lsn = flush_lsn,
            _ => {
                if self.samples.len() == CAPACITY {
                    self.samples.pop_front();
                }
                self.samples.push_back((flush_lsn, now_ms));
            }
        }
    }

    /// The samples as `(lsn, milliseconds ago)`, oldest first.
    pub fn ages(&self, now_ms: u64) -> Vec<(Lsn, u64)> {
        self.samples
            .iter()
            .map(|&(lsn, at)| (lsn, now_ms.saturating_sub(at)))
            .collect()
    }
}

/// The lag in milliseconds of a reader that has WAL up to `lsn`, given samples
/// `(lsn, ms ago)` oldest first: the age of the first sample past `lsn` (the WAL right
/// after `lsn` is at least that old), 0 when no sample is past it (caught up).
pub fn lag_ms(ages: &[(Lsn, u64)], lsn: Lsn) -> u64 {
    let first_past = ages.partition_point(|&(l, _)| l <= lsn);
    ages.get(first_past).map_or(0, |&(_, ago)| ago)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lag_is_the_age_of_the_oldest_wal_not_yet_had() {
        let mut t = WalTimes::default();
        t.note(Lsn(100), 1_000);
        t.note(Lsn(200), 2_000);
        t.note(Lsn(300), 5_000);
        let ages = t.ages(6_000);
        assert_eq!(
            ages,
            vec![(Lsn(100), 5_000), (Lsn(200), 4_000), (Lsn(300), 1_000)]
        );
        assert_eq!(lag_ms(&ages, Lsn(300)), 0, "caught up");
        assert_eq!(lag_ms(&ages, Lsn(400)), 0, "ahead");
        assert_eq!(lag_ms(&ages, Lsn(250)), 1_000);
        assert_eq!(lag_ms(&ages, Lsn(200)), 1_000, "has WAL up to 200 exactly");
        assert_eq!(lag_ms(&ages, Lsn(150)), 4_000);
        assert_eq!(lag_ms(&ages, Lsn(0)), 5_000);
        assert_eq!(lag_ms(&[], Lsn(0)), 0, "no WAL written since start");
    }

    #[test]
    fn close_samples_coalesce_and_the_oldest_are_forgotten() {
        let mut t = WalTimes::default();
        t.note(Lsn(100), 1_000);
        t.note(Lsn(150), 1_050);
        t.note(Lsn(150), 9_000);
        t.note(Lsn(120), 9_000);
        assert_eq!(
            t.ages(1_100),
            vec![(Lsn(150), 100)],
            "coalesced, never lowered"
        );
        for i in 0..CAPACITY as u64 + 5 {
            t.note(Lsn(1_000 + i), 10_000 + i * SPACING_MS);
        }
        let ages = t.ages(0);
        assert_eq!(ages.len(), CAPACITY);
        assert_eq!(ages[0].0, Lsn(1_005));
    }
}

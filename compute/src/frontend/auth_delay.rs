//! Slows password guessing. Each failed password exchange from an address is answered only
//! after a delay that doubles with that address's recent failures — 100 ms, 200 ms, 400 ms, …
//! capped at 5 s — as PostgreSQL's `auth_delay` extension does with a fixed delay. A
//! successful login from the address, or ten quiet minutes, forgets its failures. Only the
//! failing connection waits (nothing is locked meanwhile), so a user who mistypes once loses
//! 100 ms while a guesser pays seconds per attempt, and `--max-connections` bounds how many
//! attempts can wait at once. The table is bounded: past [`MAX_ADDRESSES`] entries the
//! forgotten ones are dropped, then the oldest.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The first failure's delay.
const FIRST: Duration = Duration::from_millis(100);
/// No failure waits longer.
const MAX: Duration = Duration::from_secs(5);
/// Failures older than this are forgotten.
const FORGET_AFTER: Duration = Duration::from_secs(600);
/// Most addresses remembered at once.
pub const MAX_ADDRESSES: usize = 10_000;

/// Failed logins by address; see the module docs.
#[derive(Debug, Default)]
pub struct AuthDelay {
    failures: Mutex<HashMap<IpAddr, (u32, Instant)>>,
}

impl AuthDelay {
    /// Records a failure from `ip` at `now`; returns how long to wait before answering it.
    pub fn failed(&self, ip: IpAddr, now: Instant) -> Duration {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MAX_ADDRESSES && !map.contains_key(&ip) {
            map.retain(|_, (_, last)| now.saturating_duration_since(*last) < FORGET_AFTER);
            if map.len() >= MAX_ADDRESSES
                && let Some(oldest) = map
                    .iter()
                    .min_by_key(|(_, (_, last))| *last)
                    .map(|(k, _)| *k)
            {
                map.remove(&oldest);
            }
        }
        let entry = map.entry(ip).or_insert((0, now));
        if now.saturating_duration_since(entry.1) >= FORGET_AFTER {
            entry.0 = 0;
        }
        entry.0 = entry.0.saturating_add(1);
        entry.1 = now;
        let doublings = (entry.0 - 1).min(16);
        FIRST.saturating_mul(1 << doublings).min(MAX)
    }

    /// A login from `ip` succeeded: its failures are forgotten.
    pub fn succeeded(&self, ip: IpAddr) {
        self.failures
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&ip);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_per_address_until_forgotten() {
        let d = AuthDelay::default();
        let (a, b): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        let t = Instant::now();
        let ms = |x: Duration| x.as_millis();
        assert_eq!(ms(d.failed(a, t)), 100);
        assert_eq!(ms(d.failed(a, t)), 200);
        assert_eq!(ms(d.failed(a, t)), 400);
        assert_eq!(ms(d.failed(b, t)), 100, "another address is not slowed");
        for _ in 0..20 {
            d.failed(a, t);
        }
        assert_eq!(d.failed(a, t), MAX);
        d.succeeded(a);
        assert_eq!(ms(d.failed(a, t)), 100, "a success forgets");
        assert_eq!(
            ms(d.failed(b, t + FORGET_AFTER)),
            100,
            "so do ten quiet minutes"
        );
    }

    #[test]
    fn the_table_stays_bounded() {
        let d = AuthDelay::default();
        let t = Instant::now();
        for i in 0..(MAX_ADDRESSES as u32 + 50) {
            d.failed(
                IpAddr::from(i.to_be_bytes()),
                t + Duration::from_millis(i.into()),
            );
        }
        assert!(d.failures.lock().unwrap().len() <= MAX_ADDRESSES);
    }
}

//! # backoff: the retry delay every reconnecting loop shares
//!
//! [`Backoff`] is exponential: each [`Backoff::next_delay`] returns the current delay and
//! doubles the next one, up to a ceiling; [`Backoff::reset`] goes back to the floor once
//! the retried thing works again. Pure (no clock, no sleeping): callers sleep, cancellably,
//! however suits them. (The safekeeper driver's links keep their own, inside their pure
//! core, where the simulation drives it.)

use std::time::Duration;

/// An exponential retry delay between a floor and a ceiling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    next: Duration,
    min: Duration,
    max: Duration,
}

impl Backoff {
    /// Starts at `min`, doubling up to `max` (a `max` below `min` is `min`).
    pub fn new(min: Duration, max: Duration) -> Backoff {
        Backoff {
            next: min,
            min,
            max: max.max(min),
        }
    }

    /// The delay to wait before this retry; the next one is twice as long (at most the
    /// ceiling).
    pub fn next_delay(&mut self) -> Duration {
        let delay = self.next;
        self.next = (self.next * 2).min(self.max);
        delay
    }

    /// The delay the next retry would wait, without taking it.
    pub fn peek(&self) -> Duration {
        self.next
    }

    /// Back to the floor (the retried operation made progress).
    pub fn reset(&mut self) {
        self.next = self.min;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_the_ceiling_and_reset_to_the_floor() {
        let ms = Duration::from_millis;
        let mut b = Backoff::new(ms(10), ms(50));
        let got: Vec<_> = (0..5).map(|_| b.next_delay()).collect();
        assert_eq!(got, [ms(10), ms(20), ms(40), ms(50), ms(50)]);
        assert_eq!(b.peek(), ms(50));
        b.reset();
        assert_eq!(b.next_delay(), ms(10));
        let mut inverted = Backoff::new(ms(30), ms(5));
        assert_eq!(
            (inverted.next_delay(), inverted.next_delay()),
            (ms(30), ms(30))
        );
    }
}

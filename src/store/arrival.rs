//! The arrival clock: when a submission was handed to the store. Strictly increasing within
//! the process, so the queue lists posts in the order they arrived, whatever order the
//! transactions that store them start or commit in (on PostgreSQL two writers commit batches
//! side by side, and an album's first part has a transaction of its own: ordered by the
//! transaction's `now()`, a burst of 40 came out as #1, #2, #18, #19, #20, #3, …).

use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Utc};

/// The last stamp given, in microseconds since the Unix epoch (the resolution both backends
/// store). One per process: every store and clone in it draws from the same sequence.
static LAST: AtomicI64 = AtomicI64::new(i64::MIN);

/// Now — or 1 µs after the previous stamp when the wall clock has not moved on since (or went
/// back): no two submissions share a stamp, and none is stamped before one handed over earlier.
pub(crate) fn stamp() -> DateTime<Utc> {
    let now = Utc::now().timestamp_micros();
    let previous = match LAST.fetch_update(Ordering::AcqRel, Ordering::Acquire, |last| Some(after(last, now))) {
        Ok(previous) | Err(previous) => previous,
    };
    DateTime::from_timestamp_micros(after(previous, now)).unwrap_or_else(Utc::now)
}

fn after(last: i64, now: i64) -> i64 {
    now.max(last.saturating_add(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_strictly_increase_even_when_the_clock_does_not() {
        assert_eq!(after(10, 5), 11, "a clock that went back");
        assert_eq!(after(10, 10), 11, "a clock that did not move");
        assert_eq!(after(10, 20), 20);
        assert_eq!(after(i64::MIN, 20), 20, "the first stamp");
        let stamps: Vec<_> = (0..10_000).map(|_| stamp()).collect();
        assert!(stamps.windows(2).all(|w| w[0] < w[1]));
        assert!((Utc::now() - stamps[0]).num_seconds() < 5, "close to the wall clock");
    }

    #[test]
    fn stamps_taken_on_several_threads_are_all_different() {
        let threads: Vec<_> =
            (0..4).map(|_| std::thread::spawn(|| (0..2_000).map(|_| stamp()).collect::<Vec<_>>())).collect();
        let mut all: Vec<_> = threads.into_iter().flat_map(|t| t.join().unwrap_or_default()).collect();
        let taken = all.len();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), taken);
    }
}

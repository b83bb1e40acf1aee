//! In-process counters and a lock-free latency histogram: what the bot panel shows and what
//! `postgate serve` reports when it stops (updates handled, handler latency percentiles).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Counters the bot panel shows.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Telegram updates that reached the handler tree since start.
    pub updates_handled: AtomicU64,
    /// Updates dropped by the listener: their private chat had too many in the handlers.
    pub updates_dropped: AtomicU64,
    /// Time spent in the private-message handler (submissions and commands), per update.
    pub handler_latency: LatencyHistogram,
}

impl Metrics {
    /// One log line with the counters and the handler latency percentiles so far (logged when
    /// the bot stops, and by `postgate serve` on SIGUSR1).
    pub fn log_summary(&self, message: &'static str) {
        let latency = self.handler_latency.summary();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        tracing::info!(
            updates_handled = self.updates_handled.load(Ordering::Relaxed),
            updates_dropped = self.updates_dropped.load(Ordering::Relaxed),
            messages_timed = latency.count,
            handler_p50_ms = ms(latency.p50),
            handler_p99_ms = ms(latency.p99),
            handler_max_ms = ms(latency.max),
            "{message}"
        );
    }
}

/// Sub-buckets per power of two: each bucket spans at most 1/8 of its lower bound (≤ 12.5%).
const SUB_BITS: u32 = 3;
const SUB: usize = 1 << SUB_BITS;
/// Microseconds up to 2^40 (about 12 days) — anything longer lands in the last bucket.
const BUCKETS: usize = 41 * SUB;

/// Durations in microseconds, counted in log-linear buckets; recording is one atomic add.
#[derive(Debug)]
pub struct LatencyHistogram {
    counts: Box<[AtomicU64]>,
}

impl Default for LatencyHistogram {
    fn default() -> Self {
        Self { counts: (0..BUCKETS).map(|_| AtomicU64::new(0)).collect() }
    }
}

/// Percentiles of a histogram, as the upper bounds of the buckets they fall in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LatencySummary {
    pub count: u64,
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
}

fn bucket_of(micros: u64) -> usize {
    if micros < SUB as u64 {
        return usize::try_from(micros).unwrap_or(0);
    }
    let msb = micros.ilog2();
    let sub = (micros >> (msb - SUB_BITS)) & (SUB as u64 - 1);
    let index = (msb - SUB_BITS + 1) as usize * SUB + usize::try_from(sub).unwrap_or(0);
    index.min(BUCKETS - 1)
}

/// The largest value that lands in `index` (inverse of [`bucket_of`]).
fn upper_bound(index: usize) -> u64 {
    if index < SUB {
        return index as u64;
    }
    let octave = u32::try_from(index / SUB).unwrap_or(u32::MAX) - 1 + SUB_BITS;
    let sub = (index % SUB) as u64;
    ((SUB as u64 + sub + 1) << (octave - SUB_BITS)) - 1
}

impl LatencyHistogram {
    pub fn record(&self, took: Duration) {
        let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        self.counts[bucket_of(micros)].fetch_add(1, Ordering::Relaxed);
    }

    /// p50, p99 and max so far (each within one bucket, ≤ 12.5% above the true value).
    pub fn summary(&self) -> LatencySummary {
        let counts: Vec<u64> = self.counts.iter().map(|c| c.load(Ordering::Relaxed)).collect();
        let count: u64 = counts.iter().sum();
        let at = |fraction: f64| {
            // The rank of the percentile, 1-based: ceil(fraction × count).
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
            let rank = ((fraction * count as f64).ceil() as u64).max(1);
            let mut seen = 0;
            for (i, c) in counts.iter().enumerate() {
                seen += c;
                if seen >= rank {
                    return Duration::from_micros(upper_bound(i));
                }
            }
            Duration::ZERO
        };
        let max = counts.iter().rposition(|c| *c > 0).map_or(Duration::ZERO, |i| Duration::from_micros(upper_bound(i)));
        if count == 0 {
            return LatencySummary { count, p50: Duration::ZERO, p99: Duration::ZERO, max };
        }
        LatencySummary { count, p50: at(0.50), p99: at(0.99), max }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_bound_their_values_within_an_eighth() {
        for v in [0_u64, 1, 7, 8, 9, 15, 16, 17, 100, 1_000, 12_345, 999_999, 50_000_000] {
            let b = bucket_of(v);
            let upper = upper_bound(b);
            assert!(upper >= v, "{v} above its bucket's bound {upper}");
            assert!(b == 0 || upper_bound(b - 1) < v, "{v} belongs in an earlier bucket");
            assert!(upper - v <= v / 8 + 1, "bucket of {v} too wide (up to {upper})");
        }
    }

    #[test]
    fn percentiles_follow_the_recorded_values() {
        let h = LatencyHistogram::default();
        for ms in 1..=100 {
            h.record(Duration::from_millis(ms));
        }
        let s = h.summary();
        assert_eq!(s.count, 100);
        let within = |d: Duration, ms: u64| d >= Duration::from_millis(ms) && d <= Duration::from_millis(ms + ms / 8);
        assert!(within(s.p50, 50), "p50 {:?}", s.p50);
        assert!(within(s.p99, 99), "p99 {:?}", s.p99);
        assert!(within(s.max, 100), "max {:?}", s.max);
        assert_eq!(LatencyHistogram::default().summary().count, 0);
    }
}

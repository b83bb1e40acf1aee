//! Row 4, the soak: a steady trickle of submissions into the `postgate serve` that row 3's
//! burst ran on, its memory sampled every minute.

use std::time::{Duration, Instant};

use sqlx::PgPool;

use crate::common::{Row, Table, mib};
use crate::intake::{submission, wait_stored};
use crate::serve::{RssSampler, Serve};
use crate::support::fake_telegram::FakeTelegram;

const SOAK_PER_SEC: i64 = 20;

/// A steady trickle of submissions for `BENCH_SOAK_SECS` (default 600, the 10 minutes the issue asks for):
/// RSS at start and end, and every minute in between (printed), to tell growth that levels
/// off from growth that goes on.
pub async fn run(table: &mut Table, fake: &FakeTelegram, pool: &PgPool, serve: &Serve, already: i64) {
    let secs: u64 = std::env::var("BENCH_SOAK_SECS").ok().and_then(|v| v.parse().ok()).unwrap_or(600);
    if secs == 0 {
        table.skipped("4 soak", "RSS over a soak", "BENCH_SOAK_SECS=0");
        return;
    }
    println!("intake: soak for {secs} s at {SOAK_PER_SEC} submissions/s");
    let before = serve.rss_kib();
    let sampler = RssSampler::start(serve.pid);
    let start = Instant::now();
    let mut next = already;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut ticks = 0u64;
    let mut trend = Vec::new();
    let mut middle = before;
    while start.elapsed() < Duration::from_secs(secs) {
        tick.tick().await;
        if ticks == secs / 2 {
            middle = serve.rss_kib();
        }
        if ticks.is_multiple_of(60) {
            let now = serve.rss_kib();
            trend.push(now / 1024);
            println!("intake: soak at {ticks} s: RSS {}", mib(now));
        }
        ticks += 1;
        for _ in 0..SOAK_PER_SEC {
            fake.push_update(submission(next));
            next += 1;
        }
    }
    let done = wait_stored(fake, Some(pool), next, Instant::now() + Duration::from_mins(1)).await;
    let peak = sampler.finish().await;
    let after = serve.rss_kib();
    trend.push(after / 1024);
    println!("intake: soak RSS per minute (MiB): {trend:?}");
    table.push(Row {
        section: "4 soak",
        name: format!("RSS after {secs} s at {SOAK_PER_SEC}/s ({} submissions, all stored: {done})", next - already),
        value: format!("end {} (half-way {}, peak {})", mib(after), mib(middle), mib(peak)),
        baseline: format!("start: {}", mib(before)),
        ratio: format!("{:.2}×", after as f64 / before.max(1) as f64),
        // Growth that levels off (allocator high-water marks) passes; growth still going on in
        // the second half is what a leak looks like.
        target: "no steady growth: end ≤ start + 20%, second half ≤ +2%".into(),
        met: Some(done && after <= before + before / 5 && after <= middle + before / 50),
    });
}

//! `make bench`: `PostGate`'s benchmark suite (not a test). Prints one table in which every figure
//! stands beside a baseline measured in the same run, so ratios stay meaningful on a noisy
//! machine. Rows: queue commands, bulk import, burst intake, soak, publishing, intake under
//! limits, desktop footprint, migrate-data. Intake, publish and limited run against the fake
//! Bot API at no round trip and at `BENCH_API_RTT_MS` (default 80 ms, Telegram from a server). Queue, import, the burst and the desktop run on both stores, `PostgreSQL` and
//! an embedded SQLite file, side by side.
//!
//! Needs `PostgreSQL` and Redis as `make test` does (`DATABASE_URL`, `REDIS_URL`); everything
//! else (fake Bot API, databases, files) is created here on loopback and removed afterwards.
//! Knobs: `BENCH_ITERS` (≥ 200), `BENCH_SOAK_SECS` (default 600; 0 skips), `BENCH_ONLY`
//! (comma-separated: queue,import,intake,soak,statements,publish,limited,desktop,migrate,stats,flags),
//! `BENCH_API_RTT_MS` (0: only the zero round trip), `BENCH_SUBMISSIONS` (default 10 000),
//! `BENCH_APPROVALS` (default 1 000), `BENCH_FLAG_POSTS` (row 10, flags: default 100 000).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::cast_precision_loss)]

#[path = "../../tests/support/mod.rs"]
mod support;

mod common;
mod desktop;
mod flags;
mod import;
mod intake;
mod limited;
mod migrate;
mod pgcpu;
mod pgstat;
mod publish;
mod queue;
mod serve;
mod soak;
mod sqlite;
mod stats;

use common::Table;

fn wanted(name: &str) -> bool {
    std::env::var("BENCH_ONLY").map_or(true, |only| only.split(',').any(|o| o.trim() == name))
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else is accepted.
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    let mut table = Table::default();
    println!("{}", common::machine_description());
    runtime.block_on(async {
        if wanted("queue") {
            queue::run(&mut table).await;
        }
        if wanted("import") {
            import::run(&mut table).await;
        }
        if wanted("intake") || wanted("soak") {
            intake::run(&mut table, wanted("intake"), wanted("soak")).await;
        }
        if wanted("statements") {
            pgstat::run(&mut table).await;
        }
        if wanted("publish") {
            publish::run(&mut table).await;
        }
        if wanted("limited") {
            limited::run(&mut table).await;
        }
        if wanted("desktop") {
            desktop::run(&mut table);
        }
        if wanted("migrate") {
            migrate::run(&mut table).await;
        }
        if wanted("stats") {
            stats::run(&mut table).await;
        }
        if wanted("flags") {
            flags::run(&mut table).await;
        }
    });
    println!();
    println!("{}", table.render());
    let failed = table.missed();
    if failed > 0 {
        println!("{failed} figure(s) missed their target (see the last column).");
    }
}

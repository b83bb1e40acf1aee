//! Row 3, burst intake (and row 4, soak): the `postgate serve` release binary against the fake
//! Bot API and a fresh database; 10 000 text submissions from 2 000 users pushed at once, timed
//! until every post is stored and every receipt sent, against a bare autocommit INSERT loop on
//! the same database. Also start-up time and RSS (idle, peak, after a soak). The burst again on
//! a SQLite file without Redis, beside a SQLite autocommit INSERT loop.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use sqlx::{Connection, PgPool};

use crate::common::{self, Row, Table, mib};
use crate::pgcpu::{self, PgCpu};
use crate::serve::{HandlerLatency, RssSampler, Serve, process_start_baseline};
use crate::sqlite::{self, Backend};
use crate::support::fake_telegram::{FakeTelegram, updates};

const USERS: i64 = 2_000;
const BURST_WAIT: Duration = Duration::from_mins(5);
/// The burst's target is its ratio to the same-run INSERT loop (issue #18): submissions are
/// committed in batches, so the whole pipeline, receipts included, should keep up with one
/// autocommit INSERT per row on the same store, however busy the machine is.
const TARGET_RATIO: f64 = 1.0;

pub fn submission(i: i64) -> serde_json::Value {
    let user = 10_000 + i % USERS;
    let message_id = i32::try_from(i / USERS + 1).unwrap();
    updates::text_message(
        user,
        user,
        message_id,
        &format!("Submission {i}: a story about a cat, #{}", i % 97),
        Some("en"),
    )
}

/// Receipts: messages sent to a private chat (positive id), as (chat, text) pairs.
fn receipts(fake: &FakeTelegram) -> Vec<(i64, String)> {
    fake.calls_to("sendMessage")
        .iter()
        .filter_map(|c| Some((c.field_i64("chat_id").filter(|id| *id > 0)?, c.field_str("text").unwrap_or_default())))
        .collect()
}

async fn count(pool: &PgPool, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

/// Receipts sent so far (counted without copying the recorded calls).
fn receipt_count(fake: &FakeTelegram) -> i64 {
    let private = |c: &crate::support::fake_telegram::Call| c.field_i64("chat_id").is_some_and(|id| id > 0);
    i64::try_from(fake.count_calls("sendMessage", private)).unwrap()
}

/// Cards sent so far: messages to the moderation group (negative id).
fn card_count(fake: &FakeTelegram) -> i64 {
    let group = |c: &crate::support::fake_telegram::Call| c.field_i64("chat_id").is_some_and(|id| id < 0);
    i64::try_from(fake.count_calls("sendMessage", group)).unwrap()
}

/// Waits until `expect` cards were sent; the time from `start`, or `None` past the deadline.
async fn wait_announced(fake: &FakeTelegram, expect: i64, start: Instant, deadline: Instant) -> Option<Duration> {
    loop {
        if card_count(fake) >= expect {
            return Some(start.elapsed());
        }
        if Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until `expect` posts are stored and as many receipts were sent. Without a pool (a
/// SQLite file, which only `serve` opens while it runs) the receipts stand for the posts: one is
/// sent only after its post committed; the posts are counted once `serve` has stopped.
pub async fn wait_stored(fake: &FakeTelegram, pool: Option<&PgPool>, expect: i64, deadline: Instant) -> bool {
    loop {
        let stored = match pool {
            Some(pool) => count(pool, "SELECT count(*) FROM posts").await,
            None => expect,
        };
        if stored >= expect && receipt_count(fake) >= expect {
            return true;
        }
        if Instant::now() >= deadline {
            println!("intake: timed out with {stored} stored, {} receipts", receipt_count(fake));
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Rows 3 and 4 on `PostgreSQL`, then row 3's burst on a SQLite file (no Redis), each figure
/// beside its `PostgreSQL` counterpart; the burst at each of [`common::round_trips`]. The soak
/// runs on `PostgreSQL` only, at the first (no round trip).
pub async fn run(table: &mut Table, burst: bool, soak: bool) {
    for (i, rtt) in common::round_trips().into_iter().enumerate() {
        if i > 0 && !burst {
            break;
        }
        let first = table.len();
        run_on(table, Backend::Postgres, rtt, burst, soak && i == 0).await;
        if burst {
            let second = table.len();
            run_on(table, Backend::Sqlite, rtt, true, false).await;
            table.interleave(first, second);
        }
    }
}

pub async fn run_on(table: &mut Table, backend: Backend, rtt: Duration, burst: bool, soak: bool) {
    let section = common::section_at("3 intake", Some(backend.label()), rtt);
    let fake = FakeTelegram::start().await;
    fake.add_chats(&[common::GROUP, common::CHANNEL]);
    fake.set_round_trip(rtt);
    let logs = tempfile::tempdir().unwrap();
    let (pg, file, mut env) = match backend {
        Backend::Postgres => {
            let (name, url) = common::fresh_database("intake").await;
            let env = common::bot_env(&url, fake.url().as_str(), logs.path(), &name);
            (Some((name, url)), None, env)
        }
        Backend::Sqlite => {
            let (path, url) = sqlite::database(logs.path());
            (None, Some(path), sqlite::bot_env(&url, fake.url().as_str(), logs.path(), "intake-sqlite"))
        }
    };
    for (k, v) in [("RATE_LIMIT_MAX", "10000"), ("MAX_PENDING_PER_USER", "10000")] {
        env.push((k.into(), v.into()));
    }
    // A normal start: the database exists and is migrated (as on every start but the first).
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_postgate"))
        .arg("migrate")
        .envs(env.iter().cloned())
        .output()
        .unwrap();
    assert!(out.status.success(), "postgate migrate: {}", String::from_utf8_lossy(&out.stderr));
    let pool = match &pg {
        Some((_, url)) => Some(PgPool::connect(url).await.unwrap()),
        None => None,
    };

    let spawn_baseline = process_start_baseline();
    let serve = Serve::start(&env);
    // Start-up and idle memory do not depend on the round trip: measured at the first only.
    let startup_rows = rtt.is_zero();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle = serve.rss_kib();
    if startup_rows {
        push_startup(table, section, &serve, spawn_baseline, idle);
    }

    let mut pushed = 0;
    let mut measured = None;
    if burst {
        let b = run_burst(&fake, pg.as_ref().map(|(name, _)| name.as_str()), &serve).await;
        if let Some(pool) = &pool {
            let counts = (
                count(pool, "SELECT count(*) FROM posts").await,
                count(pool, "SELECT count(DISTINCT (source_chat_id, source_message_id)) FROM posts").await,
            );
            let insert_rate = insert_loop_baseline(pool).await;
            push_burst(table, section, &b, counts, insert_rate, idle);
        } else {
            measured = Some(b);
        }
        pushed = common::submissions();
    }
    if let Some(pool) = pool.as_ref().filter(|_| soak) {
        crate::soak::run(table, &fake, pool, &serve, pushed).await;
    }
    let clean = serve.stop();
    println!("intake ({}): serve stopped {}", backend.label(), if clean { "cleanly (exit 0)" } else { "NOT cleanly" });
    if let (Some(b), Some(path)) = (measured, &file) {
        // The file is free again: count read-only, then the baseline on a file of its own.
        let mut conn = sqlite::read_only(path).await;
        let counts = (
            sqlite::scalar(&mut conn, "SELECT count(*) FROM posts").await,
            sqlite::scalar(
                &mut conn,
                "SELECT count(*) FROM (SELECT DISTINCT source_chat_id, source_message_id FROM posts)",
            )
            .await,
        );
        conn.close().await.unwrap();
        let insert_rate = sqlite::autocommit_insert_loop(&logs.path().join("baseline.db"), common::submissions()).await;
        push_burst(table, section, &b, counts, insert_rate, idle);
    }
    if let Some(pool) = pool {
        pool.close().await;
    }
    fake.shutdown().await;
    if let Some((name, _)) = pg {
        common::drop_database(&name).await;
    }
}

/// Start-up time and idle memory.
fn push_startup(table: &mut Table, section: &'static str, serve: &Serve, spawn_baseline: Duration, idle: u64) {
    table.push(Row {
        section,
        name: "serve start-up until \"ready\" (migrated db)".into(),
        value: format!("{:.0} ms", common::ms(serve.ready_after)),
        baseline: format!("`postgate --version` spawn-to-exit: {:.1} ms", common::ms(spawn_baseline)),
        ratio: format!("{:.0}×", serve.ready_after.as_secs_f64() / spawn_baseline.as_secs_f64()),
        target: "< 0.5 s".into(),
        met: Some(serve.ready_after < Duration::from_millis(500)),
    });
    table.push(Row {
        section,
        name: "serve RSS, idle (2 s after ready)".into(),
        value: mib(idle),
        baseline: "- (absolute)".into(),
        ratio: "-".into(),
        target: "< 30 MB".into(),
        met: Some(idle * 1024 < 30_000_000),
    });
}

/// What row 3's burst measured while `serve` ran.
struct Burst {
    done: bool,
    took: Duration,
    cards_by_then: i64,
    latency: Option<HandlerLatency>,
    announced: Option<Duration>,
    peak: u64,
    sent: Vec<(i64, String)>,
    /// CPU from the push until every card went out: `PostgreSQL`'s (and over how many server
    /// processes), `postgate serve`'s.
    pg_cpu: Option<(Duration, usize)>,
    serve_cpu: Duration,
    /// CPU from the push until every submission was stored and receipted, per process.
    while_bursting: BurstCpu,
}

/// CPU spent while the burst ran (until stored + receipted): what bounds its rate on a machine
/// with this many cores.
struct BurstCpu {
    serve: Duration,
    /// `PostgreSQL`'s server processes for the database (none on SQLite).
    database: Option<Duration>,
    /// This process: the fake Bot API answering `serve`, and the bench waiting.
    bench: Duration,
}

/// Row 3's burst: 10 000 submissions at once; rate, latency, cards and peak RSS.
async fn run_burst(fake: &FakeTelegram, database: Option<&str>, serve: &Serve) -> Burst {
    let sampler = RssSampler::start(serve.pid);
    let pg_cpu = database.map(PgCpu::start);
    let serve_ticks = pgcpu::cpu_ticks(serve.pid).unwrap_or(0);
    let bench_ticks = pgcpu::cpu_ticks(std::process::id()).unwrap_or(0);
    let start = Instant::now();
    for i in 0..common::submissions() {
        fake.push_update(submission(i));
    }
    // Receipts only: each goes out after its post committed, and the bench's own queries would
    // count as the server's CPU (the posts are counted after).
    let done = wait_stored(fake, None, common::submissions(), start + BURST_WAIT).await;
    let took = start.elapsed();
    let since = |pid: u32, ticks: u64| pgcpu::ticks_to_time(pgcpu::cpu_ticks(pid).unwrap_or(0).saturating_sub(ticks));
    let while_bursting = BurstCpu {
        serve: since(serve.pid, serve_ticks),
        database: pg_cpu.as_ref().map(PgCpu::so_far),
        bench: since(std::process::id(), bench_ticks),
    };
    let cards_by_then = card_count(fake);
    let latency = serve.handler_latency();
    let announced = wait_announced(fake, common::submissions(), start, start + BURST_WAIT).await;
    let serve_cpu = pgcpu::ticks_to_time(pgcpu::cpu_ticks(serve.pid).unwrap_or(0).saturating_sub(serve_ticks));
    let pg_cpu = match pg_cpu {
        Some(cpu) => Some(cpu.finish().await),
        None => None,
    };
    let peak = sampler.finish().await;
    tokio::time::sleep(Duration::from_secs(1)).await; // anything extra would show up now
    Burst {
        done,
        took,
        cards_by_then,
        latency,
        announced,
        peak,
        sent: receipts(fake),
        pg_cpu,
        serve_cpu,
        while_bursting,
    }
}

/// Rows for rate, latency, exactness (posts and distinct source messages in `counts`), cards
/// and peak RSS.
fn push_burst(table: &mut Table, section: &'static str, b: &Burst, counts: (i64, i64), insert_rate: f64, idle: u64) {
    let (posts, distinct) = counts;
    let n = common::submissions();
    let (done, took, sent) = (b.done, b.took, &b.sent);
    let unique: HashSet<&(i64, String)> = sent.iter().collect();
    let rate = n as f64 / took.as_secs_f64();
    table.push(Row {
        section,
        name: format!("burst: {n} submissions / 2 000 users, stored + receipted"),
        value: if done { format!("{:.2} s, {rate:.0} submissions/s", took.as_secs_f64()) } else { "timed out".into() },
        baseline: format!("autocommit INSERT loop: {insert_rate:.0} rows/s"),
        ratio: format!("{:.2}×", rate / insert_rate),
        target: format!("≥ {TARGET_RATIO:.0}× the INSERT loop (was ≥ 2 000/s)"),
        met: Some(done && rate >= insert_rate * TARGET_RATIO),
    });
    table.push(match b.latency {
        Some(l) => Row {
            section,
            name: format!("burst: handler latency, {} messages (p50 {:.1} ms)", l.count, l.p50_ms),
            value: format!("p99 {:.1} ms (max {:.1} ms)", l.p99_ms, l.max_ms),
            baseline: format!("one autocommit INSERT: {:.2} ms", 1000.0 / insert_rate),
            ratio: format!("{:.0}×", l.p99_ms * insert_rate / 1000.0),
            target: "p99 < 50 ms".into(),
            met: Some(l.p99_ms < 50.0),
        },
        None => Row {
            section,
            name: "burst: handler latency".into(),
            value: "not reported by postgate serve".into(),
            baseline: "-".into(),
            ratio: "-".into(),
            target: "p99 < 50 ms".into(),
            met: Some(false),
        },
    });
    let exact =
        posts == n && distinct == n && sent.len() == unique.len() && unique.len() == usize::try_from(n).unwrap();
    table.push(Row {
        section,
        name: "burst: none lost or duplicated".into(),
        value: format!("posts {posts} ({distinct} distinct), receipts {} ({} distinct)", sent.len(), unique.len()),
        baseline: format!("{n} pushed"),
        ratio: "-".into(),
        target: format!("exactly {n} each"),
        met: Some(exact),
    });
    table.push(Row {
        section,
        name: format!(
            "burst: every post announced to the moderators ({} cards sent by the time all were receipted)",
            b.cards_by_then
        ),
        value: b.announced.map_or_else(|| "timed out".into(), |t| format!("{n} cards after {:.2} s", t.as_secs_f64())),
        baseline: format!("stored + receipted after {:.2} s", took.as_secs_f64()),
        ratio: b.announced.map_or_else(|| "-".into(), |t| format!("{:.2}×", t.as_secs_f64() / took.as_secs_f64())),
        target: "all announced".into(),
        met: Some(b.announced.is_some()),
    });
    push_cpu(table, section, b, n);
    push_budget(table, section, b, rate, insert_rate);
    table.push(Row {
        section,
        name: "serve RSS, peak during the burst".into(),
        value: mib(b.peak),
        baseline: format!("idle: {}", mib(idle)),
        ratio: format!("{:.1}×", b.peak as f64 / idle.max(1) as f64),
        target: "-".into(),
        met: None,
    });
}

/// CPU per submission from the push until every card went out: `PostgreSQL`'s (the target)
/// beside `postgate serve`'s.
fn push_cpu(table: &mut Table, section: &'static str, b: &Burst, n: i64) {
    let per = |d: Duration| common::ms(d) / n as f64;
    let serve = format!("postgate serve: {:.2} ms per submission", per(b.serve_cpu));
    let Some((pg, processes)) = b.pg_cpu else {
        table.push(Row {
            section,
            name: "CPU per submission until every card went out".into(),
            value: serve,
            baseline: "- (one process: no database server)".into(),
            ratio: "-".into(),
            target: "-".into(),
            met: None,
        });
        return;
    };
    table.push(Row {
        section,
        name: format!("PostgreSQL CPU per submission until every card went out ({processes} server processes, /proc)"),
        value: format!("{:.2} ms ({:.1} s in all)", per(pg), pg.as_secs_f64()),
        baseline: serve,
        ratio: format!("{:.2}×", pg.as_secs_f64() / b.serve_cpu.as_secs_f64().max(1e-9)),
        target: "≤ 0.75 ms".into(),
        met: Some(per(pg) <= 0.75),
    });
}

/// The burst's CPU budget: the CPU all processes spent on a submission while it ran, the rate
/// this machine's cores allow at that cost (beside the rate reached), and what a submission
/// may cost for the cores to allow the INSERT loop's rate (the 1× target).
fn push_budget(table: &mut Table, section: &'static str, b: &Burst, rate: f64, insert_rate: f64) {
    let n = common::submissions() as f64;
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get) as f64;
    let c = &b.while_bursting;
    let per = |d: Duration| common::ms(d) / n;
    let total = per(c.serve) + c.database.map_or(0.0, per) + per(c.bench);
    let ceiling = cores * 1000.0 / total.max(1e-9);
    let database = c.database.map_or_else(String::new, |d| format!(" + PostgreSQL {:.2}", per(d)));
    table.push(Row {
        section,
        name: format!(
            "burst: CPU a submission while it ran: serve {:.2}{database} + bench (fake Bot API) {:.2} ms",
            per(c.serve),
            per(c.bench)
        ),
        value: format!("{total:.2} ms: {cores:.0} cores allow {ceiling:.0} submissions/s"),
        baseline: format!("reached {rate:.0}/s; 1× the INSERT loop needs ≤ {:.2} ms", cores * 1000.0 / insert_rate),
        ratio: format!("{:.0}%", 100.0 * rate / ceiling),
        target: "-".into(),
        met: None,
    });
}

/// 10 000 single-row autocommit INSERTs, one after another, on one connection.
async fn insert_loop_baseline(pool: &PgPool) -> f64 {
    sqlx::query("CREATE TABLE insert_baseline (id BIGINT NOT NULL, body TEXT NOT NULL)").execute(pool).await.unwrap();
    let mut conn = pool.acquire().await.unwrap();
    let start = Instant::now();
    for i in 0..common::submissions() {
        sqlx::query("INSERT INTO insert_baseline (id, body) VALUES ($1, $2)")
            .bind(i)
            .bind(format!("Submission {i}: a story about a cat"))
            .execute(&mut *conn)
            .await
            .unwrap();
    }
    common::submissions() as f64 / start.elapsed().as_secs_f64()
}

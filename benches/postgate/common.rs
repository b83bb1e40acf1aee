//! Shared bench helpers: the result table, timing statistics, throwaway databases, the
//! environment a `PostGate` process is started with, and machine facts.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// Bot settings every bench process shares (they match the tests' fake chats).
pub const TOKEN: &str = crate::support::fake_telegram::TEST_TOKEN;
pub const GROUP: i64 = -100_777;
pub const CHANNEL: i64 = -100_888;
pub const MODERATOR: i64 = 77;

/// One line of the result table.
pub struct Row {
    pub section: &'static str,
    pub name: String,
    pub value: String,
    pub baseline: String,
    pub ratio: String,
    pub target: String,
    /// `Some(true)` met, `Some(false)` missed, `None` informational.
    pub met: Option<bool>,
}

#[derive(Default)]
pub struct Table {
    rows: Vec<Row>,
}

impl Table {
    pub fn push(&mut self, row: Row) {
        let verdict = verdict(row.met);
        println!(
            "  {} / {}: {} (baseline {}, ratio {}) target {} {verdict}",
            row.section, row.name, row.value, row.baseline, row.ratio, row.target
        );
        self.rows.push(row);
    }

    /// A row that could not be measured, with the reason.
    pub fn skipped(&mut self, section: &'static str, name: &str, why: &str) {
        self.push(Row {
            section,
            name: name.to_owned(),
            value: format!("not measured: {why}"),
            baseline: "-".into(),
            ratio: "-".into(),
            target: "-".into(),
            met: None,
        });
    }

    /// How many rows so far (where a backend's rows start, for [`Table::interleave`]).
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Puts the rows pushed since `second` beside those pushed from `first` to `second`, one
    /// after the other (`PostgreSQL`'s first measure, then `SQLite`'s, ...); rows without a
    /// counterpart follow in their order.
    pub fn interleave(&mut self, first: usize, second: usize) {
        let mut b = self.rows.split_off(second).into_iter();
        let mut a = self.rows.split_off(first).into_iter();
        loop {
            match (a.next(), b.next()) {
                (None, None) => break,
                (x, y) => self.rows.extend(x.into_iter().chain(y)),
            }
        }
    }

    pub fn missed(&self) -> usize {
        self.rows.iter().filter(|r| r.met == Some(false)).count()
    }

    /// A Markdown table (pastes into BENCHMARKS.md as is).
    pub fn render(&self) -> String {
        let mut out = String::from(
            "| row | measure | value | baseline (same run) | ratio | target | met |\n|---|---|---|---|---|---|---|\n",
        );
        for r in &self.rows {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} |",
                r.section,
                r.name,
                r.value,
                r.baseline,
                r.ratio,
                r.target,
                verdict(r.met)
            );
        }
        out
    }
}

fn verdict(met: Option<bool>) -> &'static str {
    match met {
        Some(true) => "yes",
        Some(false) => "NO",
        None => "-",
    }
}

/// Median and 95th percentile of a set of samples.
#[derive(Clone, Copy)]
pub struct Stats {
    pub median: Duration,
    pub p95: Duration,
}

pub fn stats(mut samples: Vec<Duration>) -> Stats {
    assert!(!samples.is_empty(), "no samples");
    samples.sort_unstable();
    let last = samples.len() - 1;
    let at = |pct: usize| samples[(last * pct + 50) / 100];
    Stats { median: at(50), p95: at(95) }
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Times `iters` runs of `op` after a short warm-up.
pub async fn sample<F, Fut>(iters: usize, mut op: F) -> Stats
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for i in 0..5 {
        op(i).await;
    }
    let mut samples = Vec::with_capacity(iters);
    for i in 0..iters {
        let start = Instant::now();
        op(i + 5).await;
        samples.push(start.elapsed());
    }
    stats(samples)
}

/// Iterations per measured operation (`BENCH_ITERS`, at least 200).
pub fn iterations() -> usize {
    std::env::var("BENCH_ITERS").ok().and_then(|v| v.parse().ok()).unwrap_or(200).max(200)
}

/// The fake Bot API's round trips the Telegram-facing rows (intake, publish, limited) run at:
/// none, and `BENCH_API_RTT_MS` (default 80, what Telegram answers in from a typical server).
pub fn round_trips() -> Vec<Duration> {
    let rtt = std::env::var("BENCH_API_RTT_MS").ok().and_then(|v| v.parse().ok()).unwrap_or(80);
    let mut trips = vec![Duration::ZERO];
    if rtt > 0 {
        trips.push(Duration::from_millis(rtt));
    }
    trips
}

/// A row's section with the round trip it ran at, e.g. "3 intake (PostgreSQL, RTT 80 ms)".
/// Leaked: a bench builds a few dozen of them once.
pub fn section_at(row: &str, store: Option<&str>, rtt: Duration) -> &'static str {
    let what = match store {
        Some(store) => format!("{row} ({store}, RTT {} ms)", rtt.as_millis()),
        None => format!("{row} (RTT {} ms)", rtt.as_millis()),
    };
    Box::leak(what.into_boxed_str())
}

/// Submissions in a burst (`BENCH_SUBMISSIONS`, default 10 000; smaller while developing).
pub fn submissions() -> i64 {
    std::env::var("BENCH_SUBMISSIONS").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000).max(100)
}

/// The `pct` percentile of `samples` (sorted here), in milliseconds.
pub fn percentile_ms(samples: &mut [Duration], pct: usize) -> f64 {
    if samples.is_empty() {
        return f64::NAN;
    }
    samples.sort_unstable();
    let last = samples.len() - 1;
    ms(samples[(last * pct + 50) / 100])
}

static SEQ: AtomicU32 = AtomicU32::new(0);

/// Another server for the rows that follow (`None`: `DATABASE_URL`'s again); see `pgstat`.
static SERVER: std::sync::Mutex<Option<String>> = std::sync::Mutex::new(None);

pub fn set_server(url: Option<String>) {
    *SERVER.lock().unwrap() = url;
}

fn database_url() -> String {
    if let Some(url) = SERVER.lock().unwrap().clone() {
        return url;
    }
    std::env::var("DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgate".into())
}

pub fn redis_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/0".into())
}

fn admin_url() -> String {
    let url = database_url();
    let base = url.rsplit_once('/').map_or(url.as_str(), |(b, _)| b).to_owned();
    format!("{base}/postgres")
}

async fn admin(sql: String) {
    let mut conn =
        <sqlx::PgConnection as sqlx::Connection>::connect(&admin_url()).await.expect("connect to PostgreSQL");
    sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut conn).await.expect("admin statement");
}

/// A fresh, empty database (dropped by [`drop_database`]); returns its name and URL.
pub async fn fresh_database(tag: &str) -> (String, String) {
    let name = format!("pg_bench_{tag}_{}_{}", std::process::id(), SEQ.fetch_add(1, Ordering::Relaxed));
    admin(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
    admin(format!("CREATE DATABASE {name}")).await;
    let url = format!("{}/{name}", admin_url().rsplit_once('/').unwrap().0);
    (name, url)
}

pub async fn drop_database(name: &str) {
    admin(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
}

/// The environment of a `PostGate` process (or `Config::from_map`) on `db_url`.
pub fn bot_env(db_url: &str, api_url: &str, log_dir: &std::path::Path, tag: &str) -> Vec<(String, String)> {
    [
        ("BOT_TOKEN", TOKEN.to_owned()),
        ("MODERATION_GROUP_ID", GROUP.to_string()),
        ("CHANNEL_ID", CHANNEL.to_string()),
        ("MODERATOR_IDS", MODERATOR.to_string()),
        ("DATABASE_URL", db_url.to_owned()),
        ("REDIS_URL", redis_url()),
        ("REDIS_KEY_PREFIX", format!("postgate-bench:{tag}:{}:", std::process::id())),
        ("TELEGRAM_API_URL", api_url.to_owned()),
        // Row 3 runs with limits off (as the issue asks); the limited run sets them.
        ("TELEGRAM_RATE_LIMIT", "off".to_owned()),
        ("LOG_DIR", log_dir.display().to_string()),
        ("LOG_LEVEL", "warn,postgate::cli=info,postgate::metrics=info".to_owned()),
        // Flags for a second look are on in every row (intake computes them for each submission).
        ("FLAG_STOP_WORDS", "казино*; ставк*; /bit\\.ly/".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// Resident set size of a process, in KiB (`VmRSS` in /proc/PID/status).
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

pub fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

/// CPU, cores, memory, kernel, `PostgreSQL` and load, for the report's header.
pub fn machine_description() -> String {
    let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
    let cpuinfo = read("/proc/cpuinfo");
    let cpu = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .unwrap_or("?")
        .trim()
        .to_owned();
    let cores = std::thread::available_parallelism().map_or(0, std::num::NonZero::get);
    let mem = read("/proc/meminfo")
        .lines()
        .next()
        .unwrap_or("")
        .split_whitespace()
        .nth(1)
        .and_then(|k| k.parse::<u64>().ok())
        .unwrap_or(0);
    let kernel = read("/proc/sys/kernel/osrelease").trim().to_owned();
    let load = read("/proc/loadavg").split_whitespace().take(3).collect::<Vec<_>>().join(" ");
    let os = read("/etc/os-release")
        .lines()
        .find_map(|l| l.strip_prefix("PRETTY_NAME="))
        .unwrap_or("?")
        .trim_matches('"')
        .to_owned();
    let pg = std::process::Command::new("psql")
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    format!("machine: {cpu}, {cores} cores, {} RAM, {os}, Linux {kernel}, {pg}, load average at start {load}", mib(mem))
}

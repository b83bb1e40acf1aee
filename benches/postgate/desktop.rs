//! Row 5, desktop: the release console (`postgate-desktop`) under a private Xvfb, on a database
//! of 100 000 posts (10 000 pending), hosting its bot against the fake Bot API on loopback —
//! once on PostgreSQL with Redis, once on its embedded default (a SQLite file, the cache in
//! process), whose footprint is then the console's whole.
//!
//! - Start-up: spawn → the first queue row in the DOM (rendered from the database), through
//!   `WebKitWebDriver` (polled every 20 ms; the paint follows within a frame). Baseline: the same
//!   driver launching `WebKitGTK`'s own `MiniBrowser` and finding the one row of a trivial page:
//!   the engine's floor on this machine, same run, same driver overheads.
//! - Footprint: the summed PSS (`/proc/PID/smaps_rollup`) of the console and every process it
//!   started (`WebKitWebProcess`, `WebKitNetworkProcess`, …), launched without `WebDriver`, once
//!   the queue is up (3× the start-up median) and PSS is flat. Baseline: `MiniBrowser` showing
//!   the trivial page, non-composited like the console. The same figure with a `WebDriver`
//!   session attached is printed as a cross-check (that run did see the rows).
//!
//! Needs Xvfb (and `WebKitWebDriver` for start-up); without them the rows say why not.

#[path = "desktop_window.rs"]
mod window;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use postgate::config::Config;
use postgate::services::Services;

use crate::common::{self, MODERATOR, Row, Table, mib};
use crate::sqlite::Backend;
use crate::support::fake_telegram::FakeTelegram;
use window::{Driver, ProcMem};

/// The row's section on each store.
fn section(backend: Backend) -> &'static str {
    match backend {
        Backend::Postgres => "5 desktop (PostgreSQL)",
        Backend::Sqlite => "5 desktop (SQLite)",
    }
}
const STARTUP: &str = "start-up: spawn → first queue row (WebDriver)";
const FOOTPRINT: &str = "footprint: total PSS, queue open (no WebDriver)";
const STARTUP_TARGET: Duration = Duration::from_secs(2);
/// 250 MB, in KiB (smaps counts KiB).
const PSS_TARGET_KIB: u64 = 250_000_000 / 1024;
/// Launches per program for the start-up median (baseline and console alternate).
const RUNS: usize = 5;
/// A rendered queue row (see the DOM contract at the top of ui/app.js).
const QUEUE_ROW: &str = "[data-testid=\"queue\"] [role=\"option\"]";
/// The baseline's page: one row matched by the same selector.
const TRIVIAL_PAGE: &str =
    "data:text/html,%3Cul%20data-testid%3D%22queue%22%3E%3Cli%20role%3D%22option%22%3Erow%3C%2Fli%3E%3C%2Ful%3E";

/// Called from the suite's runtime; the row itself blocks (processes, /proc, sleeps).
pub fn run(table: &mut Table) {
    tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(measure(table)));
}

/// `$BENCH_DESKTOP_BIN` (to compare builds), else the release build in the target directory.
fn release_binary() -> PathBuf {
    if let Some(bin) = std::env::var_os("BENCH_DESKTOP_BIN").filter(|b| !b.is_empty()) {
        return bin.into();
    }
    let dir = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into());
    Path::new(&dir).join("release").join("postgate-desktop")
}

fn skip_both(table: &mut Table, why: &str) {
    for backend in [Backend::Postgres, Backend::Sqlite] {
        table.skipped(section(backend), STARTUP, why);
        table.skipped(section(backend), FOOTPRINT, why);
    }
}

async fn measure(table: &mut Table) {
    let binary = release_binary();
    if !binary.exists() {
        let why = format!("no release build at {} (scripts/bench.sh builds it)", binary.display());
        return skip_both(table, &why);
    }
    let minibrowser = window::minibrowser();
    if !minibrowser.exists() {
        let why = format!("no {} for the baseline (libwebkit2gtk-4.1-0)", minibrowser.display());
        return skip_both(table, &why);
    }
    let display = match window::Display::start() {
        Ok(d) => d,
        Err(why) => return skip_both(table, &why),
    };
    for backend in [Backend::Postgres, Backend::Sqlite] {
        let fake = FakeTelegram::start().await;
        fake.add_chats(&[common::GROUP, common::CHANNEL]);
        let dir = tempfile::tempdir().unwrap();
        let (db_name, db_url) = match backend {
            Backend::Postgres => common::fresh_database("desktop").await,
            Backend::Sqlite => ("desktop_sqlite".to_owned(), crate::sqlite::database(dir.path()).1),
        };
        let env = console_env(backend, &db_url, &fake.base_url(), dir.path(), &db_name, &display.name);
        println!(
            "desktop ({}): seeding 100000 posts; display {}; binary {}",
            backend.label(),
            display.name,
            binary.display()
        );
        seed(backend, &env, dir.path()).await;

        let section = section(backend);
        let startup = startup(table, section, &binary, &env, dir.path()).await;
        footprint(table, section, &binary, &env, dir.path(), startup);
        if backend == Backend::Postgres {
            common::drop_database(&db_name).await;
        }
    }
    drop(display);
}

/// The console's environment: the bench's bot settings plus a private HOME/XDG tree, so no
/// settings file, `WebKit` cache or log of this user is read or written.
fn console_env(
    backend: Backend,
    db_url: &str,
    api_url: &str,
    dir: &Path,
    tag: &str,
    display: &str,
) -> Vec<(String, String)> {
    let mut env = match backend {
        Backend::Postgres => common::bot_env(db_url, api_url, &dir.join("logs"), tag),
        // The embedded default: a database file and the in-process cache, no server.
        Backend::Sqlite => crate::sqlite::bot_env(db_url, api_url, &dir.join("logs"), tag),
    };
    let path = |p: &str| dir.join(p).display().to_string();
    env.extend(
        [
            ("DISPLAY", display.to_owned()),
            ("CONSOLE_MODERATOR_ID", MODERATOR.to_string()),
            ("AUTOSTART_BOT", "true".to_owned()),
            ("POSTGATE_SETTINGS_FILE", path("settings.json")),
            ("MEDIA_TEMP_DIR", path("media")),
            ("HOME", path("home")),
            ("XDG_CONFIG_HOME", path("home/.config")),
            ("XDG_DATA_HOME", path("home/.local/share")),
            ("XDG_CACHE_HOME", path("home/.cache")),
            ("XDG_STATE_HOME", path("home/.local/state")),
        ]
        .map(|(k, v)| (k.to_owned(), v)),
    );
    env
}

/// The queue's 100 000 posts, written beside a store that made the schema (closed before the
/// console starts: on SQLite the file is one process's at a time).
async fn seed(backend: Backend, env: &[(String, String)], dir: &Path) {
    let map: HashMap<String, String> = env.iter().cloned().collect();
    let started = Instant::now();
    let services = Services::build(Config::from_map(&map).unwrap()).await.unwrap();
    services.close().await;
    match backend {
        Backend::Postgres => {
            let pool = sqlx::PgPool::connect(&map["DATABASE_URL"]).await.unwrap();
            for sql in crate::queue::SEED {
                sqlx::query(*sql).execute(&pool).await.unwrap();
            }
            pool.close().await;
        }
        Backend::Sqlite => {
            use sqlx::Connection;
            let mut conn = crate::sqlite::connect(&crate::sqlite::database(dir).0).await;
            for sql in crate::sqlite::seed() {
                sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut conn).await.unwrap();
            }
            conn.close().await.unwrap();
        }
    }
    println!("desktop: seeded in {:.1} s", started.elapsed().as_secs_f64());
}

fn secs(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64())
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort_unstable();
    samples[samples.len() / 2]
}

/// Spawn → first queue row, `RUNS` times each for the baseline and the console, alternating.
/// Returns the console's median (it paces the footprint run's settling).
async fn startup(
    table: &mut Table,
    section: &'static str,
    binary: &Path,
    env: &[(String, String)],
    dir: &Path,
) -> Option<Duration> {
    let mut driver_env = env.to_vec();
    // Read by tauri-runtime-wry: lets the driver attach to the console's webview.
    driver_env.push(("TAURI_WEBVIEW_AUTOMATION".into(), "true".into()));
    let driver = match Driver::start(&driver_env, &dir.join("webdriver.log")).await {
        Ok(d) => d,
        Err(why) => {
            table.skipped(section, STARTUP, &why);
            return None;
        }
    };
    let (mut base, mut app) = (Vec::new(), Vec::new());
    for run in 0..RUNS {
        let result = async {
            base.push(launch(&driver, &window::minibrowser(), &["--automation"], Some(TRIVIAL_PAGE), false).await?);
            app.push(launch(&driver, binary, &[], None, run + 1 == RUNS).await?);
            Ok::<_, String>(())
        }
        .await;
        if let Err(why) = result {
            let log = std::fs::read_to_string(dir.join("webdriver.log")).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(20).collect();
            println!("desktop: WebKitWebDriver log (last lines, newest first):\n  {}", tail.join("\n  "));
            table.skipped(section, STARTUP, &format!("launch failed: {why}"));
            return None;
        }
    }
    let list = |s: &[Duration]| s.iter().map(|d| secs(*d)).collect::<Vec<_>>().join(", ");
    println!("desktop: start-up runs (s): console [{}], MiniBrowser baseline [{}]", list(&app), list(&base));
    let (app, base) = (median(app), median(base));
    table.push(Row {
        section,
        name: format!("{STARTUP}, median of {RUNS}"),
        value: format!("{} s", secs(app)),
        baseline: format!("MiniBrowser, 1-row page, same driver: {} s", secs(base)),
        ratio: format!("{:.1}×", app.as_secs_f64() / base.as_secs_f64().max(1e-9)),
        target: "< 2 s".into(),
        met: Some(app < STARTUP_TARGET),
    });
    Some(app)
}

/// One session: launch, (navigate,) wait for a queue row, and stop the browser again.
async fn launch(
    driver: &Driver,
    binary: &Path,
    args: &[&str],
    page: Option<&str>,
    report_memory: bool,
) -> Result<Duration, String> {
    let started = Instant::now();
    let session = driver.new_session(binary, args).await?;
    let shown = async {
        if let Some(page) = page {
            driver.navigate(&session, page).await?;
        }
        driver.wait_for(&session, QUEUE_ROW, started + Duration::from_mins(1)).await
    }
    .await;
    let took = started.elapsed();
    let browser = window::find_in_tree(driver.process.0.id(), &window::comm(binary));
    if report_memory && let Some(pid) = browser {
        // A cross-check of the footprint row: the same console with a WebDriver session attached.
        tokio::time::sleep(Duration::from_secs(3)).await;
        let procs = window::tree_memory(pid);
        println!("desktop: with WebDriver attached, 3 s after the first row: {}", breakdown(&procs));
    }
    driver.delete_session(&session).await;
    // Closing the console's window only hides it to the tray: stop it (SIGTERM, graceful quit).
    if let Some(pid) = browser {
        window::stop_tree(pid, Duration::from_secs(10));
    }
    shown.map(|()| took)
}

/// "total (name pss, …)" for a process tree.
fn breakdown(procs: &[ProcMem]) -> String {
    let parts: Vec<String> =
        procs.iter().map(|p| format!("{} [{}] {} (RSS {})", p.name, p.pid, mib(p.pss_kib), mib(p.rss_kib))).collect();
    format!("{} PSS = {}", mib(window::total_pss(procs)), parts.join(" + "))
}

/// The baseline and the console launched plainly (no driver), measured once settled.
fn footprint(
    table: &mut Table,
    section: &'static str,
    binary: &Path,
    env: &[(String, String)],
    dir: &Path,
    startup: Option<Duration>,
) {
    // At least three start-ups' worth (the first row shows at `startup`), then until PSS is flat.
    let settle = startup.map_or(Duration::from_secs(10), |s| (s * 3).max(Duration::from_secs(5)));
    // The baseline renders as the console does (no GL compositing; see src-tauri/src/webview.rs).
    let mut base_env = env.to_vec();
    base_env.push(("WEBKIT_DISABLE_COMPOSITING_MODE".into(), "1".into()));
    let measured = settled(&window::minibrowser(), &[TRIVIAL_PAGE], &base_env, dir, settle)
        .and_then(|base| Ok((base, settled(binary, &[], env, dir, settle)?)));
    let (base, app) = match measured {
        Ok(m) => m,
        Err(why) => return table.skipped(section, FOOTPRINT, &why),
    };
    println!("desktop: footprint, MiniBrowser baseline: {}", breakdown(&base));
    println!("desktop: footprint, postgate-desktop with the queue open: {}", breakdown(&app));
    let (total, base_total) = (window::total_pss(&app), window::total_pss(&base));
    let parts: Vec<String> = app
        .iter()
        .enumerate()
        .map(|(i, p)| format!("{} {:.0}", if i == 0 { "main" } else { short(&p.name) }, p.pss_kib as f64 / 1024.0))
        .collect();
    table.push(Row {
        section,
        name: FOOTPRINT.into(),
        value: format!("{} ({} MiB)", mib(total), parts.join(" + ")),
        baseline: format!("MiniBrowser, 1-row page, non-composited: {}", mib(base_total)),
        ratio: format!("{:.2}×", total as f64 / base_total.max(1) as f64),
        target: "< 250 MB (238.4 MiB)".into(),
        met: Some(total < PSS_TARGET_KIB),
    });
}

fn short(name: &str) -> &str {
    match name {
        "WebKitWebProces" => "web",
        "WebKitNetworkPr" => "network",
        "WebKitGPUProces" => "gpu",
        other => other,
    }
}

/// Starts `program` (in a private D-Bus session), waits `settle`, then samples its tree's PSS
/// every 500 ms until two samples in a row move less than 1 MiB (at most 20 s more).
fn settled(
    program: &Path,
    args: &[&str],
    env: &[(String, String)],
    dir: &Path,
    settle: Duration,
) -> Result<Vec<ProcMem>, String> {
    let comm = window::comm(program);
    let log = std::fs::File::create(dir.join(format!("{comm}.log"))).map_err(|e| e.to_string())?;
    let mut cmd = window::with_session_bus(program);
    cmd.args(args).envs(env.iter().cloned()).stdout(Stdio::null()).stderr(log);
    let child = window::Reaped(cmd.spawn().map_err(|e| format!("cannot start {}: {e}", program.display()))?);
    std::thread::sleep(settle);
    let root =
        window::find_in_tree(child.0.id(), &comm).ok_or_else(|| format!("{comm} is not running after {settle:?}"))?;
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut last = window::tree_memory(root);
    let mut flat = 0;
    while flat < 2 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(500));
        let now = window::tree_memory(root);
        let delta = window::total_pss(&now).abs_diff(window::total_pss(&last));
        flat = if delta < 1024 { flat + 1 } else { 0 };
        last = now;
    }
    window::stop_tree(root, Duration::from_secs(10));
    Ok(last)
}

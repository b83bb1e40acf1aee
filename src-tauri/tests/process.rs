//! The `postgate-desktop` binary as a process: without a display it refuses with exit code 2
//! and points at `postgate serve`; with one it autostarts the bot (against the core's fake Bot
//! API) and a SIGTERM shuts it down gracefully — lock released, exit code 0, in bounds.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::driver::{Reaped, display};

const BINARY: &str = env!("CARGO_BIN_EXE_postgate-desktop");

#[test]
fn without_a_display_it_exits_2_and_names_postgate_serve() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(BINARY)
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no display") && stderr.contains("postgate serve"), "{stderr}");
}

/// The bot's polling locks held in the test database (class `'POST'`, two-key form; migrations
/// take a different advisory lock).
async fn advisory_locks(db_url: &str) -> i64 {
    let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(db_url).await.unwrap();
    sqlx::query_scalar(
        "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database \
         WHERE l.locktype = 'advisory' AND l.objsubid = 2 AND l.classid = 1347375956::oid \
         AND d.datname = current_database()",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap()
}

#[test]
fn autostarts_the_bot_and_shuts_down_gracefully_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let (fake, (db_name, db_url)) =
        tauri::async_runtime::block_on(async { (support::fake_api().await, support::fresh_database("sigterm").await) });
    let logs = dir.path().join("logs");
    let (display, _xvfb) = display();
    let mut app = Command::new(BINARY);
    app.current_dir(dir.path())
        .envs(support::test_env(&db_url, &db_name, &fake.base_url(), &logs))
        .env("POSTGATE_SETTINGS_FILE", dir.path().join("settings.json"))
        .env("DISPLAY", &display)
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("AUTOSTART_BOT")
        .env("WEBKIT_DISABLE_COMPOSITING_MODE", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut app = Reaped(app.spawn().unwrap());

    let deadline = Instant::now() + Duration::from_secs(30);
    while tauri::async_runtime::block_on(advisory_locks(&db_url)) == 0 {
        assert!(app.0.try_wait().unwrap().is_none(), "the app exited early");
        assert!(Instant::now() < deadline, "the bot did not start (no polling lock taken)");
        std::thread::sleep(Duration::from_millis(200));
    }

    let asked = Instant::now();
    let status = Command::new("kill").args(["-TERM", &app.0.id().to_string()]).status().unwrap();
    assert!(status.success());
    let exit = loop {
        if let Some(exit) = app.0.try_wait().unwrap() {
            break exit;
        }
        assert!(asked.elapsed() < Duration::from_secs(15), "SIGTERM did not stop the app in time");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(exit.code(), Some(0), "graceful exit");
    assert_eq!(tauri::async_runtime::block_on(advisory_locks(&db_url)), 0, "the polling lock is released");
    let log: String =
        std::fs::read_dir(&logs).unwrap().map(|f| std::fs::read_to_string(f.unwrap().path()).unwrap()).collect();
    assert!(log.contains("bot started") && log.contains("bot stopped"), "{log}");
    assert!(log.contains("SIGTERM"), "{log}");

    tauri::async_runtime::block_on(async {
        fake.shutdown().await;
        support::drop_database(&db_name).await;
    });
}

//! "Run setup again" ends in `app.request_restart()`. With the single-instance plugin the
//! restarted console must not be taken for a second instance (and exit): the old process
//! releases its instance name before Tauri spawns the new one. Driven in the real window
//! (`WebDriver`) against the core's fake Bot API: Settings → Run setup again, the token, the
//! `/setup CODE` the fake group sends, the channel, Save and start — then a new process owns
//! the instance name and listens for changes, and the old one is gone.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::json;
use support::driver::{LogsOnPanic, Window, until};
use support::fake_telegram::updates::{bot_in_channel, text_message};
use support::{CHANNEL, GROUP, MODERATOR, TOKEN};

const BINARY: &str = env!("CARGO_BIN_EXE_postgate-desktop");
/// The fake's bot id: the number before the token's colon.
const BOT_ID: i64 = 123_456;

/// The pid owning `name` on the session bus, if any.
fn owner_pid(name: &str) -> Option<u32> {
    let conn = zbus::blocking::Connection::session().expect("a session bus: run under dbus-run-session");
    let dbus = zbus::blocking::fdo::DBusProxy::new(&conn).unwrap();
    let owner = dbus.get_name_owner(name.try_into().unwrap()).ok()?;
    dbus.get_connection_unix_process_id(owner.into()).ok()
}

fn logged(logs: &Path, needle: &str) -> usize {
    let files = std::fs::read_dir(logs).into_iter().flatten().flatten();
    files.map(|f| std::fs::read_to_string(f.path()).unwrap_or_default().matches(needle).count()).sum()
}

#[test]
fn run_setup_again_restarts_into_a_console_that_keeps_the_instance() {
    let dir = tempfile::tempdir().unwrap();
    let _logs = LogsOnPanic(dir.path().to_path_buf());
    let (fake, (db_name, db_url)) =
        support::block_on(async { (support::fake_api().await, support::fresh_database("restart").await) });
    // What the channel check asks: the channel, and the bot an administrator who may post.
    let mut channel = support::fake_telegram::json::chat_full_info(CHANNEL);
    channel["type"] = json!("channel");
    fake.respond_with("getChat", channel);
    fake.respond_with("getChatMember", bot_in_channel(BOT_ID, Some(true)));
    let logs = dir.path().join("logs");
    let settings = dir.path().join("settings.json");
    let mut env = support::test_env(&db_url, &db_name, &fake.base_url(), &logs);
    env.insert("POSTGATE_SETTINGS_FILE".into(), settings.display().to_string());
    env.insert("HOME".into(), dir.path().join("home").display().to_string());
    env.insert("AUTOSTART_BOT".into(), "false".into());
    let env: Vec<(String, String)> = env.into_iter().collect();
    let name = format!("{}.SingleInstance", postgate_desktop::desktop::instance_id(&settings));

    let restarted = support::block_on(async {
        let window = Window::open_without(Path::new(BINARY), &env, &["XDG_CONFIG_HOME"], dir.path()).await;
        until("the console owns its instance name", || async { owner_pid(&name).is_some() }).await;
        let first = owner_pid(&name).unwrap();
        window.client.goto("tauri://localhost/index.html#settings").await.ok();
        window.click("[data-testid=\"setup-again\"]").await;
        window.wait_for("[data-testid=\"setup-token\"]").await.send_keys(TOKEN).await.unwrap();
        window.click("[data-testid=\"setup-token-check\"]").await;
        window.until_text("[data-testid=\"setup-code\"]", "/setup ").await;
        let code = window.text_of("[data-testid=\"setup-code\"]").await.unwrap();
        fake.push_update(text_message(MODERATOR, GROUP, 1, code.trim(), Some("ru")));
        until("the group is found", || async {
            window.text_of("[data-testid=\"setup-group\"]").await.is_some_and(|t| !t.trim().is_empty())
        })
        .await;
        window.wait_for("[data-testid=\"setup-channel-input\"]").await.send_keys(&CHANNEL.to_string()).await.unwrap();
        window.click("[data-testid=\"setup-channel-check\"]").await;
        until("the channel is accepted", || async {
            window.text_of("[data-testid=\"setup-channel-ok\"]").await.is_some_and(|t| !t.trim().is_empty())
        })
        .await;
        window.click("[data-testid=\"setup-finish\"]").await;
        // The old process exits and a new one takes the name over (not a second instance).
        until("a restarted console owns the instance name", || async {
            owner_pid(&name).is_some_and(|pid| pid != first)
        })
        .await;
        until("the restarted console listens for changes", || async { logged(&logs, "listening for changes") >= 2 })
            .await;
        until("the first console is gone", || async { !Path::new(&format!("/proc/{first}")).exists() }).await;
        owner_pid(&name).unwrap()
    });
    let saved = std::fs::read_to_string(&settings).unwrap();
    assert!(saved.contains(&CHANNEL.to_string()), "the setup saved the channel: {saved}");

    // The restarted console is nobody's child here: stop it by its pid, gracefully.
    assert!(Command::new("kill").args(["-TERM", &restarted.to_string()]).status().unwrap().success());
    let deadline = Instant::now() + Duration::from_secs(20);
    while Path::new(&format!("/proc/{restarted}")).exists() && owner_pid(&name).is_some() {
        assert!(Instant::now() < deadline, "the restarted console did not stop");
        std::thread::sleep(Duration::from_millis(100));
    }
    support::block_on(async {
        fake.shutdown().await;
        support::drop_database(&db_name).await;
    });
}

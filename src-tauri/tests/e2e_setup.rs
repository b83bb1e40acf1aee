//! End to end, the first run: the real console window starts from an empty home (no settings
//! file, no `.env`, no database server) against the fake Bot API and opens on the setup screen.
//! A malformed and a refused token are shown as errors; the right one shows the bot and a
//! one-time code; a wrong code sent in the group is reported; the right one fills in the group;
//! the bot is added to a channel and the moderator picks it; “Done” saves the settings (0600,
//! the token never logged) and the queue opens with the bot running — a post sent to it arrives
//! in the queue. Screenshots go to `target/e2e/` (`setup-03-channel.png` is the README's).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::Value;
use support::driver::{LogsOnPanic, Window, until};
use support::fake_telegram::{FakeTelegram, updates};

/// A token of the real shape; the fake answers 401 to any other.
const TOKEN: &str = "7012345678:AAHv3-realistic_token_for_tests_0123";
const BOT_ID: i64 = 7_012_345_678;
const GROUP: i64 = -1_004_001_234;
const CHANNEL: i64 = -1_002_003_004;
const MODERATOR: i64 = 42;
const AUTHOR: i64 = 901;
const POST: &str = "the first post after the setup";

/// What the window must not inherit from the test's environment: it starts unconfigured, on
/// the embedded default.
const UNSET: [&str; 7] = [
    "DATABASE_URL",
    "REDIS_URL",
    "REDIS_KEY_PREFIX",
    "BOT_TOKEN",
    "MODERATION_GROUP_ID",
    "CHANNEL_ID",
    "CONSOLE_MODERATOR_ID",
];

/// A fresh home: only the fake's address, short timeouts and where logs go.
fn fresh_env(fake: &FakeTelegram, dir: &Path, home: &Path) -> HashMap<String, String> {
    let mut env = support::test_env("", "", &fake.base_url(), &dir.join("logs"));
    for var in UNSET {
        env.remove(var);
    }
    let dirs = [
        ("HOME", home.to_owned()),
        ("XDG_DATA_HOME", home.join(".local/share")),
        ("XDG_CONFIG_HOME", home.join(".config")),
        ("XDG_STATE_HOME", home.join(".local/state")),
        ("XDG_CACHE_HOME", home.join(".cache")),
    ];
    for (var, path) in dirs {
        env.insert(var.into(), path.display().to_string());
    }
    env.insert("LOG_FORMAT".into(), "json".into());
    env
}

/// The settings file a fresh install uses: Tauri's app config directory.
fn settings_file(home: &Path) -> PathBuf {
    home.join(".config/app.postgate.console/settings.json")
}

/// Types `text` into the input `selector` (cleared first) and clicks `button`.
async fn submit(window: &Window, selector: &str, text: &str, button: &str) {
    let input = window.wait_for(selector).await;
    input.clear().await.unwrap();
    input.send_keys(text).await.unwrap();
    window.click(button).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_run_setup_reaches_a_running_bot_and_the_queue() {
    let dir = tempfile::tempdir().unwrap();
    let _logs = LogsOnPanic(dir.path().to_owned());
    let home = dir.path().join("home");
    let fake = FakeTelegram::start().await;
    fake.set_token(TOKEN);
    // A public @username is asked of the fake as its one username chat.
    fake.add_chats(&[GROUP, CHANNEL, MODERATOR, AUTHOR, support::fake_telegram::USERNAME_CHAT_ID]);
    let env: Vec<(String, String)> = fresh_env(&fake, dir.path(), &home).into_iter().collect();
    let application = Path::new(env!("CARGO_BIN_EXE_postgate-desktop"));
    let window = Window::open_without(application, &env, &UNSET, dir.path()).await;

    // The setup screen, in Russian by default.
    window.wait_for("[data-testid=\"setup\"]").await;
    window.until_text("[data-testid=\"setup\"] h1", "Настройка").await;
    window.screenshot("setup-01-token").await;

    // Step 1: a sentence is not a token; a token Telegram refuses is said to be refused.
    submit(&window, "[data-testid=\"setup-token\"]", "paste it here", "[data-testid=\"setup-token-check\"]").await;
    window.until_text("[data-testid=\"setup-token-error\"]", "Это не токен бота").await;
    let refused = "7000000001:AAHv3-another_token_the_fake_refuses";
    submit(&window, "[data-testid=\"setup-token\"]", refused, "[data-testid=\"setup-token-check\"]").await;
    window.until_text("[data-testid=\"setup-token-error\"]", "Telegram не принял этот токен").await;
    assert!(!settings_file(&home).exists(), "nothing is saved before the setup is done");
    submit(&window, "[data-testid=\"setup-token\"]", TOKEN, "[data-testid=\"setup-token-check\"]").await;
    window.until_text("[data-testid=\"setup-bot\"]", "@fake_postgate_bot").await;

    // Step 2: the one-time code, sent wrong first, then right, in the moderation group.
    window.until_text("[data-testid=\"setup-code\"]", "/setup ").await;
    let code_text = window.text_of("[data-testid=\"setup-code\"]").await.unwrap();
    let code = code_text.trim().trim_start_matches("/setup ").to_owned();
    assert!(code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()), "{code_text:?}");
    let wrong = if code == "000000" { "111111" } else { "000000" };
    fake.push_update(updates::text_message(MODERATOR, GROUP, 1, &format!("/setup {wrong}"), None));
    window.until_text("[data-testid=\"setup-notices\"]", "неверный код").await;
    assert!(!window.text_of("[data-testid=\"setup-group\"]").await.unwrap_or_default().contains(&GROUP.to_string()));
    fake.push_update(updates::text_message(MODERATOR, GROUP, 2, &format!("/setup {code}"), None));
    window.until_text("[data-testid=\"setup-group\"]", &GROUP.to_string()).await;
    window.screenshot("setup-02-group").await;

    // Step 3: the bot is added to the channel as an administrator; the moderator picks it.
    let channel = updates::channel_chat(CHANNEL, "Новости района", Some("district_news"));
    fake.respond_with("getChat", updates::channel_full_info(CHANNEL, "Новости района", Some("district_news")));
    fake.respond_with("getChatMember", updates::bot_in_channel(BOT_ID, Some(true)));
    fake.push_update(updates::bot_added_to_channel(MODERATOR, BOT_ID, &channel, true));
    let pick = format!("[data-testid=\"setup-channel-{CHANNEL}\"]");
    window.until_text(&pick, "Новости района").await;
    window.click(&pick).await;
    window.until_text("[data-testid=\"setup-channel-ok\"]", "Новости района").await;
    until("“Done” is enabled", || async {
        let finish = window.wait_for("[data-testid=\"setup-finish\"]").await;
        finish.attr("disabled").await.ok().flatten().is_none()
    })
    .await;
    window.screenshot("setup-03-channel").await;

    // Step 4: done — the settings are saved and the console opens with its bot running.
    window.click("[data-testid=\"setup-finish\"]").await;
    window.wait_for("[data-testid=\"queue\"]").await;
    assert!(!window.present("[data-testid=\"setup\"]").await, "the setup screen has gone");
    fake.push_update(updates::text_message(AUTHOR, AUTHOR, 10, POST, None));
    window.until_text("[data-testid=\"queue\"]", POST).await;
    until("the author is told the post was received", || async { !fake.delivered_to(AUTHOR).is_empty() }).await;
    window.screenshot("setup-04-queue").await;
    window.close().await;

    // What was saved: the bot's settings, private to the user; the token in no log.
    let path = settings_file(&home);
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let text = saved.to_string();
    for needle in [TOKEN, &GROUP.to_string(), "@district_news", &MODERATOR.to_string()] {
        assert!(text.contains(needle), "{needle} missing from {text}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    }
    for entry in std::fs::read_dir(dir.path().join("logs")).unwrap().flatten() {
        let Ok(log) = std::fs::read_to_string(entry.path()) else { continue };
        assert!(!log.contains(TOKEN), "the token is logged in {}", entry.path().display());
    }
    fake.shutdown().await;
}

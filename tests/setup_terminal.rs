//! `postgate setup` as a moderator runs it, against the fake Bot API: a malformed and a refused
//! token are explained and asked again; the code is printed; a wrong code, a code in a private
//! chat and a group that becomes a supergroup are each said; the channel the bot is added to is
//! listed, a missing "Post messages" right is named, and the `.env` written (0600) is one
//! `postgate check-config` accepts. Every update the setup read is confirmed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use support::fake_telegram::{FakeTelegram, updates};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{ChildStdout, Command};

/// A token of the real shape; the fake answers 401 to any other.
const TOKEN: &str = "7012345678:AAHv3-realistic_token_for_tests_0123";
const BOT_ID: i64 = 7_012_345_678;
const GROUP: i64 = -4_001_234;
const SUPERGROUP: i64 = -1_009_001_234;
const CHANNEL: i64 = -1_002_003_004;
const MODERATOR: i64 = 42;
/// Bound on waiting for one line of output.
const LINE_WAIT: Duration = Duration::from_secs(15);

/// Reads lines until one contains `needle`; returns it (panics with what was read on timeout).
async fn expect_line(out: &mut Lines<BufReader<ChildStdout>>, needle: &str, seen: &mut Vec<String>) -> String {
    loop {
        let line = tokio::time::timeout(LINE_WAIT, out.next_line())
            .await
            .unwrap_or_else(|_| panic!("no line with {needle:?} in {LINE_WAIT:?}; output so far:\n{}", seen.join("\n")))
            .unwrap()
            .unwrap_or_else(|| panic!("output ended before {needle:?}; output:\n{}", seen.join("\n")));
        seen.push(line.clone());
        if line.contains(needle) {
            return line;
        }
    }
}

fn texts_to(fake: &FakeTelegram, chat: i64) -> Vec<String> {
    fake.delivered_to(chat).iter().filter_map(|m| m["text"].as_str().map(str::to_owned)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_terminal_setup_checks_each_step_and_writes_a_private_env() {
    let fake = FakeTelegram::start().await;
    fake.set_token(TOKEN);
    // A public @username is asked of the fake as its one username chat.
    fake.add_chats(&[GROUP, SUPERGROUP, MODERATOR, support::fake_telegram::USERNAME_CHAT_ID]);
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("bot.env");

    let mut child = Command::new(env!("CARGO_BIN_EXE_postgate"))
        .args(["setup", "--out"])
        .arg(&out_path)
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("TELEGRAM_API_URL", fake.base_url())
        .env("HTTP_TIMEOUT_SECS", "4")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut seen = Vec::new();

    // Step 1: the token. Piped input is not a terminal: nothing claims to hide it.
    input.write_all(b"paste here\n").await.unwrap();
    expect_line(&mut out, "not a bot token", &mut seen).await;
    input.write_all(b"7000000001:AAHv3-another_token_the_fake_refuses\n").await.unwrap();
    expect_line(&mut out, "refused this token", &mut seen).await;
    input.write_all(format!("{TOKEN}\n").as_bytes()).await.unwrap();
    expect_line(&mut out, "The bot: FakeBot (@fake_postgate_bot)", &mut seen).await;
    let code_line = expect_line(&mut out, "/setup ", &mut seen).await;
    let code = code_line.trim().trim_start_matches("/setup ").to_owned();
    assert!(code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()), "{code_line:?}");

    // Step 2: a wrong code, the code in a private chat, then the right one in the group.
    let wrong = if code == "000000" { "111111" } else { "000000" };
    fake.push_update(updates::text_message(MODERATOR, GROUP, 1, &format!("/setup {wrong}"), None));
    expect_line(&mut out, "a wrong code was sent", &mut seen).await;
    fake.push_update(updates::text_message(MODERATOR, MODERATOR, 2, &format!("/setup {code}"), None));
    expect_line(&mut out, "private chat", &mut seen).await;
    fake.push_update(updates::text_message(
        MODERATOR,
        GROUP,
        3,
        &format!("/setup@fake_postgate_bot {code}"),
        Some("en"),
    ));
    let group_line = expect_line(&mut out, "Moderation group:", &mut seen).await;
    assert!(group_line.contains(&GROUP.to_string()) && group_line.contains("User42 (42)"), "{group_line}");
    // The group's answers are sent beside the poller: wait for them (bounded).
    let deadline = std::time::Instant::now() + LINE_WAIT;
    while !texts_to(&fake, GROUP).iter().any(|t| t.contains("this group is now PostGate's moderation group"))
        && std::time::Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let group_texts = texts_to(&fake, GROUP);
    assert!(
        group_texts.iter().any(|t| t.contains("Неверный код")),
        "the wrong code is answered (Russian by default): {group_texts:?}"
    );
    assert!(group_texts.iter().any(|t| t.contains("this group is now PostGate's moderation group")), "{group_texts:?}");
    assert!(
        texts_to(&fake, MODERATOR).iter().any(|t| t.contains("группе модерации")),
        "the private chat is told where to send it"
    );

    // The basic group becomes a supergroup: its new id is followed.
    fake.push_update(updates::group_migrated(MODERATOR, GROUP, 4, SUPERGROUP));
    expect_line(&mut out, "became a supergroup", &mut seen).await;

    // Step 3: the bot is added to a channel, without the right to post at first.
    let channel = updates::channel_chat(CHANNEL, "Новости района", Some("district_news"));
    fake.respond_with("getChat", updates::channel_full_info(CHANNEL, "Новости района", Some("district_news")));
    fake.respond_with("getChatMember", updates::bot_in_channel(BOT_ID, Some(false)));
    fake.push_update(updates::bot_added_to_channel(MODERATOR, BOT_ID, &channel, false));
    expect_line(&mut out, "1. Новости района @district_news — cannot post yet", &mut seen).await;
    input.write_all(b"1\n").await.unwrap();
    expect_line(&mut out, "lacks the right “Post messages”", &mut seen).await;
    fake.respond_with("getChatMember", updates::bot_in_channel(BOT_ID, Some(true)));
    input.write_all(b"@district_news\n").await.unwrap();
    expect_line(&mut out, "Channel: Новости района (@district_news)", &mut seen).await;
    expect_line(&mut out, "Saved to", &mut seen).await;

    let status = tokio::time::timeout(Duration::from_secs(10), child.wait()).await.unwrap().unwrap();
    assert!(status.success(), "{status:?}; output:\n{}", seen.join("\n"));

    let env = std::fs::read_to_string(&out_path).unwrap();
    for line in [
        format!("BOT_TOKEN={TOKEN}"),
        format!("MODERATION_GROUP_ID={SUPERGROUP}"),
        "CHANNEL_ID=@district_news".to_owned(),
        format!("CONSOLE_MODERATOR_ID={MODERATOR}"),
    ] {
        assert!(env.lines().any(|l| l == line), "{line} missing from:\n{env}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&out_path).unwrap().permissions().mode() & 0o777, 0o600);
    }
    assert!(!seen.iter().any(|l| l.contains(TOKEN)), "the token is never printed");
    let confirmed = fake.confirmed_offset().unwrap_or(0);
    assert!(confirmed > 5, "every update the setup read is confirmed (offset {confirmed})");

    assert_accepted_by_check_config(&out_path, dir.path());
    fake.shutdown().await;
}

/// What the setup wrote is a configuration `postgate check-config` accepts.
fn assert_accepted_by_check_config(out_path: &std::path::Path, dir: &std::path::Path) {
    let check = std::process::Command::new(env!("CARGO_BIN_EXE_postgate"))
        .arg("check-config")
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .envs(dotenvy::from_path_iter(out_path).unwrap().map(Result::unwrap))
        .env("LOG_DIR", dir.join("logs"))
        .output()
        .unwrap();
    assert!(check.status.success(), "{}", String::from_utf8_lossy(&check.stderr));
    let config: Value = serde_json::from_slice(&check.stdout).unwrap();
    assert_eq!(config["telegram"]["moderation_group_id"], SUPERGROUP);
}

#[tokio::test]
async fn input_that_ends_early_saves_nothing_and_says_so() {
    let fake = FakeTelegram::start().await;
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_postgate"))
        .args(["setup", "--out", "x.env"])
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("TELEGRAM_API_URL", fake.base_url())
        .stdin(Stdio::null())
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("nothing was saved"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!dir.path().join("x.env").exists());
    fake.shutdown().await;
}

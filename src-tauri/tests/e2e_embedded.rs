//! End to end on the embedded default: the real console window as a moderator installs it —
//! no `DATABASE_URL`, no `REDIS_URL`, a home directory of its own — so it opens the default
//! SQLite file in its data directory with the in-process cache. Posts seeded into that file
//! through the core beforehand are listed, `a` approves one, and the bot the window hosts
//! publishes it through the core's strict fake Bot API. The window's process is the file's
//! only user while it runs (one process per file); the test reads the result back after it
//! has closed. Screenshots go to `target/e2e/`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use postgate::domain::{PostId, PostStatus, UserId};
use postgate::services::Services;
use postgate::store::BackendKind;
use support::driver::{LogsOnPanic, Window, css, row, until};
use support::fake_telegram::FakeTelegram;
use support::{CHANNEL, MODERATOR, delivered, text_post};

/// Servers the test's own environment names (for the `PostgreSQL` tests): the window must not
/// inherit them, or it would not run on its default.
const SERVERS: [&str; 2] = ["DATABASE_URL", "REDIS_URL"];

const FIRST: &str = "the first post, approved in the window";
const SECOND: &str = "the second post, still waiting";
const FIRST_AUTHOR: i64 = 701;

/// Where an installed console keeps everything: `$HOME` and the XDG directories under it.
struct Home {
    home: PathBuf,
}

impl Home {
    fn data(&self) -> PathBuf {
        self.home.join(".local/share")
    }

    /// The default database file: `$XDG_DATA_HOME/postgate/postgate.db`.
    fn database(&self) -> PathBuf {
        self.data().join("postgate").join("postgate.db")
    }
}

/// The window's environment: the test app's without any server, a home of its own, the bot
/// started at once and a JSON log in `dir/logs`. No settings file is named: the default one
/// (under `$XDG_CONFIG_HOME`, not there yet) is used, as on a fresh install.
fn embedded_env(fake: &FakeTelegram, dir: &Path, home: &Home) -> HashMap<String, String> {
    let mut env = support::test_env("", "", &fake.base_url(), &dir.join("logs"));
    for var in SERVERS.iter().chain(&["REDIS_KEY_PREFIX"]) {
        env.remove(*var);
    }
    let dirs = [
        ("HOME", home.home.clone()),
        ("XDG_DATA_HOME", home.data()),
        ("XDG_CONFIG_HOME", home.home.join(".config")),
        ("XDG_STATE_HOME", home.home.join(".local/state")),
        ("XDG_CACHE_HOME", home.home.join(".cache")),
        ("MEDIA_TEMP_DIR", dir.join("media")),
    ];
    for (var, path) in dirs {
        env.insert(var.into(), path.display().to_string());
    }
    env.insert("AUTOSTART_BOT".into(), "true".into());
    env.insert("LOG_FORMAT".into(), "json".into());
    env
}

/// Opens the default file through the core, waiting while the window's process, shutting
/// down, still holds it.
async fn open_default(env: &HashMap<String, String>) -> Services {
    support::backend::open_waiting(env).await
}

/// Stores two text posts into the default file as the bot's intake would, tells the fake
/// about their authors, and lets the file go (its lock is released with the last handle).
async fn seed(fake: &FakeTelegram, env: &HashMap<String, String>, home: &Home) -> [PostId; 2] {
    let services = open_default(env).await;
    assert_eq!(services.store.backend(), BackendKind::Sqlite, "no DATABASE_URL: the embedded default");
    assert_eq!(services.config.database.url.expose(), format!("sqlite://{}", home.database().display()));
    let posts = [text_post(FIRST_AUTHOR, 30, FIRST), text_post(702, 31, SECOND)];
    let mut ids = [PostId(0); 2];
    for (id, post) in ids.iter_mut().zip(&posts) {
        support::known_to(fake, post);
        *id = services.store.submit(post).await.unwrap().post_id().unwrap();
    }
    services.close().await;
    drop(services);
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_window_on_the_embedded_default() {
    let dir = tempfile::tempdir().unwrap();
    let _logs = LogsOnPanic(dir.path().to_owned());
    let home = Home { home: dir.path().join("home") };
    let fake = support::fake_api().await;
    let env = embedded_env(&fake, dir.path(), &home);

    let [first, second] = seed(&fake, &env, &home).await;
    assert!(home.database().is_file(), "the default file is in the temp data dir: {}", home.database().display());

    let window_env: Vec<(String, String)> = env.clone().into_iter().collect();
    let application = Path::new(env!("CARGO_BIN_EXE_postgate-desktop"));
    let window = Window::open_without(application, &window_env, &SERVERS, dir.path()).await;

    // The queue lists both seeded posts, read from the file the window opened on its own.
    window.wait_for("[data-testid=\"queue\"]").await;
    for (id, body) in [(first, FIRST), (second, SECOND)] {
        window.until_text(&format!("{} [data-testid=\"row-excerpt\"]", row(id)), body).await;
    }
    window.screenshot("embedded-01-queue").await;

    // `a` approves the open post.
    window.click(&row(first)).await;
    window.until_text("[data-testid=\"detail-body\"]", FIRST).await;
    tokio::time::sleep(Duration::from_millis(300)).await; // the claim settles before the key
    window.client.find(css("body")).await.unwrap().send_keys("a").await.unwrap();
    until("the approved post leaves the pending queue", || async { !window.present(&row(first)).await }).await;
    // The bot the window hosts publishes it to the channel and tells the author.
    until("published to the channel", || async { delivered(&fake, CHANNEL).iter().any(|m| m["text"] == FIRST) }).await;
    until("the author is told", || async {
        delivered(&fake, FIRST_AUTHOR).iter().any(|m| m["text"].as_str().is_some_and(|t| t.contains("опубликована")))
    })
    .await;
    assert!(window.present(&row(second)).await, "the other post still waits");

    window.close().await;

    // The window's process has let the file go: the core reads what it wrote.
    let services = open_default(&env).await;
    let published = services.store.post(first).await.unwrap().expect("the approved post");
    assert_eq!(published.status, PostStatus::Published);
    assert_eq!(published.decided_by, Some(UserId(MODERATOR)));
    let waiting = services.store.post(second).await.unwrap().expect("the other post");
    assert_eq!(waiting.status, PostStatus::Pending);
    services.close().await;
    fake.shutdown().await;
}

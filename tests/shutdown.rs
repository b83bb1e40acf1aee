//! Seed 09 on both backends: SIGTERM to the real `postgate serve` with 200 updates queued and
//! handlers in flight ends in exit 0 within the bound, and a second run handles the rest —
//! every queued message stored once, one receipt and one card each, every update confirmed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod app;
mod support;

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use app::{Backend, CHANNEL, GROUP, MODERATOR, fresh_database};
use postgate::config::DatabaseConfig;
use support::fake_telegram::updates::text_message;
use support::fake_telegram::{Call, FakeTelegram, Fault, TEST_TOKEN};

const USERS: i64 = 200;
const SHUTDOWN_SECS: u64 = 10;

/// The test's own read access to the database `serve` runs on. On SQLite it is a plain
/// read-only connection: it takes no process lock, so it reads while `serve` holds the file.
enum Db {
    Postgres { pool: sqlx::PgPool, name: String },
    Sqlite { pool: sqlx::SqlitePool, _dir: tempfile::TempDir },
}

impl Db {
    /// A fresh database for `backend`, with the `DATABASE_URL` that names it.
    async fn fresh(backend: Backend) -> (Self, String) {
        match backend {
            Backend::Postgres => {
                let (name, url) = fresh_database("seed09").await;
                let pool = sqlx::PgPool::connect(&url).await.unwrap();
                (Self::Postgres { pool, name }, url)
            }
            Backend::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let path = dir.path().join("postgate.db");
                let options = sqlx::sqlite::SqliteConnectOptions::new().filename(&path).read_only(true);
                // Lazy: the file appears when `serve` creates it.
                let pool = sqlx::sqlite::SqlitePoolOptions::new().max_connections(1).connect_lazy_with(options);
                (Self::Sqlite { pool, _dir: dir }, format!("sqlite://{}", path.display()))
            }
        }
    }

    /// One integer a query returns; `None` while the schema is not there yet.
    async fn try_scalar(&self, sql: &'static str) -> Option<i64> {
        match self {
            Self::Postgres { pool, .. } => sqlx::query_scalar(sql).fetch_one(pool).await.ok(),
            Self::Sqlite { pool, .. } => sqlx::query_scalar(sql).fetch_one(pool).await.ok(),
        }
    }

    async fn scalar(&self, sql: &'static str) -> i64 {
        self.try_scalar(sql).await.unwrap_or_else(|| panic!("query failed: {sql}"))
    }

    async fn dispose(self) {
        match self {
            Self::Postgres { pool, name } => {
                pool.close().await;
                app::drop_database(&name).await;
            }
            Self::Sqlite { pool, .. } => pool.close().await,
        }
    }
}

fn env(backend: Backend, db_url: &str, api_url: &str, logs: &Path) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = [
        ("BOT_TOKEN", TEST_TOKEN.to_owned()),
        ("MODERATION_GROUP_ID", GROUP.to_string()),
        ("CHANNEL_ID", CHANNEL.to_string()),
        ("MODERATOR_IDS", MODERATOR.to_string()),
        ("DATABASE_URL", db_url.to_owned()),
        ("HTTP_TIMEOUT_SECS", "5".to_owned()),
        ("LOG_DIR", logs.display().to_string()),
        ("TELEGRAM_API_URL", api_url.to_owned()),
        ("TELEGRAM_RATE_LIMIT", "off".to_owned()),
        ("SHUTDOWN_TIMEOUT_SECS", SHUTDOWN_SECS.to_string()),
        ("RATE_LIMIT_MAX", "10000".to_owned()),
        ("MAX_PENDING_PER_USER", "10000".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    // PostgreSQL runs with the shared Redis (the server setup), SQLite with the in-process cache.
    if backend == Backend::Postgres {
        let redis = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/0".into());
        env.push(("REDIS_URL".into(), redis));
        env.push(("REDIS_KEY_PREFIX".into(), format!("postgate-it:seed09:{}:", std::process::id())));
    }
    env
}

fn is_receipt(call: &Call) -> bool {
    call.method == "sendmessage"
        && call.field_str("text").is_some_and(|t| t.contains("принята") || t.contains("received"))
}

fn card_post_id(call: &Call) -> Option<i64> {
    if call.method != "sendmessage" || call.field_i64("chat_id") != Some(GROUP) {
        return None;
    }
    let markup = call.field_json("reply_markup")?;
    markup["inline_keyboard"]
        .as_array()?
        .iter()
        .flat_map(|row| row.as_array().into_iter().flatten())
        .find_map(|button| postgate::render::callback::Action::parse(button["callback_data"].as_str()?)?.post())
        .map(|post| post.0)
}

/// How many cards the group got per post id.
fn cards_by_post(fake: &FakeTelegram) -> HashMap<i64, usize> {
    let mut cards = HashMap::new();
    for id in fake.calls().iter().filter_map(card_post_id) {
        *cards.entry(id).or_default() += 1;
    }
    cards
}

/// Runs `postgate serve` with exactly `env` (plus PATH) in `dir`, output to files there.
fn spawn_serve(env: &[(String, String)], dir: &Path, run: u32) -> tokio::process::Child {
    let out = std::fs::File::create(dir.join(format!("stdout-{run}.log"))).unwrap();
    let err = std::fs::File::create(dir.join(format!("stderr-{run}.log"))).unwrap();
    tokio::process::Command::new(env!("CARGO_BIN_EXE_postgate"))
        .arg("serve")
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", dir)
        .envs(env.iter().cloned())
        .stdout(out)
        .stderr(err)
        .kill_on_drop(true)
        .spawn()
        .unwrap()
}

/// Waits until run `run` logged that it is ready (its signal handler is installed right after).
async fn wait_ready(child: &mut tokio::process::Child, dir: &Path, run: u32) {
    let log = dir.join(format!("stdout-{run}.log"));
    let deadline = Instant::now() + Duration::from_mins(1);
    while !std::fs::read_to_string(&log).unwrap_or_default().contains("postgate serve: ready") {
        assert!(
            child.try_wait().unwrap().is_none(),
            "postgate exited early: {}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        assert!(Instant::now() < deadline, "postgate not ready in time");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
}

/// Sends SIGTERM and waits (bounded) for the exit; returns the exit code and how long it took.
async fn terminate(child: &mut tokio::process::Child, dir: &Path, run: u32) -> (Option<i32>, Duration) {
    let limit = Duration::from_secs(SHUTDOWN_SECS + 5);
    let pid = child.id().unwrap();
    let sent = Instant::now();
    let status = std::process::Command::new("kill").arg("-TERM").arg(pid.to_string()).status().unwrap();
    assert!(status.success(), "kill -TERM {pid}");
    let Ok(exit) = tokio::time::timeout(limit, child.wait()).await else {
        let logs = std::fs::read_to_string(dir.join(format!("stdout-{run}.log"))).unwrap_or_default();
        panic!("postgate did not exit within {limit:?} of SIGTERM; log:\n{logs}");
    };
    (exit.unwrap().code(), sent.elapsed())
}

/// Nothing sent twice across a restart: one card per post in the group (a card sent by the
/// first run but not recorded as sent would be sent again by the second), every card's id
/// recorded, and nothing left to send.
async fn assert_sent_once(fake: &FakeTelegram, db: &Db, db_url: &str) {
    let cards = cards_by_post(fake);
    let store = postgate::store::open(&DatabaseConfig::from_url(db_url).unwrap(), Duration::ZERO).await.unwrap();
    let page = store.list_posts(&postgate::store::PostQuery { limit: 500, ..Default::default() }).await.unwrap();
    assert_eq!(page.posts.len(), usize::try_from(USERS).unwrap());
    for post in &page.posts {
        assert_eq!(
            cards.get(&post.id.0),
            Some(&1),
            "post {}: exactly one card in the group across both runs",
            post.id.0
        );
    }
    assert_eq!(cards.len(), page.posts.len(), "cards only for stored posts: {cards:?}");
    let recorded = db.scalar("SELECT count(*) FROM posts WHERE moderation_message_id IS NOT NULL").await;
    assert_eq!(recorded, USERS, "every card's message id recorded");
    assert_eq!(store.outbox_backlog().await.unwrap(), 0, "the outbox is empty after the second run");
    store.close().await;
}

async fn sigterm_with_queued_updates(backend: Backend) {
    let fake = FakeTelegram::start().await;
    fake.add_chats(&[GROUP, CHANNEL]);
    let (db, db_url) = Db::fresh(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let env = env(backend, &db_url, &fake.base_url(), &dir.path().join("logs"));
    // Slow answers keep handlers in flight when the signal arrives; the second batch of 100 is
    // still being fetched (slowly) then, so the first run never sees it.
    fake.fail_next("sendMessage", 120, Fault::Delay(Duration::from_millis(400)));
    fake.fail_next("getUpdates", 1, Fault::Delay(Duration::ZERO));
    fake.fail_next("getUpdates", 1, Fault::Delay(Duration::from_secs(10)));
    let mut last_id = 0;
    for u in 0..USERS {
        last_id = fake.push_update(text_message(40_000 + u, 40_000 + u, 1, &format!("queued {u}"), Some("ru")));
    }

    let mut first = spawn_serve(&env, dir.path(), 1);
    wait_ready(&mut first, dir.path(), 1).await;
    let deadline = Instant::now() + Duration::from_mins(1);
    // Until `serve` has migrated the database there is no posts table yet.
    while db.try_scalar("SELECT count(*) FROM posts").await.unwrap_or(0) < 10 {
        assert!(Instant::now() < deadline, "the first run stored nothing");
        assert!(first.try_wait().unwrap().is_none(), "postgate exited early");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let stored_at_signal = db.scalar("SELECT count(*) FROM posts").await;
    let receipts_at_signal = fake.calls().iter().filter(|c| is_receipt(c)).count();
    let (code, took) = terminate(&mut first, dir.path(), 1).await;
    assert_eq!(code, Some(0), "clean exit after SIGTERM");
    let stored_after_first = db.scalar("SELECT count(*) FROM posts").await;
    eprintln!(
        "seed_09 ({backend:?}): at SIGTERM {stored_at_signal} stored, {receipts_at_signal} receipts asked; exit 0 \
         after {took:?}; {stored_after_first} stored, {} updates still queued",
        fake.pending_updates()
    );
    assert!(receipts_at_signal < usize::try_from(USERS).unwrap(), "the signal came mid-way");
    assert!(stored_after_first < USERS && fake.pending_updates() > 0, "part of the queue is left for the next run");

    let mut second = spawn_serve(&env, dir.path(), 2);
    wait_ready(&mut second, dir.path(), 2).await;
    let deadline = Instant::now() + Duration::from_mins(1);
    loop {
        let stored = db.scalar("SELECT count(*) FROM posts").await;
        let backlog = db.scalar("SELECT count(*) FROM outbox WHERE done_at IS NULL").await;
        let receipts = fake.calls().iter().filter(|c| is_receipt(c)).count();
        let carded = cards_by_post(&fake).len();
        let users = usize::try_from(USERS).unwrap();
        if stored == USERS && receipts >= users && carded >= users && backlog == 0 && fake.pending_updates() == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "second run: {stored} stored, {receipts} receipts, {carded} posts carded, {backlog} jobs left"
        );
        assert!(second.try_wait().unwrap().is_none(), "postgate exited early");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // SIGUSR1: the counters (with handler latency) are logged and serving goes on.
    let pid = second.id().unwrap().to_string();
    assert!(std::process::Command::new("kill").args(["-USR1", &pid]).status().unwrap().success());
    let log = dir.path().join("stdout-2.log");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !std::fs::read_to_string(&log)
        .unwrap_or_default()
        .lines()
        .any(|l| l.contains("bot counters (SIGUSR1)") && l.contains("handler_p99_ms"))
    {
        assert!(Instant::now() < deadline, "the counters logged on SIGUSR1");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(second.try_wait().unwrap().is_none(), "still serving after SIGUSR1");
    let (code, took) = terminate(&mut second, dir.path(), 2).await;
    assert_eq!(code, Some(0), "clean exit after the second SIGTERM");
    eprintln!("seed_09 ({backend:?}): second run exit 0 after {took:?}");

    let posts = db.scalar("SELECT count(*) FROM posts").await;
    let sources =
        db.scalar("SELECT count(*) FROM (SELECT DISTINCT source_chat_id, source_message_id FROM posts) AS s").await;
    let authors = db.scalar("SELECT count(DISTINCT author_id) FROM posts").await;
    assert_eq!((posts, sources, authors), (USERS, USERS, USERS), "each queued message stored exactly once");
    let mut receipts: HashMap<i64, usize> = HashMap::new();
    for call in fake.calls().iter().filter(|c| is_receipt(c)) {
        *receipts.entry(call.field_i64("chat_id").unwrap()).or_default() += 1;
    }
    for u in 0..USERS {
        assert_eq!(receipts.get(&(40_000 + u)), Some(&1), "user {u}: exactly one receipt across both runs");
    }
    assert!(fake.confirmed_offset().unwrap() > last_id, "every update confirmed: {:?}", fake.confirmed_offset());
    assert_sent_once(&fake, &db, &db_url).await;
    fake.shutdown().await;
    db.dispose().await;
}

mod postgres {
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn seed_09_sigterm_with_200_queued_updates_loses_and_duplicates_nothing() {
        super::sigterm_with_queued_updates(super::Backend::Postgres).await;
    }
}

mod sqlite {
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn seed_09_sigterm_with_200_queued_updates_loses_and_duplicates_nothing() {
        super::sigterm_with_queued_updates(super::Backend::Sqlite).await;
    }
}

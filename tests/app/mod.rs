//! A `PostGate` bot running in-process against the fake Bot API, for whole-flow tests: on a
//! fresh `PostgreSQL` database with a unique Redis prefix ([`App::start`]), or on a fresh SQLite
//! file with the in-process cache ([`App::start_on`] with [`Backend::Sqlite`]) — the embedded
//! default, with no server at all.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use postgate::config::Config;
use postgate::runtime::Runtime;
use postgate::services::Services;
use serde_json::Value;

use crate::support::fake_telegram::{Call, FakeTelegram, TEST_TOKEN};

pub const GROUP: i64 = -100_777;
pub const CHANNEL: i64 = -100_888;
pub const MODERATOR: i64 = 77;
pub const WAIT: Duration = Duration::from_secs(20);

static SEQ: AtomicU32 = AtomicU32::new(0);

pub fn admin_url() -> String {
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgate".into());
    let base = url.rsplit_once('/').map_or(url.as_str(), |(b, _)| b).to_owned();
    format!("{base}/postgres")
}

/// The storage backend an app runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

pub struct App {
    pub fake: FakeTelegram,
    pub services: Services,
    /// A pool of the test's own on a PostgreSQL app's database, for assertions in SQL.
    pg_pool: Option<sqlx::PgPool>,
    /// The SQLite app's folder (removed at the end).
    _sqlite_dir: Option<tempfile::TempDir>,
    pub runtime: Runtime,
    pub db_name: String,
    pub db_url: String,
    _logs: tempfile::TempDir,
}

/// A fresh, empty database; returns its name and URL.
pub async fn fresh_database(tag: &str) -> (String, String) {
    let name = format!("pg_it_{tag}_{}_{}", std::process::id(), SEQ.fetch_add(1, Ordering::Relaxed));
    let admin = admin_url();
    let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&admin).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")))
        .execute(&mut conn)
        .await
        .unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&mut conn).await.unwrap();
    let url = format!("{}/{name}", admin.rsplit_once('/').unwrap().0);
    (name, url)
}

pub async fn drop_database(name: &str) {
    let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&admin_url()).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")))
        .execute(&mut conn)
        .await
        .unwrap();
}

impl App {
    /// Starts the bot on PostgreSQL with test settings, overridden by `extra`.
    pub async fn start(tag: &str, extra: &[(&str, &str)]) -> Self {
        Self::start_on(Backend::Postgres, tag, extra).await
    }

    /// Starts the bot on `backend` with test settings, overridden by `extra`.
    pub async fn start_on(backend: Backend, tag: &str, extra: &[(&str, &str)]) -> Self {
        let fake = FakeTelegram::start().await;
        fake.add_chats(&[GROUP, CHANNEL]);
        let (db_name, db_url, sqlite_dir) = match backend {
            Backend::Postgres => {
                let (name, url) = fresh_database(tag).await;
                (name, url, None)
            }
            Backend::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let url = format!("sqlite://{}", dir.path().join("postgate.db").display());
                (format!("sqlite_{tag}"), url, Some(dir))
            }
        };
        let logs = tempfile::tempdir().unwrap();
        let mut env: HashMap<String, String> = [
            ("BOT_TOKEN", TEST_TOKEN.to_owned()),
            ("MODERATION_GROUP_ID", GROUP.to_string()),
            ("CHANNEL_ID", CHANNEL.to_string()),
            ("MODERATOR_IDS", MODERATOR.to_string()),
            ("DATABASE_URL", db_url.clone()),
            (
                "REDIS_URL",
                match backend {
                    Backend::Postgres => {
                        std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/0".into())
                    }
                    Backend::Sqlite => String::new(), // the in-process cache: no server at all
                },
            ),
            ("REDIS_KEY_PREFIX", format!("postgate-it:{db_name}:")),
            // Long enough that a loaded machine (CI, parallel tests) still hands every part in first.
            ("ALBUM_DEBOUNCE_MS", "800".to_owned()),
            ("HTTP_TIMEOUT_SECS", "5".to_owned()),
            ("LOG_DIR", logs.path().display().to_string()),
            ("TELEGRAM_API_URL", fake.url().to_string()),
            // Thousands of messages in seconds: Telegram's sending limits are tested on their own.
            ("TELEGRAM_RATE_LIMIT", "off".to_owned()),
            // Rejections are told at once; tests/bot_undo.rs holds them to undo unseen.
            ("UNDO_WINDOW_SECS", "0".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        for (k, v) in extra {
            env.insert((*k).to_owned(), (*v).to_owned());
        }
        let config = Config::from_map(&env).unwrap();
        let services = Services::build(config).await.unwrap();
        let runtime = Runtime::new(services.clone()).unwrap();
        runtime.start().await.unwrap();
        let pg_pool = match backend {
            // Lazy: no socket until a test asserts in SQL (seed_02 counts the app's sockets).
            Backend::Postgres => {
                Some(sqlx::postgres::PgPoolOptions::new().max_connections(2).connect_lazy(&db_url).unwrap())
            }
            Backend::Sqlite => None,
        };
        Self { fake, services, pg_pool, _sqlite_dir: sqlite_dir, runtime, db_name, db_url, _logs: logs }
    }

    /// The test's pool on a PostgreSQL app's database (SQL assertions are PostgreSQL-only).
    pub fn pg(&self) -> &sqlx::PgPool {
        self.pg_pool.as_ref().expect("SQL assertions need the PostgreSQL backend")
    }

    pub async fn stop(self) {
        self.runtime.shutdown().await;
        if let Some(pool) = &self.pg_pool {
            pool.close().await;
            self.fake.shutdown().await;
            drop_database(&self.db_name).await;
        } else {
            self.fake.shutdown().await;
        }
    }

    /// Messages the bot sent to `chat` (any send method), oldest first.
    pub fn sent_to(&self, chat: i64) -> Vec<Call> {
        self.fake
            .calls()
            .into_iter()
            .filter(|c| c.method.starts_with("send") || c.method.starts_with("copy"))
            .filter(|c| c.field_i64("chat_id") == Some(chat))
            .collect()
    }

    /// The texts of every callback answer so far, oldest first.
    pub fn answers(&self) -> Vec<String> {
        self.fake.calls_to("answerCallbackQuery").iter().filter_map(|c| c.field_str("text")).collect()
    }

    /// `from` presses the button `action` under the group's message `card`; returns once the
    /// press was answered.
    pub async fn press(&self, from: i64, action: &postgate::render::callback::Action, card: i32) {
        let before = self.fake.calls_to("answerCallbackQuery").len();
        self.fake.push_update(crate::support::fake_telegram::updates::callback_query(
            from,
            &action.encode(),
            GROUP,
            card,
        ));
        wait_until("press answered", || self.fake.calls_to("answerCallbackQuery").len() > before).await;
    }

    /// Edits of a card's text (`editMessageText` on message `card` in the group), oldest first.
    pub fn card_edits(&self, card: i32) -> Vec<Call> {
        self.fake
            .calls_to("editMessageText")
            .into_iter()
            .filter(|c| c.field_i64("chat_id") == Some(GROUP) && c.field_i64("message_id") == Some(i64::from(card)))
            .collect()
    }

    /// Texts (or captions) of plain messages sent to `chat`.
    pub fn texts_to(&self, chat: i64) -> Vec<String> {
        self.sent_to(chat).iter().filter_map(|c| c.field_str("text").or_else(|| c.field_str("caption"))).collect()
    }

    pub async fn status_of(&self, post_id: i64) -> String {
        let post = self.services.store.post(postgate::domain::PostId(post_id)).await.unwrap();
        post.map(|p| p.status.as_str().to_owned()).unwrap_or_default()
    }

    /// The version of a post's content as it is now (what its card's buttons name).
    pub async fn version_of(&self, post_id: i64) -> postgate::domain::ContentVersion {
        let post = self.services.store.post(postgate::domain::PostId(post_id)).await.unwrap().unwrap();
        post.content_version()
    }

    /// The callback data of the "Approve" button a card of the post, as it is now, carries
    /// (the version of its content it shows).
    pub async fn approve_data(&self, post_id: i64) -> String {
        use postgate::render::callback::{Action, View};
        let post = self.services.store.post(postgate::domain::PostId(post_id)).await.unwrap().unwrap();
        Action::Approve(post.id, post.content_version(), View::Card).encode()
    }

    /// The id and card message id of the newest post, once its card was sent.
    pub async fn card_of_latest(&self) -> (i64, i32) {
        let store = &self.services.store;
        let mut found = None;
        eventually(
            "card sent to the group",
            || async {
                let query = postgate::store::PostQuery { newest_first: true, limit: 1, ..Default::default() };
                let newest = store.list_posts(&query).await.unwrap().posts.into_iter().next()?;
                let post = store.post(newest.id).await.unwrap()?;
                post.moderation_message_id.map(|card| (post.id.0, card))
            },
            &mut found,
        )
        .await;
        found.unwrap()
    }
}

/// Polls `probe` until it returns `Some` (stored in `out`), failing after [`WAIT`].
pub async fn eventually<T, F, Fut>(what: &str, mut probe: F, out: &mut Option<T>)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if let Some(v) = probe().await {
            *out = Some(v);
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Waits until `cond` holds, failing after [`WAIT`].
pub async fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while !cond() {
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

pub fn has_text(calls: &[String], needle: &str) -> bool {
    calls.iter().any(|t| t.contains(needle))
}

pub fn json_field(call: &Call, name: &str) -> Value {
    call.field_json(name).unwrap_or(Value::Null)
}

/// Runs each listed flow — an `async fn(Backend)` in the calling file — once per storage
/// backend, as `postgres::NAME` and `sqlite::NAME`.
#[allow(unused_macros)]
macro_rules! on_both_backends {
    ($($test:ident),* $(,)?) => {
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    super::$test($crate::app::Backend::Postgres).await;
                }
            )*
        }
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    super::$test($crate::app::Backend::Sqlite).await;
                }
            )*
        }
    };
}
#[allow(unused_imports)]
pub(crate) use on_both_backends;

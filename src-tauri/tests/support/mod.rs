//! Test harness for the desktop crate: a fresh `PostgreSQL` database per test, the core's fake
//! Bot API on loopback (strict: only the configured token, chats and files it knows), and the
//! console app built on Tauri's mock runtime, with readers for what a command wrote.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

#[path = "../../../tests/store_contract/backdate.rs"]
pub mod backdate;
pub mod backend;
pub mod driver;
#[path = "../../../tests/support/fake_telegram/mod.rs"]
pub mod fake_telegram;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use fake_telegram::FakeTelegram;
use postgate::domain::{MediaKind, PostId, UserId};
use postgate::store::{AuthorProfile, LogEntry, NewMedia, NewPost};
use postgate_desktop::state::AppState;
use postgate_desktop::{MAIN_WINDOW, Options};
use serde_json::Value;
use tauri::test::{INVOKE_KEY, MockRuntime, get_ipc_response, mock_builder};
use tauri::{App, Listener, Manager, WebviewWindow};

/// The console moderator of the test app.
pub const MODERATOR: i64 = 4242;
/// The bot token the app is configured with; the fake accepts only this one.
pub const TOKEN: &str = "123456:TEST-token_for-the-fake";
/// The moderation group and the channel of the test app (both known to the fake).
pub const GROUP: i64 = -100_777;
pub const CHANNEL: i64 = -100_888;

/// What every seeded file downloads as: a real PNG, so previews decode in the window.
pub const PREVIEW_PNG: &[u8] = include_bytes!("../../../icons/icon.png");

/// How long a test waits for something asynchronous (an event, the bot's work).
pub const WAIT: Duration = Duration::from_secs(15);

static SEQ: AtomicU32 = AtomicU32::new(0);

pub fn admin_url() -> String {
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgate".into());
    let base = url.rsplit_once('/').map_or(url.as_str(), |(b, _)| b).to_owned();
    format!("{base}/postgres")
}

/// A fresh, empty database; returns its name and URL.
pub async fn fresh_database(tag: &str) -> (String, String) {
    let name = format!("pg_desk_{tag}_{}_{}", std::process::id(), SEQ.fetch_add(1, Ordering::Relaxed));
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

/// The fake Bot API as the test app expects it: our token, the group and the channel known.
pub async fn fake_api() -> FakeTelegram {
    let fake = FakeTelegram::start().await;
    fake.set_token(TOKEN);
    fake.add_chats(&[GROUP, CHANNEL]);
    fake
}

/// Tells the fake about a post stored straight into the database (the bot never saw it come
/// in): its author's private chat, and its media as PNG files.
pub fn known_to(fake: &FakeTelegram, post: &NewPost) {
    fake.add_chat(post.source_chat_id);
    for media in &post.media {
        fake.set_file(&media.file_id, PREVIEW_PNG.to_vec());
    }
}

/// Runs a future on Tauri's runtime (where the app's pool and the fake live).
pub fn block_on<F: Future>(future: F) -> F::Output {
    tauri::async_runtime::block_on(future)
}

/// Waits (bounded by [`WAIT`]) until `probe` holds.
pub fn until(what: &str, mut probe: impl FnMut() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !probe() {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The environment of a test app: fresh database, fake Bot API, unique Redis prefix.
pub fn test_env(db_url: &str, db_name: &str, api_url: &str, logs: &std::path::Path) -> HashMap<String, String> {
    [
        ("BOT_TOKEN", TOKEN.to_owned()),
        ("MODERATION_GROUP_ID", GROUP.to_string()),
        ("CHANNEL_ID", CHANNEL.to_string()),
        ("CONSOLE_MODERATOR_ID", MODERATOR.to_string()),
        ("DATABASE_URL", db_url.to_owned()),
        ("REDIS_URL", std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/0".into())),
        ("REDIS_KEY_PREFIX", format!("postgate-desk:{db_name}:")),
        ("HTTP_TIMEOUT_SECS", "4".to_owned()),
        ("SHUTDOWN_TIMEOUT_SECS", "5".to_owned()),
        ("LOG_DIR", logs.display().to_string()),
        // The test's own folder, not the user's cache.
        ("MEDIA_TEMP_DIR", logs.join("media").display().to_string()),
        ("TELEGRAM_API_URL", api_url.to_owned()),
        // Thousands of messages in seconds: Telegram's sending limits are tested on their own.
        ("TELEGRAM_RATE_LIMIT", "off".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// A console app on the mock runtime with its own database and fake Bot API.
pub struct Console {
    pub app: App<MockRuntime>,
    pub window: WebviewWindow<MockRuntime>,
    pub state: AppState,
    pub db_name: String,
    pub db_url: String,
    pub fake: FakeTelegram,
    /// A pool of the test's own on the console's database, for assertions in SQL.
    pub pool: sqlx::PgPool,
    _dir: tempfile::TempDir,
}

impl Console {
    /// Builds the app; `extra` overrides variables (`("CONSOLE_MODERATOR_ID", "")` removes one).
    pub fn start(tag: &str, extra: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let (fake, (db_name, db_url)) =
            tauri::async_runtime::block_on(async { (fake_api().await, fresh_database(tag).await) });
        let mut env = test_env(&db_url, &db_name, &fake.base_url(), dir.path());
        for (k, v) in extra {
            env.insert((*k).to_owned(), (*v).to_owned());
        }
        let config = postgate::config::Config::from_map(&env).unwrap();
        let settings = dir.path().join("settings.json");
        let state = tauri::async_runtime::block_on(postgate_desktop::build_state(config, settings)).unwrap();
        let options = Options { tray: false, autostart: false, signals: false };
        let mut app = postgate_desktop::configure(mock_builder(), state.clone(), options)
            .build(tauri::generate_context!())
            .unwrap();
        // One iteration runs the setup (windows from tauri.conf.json, the event forwarders) as
        // `run` would; the mock runtime's iteration itself returns at once.
        #[allow(deprecated)]
        app.run_iteration(|_, _| {});
        let window = app.get_webview_window(MAIN_WINDOW).expect("the main window from tauri.conf.json");
        let pool = tauri::async_runtime::block_on(sqlx::PgPool::connect(&db_url)).unwrap();
        Self { app, window, state, db_name, db_url, fake, pool, _dir: dir }
    }

    /// Calls a command through IPC as the window would: `Ok(result)` or `Err(rejection)`.
    pub fn invoke(&self, cmd: &str, args: Value) -> Result<Value, Value> {
        let request = tauri::webview::InvokeRequest {
            cmd: cmd.into(),
            callback: tauri::ipc::CallbackFn(0),
            error: tauri::ipc::CallbackFn(1),
            url: "tauri://localhost".parse().unwrap(),
            body: tauri::ipc::InvokeBody::Json(args),
            headers: tauri::http::HeaderMap::default(),
            invoke_key: INVOKE_KEY.to_string(),
        };
        get_ipc_response(&self.window, request).map(|body| body.deserialize::<Value>().unwrap())
    }

    /// Like [`Self::invoke`], failing the test on a rejection.
    pub fn ok(&self, cmd: &str, args: Value) -> Value {
        self.invoke(cmd, args).unwrap_or_else(|e| panic!("{cmd} was rejected: {e}"))
    }

    /// Stores a submission directly (as the bot's intake would) and tells the fake about it.
    pub fn seed(&self, post: &NewPost) -> PostId {
        known_to(&self.fake, post);
        tauri::async_runtime::block_on(self.state.services.store.submit(post)).unwrap().post_id().unwrap()
    }

    pub fn status_of(&self, id: PostId) -> String {
        block_on(sqlx::query_scalar("SELECT status FROM posts WHERE id = $1").bind(id.0).fetch_one(&self.pool)).unwrap()
    }

    /// The post as the store reads it.
    pub fn post(&self, id: PostId) -> postgate::store::PostRecord {
        block_on(self.state.services.store.post(id)).unwrap().expect("the post exists")
    }

    /// The version of the post's content `post_detail` gives (what `post_approve` names).
    pub fn version_of(&self, id: PostId) -> String {
        self.post(id).content_version().to_string()
    }

    /// Outbox jobs of a post not yet done, oldest first, by kind.
    pub fn outbox_of(&self, id: PostId) -> Vec<String> {
        block_on(
            sqlx::query_scalar("SELECT kind FROM outbox WHERE post_id = $1 AND done_at IS NULL ORDER BY id")
                .bind(id.0)
                .fetch_all(&self.pool),
        )
        .unwrap()
    }

    /// Every outbox job not yet done.
    pub fn outbox_backlog(&self) -> i64 {
        block_on(self.state.services.store.outbox_backlog()).unwrap()
    }

    /// The moderation log, newest first, for one post or all.
    pub fn log(&self, post: Option<PostId>) -> Vec<LogEntry> {
        block_on(self.state.services.store.moderation_log(post, 100)).unwrap()
    }

    /// Subscribes to the change events the window receives; returns once they flow (a probe
    /// notification came through), with nothing pending.
    pub fn changes(&self) -> Changes {
        let (tx, rx) = mpsc::channel::<Value>();
        self.app.listen_any(postgate_desktop::EVENT_CHANGED, move |event| {
            let _ = tx.send(serde_json::from_str(event.payload()).unwrap());
        });
        let changes = Changes { rx };
        // The forwarder may still be connecting: notify until a probe arrives.
        let deadline = Instant::now() + WAIT;
        'live: loop {
            assert!(Instant::now() < deadline, "change events never reached the window");
            block_on(
                sqlx::query("SELECT pg_notify($1, $2)")
                    .bind(postgate::store::postgres::EVENTS_CHANNEL)
                    .bind(r#"{"event":"probe","post_id":null}"#)
                    .execute(&self.pool),
            )
            .unwrap();
            while let Ok(event) = changes.rx.recv_timeout(Duration::from_millis(300)) {
                if event["event"] == "probe" {
                    break 'live;
                }
            }
        }
        changes.settle();
        changes
    }

    /// Bounded full shutdown, then the fake and the database go.
    pub fn stop(self) {
        tauri::async_runtime::block_on(async {
            self.state.shutdown().await;
            self.pool.close().await;
            self.fake.shutdown().await;
            drop_database(&self.db_name).await;
        });
    }
}

/// Change events (`{event, post_id}`) as they reach the window.
pub struct Changes {
    rx: mpsc::Receiver<Value>,
}

impl Changes {
    /// Waits for `event` about `post_id`, skipping others; fails listing what came instead.
    pub fn expect(&self, event: &str, post_id: Option<i64>) -> Value {
        let wanted = serde_json::json!({ "event": event, "post_id": post_id });
        let deadline = Instant::now() + WAIT;
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(got) if got == wanted => return got,
                Ok(other) => seen.push(other),
                Err(mpsc::RecvTimeoutError::Timeout | mpsc::RecvTimeoutError::Disconnected) => {
                    panic!("no {wanted} reached the window; got {seen:?}")
                }
            }
        }
    }

    /// Everything that arrives until no event came for half a second.
    pub fn settle(&self) -> Vec<Value> {
        std::iter::from_fn(|| self.rx.recv_timeout(Duration::from_millis(500)).ok()).collect()
    }
}

pub fn author(id: i64) -> AuthorProfile {
    AuthorProfile {
        id: UserId(id),
        username: Some(format!("user{id}")),
        first_name: "Анна".into(),
        last_name: None,
        language_code: Some("ru".into()),
    }
}

/// A text submission from `author_id`, sent as message `message_id` of the author's chat.
pub fn text_post(author_id: i64, message_id: i32, body: &str) -> NewPost {
    NewPost {
        author: author(author_id),
        source_chat_id: author_id,
        source_message_id: message_id,
        media_group_id: None,
        body: body.into(),
        entities: serde_json::json!([]),
        media: Vec::new(),
    }
}

/// An album of `count` photos, its messages numbered from `first_message_id`.
pub fn album_post(author_id: i64, first_message_id: i32, body: &str, count: i32) -> NewPost {
    let mut post = text_post(author_id, first_message_id, body);
    post.media_group_id = Some(format!("album-{first_message_id}"));
    post.media = (0..count)
        .map(|i| NewMedia {
            kind: MediaKind::Photo,
            file_id: format!("file-{first_message_id}-{i}"),
            file_unique_id: format!("uniq-{first_message_id}-{i}"),
            source_message_id: first_message_id + i,
            file_name: None,
            mime_type: Some("image/jpeg".into()),
            file_size: Some(2048),
        })
        .collect();
    post
}

/// The messages the fake accepted in `chat` (as last edited), oldest first. Refused calls
/// are recorded by the fake but never become messages, so they are not here.
pub fn delivered(fake: &FakeTelegram, chat: i64) -> Vec<Value> {
    (fake_telegram::FIRST_BOT_MESSAGE_ID..).map_while(|id| fake.sent_message(chat, id)).collect()
}

//! Test harness for the desktop crate: a fresh `PostgreSQL` database per test, a tiny stub of
//! the Bot API on loopback, and the console app built on Tauri's mock runtime.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod driver;
pub mod stub_api;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};

use postgate::domain::{MediaKind, PostId, UserId};
use postgate::store::{AuthorProfile, NewMedia, NewPost};
use postgate_desktop::state::AppState;
use postgate_desktop::{MAIN_WINDOW, Options};
use serde_json::Value;
use tauri::test::{INVOKE_KEY, MockRuntime, get_ipc_response, mock_builder};
use tauri::{App, Manager, WebviewWindow};

/// The console moderator of the test app.
pub const MODERATOR: i64 = 4242;
pub const TOKEN: &str = "123456:TEST-token_for-the-stub";

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

/// The environment of a test app: fresh database, stub Bot API, unique Redis prefix.
pub fn test_env(db_url: &str, db_name: &str, api_url: &str, logs: &std::path::Path) -> HashMap<String, String> {
    [
        ("BOT_TOKEN", TOKEN.to_owned()),
        ("MODERATION_GROUP_ID", "-100777".to_owned()),
        ("CHANNEL_ID", "-100888".to_owned()),
        ("CONSOLE_MODERATOR_ID", MODERATOR.to_string()),
        ("DATABASE_URL", db_url.to_owned()),
        ("REDIS_URL", std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/0".into())),
        ("REDIS_KEY_PREFIX", format!("postgate-desk:{db_name}:")),
        ("HTTP_TIMEOUT_SECS", "4".to_owned()),
        ("SHUTDOWN_TIMEOUT_SECS", "5".to_owned()),
        ("LOG_DIR", logs.display().to_string()),
        ("TELEGRAM_API_URL", api_url.to_owned()),
        // Thousands of messages in seconds: Telegram's sending limits are tested on their own.
        ("TELEGRAM_RATE_LIMIT", "off".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// A console app on the mock runtime with its own database and stub Bot API.
pub struct Console {
    pub app: App<MockRuntime>,
    pub window: WebviewWindow<MockRuntime>,
    pub state: AppState,
    pub db_name: String,
    pub db_url: String,
    pub stub: stub_api::StubApi,
    _dir: tempfile::TempDir,
}

impl Console {
    /// Builds the app; `extra` overrides variables (`("CONSOLE_MODERATOR_ID", "")` removes one).
    pub fn start(tag: &str, extra: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let (stub, (db_name, db_url)) =
            tauri::async_runtime::block_on(async { (stub_api::StubApi::start().await, fresh_database(tag).await) });
        let mut env = test_env(&db_url, &db_name, &stub.url(), dir.path());
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
        Self { app, window, state, db_name, db_url, stub, _dir: dir }
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

    /// Stores a submission directly (as the bot's intake would).
    pub fn seed(&self, post: &NewPost) -> PostId {
        tauri::async_runtime::block_on(self.state.services.store.submit(post)).unwrap().post_id().unwrap()
    }

    pub fn status_of(&self, id: PostId) -> String {
        tauri::async_runtime::block_on(
            sqlx::query_scalar("SELECT status FROM posts WHERE id = $1")
                .bind(id.0)
                .fetch_one(self.state.services.pg.pool()),
        )
        .unwrap()
    }

    /// Bounded full shutdown, then the database goes.
    pub fn stop(self) {
        tauri::async_runtime::block_on(async {
            self.state.shutdown().await;
            self.stub.shutdown();
            drop_database(&self.db_name).await;
        });
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

//! Shared helpers for the integration tests: builders for store inputs, a log capture buffer,
//! database URLs for `#[sqlx::test]` databases and a walker for time fields in JSON.
#![allow(dead_code)]

use std::io;
use std::sync::{Arc, Mutex};

use postgate::domain::{ActionSource, MediaKind, PostId, RejectReason, UserId};
use postgate::store::{AuthorProfile, Decision, DecisionKind, NewMedia, NewPost};
use sqlx::PgPool;

/// The chat all test submissions come from (a private chat has the user's id; any id works).
pub const CHAT: i64 = 5_000_001;
/// Moderators used by the tests.
pub const MOD_A: UserId = UserId(900_001);
pub const MOD_B: UserId = UserId(900_002);

pub fn author(id: i64) -> AuthorProfile {
    AuthorProfile {
        id: UserId(id),
        username: Some(format!("user{id}")),
        first_name: "Иван".into(),
        last_name: Some("Петров".into()),
        language_code: Some("ru".into()),
    }
}

pub fn media(kind: MediaKind, message_id: i32) -> NewMedia {
    NewMedia {
        kind,
        file_id: format!("file-{message_id}"),
        file_unique_id: format!("uniq-{message_id}"),
        source_message_id: message_id,
        file_name: None,
        mime_type: None,
        file_size: Some(1024),
    }
}

/// A text submission from `author_id`, sent as message `message_id` of [`CHAT`].
pub fn text_post(author_id: i64, message_id: i32, body: &str) -> NewPost {
    NewPost {
        author: author(author_id),
        source_chat_id: CHAT,
        source_message_id: message_id,
        media_group_id: None,
        body: body.into(),
        entities: serde_json::json!([]),
        media: Vec::new(),
    }
}

/// An album of `kinds`, its messages numbered from `first_message_id`.
pub fn album_post(author_id: i64, first_message_id: i32, body: &str, kinds: &[MediaKind]) -> NewPost {
    let mut post = text_post(author_id, first_message_id, body);
    post.media_group_id = (kinds.len() > 1).then(|| format!("group-{first_message_id}"));
    post.media = (0..).zip(kinds).map(|(i, k)| media(*k, first_message_id + i)).collect();
    post
}

pub fn approve(post_id: PostId, moderator: UserId) -> Decision {
    Decision { post_id, moderator, source: ActionSource::Console, kind: DecisionKind::Approve { edited_body: None } }
}

pub fn reject(post_id: PostId, moderator: UserId) -> Decision {
    Decision {
        post_id,
        moderator,
        source: ActionSource::Telegram,
        kind: DecisionKind::Reject { reason: RejectReason::template("spam").unwrap(), ban_author: false },
    }
}

/// `SELECT count(*) FROM <table>` (table names are test constants, never user input).
pub async fn count(pool: &PgPool, table: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table}"))).fetch_one(pool).await.unwrap()
}

/// `DATABASE_URL` with its database replaced by `database`.
pub fn url_for_database(database: &str) -> String {
    let base = std::env::var("DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgate".into());
    let mut url = url::Url::parse(&base).expect("DATABASE_URL is a URL");
    url.set_path(&format!("/{database}"));
    url.to_string()
}

/// The URL of the database a test pool points at.
pub async fn url_of(pool: &PgPool) -> String {
    let name: String = sqlx::query_scalar("SELECT current_database()").fetch_one(pool).await.unwrap();
    url_for_database(&name)
}

/// An in-memory sink for log lines: use [`LogCapture::make_writer`] with `json_layer`.
#[derive(Clone, Default)]
pub struct LogCapture(Arc<Mutex<Vec<u8>>>);

pub struct CaptureWriter(Arc<Mutex<Vec<u8>>>);

impl io::Write for CaptureWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl LogCapture {
    /// The one process-wide capture of a test binary whose tests share a subscriber (`App`
    /// installs none): JSON lines at info (sqlx, hyper and reqwest at warn); tests find their
    /// own lines by the ids in the lines' spans.
    pub fn global() -> &'static Self {
        static LOGS: std::sync::OnceLock<LogCapture> = std::sync::OnceLock::new();
        LOGS.get_or_init(|| {
            use tracing_subscriber::layer::SubscriberExt;
            let capture = Self::default();
            let filter = tracing_subscriber::EnvFilter::new("info,sqlx=warn,hyper=warn,reqwest=warn");
            let subscriber = tracing_subscriber::registry()
                .with(filter)
                .with(postgate::telemetry::json_layer(capture.make_writer()));
            tracing::subscriber::set_global_default(subscriber).expect("the only subscriber of this process");
            capture
        })
    }

    pub fn make_writer(&self) -> impl Fn() -> CaptureWriter + Send + Sync + 'static {
        let buf = self.0.clone();
        move || CaptureWriter(buf.clone())
    }

    /// A subscriber that writes JSON lines through `postgate::telemetry::json_layer` into this
    /// buffer; install it with `tracing::subscriber::set_default`.
    pub fn subscriber(&self) -> impl tracing::Subscriber + Send + Sync {
        use tracing_subscriber::layer::SubscriberExt;
        tracing_subscriber::registry().with(postgate::telemetry::json_layer(self.make_writer()))
    }

    pub fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).expect("log output is UTF-8")
    }

    /// Every captured line, parsed (panics on a line that is not JSON).
    pub fn lines(&self) -> Vec<serde_json::Value> {
        self.text()
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("log line is not JSON ({e}): {l}")))
            .collect()
    }
}

/// Whether a JSON key names a point in time.
pub fn is_time_key(key: &str) -> bool {
    key.ends_with("_at") || key == "until" || key == "timestamp"
}

/// Checks that a string is RFC 3339 in UTC (`Z` or `+00:00`).
pub fn assert_rfc3339_utc(path: &str, s: &str) {
    let parsed = chrono::DateTime::parse_from_rfc3339(s);
    assert!(parsed.is_ok(), "{path}: {s:?} is not RFC 3339");
    assert!(s.ends_with('Z') || s.ends_with("+00:00"), "{path}: {s:?} is not UTC");
}

/// Walks a JSON value; every time-named field must be null or an RFC 3339 UTC string, and
/// every string that parses as RFC 3339 must be UTC. Returns how many non-null times it saw.
pub fn check_times(path: &str, value: &serde_json::Value) -> usize {
    use serde_json::Value;
    match value {
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| {
                let here = format!("{path}.{k}");
                if is_time_key(k) {
                    assert!(v.is_null() || v.is_string(), "{here}: a time must be a string, got {v}");
                }
                check_times(&here, v)
            })
            .sum(),
        Value::Array(items) => items.iter().enumerate().map(|(i, v)| check_times(&format!("{path}[{i}]"), v)).sum(),
        Value::String(s) if chrono::DateTime::parse_from_rfc3339(s).is_ok() => {
            assert_rfc3339_utc(path, s);
            1
        }
        Value::String(s) => {
            let key = path.rsplit('.').next().unwrap_or_default();
            assert!(!is_time_key(key), "{path}: {s:?} is not RFC 3339");
            0
        }
        _ => 0,
    }
}

/// The highest outbox id so far (0 when empty): jobs written later have larger ids.
pub async fn outbox_mark(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT coalesce(max(id), 0) FROM outbox").fetch_one(pool).await.unwrap()
}

/// The kinds of the outbox jobs written after `mark`, sorted.
pub async fn outbox_kinds_since(pool: &PgPool, mark: i64) -> Vec<String> {
    sqlx::query_scalar("SELECT kind FROM outbox WHERE id > $1 ORDER BY kind").bind(mark).fetch_all(pool).await.unwrap()
}

//! What the contract needs from a backend: a fresh, empty, migrated store per test, torn down
//! after it (even when the test fails); plus the `PostgreSQL` backend and small helpers shared by
//! the area modules. Nothing here is asserted through anything but the `Store` trait.

use std::collections::HashMap;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use futures::FutureExt;
use postgate::config::Config;
use postgate::domain::{ActionSource, PostId, RejectReason, UserId};
use postgate::store::postgres::PgStore;
use postgate::store::{
    AuthorEdit, BanRequest, DecideOutcome, Decision, DecisionKind, NewPost, OutboxJob, OutboxKind, PostRecord, Store,
    SubmitOutcome,
};
use sqlx::{Connection, PgConnection};

use crate::common::CHAT;

/// A store under test. `fresh` must return an empty, migrated store whose announcements are
/// due at once (no album debounce), so that tests can lease them without waiting.
pub trait Backend: Sized {
    fn fresh() -> impl Future<Output = Self>;
    fn store(&self) -> Arc<dyn Store>;
    /// Closes the store and deletes what `fresh` created.
    fn dispose(self) -> impl Future<Output = ()>;
}

/// Runs one contract test on a fresh store of backend `B`, disposing of it afterwards; a
/// failing test still fails, after the cleanup.
pub async fn run<B, F, Fut>(test: F)
where
    B: Backend,
    F: FnOnce(Arc<dyn Store>) -> Fut,
    Fut: Future<Output = ()>,
{
    let backend = B::fresh().await;
    let outcome = AssertUnwindSafe(test(backend.store())).catch_unwind().await;
    backend.dispose().await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

static SEQ: AtomicU32 = AtomicU32::new(0);

/// `PostgreSQL`: a database of its own per test, `pg_contract_<pid>_<n>`, made and migrated
/// the production way (`Config` → `PgStore::connect` → `migrate`), dropped at the end.
pub struct Postgres {
    name: String,
    store: PgStore,
}

/// The server's maintenance database, from `DATABASE_URL`.
fn admin_url() -> String {
    let url = crate::common::url_for_database("postgres");
    url.trim_end_matches('/').to_owned()
}

async fn admin(sql: String) {
    let mut conn = PgConnection::connect(&admin_url()).await.expect("the PostgreSQL server answers");
    sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut conn).await.expect("admin statement");
    conn.close().await.ok();
}

impl Backend for Postgres {
    async fn fresh() -> Self {
        let name = format!("pg_contract_{}_{}", std::process::id(), SEQ.fetch_add(1, Ordering::Relaxed));
        admin(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
        let env: HashMap<String, String> = [
            ("BOT_TOKEN", "123:abc".to_owned()),
            ("MODERATION_GROUP_ID", "-100123".to_owned()),
            ("CHANNEL_ID", "-100456".to_owned()),
            ("DATABASE_URL", crate::common::url_for_database(&name)),
            // Enough for the concurrency tests (8 decisions at once) without crowding the server.
            ("DB_MAX_CONNECTIONS", "6".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        let config = Config::from_map(&env).expect("test configuration");
        // `connect` creates the database when it does not exist.
        let store = PgStore::connect(&config.database).await.expect("connect").with_album_debounce(Duration::ZERO);
        store.migrate().await.expect("migrate");
        Self { name, store }
    }

    fn store(&self) -> Arc<dyn Store> {
        Arc::new(self.store.clone())
    }

    async fn dispose(self) {
        self.store.close().await;
        admin(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name)).await;
    }
}

// ---- helpers shared by the area modules -------------------------------------------------

/// Submits `post` (ban list only) and returns the post it created or joined.
pub async fn submit(store: &dyn Store, post: &NewPost) -> PostId {
    let outcome = store.submit(post).await.unwrap();
    match outcome {
        SubmitOutcome::Created(id) | SubmitOutcome::AlbumPart(id) => id,
        other => panic!("expected the submission to be stored, got {other:?}"),
    }
}

/// The post a decision produced; panics on any other outcome.
pub fn decided(outcome: DecideOutcome) -> PostRecord {
    match outcome {
        DecideOutcome::Decided { post } => *post,
        other => panic!("expected Decided, got {other:?}"),
    }
}

/// A stored post that must exist.
pub async fn post(store: &dyn Store, id: PostId) -> PostRecord {
    store.post(id).await.unwrap().unwrap_or_else(|| panic!("post {id:?} exists"))
}

/// Every job due now (leased for a minute).
pub async fn lease_all(store: &dyn Store) -> Vec<OutboxJob> {
    store.lease_outbox(1000, 60).await.unwrap()
}

/// The kinds of `jobs` that concern `post`, sorted by name.
pub fn kinds_for(jobs: &[OutboxJob], post: PostId) -> Vec<OutboxKind> {
    let mut kinds: Vec<OutboxKind> = jobs.iter().filter(|j| j.post_id == Some(post)).map(|j| j.kind).collect();
    kinds.sort_by_key(|k| k.as_str());
    kinds
}

/// The one job of `kind` for `post` in `jobs`.
pub fn job_of(jobs: &[OutboxJob], post: PostId, kind: OutboxKind) -> OutboxJob {
    let found: Vec<&OutboxJob> = jobs.iter().filter(|j| j.post_id == Some(post) && j.kind == kind).collect();
    assert_eq!(found.len(), 1, "one {kind:?} job for {post:?} in {jobs:?}");
    found[0].clone()
}

/// A decision with a given kind.
pub fn decision(post_id: PostId, moderator: UserId, kind: DecisionKind) -> Decision {
    Decision { post_id, moderator, source: ActionSource::Console, kind }
}

/// A rejection for `reason` (custom text), optionally banning the author.
pub fn reject_for(post_id: PostId, moderator: UserId, reason: &str, ban_author: bool) -> Decision {
    let reason = RejectReason::custom(reason).unwrap();
    decision(post_id, moderator, DecisionKind::Reject { reason, ban_author })
}

/// An author's edit of message `message_id` of [`CHAT`].
pub fn edit(message_id: i32, body: &str) -> AuthorEdit {
    AuthorEdit {
        source_chat_id: CHAT,
        source_message_id: message_id,
        body: body.into(),
        entities: serde_json::json!([]),
    }
}

/// A ban of `user` by `moderator`, from the console.
pub fn ban_request(user: UserId, moderator: UserId, reason: &str) -> BanRequest {
    BanRequest { user, moderator, source: ActionSource::Console, reason: reason.into(), post: None }
}

/// A claim TTL, lease or retry delay short enough to wait out, yet long enough that the call
/// right after it (on two busy cores) still comes before it passes.
pub const SHORT_SECS: i64 = 2;

/// Sleeps until a [`SHORT_SECS`] claim, lease or delay set before this call has passed.
pub async fn wait_past_short() {
    tokio::time::sleep(Duration::from_secs(SHORT_SECS.unsigned_abs()) + Duration::from_millis(400)).await;
}

/// The actions of log entries, in the order given.
pub fn actions(entries: &[postgate::store::LogEntry]) -> Vec<&str> {
    entries.iter().map(|e| e.action.as_str()).collect()
}

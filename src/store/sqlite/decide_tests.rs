//! Decisions, bans, imports and the outbox on `SQLite` against a temporary file: a post's way
//! from pending to published, and the import's speed (the contract suite covers the rest
//! through the trait, on both backends).

use std::time::{Duration, Instant};

use futures::StreamExt;

use crate::domain::{ActionSource, PostId, PostStatus, RejectReason, UserId};
use crate::store::sqlite::SqliteStore;
use crate::store::{
    AuthorProfile, BanImportRow, ClaimOutcome, DecideOutcome, Decision, DecisionKind, ImportCounts, NewPost,
    OutboxKind, OutboxResult, Store, SubmitOutcome,
};

const MOD_A: UserId = UserId(900_001);
const MOD_B: UserId = UserId(900_002);

/// A store on a file in `dir`, opened the production way.
async fn open(dir: &tempfile::TempDir) -> SqliteStore {
    let url = format!("sqlite://{}", dir.path().join("decide.db").display());
    let config = crate::config::DatabaseConfig::from_url(&url).unwrap();
    let store = SqliteStore::connect(&config).await.unwrap().with_album_debounce(Duration::ZERO);
    store.migrate().await.unwrap();
    store
}

async fn submit(store: &SqliteStore, message: i32, body: &str) -> PostId {
    let post = NewPost {
        author: AuthorProfile {
            id: UserId(5),
            username: None,
            first_name: "Анна".into(),
            last_name: None,
            language_code: None,
        },
        source_chat_id: 500,
        source_message_id: message,
        media_group_id: None,
        body: body.into(),
        entities: serde_json::json!([{ "type": "bold", "offset": 0, "length": 1 }]),
        media: Vec::new(),
    };
    match store.submit(&post).await.unwrap() {
        SubmitOutcome::Created(id) => id,
        other => panic!("{other:?}"),
    }
}

fn decision(post_id: PostId, moderator: UserId, kind: DecisionKind) -> Decision {
    Decision { post_id, moderator, source: ActionSource::Console, kind }
}

#[tokio::test]
async fn a_post_goes_from_pending_to_published() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir).await;
    let id = submit(&store, 1, "Hello World").await;
    let mut changes = store.changes().await.unwrap();
    assert_eq!(store.lease_outbox(10, 60).await.unwrap().len(), 1);

    let ClaimOutcome::Claimed { until } = store.claim(id, MOD_A, 60).await.unwrap() else { panic!("claimed") };
    assert!(until > chrono::Utc::now());
    let approve = DecisionKind::Approve { edited_body: Some("ПРИВЕТ".into()) };
    let blocked = store.decide(&decision(id, MOD_B, approve.clone())).await.unwrap();
    assert!(matches!(blocked, DecideOutcome::ClaimedByOther { by: MOD_A, .. }), "{blocked:?}");
    let DecideOutcome::Decided { post } = store.decide(&decision(id, MOD_A, approve)).await.unwrap() else {
        panic!("decided")
    };
    assert_eq!((post.status, post.body.as_str(), post.claimed_by), (PostStatus::Approved, "ПРИВЕТ", None));
    assert_eq!(post.entities, serde_json::json!([]));
    let query = crate::store::PostQuery { search: Some("привет".into()), ..Default::default() };
    assert_eq!(store.list_posts(&query).await.unwrap().total, 1, "search reads the edited text");
    let events: Vec<String> = changes.by_ref().take(2).map(|e| e.event).collect().await;
    assert_eq!(events, ["post_claimed", "post_decided"]);

    let jobs = store.lease_outbox(10, 60).await.unwrap();
    let mut kinds: Vec<&str> = jobs.iter().map(|j| j.kind.as_str()).collect();
    kinds.sort_unstable();
    assert_eq!(kinds, ["publish", "update_card"]);
    let publish = jobs.iter().find(|j| j.kind == OutboxKind::Publish).unwrap();
    store.record_outbox_progress(publish, &[11, 12]).await.unwrap();
    store.retry_outbox(publish, "flood", 0, crate::store::Delivery::NotSent).await.unwrap();
    let again = store.lease_outbox(10, 60).await.unwrap();
    assert_eq!((again.len(), again[0].attempts, again[0].sent_parts()), (1, 2, vec![11, 12]));

    let failed = OutboxResult::PublishFailed { error: "timeout".into() };
    store.complete_outbox(&again[0], &failed).await.unwrap();
    store.complete_outbox(&again[0], &failed).await.unwrap();
    let retry = decision(id, MOD_B, DecisionKind::RetryPublish);
    let DecideOutcome::Decided { post } = store.decide(&retry).await.unwrap() else { panic!("retried") };
    assert_eq!((post.status, post.decided_by, post.publish_error), (PostStatus::Approved, Some(MOD_A), None));
    let jobs = store.lease_outbox(10, 60).await.unwrap();
    let publish = jobs.iter().find(|j| j.kind == OutboxKind::Publish).unwrap();
    store.complete_outbox(publish, &OutboxResult::Published { channel_message_id: 77 }).await.unwrap();
    store.complete_outbox(publish, &OutboxResult::PublishFailed { error: "late".into() }).await.unwrap();
    let stored = store.post(id).await.unwrap().unwrap();
    assert_eq!((stored.status, stored.channel_message_id), (PostStatus::Published, Some(77)));
    let log: Vec<String> = store.moderation_log(Some(id), 10).await.unwrap().into_iter().map(|e| e.action).collect();
    assert_eq!(log, ["published", "retry_publish", "publish_failed", "edit_approve"]);
}

#[tokio::test]
async fn reject_and_ban_and_card_failures() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir).await;
    let id = submit(&store, 1, "spam").await;
    let announce = store.lease_outbox(10, 60).await.unwrap().remove(0);
    assert!(!store.retry_card(id, MOD_A, ActionSource::Console).await.unwrap(), "the card did not fail");
    store.complete_outbox(&announce, &OutboxResult::CardFailed { error: "Bad Request".into() }).await.unwrap();
    assert_eq!(store.post(id).await.unwrap().unwrap().card_error.as_deref(), Some("Bad Request"));
    assert!(store.retry_card(id, MOD_A, ActionSource::Console).await.unwrap());
    let card = store.lease_outbox(10, 60).await.unwrap().remove(0);
    store.complete_outbox(&card, &OutboxResult::Announced { card_message_id: 9 }).await.unwrap();
    let stored = store.post(id).await.unwrap().unwrap();
    assert_eq!((stored.card_error, stored.moderation_message_id), (None, Some(9)));

    let reason = RejectReason::custom("scam").unwrap();
    let reject = DecisionKind::Reject { reason: reason.clone(), ban_author: true };
    let DecideOutcome::Decided { post } = store.decide(&decision(id, MOD_B, reject)).await.unwrap() else {
        panic!("decided")
    };
    assert_eq!((post.status, post.reject_reason), (PostStatus::Rejected, Some(reason)));
    let ban = store.ban_of(UserId(5)).await.unwrap().unwrap();
    assert_eq!(ban.banned_by, Some(MOD_B));
    assert!(store.unban(UserId(5), MOD_A, ActionSource::Console).await.unwrap());
    assert!(!store.unban(UserId(5), MOD_A, ActionSource::Console).await.unwrap());
    assert_eq!(store.outbox_backlog().await.unwrap(), 2, "notice and card update");
}

/// Rows per second of a 300 000-row import in chunks of 10 000, printed; the floor is loose
/// (a debug build on a busy machine), the aim is ≥ 200 000 rows/s in a release build.
#[tokio::test]
async fn import_is_fast_and_exact() {
    const ROWS: i64 = 300_000;
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir).await;
    store
        .ban(&crate::store::BanRequest {
            user: UserId(7),
            moderator: MOD_A,
            source: ActionSource::Console,
            reason: "before".into(),
            post: None,
        })
        .await
        .unwrap();
    let chunks: Vec<Vec<BanImportRow>> = (0..ROWS / 10_000)
        .map(|c| (0..10_000).map(|i| BanImportRow { user_id: c * 10_000 + i, reason: format!("r{i}") }).collect())
        .collect();
    let started = Instant::now();
    let counts = store.import_bans(futures::stream::iter(chunks).boxed()).await.unwrap();
    let elapsed = started.elapsed();
    let received = u64::try_from(ROWS).unwrap();
    assert_eq!(counts, ImportCounts { received, inserted: received - 1, skipped_existing: 1 });
    assert_eq!(store.ban_of(UserId(7)).await.unwrap().unwrap().reason, "before");
    assert_eq!(store.ban_of(UserId(ROWS - 1)).await.unwrap().unwrap().reason, "r9999");
    #[allow(clippy::cast_precision_loss)]
    let rate = ROWS as f64 / elapsed.as_secs_f64();
    println!("import: {ROWS} rows in {elapsed:?} = {rate:.0} rows/s");
    assert!(rate > 20_000.0, "{rate:.0} rows/s");
}

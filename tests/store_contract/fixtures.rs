//! Small builders and readers shared by the area modules (on top of `tests/common`): every
//! one of them goes through the `Store` trait.

use postgate::domain::{ActionSource, PostId, RejectReason, UserId};
use postgate::store::{
    AuthorEdit, BanRequest, DecideOutcome, Decision, DecisionKind, NewPost, OutboxJob, OutboxKind, PostRecord, Store,
    SubmitOutcome,
};

use crate::common::CHAT;

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

/// The actions of log entries, in the order given.
pub fn actions(entries: &[postgate::store::LogEntry]) -> Vec<&str> {
    entries.iter().map(|e| e.action.as_str()).collect()
}

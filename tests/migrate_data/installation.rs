//! An installation's life built through the `Store` trait — posts with media and albums,
//! decisions, a claim, bans pressed, imported and lifted, the outbox in every state, locale
//! overrides, a failed card, a duplicate, near-duplicate bands — and a snapshot of everything
//! the store shows of it.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures::StreamExt;
use postgate::domain::{ActionSource, MediaKind, PostId, RejectReason, UserId};
use postgate::flags::minhash::{Band, bands, shingles};
use postgate::store::{
    AuthorEdit, BanImportRow, BanRequest, Decision, DecisionKind, Delivery, ModeratorProfile, OutboxKind, OutboxResult,
    PostQuery, Store, SubmitOutcome,
};
use serde_json::{Value, json};

use crate::common::{self, MOD_A, MOD_B, album_post, text_post};

/// Body text with everything COPY's text format escapes, and more.
fn body(i: usize) -> String {
    format!("post {i}\tтаб\\слеш\r\n\\.\n\"quoted\", 🙂 {}", "x".repeat(i % 300))
}

/// Submits posts `range` (from 50 authors, every tenth an album of three); returns their ids.
async fn submit_all(store: &Arc<dyn Store>, range: std::ops::Range<usize>) -> Vec<PostId> {
    let kinds = [MediaKind::Photo, MediaKind::Video, MediaKind::Document];
    let submissions = range.map(|i| {
        let author = 1000 + i64::try_from(i % 50).unwrap();
        let message = i32::try_from(i * 10 + 1).unwrap();
        let mut post = if i % 10 == 0 {
            album_post(author, message, &body(i), &kinds)
        } else {
            text_post(author, message, &body(i))
        };
        if i % 2 == 1 {
            post.entities =
                json!([{"type": "bold", "offset": 0, "length": 4}, {"type": "url", "offset": 5, "length": 1}]);
        }
        post
    });
    let mut ids: Vec<PostId> = futures::stream::iter(submissions)
        .map(|post| {
            let store = store.clone();
            async move {
                match store.submit(&post).await.unwrap() {
                    SubmitOutcome::Created(id) => id,
                    other => panic!("stored: {other:?}"),
                }
            }
        })
        .buffer_unordered(32)
        .collect()
        .await;
    ids.sort_by_key(|id| id.0);
    ids
}

/// Approves (some with an edited text) or rejects most of `ids`, the `i`-th by `i % 7`.
async fn decide_all(store: &Arc<dyn Store>, ids: &[PostId], first: usize) {
    let decisions = ids.iter().zip(first..).filter_map(|(&post_id, i)| {
        let kind = match i % 7 {
            1 => DecisionKind::Approve { edited_body: None },
            2 => DecisionKind::Approve { edited_body: Some(format!("moderated {i}\n\\N")) },
            3 | 6 => DecisionKind::Reject {
                reason: RejectReason::custom("не формат\tсовсем").unwrap(),
                ban_author: false,
            },
            _ => return None,
        };
        Some(Decision {
            post_id,
            moderator: if i % 2 == 0 { MOD_A } else { MOD_B },
            source: ActionSource::Console,
            kind,
        })
    });
    futures::stream::iter(decisions)
        .map(|d| {
            let store = store.clone();
            async move { store.decide(&d).await.unwrap() }
        })
        .buffer_unordered(8)
        .for_each(|_| async {})
        .await;
}

/// Takes the outbox's first jobs through every state: card sent, card failed, published,
/// publish failed, retried after an error, part-sent, done.
async fn work_outbox(store: &Arc<dyn Store>) {
    let jobs = store.lease_outbox(400, 60).await.unwrap();
    let (mut card_failed, mut published, mut publish_failed) = (false, false, false);
    for (i, job) in jobs.iter().enumerate() {
        let result = match job.kind {
            OutboxKind::Announce if !card_failed => {
                card_failed = true;
                OutboxResult::CardFailed { error: "Bad Request: chat not found".into() }
            }
            OutboxKind::Announce => OutboxResult::Announced { card_message_id: 500 + i32::try_from(i).unwrap() },
            OutboxKind::Publish if !published => {
                published = true;
                OutboxResult::Published { channel_message_id: 42 }
            }
            OutboxKind::Publish if !publish_failed => {
                publish_failed = true;
                OutboxResult::PublishFailed { error: "Forbidden: bot is not a member".into() }
            }
            _ if i % 3 == 0 => {
                store.retry_outbox(job, "timeout\nagain", 30, Delivery::MaybeSent).await.unwrap();
                continue;
            }
            _ if i % 3 == 1 => {
                store.record_outbox_progress(job, &[7, 8]).await.unwrap();
                continue;
            }
            _ => OutboxResult::Done,
        };
        store.complete_outbox(job, &result).await.unwrap();
    }
    assert!(card_failed && published && publish_failed, "every state reached");
}

/// Fills `store` with `n` posts and the rest of an installation's life; returns the posts' ids.
pub async fn build(store: &Arc<dyn Store>, n: usize) -> Vec<PostId> {
    // A first few posts decided and worked through the outbox, then the bulk.
    let early = n.min(30);
    let mut ids = submit_all(store, 0..early).await;
    decide_all(store, &ids, 0).await;
    work_outbox(store).await;
    let rest = submit_all(store, early..n).await;
    decide_all(store, &rest, early).await;
    ids.extend(rest);
    let edit = AuthorEdit {
        source_chat_id: common::CHAT,
        source_message_id: 5 * 10 + 1,
        body: "edited 5".into(),
        entities: json!([{"type": "italic", "offset": 0, "length": 6}]),
    };
    store.author_edit(&edit).await.unwrap();
    store.set_locale_override(UserId(1000), Some("en")).await.unwrap();
    store.set_locale_override(UserId(1001), Some("ru")).await.unwrap();
    for (id, name) in [(MOD_A, "Анна"), (MOD_B, "Bob")] {
        let source = "console";
        let profile = ModeratorProfile { id, display_name: name.into(), username: Some(name.to_lowercase()), source };
        store.upsert_moderator(&profile).await.unwrap();
    }
    // One author banned with a rejection, one claim held, bans pressed, imported and lifted.
    let reject_and_ban = DecisionKind::Reject { reason: RejectReason::custom("spam").unwrap(), ban_author: true };
    let decision = Decision { post_id: ids[4], moderator: MOD_A, source: ActionSource::Telegram, kind: reject_and_ban };
    store.decide(&decision).await.unwrap();
    store.claim(ids[11], MOD_B, 3600).await.unwrap();
    let ban = BanRequest {
        user: UserId(77_777),
        moderator: MOD_B,
        source: ActionSource::Console,
        reason: "флуд".into(),
        post: None,
    };
    store.ban(&ban).await.unwrap();
    let imported = vec![
        BanImportRow { user_id: 88_881, reason: "a, \"b\"\t\\".into() },
        BanImportRow { user_id: 88_882, reason: "line\nbreak".into() },
    ];
    store.import_bans(futures::stream::iter([imported]).boxed()).await.unwrap();
    store.unban(UserId(88_882), MOD_A, ActionSource::Console).await.unwrap();
    // Two albums with the same first file: the later one is a duplicate of the earlier.
    store.set_media_hash(ids[0], 0, "abc123").await.unwrap();
    store.set_media_hash(ids[10], 0, "abc123").await.unwrap();
    // The conversation with authors: a delivered message, an undelivered one, a request.
    let write = |post_id, request| postgate::store::ToAuthor {
        post_id,
        moderator: MOD_A,
        source: ActionSource::Console,
        body: "Источник?".into(),
        request,
    };
    for (post, result) in [
        (ids[1], postgate::store::DeliveryResult::Sent { telegram_message_id: 4321 }),
        (
            ids[2],
            postgate::store::DeliveryResult::Undelivered { error: "Forbidden: bot was blocked by the user".into() },
        ),
    ] {
        let postgate::store::ToAuthorOutcome::Queued { message_id, .. } =
            store.send_to_author(&write(post, false)).await.unwrap()
        else {
            panic!("queued")
        };
        store.thread_delivered(message_id, &result).await.unwrap();
    }
    store.send_to_author(&write(ids[11], true)).await.unwrap();
    // Near-duplicate bands: posts 0–11 carry one of three texts' bands, each found by the
    // lookup of its text.
    let posts: Vec<(PostId, Vec<Band>)> = ids[..12].iter().zip(0..).map(|(&id, j)| (id, probe(j % 3))).collect();
    store.fingerprint_and_find_earlier(&posts, DateTime::<Utc>::UNIX_EPOCH, 8).await.unwrap();
    // Found unless rejected (the lookup skips rejected posts).
    assert!(!near_duplicates(store.as_ref(), 0).await.is_empty(), "the bands stored are found");
    ids
}

/// The bands of the `k`-th of three unrelated texts.
fn probe(k: usize) -> Vec<Band> {
    bands(&shingles(&format!("probe{k} alpha{k} beta{k} gamma{k} delta{k} epsilon{k}")))
}

/// The posts sharing bands with the `k`-th text, by id.
async fn near_duplicates(store: &dyn Store, k: usize) -> Vec<i64> {
    let found = store.duplicate_candidates(&probe(k), DateTime::<Utc>::UNIX_EPOCH, PostId(0), 20).await.unwrap();
    let mut ids: Vec<i64> = found.into_iter().map(|(id, _)| id.0).collect();
    ids.sort_unstable();
    ids
}

/// Everything the store shows of an installation, as JSON (times as instants, JSON as values).
pub async fn snapshot(store: &dyn Store, ids: &[PostId]) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        let mut posts = store.posts(chunk).await.unwrap();
        posts.sort_by_key(|p| p.id.0);
        for post in posts {
            out.push((format!("post {}", post.id.0), serde_json::to_value(post).unwrap()));
        }
    }
    let author_ids: Vec<UserId> = (1000..1050).map(UserId).collect();
    let mut authors = store.authors(&author_ids).await.unwrap();
    authors.sort_by_key(|a| a.profile.id.0);
    out.push(("authors".into(), serde_json::to_value(authors).unwrap()));
    out.push(("log".into(), serde_json::to_value(store.moderation_log(None, 1000).await.unwrap()).unwrap()));
    for id in ids.iter().take(30) {
        let log = store.moderation_log(Some(*id), 50).await.unwrap();
        out.push((format!("log of {}", id.0), serde_json::to_value(log).unwrap()));
        let thread = store.thread(*id).await.unwrap();
        out.push((format!("thread of {}", id.0), serde_json::to_value(thread).unwrap()));
    }
    for user in [1004, 77_777, 88_881, 88_882] {
        out.push((format!("ban of {user}"), serde_json::to_value(store.ban_of(UserId(user)).await.unwrap()).unwrap()));
    }
    for id in [MOD_A, MOD_B] {
        out.push((format!("moderator {}", id.0), json!(store.moderator_name(id).await.unwrap())));
    }
    out.push(("stats".into(), serde_json::to_value(store.stats().await.unwrap()).unwrap()));
    out.push(("outbox backlog".into(), json!(store.outbox_backlog().await.unwrap())));
    let search = PostQuery { search: Some("ТАБ\\сл".into()), ..PostQuery::default() };
    out.push(("search total".into(), json!(store.list_posts(&search).await.unwrap().total)));
    out.push(("locale".into(), json!(store.locale_override(UserId(1000)).await.unwrap())));
    for k in 0..3 {
        out.push((format!("near-duplicates of text {k}"), json!(near_duplicates(store, k).await)));
    }
    out
}

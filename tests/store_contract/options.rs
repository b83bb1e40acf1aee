//! Contract: author options — a post's signed/anonymous choice is unset until someone chooses,
//! changed by its author (nobody else from Telegram) or a moderator with a log row and a change
//! event, and refused once the post is published, rejected or being sent.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use postgate::domain::{ActionSource, PostStatus, UserId};
use postgate::store::{OutboxKind, OutboxResult, SignedBy, SignedChange, SignedOutcome, Store};

use crate::common::{MOD_A, approve, text_post};
use crate::fixtures::{actions, job_of, lease_all, post, reject_for, submit};

const AUTHOR: i64 = 4242;

fn by_author(post_id: postgate::domain::PostId, signed: bool) -> SignedChange {
    SignedChange { post_id, signed, by: SignedBy::Author(UserId(AUTHOR)) }
}

pub async fn the_author_flips_the_choice_with_a_log_row_and_an_event(store: Arc<dyn Store>) {
    let id = submit(&*store, &text_post(AUTHOR, 1, "hello")).await;
    assert_eq!(post(&*store, id).await.signed, None, "not chosen: the channel's default applies");
    let mut stream = store.changes().await.unwrap();
    assert_eq!(store.set_signed(&by_author(id, true)).await.unwrap(), SignedOutcome::Changed { signed: true });
    assert_eq!(post(&*store, id).await.signed, Some(true));
    let event = loop {
        let event = tokio::time::timeout(Duration::from_secs(10), stream.next()).await.unwrap().unwrap();
        if event.event != "resync" {
            break event;
        }
    };
    assert_eq!((event.event.as_str(), event.post_id), ("post_updated", Some(id.0)));
    assert_eq!(store.set_signed(&by_author(id, false)).await.unwrap(), SignedOutcome::Changed { signed: false });
    assert_eq!(post(&*store, id).await.signed, Some(false));
    let log = store.moderation_log(Some(id), 10).await.unwrap();
    assert_eq!(actions(&log)[..2], ["set_signed", "set_signed"]);
    assert_eq!((log[0].moderator_id, log[0].source.as_str()), (None, "telegram"));
    assert_eq!(log[0].details["signed"], serde_json::json!(false));
}

pub async fn only_the_author_or_a_moderator_may_change_it(store: Arc<dyn Store>) {
    let id = submit(&*store, &text_post(AUTHOR, 1, "hello")).await;
    let stranger = SignedChange { post_id: id, signed: true, by: SignedBy::Author(UserId(AUTHOR + 1)) };
    assert_eq!(store.set_signed(&stranger).await.unwrap(), SignedOutcome::NotAuthor);
    assert_eq!(post(&*store, id).await.signed, None, "nothing changed");
    let moderator = SignedChange { post_id: id, signed: true, by: SignedBy::Moderator(MOD_A, ActionSource::Console) };
    assert_eq!(store.set_signed(&moderator).await.unwrap(), SignedOutcome::Changed { signed: true });
    let log = store.moderation_log(Some(id), 10).await.unwrap();
    assert_eq!(actions(&log), ["set_signed"], "the refusal wrote nothing");
    assert_eq!((log[0].moderator_id, log[0].source.as_str()), (Some(MOD_A), "console"));
    let missing = by_author(postgate::domain::PostId(i64::MAX), true);
    assert_eq!(store.set_signed(&missing).await.unwrap(), SignedOutcome::NotFound);
}

pub async fn an_approved_post_may_change_until_its_publication_is_sent(store: Arc<dyn Store>) {
    let id = submit(&*store, &text_post(AUTHOR, 1, "hello")).await;
    lease_all(&*store).await; // its announcement
    store.decide(&approve(id, MOD_A)).await.unwrap();
    assert_eq!(store.set_signed(&by_author(id, true)).await.unwrap(), SignedOutcome::Changed { signed: true });
    let jobs = lease_all(&*store).await; // the publication is being sent now
    let publish = job_of(&jobs, id, OutboxKind::Publish);
    let late = store.set_signed(&by_author(id, false)).await.unwrap();
    assert_eq!(late, SignedOutcome::TooLate { status: PostStatus::Approved });
    store.complete_outbox(&publish, &OutboxResult::Published { channel_message_id: 77 }).await.unwrap();
    let after = store.set_signed(&by_author(id, false)).await.unwrap();
    assert_eq!(after, SignedOutcome::TooLate { status: PostStatus::Published });
    assert_eq!(post(&*store, id).await.signed, Some(true), "published as chosen, never changed after");
}

pub async fn a_rejected_post_is_too_late(store: Arc<dyn Store>) {
    let id = submit(&*store, &text_post(AUTHOR, 1, "hello")).await;
    store.decide(&reject_for(id, MOD_A, "no", false)).await.unwrap();
    let outcome = store.set_signed(&by_author(id, true)).await.unwrap();
    assert_eq!(outcome, SignedOutcome::TooLate { status: PostStatus::Rejected });
    assert_eq!(post(&*store, id).await.signed, None);
}

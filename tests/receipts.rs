//! What a crash leaves behind, made good by the running bot on both backends: a submission
//! stored and never receipted is receipted once (on redelivery of its update, or by the sweep
//! when Telegram does not redeliver it), and a card whose send began before the crash is sent
//! at once after a restart (its lease handed back) and flagged as maybe shown twice.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod app;
mod support;

use app::{App, Backend, GROUP, on_both_backends, wait_until};
use postgate::domain::{PostId, UserId};
use postgate::store::{AuthorProfile, NewPost, OutboxKind};
use support::fake_telegram::updates::text_message;

const AUTHOR: i64 = 1001;

/// A submission as the previous process committed it before it died.
fn stored(message_id: i32, body: &str) -> NewPost {
    NewPost {
        author: AuthorProfile {
            id: UserId(AUTHOR),
            username: Some(format!("user{AUTHOR}")),
            first_name: format!("User{AUTHOR}"),
            last_name: None,
            language_code: Some("en".into()),
        },
        source_chat_id: AUTHOR,
        source_message_id: message_id,
        media_group_id: None,
        body: body.into(),
        entities: serde_json::json!([]),
        media: Vec::new(),
    }
}

fn receipts_of(app: &App, id: PostId) -> usize {
    app.texts_to(AUTHOR).iter().filter(|t| t.contains(&format!("#{}", id.0))).count()
}

async fn recorded(app: &App, id: PostId) {
    let mut at = None;
    app::eventually(
        "the receipt recorded",
        || async { app.services.store.post(id).await.unwrap().unwrap().receipt_sent_at },
        &mut at,
    )
    .await;
}

/// Telegram redelivers the update (its offset was not confirmed): the receipt goes out then,
/// once; a second redelivery, or one of a receipted submission, sends nothing.
async fn a_submission_never_receipted_is_receipted_on_redelivery_once(backend: Backend) {
    let app = App::start_on(backend, "receipt_redelivery", &[]).await;
    let id = app.services.store.submit(&stored(7, "sent before the crash")).await.unwrap().post_id().unwrap();
    assert_eq!(app.services.store.post(id).await.unwrap().unwrap().receipt_sent_at, None);

    app.fake.push_update(text_message(AUTHOR, AUTHOR, 7, "sent before the crash", Some("en")));
    wait_until("the missing receipt", || receipts_of(&app, id) == 1).await;
    recorded(&app, id).await;
    app.fake.push_update(text_message(AUTHOR, AUTHOR, 7, "sent before the crash", Some("en")));
    app.fake.push_update(text_message(AUTHOR, AUTHOR, 8, "a new one", Some("en")));
    wait_until("the next submission receipted", || app.texts_to(AUTHOR).len() == 2).await;
    assert_eq!(receipts_of(&app, id), 1, "a recorded receipt is not sent again: {:?}", app.texts_to(AUTHOR));
    app.stop().await;
}

/// Telegram does not redeliver (the offset was confirmed before the crash): the sweep at
/// start sends the receipt, once, and records it.
async fn a_submission_never_receipted_is_receipted_by_the_sweep_after_a_restart(backend: Backend) {
    let app = App::start_on(backend, "receipt_sweep", &[]).await;
    app.runtime.stop().await;
    let store = &app.services.store;
    let id = store.submit(&stored(9, "stored, then the crash")).await.unwrap().post_id().unwrap();
    let receipted = store.submit(&stored(10, "stored and receipted")).await.unwrap().post_id().unwrap();
    store.record_receipts(&[receipted]).await.unwrap();

    app.runtime.start().await.unwrap();
    wait_until("the swept receipt", || receipts_of(&app, id) == 1).await;
    recorded(&app, id).await;
    app.runtime.stop().await;
    app.runtime.start().await.unwrap();
    app.fake.push_update(text_message(AUTHOR, AUTHOR, 11, "after the second start", Some("en")));
    wait_until("the new submission receipted", || app.texts_to(AUTHOR).len() >= 2).await;
    assert_eq!(receipts_of(&app, id), 1, "swept once: {:?}", app.texts_to(AUTHOR));
    assert_eq!(receipts_of(&app, receipted), 0, "a recorded receipt is never swept");
    app.stop().await;
}

/// The previous worker leased two announcements and died while sending the first card: after
/// the restart both cards go out at once (not after the lease), the first is flagged as maybe
/// shown twice and the second, never begun, is not.
async fn a_card_in_flight_at_a_crash_is_sent_at_once_and_flagged(backend: Backend) {
    let app = App::start_on(backend, "card_in_flight", &[]).await;
    app.runtime.stop().await;
    let store = &app.services.store;
    let begun = store.submit(&stored(20, "card in flight")).await.unwrap().post_id().unwrap();
    let waiting = store.submit(&stored(21, "card leased, not begun")).await.unwrap().post_id().unwrap();
    let leased = store.lease_outbox(10, 3_600).await.unwrap();
    let announce = leased.iter().find(|j| j.post_id == Some(begun) && j.kind == OutboxKind::Announce).unwrap();
    assert!(!store.begin_outbox_send(announce).await.unwrap());
    let cards_before = app.texts_to(GROUP).len();

    app.runtime.start().await.unwrap();
    wait_until("both cards", || app.texts_to(GROUP).len() >= cards_before + 2).await;
    let mut flagged = None;
    app::eventually(
        "both cards recorded",
        || async {
            let a = store.post(begun).await.unwrap().unwrap();
            let b = store.post(waiting).await.unwrap().unwrap();
            (a.moderation_message_id.is_some() && b.moderation_message_id.is_some()).then_some((a, b))
        },
        &mut flagged,
    )
    .await;
    let (a, b) = flagged.unwrap();
    assert!(a.maybe_twice.card, "the card in flight may have reached the group twice");
    assert!(!b.maybe_twice.card, "a card never begun is sent once");
    app.stop().await;
}

on_both_backends!(
    a_submission_never_receipted_is_receipted_on_redelivery_once,
    a_submission_never_receipted_is_receipted_by_the_sweep_after_a_restart,
    a_card_in_flight_at_a_crash_is_sent_at_once_and_flagged,
);

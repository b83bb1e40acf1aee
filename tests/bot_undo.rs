//! Undoing a rejection from the group card on the fake Bot API, on both backends: only the
//! moderator who rejected may; inside the undo window the author never hears of it; after it,
//! the author is told the post is back in review, in their language.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod app;
#[path = "common/mod.rs"]
mod common;
mod support;

use app::{App, Backend, MODERATOR, on_both_backends, wait_until};
use postgate::domain::PostId;
use postgate::render::callback::Action;
use support::fake_telegram::updates::text_message;

/// Sends a submission from `author` (Telegram language `lang`) and rejects it from its card
/// ("spam"); the post and card ids.
async fn submit_and_reject(app: &App, author: i64, lang: &str) -> (i64, i32) {
    let receipts = app.texts_to(author).len();
    app.fake.push_update(text_message(author, author, 1, "please reconsider", Some(lang)));
    wait_until("receipt sent", || app.texts_to(author).len() > receipts).await;
    let (post, card) = app.card_of_latest().await;
    app.press(MODERATOR, &Action::Reject(PostId(post), 0), card).await;
    assert_eq!(app.status_of(post).await, "rejected");
    (post, card)
}

/// The card's latest keyboard offers an approval again (the post is pending).
async fn card_offers_the_decision(app: &App, card: i32) {
    wait_until("the card offers the decision again", || {
        app.card_edits(card)
            .last()
            .and_then(|c| c.field_json("reply_markup"))
            .is_some_and(|m| m.to_string().contains("\"a:"))
    })
    .await;
}

async fn an_undo_inside_the_window_is_never_seen_by_the_author(backend: Backend) {
    let other_moderator = MODERATOR + 1;
    let ids = format!("{MODERATOR},{other_moderator}");
    let extra = [("UNDO_WINDOW_SECS", "30"), ("MODERATOR_IDS", ids.as_str())];
    let app = App::start_on(backend, "undo_held", &extra).await;
    let author = 6001;
    let (post, card) = submit_and_reject(&app, author, "en").await;
    wait_until("the card shows the rejection with an undo", || {
        app.card_edits(card).iter().any(|c| c.field_json("reply_markup").is_some_and(|m| m.to_string().contains("ud:")))
    })
    .await;

    app.press(other_moderator, &Action::Undo(PostId(post)), card).await;
    assert!(app.answers().iter().any(|a| a.contains("Отменить может только")), "{:?}", app.answers());
    assert_eq!(app.status_of(post).await, "rejected", "someone else's undo changes nothing");

    app.press(MODERATOR, &Action::Undo(PostId(post)), card).await;
    assert_eq!(app.status_of(post).await, "pending");
    card_offers_the_decision(&app, card).await;
    let log = app.services.store.moderation_log(Some(PostId(post)), 5).await.unwrap();
    assert_eq!((log[0].action.as_str(), log[0].source.as_str()), ("return_to_queue", "telegram"));
    // The worker keeps running (it polls every 2 s at most): the held notice never goes out.
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let told = app.texts_to(author);
    assert_eq!(told.len(), 1, "the receipt only: {told:?}");
    app.stop().await;
}

async fn an_undo_after_the_notice_tells_the_author_it_is_back_in_review(backend: Backend) {
    let app = App::start_on(backend, "undo_told", &[]).await;
    for (author, lang, rejected, back) in
        [(6101, "en", "was rejected", "is back in review"), (6102, "ru", "отклонена", "снова на рассмотрении")]
    {
        let (post, card) = submit_and_reject(&app, author, lang).await;
        wait_until("the rejection is told", || app.texts_to(author).iter().any(|t| t.contains(rejected))).await;
        app.press(MODERATOR, &Action::Undo(PostId(post)), card).await;
        assert_eq!(app.status_of(post).await, "pending");
        wait_until("back in review is told", || app.texts_to(author).iter().any(|t| t.contains(back))).await;
        let told = app.texts_to(author);
        assert!(told.last().unwrap().contains(&post.to_string()), "{told:?}");
        card_offers_the_decision(&app, card).await;
    }
    app.stop().await;
}

on_both_backends!(
    an_undo_inside_the_window_is_never_seen_by_the_author,
    an_undo_after_the_notice_tells_the_author_it_is_back_in_review,
);

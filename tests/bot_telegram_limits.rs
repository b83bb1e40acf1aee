//! What the strict fake Telegram exposed, each fixed and pinned here: cards measured in UTF-16
//! units, an edited text Telegram would refuse, a card refused for good (recorded, sent again),
//! and content of several messages resumed after the parts already sent.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod app;
mod support;

use app::{App, Backend, CHANNEL, GROUP, MODERATOR, on_both_backends, wait_until};
use postgate::domain::text::{MAX_CAPTION, MAX_TEXT, utf16_len};
use postgate::domain::{ActionSource, PostId, UserId};
use postgate::moderation::{self, ModerationError};
use postgate::store::{DecideOutcome, Decision, DecisionKind};
use support::fake_telegram::updates::{document_message, photo_message, text_message};
use support::fake_telegram::{Call, Fault};

const AUTHOR: i64 = 2001;

fn cards(app: &App) -> Vec<Call> {
    app.fake
        .calls_to("sendMessage")
        .into_iter()
        .filter(|c| c.field_i64("chat_id") == Some(GROUP) && c.field_json("reply_markup").is_some())
        .collect()
}

fn approve(post: i64, edited_body: Option<String>) -> Decision {
    Decision {
        post_id: PostId(post),
        moderator: UserId(MODERATOR),
        source: ActionSource::Telegram,
        kind: DecisionKind::Approve { edited_body },
    }
}

async fn an_emoji_heavy_post_gets_a_card_within_telegrams_limit_that_says_it_was_cut(backend: Backend) {
    let app = App::start_on(backend, "limits_emoji", &[]).await;
    // 2 048 emoji: 2 048 characters, but 4 096 UTF-16 units — as long as Telegram allows a message.
    let body = "😀".repeat(2048);
    app.fake.push_update(text_message(AUTHOR, AUTHOR, 1, &body, Some("en")));
    let (post, _card) = app.card_of_latest().await;
    let card = cards(&app).pop().unwrap().field_str("text").unwrap();
    assert!(utf16_len(&card) <= MAX_TEXT, "card is {} units", utf16_len(&card));
    assert!(card.contains("of 2048 characters shown") || card.contains("из 2048"), "the cut is said: {card}");
    assert!(card.contains(&format!("#{post}")) || card.contains(&format!("№{post}")), "{card}");
    app.stop().await;
}

async fn edit_and_approve_refuses_a_text_telegram_would_refuse_naming_the_limit(backend: Backend) {
    let app = App::start_on(backend, "limits_edit", &[]).await;
    app.fake.push_update(text_message(AUTHOR, AUTHOR, 1, "short", Some("en")));
    let (text_post, _) = app.card_of_latest().await;
    app.fake.push_update(photo_message(AUTHOR, AUTHOR, 2, "ph-1", "u-ph-1", Some("a photo"), None));
    wait_until("photo carded", || cards(&app).len() == 2).await;
    let (photo_post, _) = app.card_of_latest().await;

    let too_long = "😀".repeat(MAX_TEXT / 2 + 1);
    let err = moderation::decide(&app.services, &approve(text_post, Some(too_long))).await.unwrap_err();
    assert!(matches!(err, ModerationError::TextTooLong(_)), "{err:?}");
    assert!(err.to_string().contains("4096"), "the limit is named: {err}");
    let caption = "x".repeat(MAX_CAPTION + 1);
    let err = moderation::decide(&app.services, &approve(photo_post, Some(caption))).await.unwrap_err();
    assert!(err.to_string().contains("1024") && err.to_string().contains("caption"), "{err}");
    assert_eq!(app.status_of(text_post).await, "pending", "nothing was decided");
    assert_eq!(app.status_of(photo_post).await, "pending");

    let fits = "x".repeat(MAX_CAPTION);
    let outcome = moderation::decide(&app.services, &approve(photo_post, Some(fits))).await.unwrap();
    assert!(matches!(outcome, DecideOutcome::Decided { .. }), "{outcome:?}");
    wait_until("published", || !app.fake.calls_to("sendPhoto").iter().all(|c| c.field_i64("chat_id") != Some(CHANNEL)))
        .await;
    app.stop().await;
}

async fn a_card_telegram_refuses_is_recorded_on_the_post_and_can_be_sent_again(backend: Backend) {
    let app = App::start_on(backend, "limits_card", &[]).await;
    let refusal = "Bad Request: not enough rights to send text messages to the chat";
    app.fake.fail_next_to("sendMessage", GROUP, 1, Fault::BadRequest(refusal.into()));
    app.fake.push_update(text_message(AUTHOR, AUTHOR, 1, "hello", Some("en")));
    let store = &app.services.store;
    let mut failed = None;
    app::eventually(
        "card failure recorded",
        || async {
            let page = store.list_posts(&postgate::store::PostQuery::default()).await.unwrap();
            let id = page.posts.first()?.id;
            store.post(id).await.unwrap().filter(|p| p.card_error.is_some())
        },
        &mut failed,
    )
    .await;
    let post = failed.unwrap();
    assert!(post.card_error.as_deref().unwrap().contains("not enough rights"), "{:?}", post.card_error);
    assert_eq!(post.moderation_message_id, None);
    assert_eq!(store.outbox_backlog().await.unwrap(), 0, "the announcement is finished, as failed");
    let log = store.moderation_log(Some(post.id), 10).await.unwrap();
    assert!(log.iter().any(|e| e.action == "card_failed"), "{log:?}");

    assert!(moderation::retry_card(&app.services, post.id, UserId(MODERATOR), ActionSource::Console).await.unwrap());
    let (id, card) = app.card_of_latest().await;
    assert_eq!(id, post.id.0);
    let again = store.post(post.id).await.unwrap().unwrap();
    assert_eq!((again.card_error, again.moderation_message_id), (None, Some(card)));
    assert!(
        !moderation::retry_card(&app.services, post.id, UserId(MODERATOR), ActionSource::Console).await.unwrap(),
        "a card that did not fail is not sent twice"
    );
    assert_eq!(cards(&app).len(), 2, "the refused card and the one sent again, no third");
    app.stop().await;
}

async fn a_publication_of_several_messages_resumes_after_the_parts_already_sent(backend: Backend) {
    // A photo and a document cannot share an album: they are sent one after the other.
    let app = App::start_on(backend, "limits_resume", &[("HTTP_TIMEOUT_SECS", "2")]).await;
    app.fake.push_update(photo_message(AUTHOR, AUTHOR, 1, "ph-r", "u-ph-r", Some("two kinds"), Some("mix-1")));
    app.fake.push_update(document_message(AUTHOR, AUTHOR, 2, "doc-r", "u-doc-r", None, Some("mix-1")));
    let (post, _card) = app.card_of_latest().await;
    wait_until("both parts in the group", || app.fake.calls_to("sendDocument").len() == 1).await;

    // The channel's answer to the second part never comes: the request times out and the job
    // is retried.
    app.fake.fail_next_to("sendDocument", CHANNEL, 1, Fault::Hang);
    let outcome = moderation::decide(&app.services, &approve(post, None)).await.unwrap();
    assert!(matches!(outcome, DecideOutcome::Decided { .. }));
    let to_channel = |method: &str| app.fake.count_calls(method, |c| c.field_i64("chat_id") == Some(CHANNEL));
    wait_until("the document reached the channel on the second attempt", || to_channel("sendDocument") == 2).await;
    let mut published = None;
    app::eventually("published", || async { (app.status_of(post).await == "published").then_some(()) }, &mut published)
        .await;
    assert_eq!(to_channel("sendPhoto"), 1, "the photo that went out is not sent again");
    let record = app.services.store.post(PostId(post)).await.unwrap().unwrap();
    let first_photo = app.fake.calls_to("sendPhoto").into_iter().filter(|c| c.field_i64("chat_id") == Some(CHANNEL));
    assert_eq!(first_photo.count(), 1);
    assert!(record.channel_message_id.is_some(), "the channel message of the first part is kept");
    app.stop().await;
}

on_both_backends!(
    an_emoji_heavy_post_gets_a_card_within_telegrams_limit_that_says_it_was_cut,
    edit_and_approve_refuses_a_text_telegram_would_refuse_naming_the_limit,
    a_card_telegram_refuses_is_recorded_on_the_post_and_can_be_sent_again,
    a_publication_of_several_messages_resumes_after_the_parts_already_sent,
);

//! Author commands and the later life of a post: /language, /status, author edits, a refused
//! publication retried from the card.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod app;
mod support;

use app::{App, CHANNEL, GROUP, MODERATOR, has_text, wait_until};
use support::fake_telegram::Fault;
use support::fake_telegram::updates::{callback_query, edited_message, text_message};

const AUTHOR: i64 = 4242;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn language_choice_overrides_telegram_and_status_lists_submissions() {
    let app = App::start("cmd_lang", &[]).await;
    app.fake.push_update(text_message(AUTHOR, AUTHOR, 1, "/language", Some("ru")));
    wait_until("language menu", || has_text(&app.texts_to(AUTHOR), "Выберите язык")).await;
    // The menu message is the bot's first message in this chat.
    app.fake.push_update(callback_query(AUTHOR, "lang:en", AUTHOR, 1000));
    wait_until("choice confirmed in English", || !app.fake.calls_to("editMessageText").is_empty()).await;
    let edited = app.fake.calls_to("editMessageText").pop().unwrap();
    assert!(edited.field_str("text").unwrap().contains("English"), "{:?}", edited.body);

    // Telegram still says "ru", the stored choice wins.
    app.fake.push_update(text_message(AUTHOR, AUTHOR, 2, "first post", Some("ru")));
    wait_until("English receipt", || has_text(&app.texts_to(AUTHOR), "received and waiting")).await;
    app.fake.push_update(text_message(AUTHOR, AUTHOR, 3, "/status", Some("ru")));
    wait_until("status list", || has_text(&app.texts_to(AUTHOR), "Your recent submissions")).await;
    let status = app.texts_to(AUTHOR).into_iter().find(|t| t.contains("Your recent submissions")).unwrap();
    assert!(status.contains("waiting for moderation"), "{status}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_of_a_pending_post_updates_it_and_an_edit_after_the_decision_does_not() {
    let app = App::start("cmd_edit", &[]).await;
    app.fake.push_update(text_message(AUTHOR, AUTHOR, 1, "tpyo", Some("en")));
    let (post, card) = app.card_of_latest().await;
    app.fake.push_update(edited_message(AUTHOR, AUTHOR, 1, "typo fixed", Some("en")));
    wait_until("edit acknowledged", || has_text(&app.texts_to(AUTHOR), "updated")).await;
    wait_until("card shows the edit", || {
        app.fake
            .calls_to("editMessageText")
            .iter()
            .any(|c| c.field_str("text").unwrap_or_default().contains("typo fixed"))
    })
    .await;
    let body: String =
        sqlx::query_scalar("SELECT body FROM posts WHERE id = $1").bind(post).fetch_one(app.pg()).await.unwrap();
    assert_eq!(body, "typo fixed");

    app.fake.push_update(callback_query(MODERATOR, &app.approve_data(post).await, GROUP, card));
    wait_until("published", || has_text(&app.texts_to(CHANNEL), "typo fixed")).await;
    app.fake.push_update(edited_message(AUTHOR, AUTHOR, 1, "sneaky change", Some("en")));
    wait_until("too late", || has_text(&app.texts_to(AUTHOR), "already been reviewed")).await;
    assert!(!has_text(&app.texts_to(CHANNEL), "sneaky"), "published text unchanged");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_publication_is_shown_as_failed_and_can_be_retried_from_the_card() {
    let app = App::start("cmd_retry", &[]).await;
    app.fake.push_update(text_message(AUTHOR, AUTHOR, 1, "to the channel", Some("en")));
    let (post, card) = app.card_of_latest().await;
    wait_until("receipt", || has_text(&app.texts_to(AUTHOR), "received")).await;
    app.fake.fail_next(
        "sendMessage",
        1,
        Fault::BadRequest("Bad Request: need administrator rights in the channel chat".into()),
    );
    app.fake.push_update(callback_query(MODERATOR, &app.approve_data(post).await, GROUP, card));
    wait_until("failed state", || {
        app.fake
            .calls_to("editMessageText")
            .iter()
            .any(|c| c.field_str("text").unwrap_or_default().contains("administrator rights"))
    })
    .await;
    assert_eq!(app.status_of(post).await, "publish_failed");
    let card_markup = app.fake.calls_to("editMessageText").pop().unwrap().field_json("reply_markup").unwrap();
    assert!(card_markup.to_string().contains(&format!("rp:{post}")), "retry button on the card: {card_markup}");
    assert!(!has_text(&app.texts_to(AUTHOR), "published"), "author not told of a publication that did not happen");

    app.fake.push_update(callback_query(MODERATOR, &format!("rp:{post}"), GROUP, card));
    wait_until("published on retry", || app.texts_to(CHANNEL).len() == 2).await;
    wait_until("author told", || has_text(&app.texts_to(AUTHOR), "has been published")).await;
    assert_eq!(app.status_of(post).await, "published");
    app.stop().await;
}

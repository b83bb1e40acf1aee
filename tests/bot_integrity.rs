//! What moderators approve is what gets published (issue #14, items 1–3): a press on a card
//! drawn before the author's edit approves nothing and draws the card again; a card shows where
//! every text link leads; a cut card is approved only after "Show all"; a card from before
//! versions asks to look again; a forged language button on a card changes nothing. Each flow
//! runs on both storage backends.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod app;
mod support;

use app::{App, Backend, CHANNEL, GROUP, MODERATOR, on_both_backends, wait_until};
use postgate::domain::{PostId, UserId};
use serde_json::{Value, json};
use support::fake_telegram::Call;
use support::fake_telegram::updates::{callback_query, edited_message, text_message};

const AUTHOR: i64 = 5151;

/// Every answer to a press, oldest first: (text, shown as an alert).
fn answers(app: &App) -> Vec<(String, bool)> {
    app.fake
        .calls_to("answerCallbackQuery")
        .iter()
        .map(|c| (c.field_str("text").unwrap_or_default(), c.field_str("show_alert").as_deref() == Some("true")))
        .collect()
}

/// The card as the group sees it now: its text and its buttons' callback data.
fn card_now(app: &App, card: i32) -> (String, Vec<String>) {
    let message = app.fake.sent_message(GROUP, card).unwrap();
    let buttons = message["reply_markup"]["inline_keyboard"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|row| row.as_array().into_iter().flatten())
        .filter_map(|b| b["callback_data"].as_str().map(str::to_owned))
        .collect();
    (message["text"].as_str().unwrap_or_default().to_owned(), buttons)
}

fn button(buttons: &[String], tag: &str) -> Option<String> {
    buttons.iter().find(|b| b.starts_with(&format!("{tag}:"))).cloned()
}

async fn wait_status(app: &App, post: i64, status: &str) {
    let deadline = tokio::time::Instant::now() + app::WAIT;
    while app.status_of(post).await != status {
        assert!(tokio::time::Instant::now() < deadline, "post {post} never became {status}");
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
}

/// The bait and switch: the moderator read version 1, the author edits to version 2 before the
/// card is redrawn, the press on version 1's button is refused and the card shows version 2.
async fn a_press_on_a_card_the_author_changed_since_approves_nothing(backend: Backend) {
    let app = App::start_on(backend, "integrity_stale", &[]).await;
    app.fake.push_update(text_message(AUTHOR, AUTHOR, 1, "a harmless offer", Some("en")));
    let (post, card) = app.card_of_latest().await;
    let read = button(&card_now(&app, card).1, "a").expect("an Approve button");
    app.fake.push_update(edited_message(AUTHOR, AUTHOR, 1, "a scam offer", Some("en")));
    let mut stored = None;
    app::eventually(
        "edit stored",
        || async {
            let p = app.services.store.post(PostId(post)).await.unwrap()?;
            (p.body == "a scam offer").then_some(())
        },
        &mut stored,
    )
    .await;

    app.fake.push_update(callback_query(MODERATOR, &read, GROUP, card));
    wait_until("press answered", || !answers(&app).is_empty()).await;
    let (text, alert) = answers(&app).pop().unwrap();
    assert!(text.contains("Автор изменил заявку"), "look again: {text}");
    assert!(alert, "said as an alert");
    assert_eq!(app.status_of(post).await, "pending", "nothing approved");
    wait_until("card shows the new version", || card_now(&app, card).0.contains("a scam offer")).await;
    let log = app.services.store.moderation_log(Some(PostId(post)), 10).await.unwrap();
    assert!(log.is_empty(), "no decision logged: {log:?}");

    // The redrawn card's button approves the version it shows.
    let fresh = button(&card_now(&app, card).1, "a").unwrap();
    assert_ne!(fresh, read);
    app.fake.push_update(callback_query(MODERATOR, &fresh, GROUP, card));
    wait_status(&app, post, "published").await;
    assert!(app.texts_to(CHANNEL).iter().any(|t| t == "a scam offer"), "what was read is what is published");
    app.stop().await;
}

/// A text link's target is on the card (the anchor alone hides a scam site).
async fn a_card_for_a_text_with_a_text_link_shows_the_url(backend: Backend) {
    let app = App::start_on(backend, "integrity_links", &[]).await;
    let mut update = text_message(AUTHOR, AUTHOR, 1, "Read our official page now", Some("en"));
    update["message"]["entities"] = json!([
        {"type": "text_link", "offset": 9, "length": 13, "url": "https://scam.example/login"},
        {"type": "text_mention", "offset": 0, "length": 4, "user": {"id": 99, "is_bot": false, "first_name": "P"}},
    ]);
    app.fake.push_update(update);
    let (_post, card) = app.card_of_latest().await;
    let (text, _) = card_now(&app, card);
    assert!(text.contains("https://scam.example/login"), "the target is shown: {text}");
    assert!(text.contains("official page → https://scam.example/login"), "beside its anchor: {text}");
    assert!(text.contains("tg://user?id=99"), "a mention's user too: {text}");
    app.stop().await;
}

/// A card that cuts the text has "Show all" instead of "Approve"; an approval pressed anyway
/// is refused until the whole text was sent, then "Approve" appears and works.
async fn a_cut_card_is_approved_only_after_the_whole_text_was_shown(backend: Backend) {
    let app = App::start_on(backend, "integrity_cut", &[]).await;
    let body = format!("{} THE END https://tail.example", "word ".repeat(800));
    app.fake.push_update(text_message(AUTHOR, AUTHOR, 1, &body, Some("en")));
    let (post, card) = app.card_of_latest().await;
    let (text, buttons) = card_now(&app, card);
    assert!(!text.contains("THE END"), "the card is cut");
    assert!(text.contains(&format!("из {}", body.chars().count())), "with the whole length: {text}");
    assert!(button(&buttons, "a").is_none(), "no Approve on a cut card: {buttons:?}");
    let show_all = button(&buttons, "sa").expect("Show all");

    // An approval of this very version, pressed without reading (an old or forged button).
    app.fake.push_update(callback_query(MODERATOR, &app.approve_data(post).await, GROUP, card));
    wait_until("refused", || !answers(&app).is_empty()).await;
    let (said, alert) = answers(&app).pop().unwrap();
    assert!(said.contains("Показать всё") && alert, "{said}");
    assert_eq!(app.status_of(post).await, "pending");

    app.fake.push_update(callback_query(MODERATOR, &show_all, GROUP, card));
    wait_until("whole text sent", || {
        app.fake.calls_to("sendMessage").iter().any(|c| {
            c.field_i64("chat_id") == Some(GROUP) && c.field_str("text").is_some_and(|t| t.contains("THE END"))
        })
    })
    .await;
    let whole: Vec<Call> = app
        .fake
        .calls_to("sendMessage")
        .into_iter()
        .filter(|c| c.field_i64("chat_id") == Some(GROUP) && c.field_json("reply_parameters").is_some())
        .collect();
    let reply_to = whole[0].field_json("reply_parameters").unwrap()["message_id"].clone();
    assert_eq!(reply_to, Value::from(card), "sent as replies to the card");
    assert!(whole.iter().all(|c| c.field_str("text").unwrap().encode_utf16().count() <= 4096));
    wait_until("Approve on the card", || button(&card_now(&app, card).1, "aw").is_some()).await;
    let approve = button(&card_now(&app, card).1, "aw").unwrap();
    app.fake.push_update(callback_query(MODERATOR, &approve, GROUP, card));
    wait_status(&app, post, "published").await;
    app.stop().await;
}

/// A card sent before buttons named a version ("a:ID") approves nothing: it is drawn again
/// with versioned buttons and the moderator is asked to look again.
async fn an_approve_button_without_a_version_asks_to_look_again(backend: Backend) {
    let app = App::start_on(backend, "integrity_legacy", &[]).await;
    app.fake.push_update(text_message(AUTHOR, AUTHOR, 1, "from before the upgrade", Some("en")));
    let (post, card) = app.card_of_latest().await;
    app.fake.push_update(callback_query(MODERATOR, &format!("a:{post}"), GROUP, card));
    wait_until("press answered", || !answers(&app).is_empty()).await;
    assert!(answers(&app)[0].0.contains("посмотрите ещё раз"), "{:?}", answers(&app));
    assert_eq!(app.status_of(post).await, "pending");
    wait_until("card drawn again", || !app.card_edits(card).is_empty()).await;
    let edit = app.card_edits(card).pop().unwrap();
    assert!(edit.field_json("reply_markup").unwrap().to_string().contains(&app.approve_data(post).await));
    app.stop().await;
}

/// A `lang:` payload on a card in the group — from anyone — neither touches the card nor sets
/// a language; in the presser's own private chat it still works.
async fn a_forged_language_button_on_a_card_changes_nothing(backend: Backend) {
    let app = App::start_on(backend, "integrity_lang", &[]).await;
    app.fake.push_update(text_message(AUTHOR, AUTHOR, 1, "keep my buttons", Some("en")));
    let (post, card) = app.card_of_latest().await;
    // The card may be refreshed once with the post's flags when they came after it: let it settle.
    let mut settled = None;
    app::eventually(
        "flags stored and the outbox idle",
        || async {
            let flagged = app.services.store.post(PostId(post)).await.unwrap().unwrap().flags.is_some();
            (flagged && app.services.store.outbox_backlog().await.unwrap() == 0).then_some(())
        },
        &mut settled,
    )
    .await;
    let edits_before = app.card_edits(card).len();
    let before = card_now(&app, card);
    for presser in [4444, MODERATOR] {
        app.fake.push_update(callback_query(presser, "lang:en", GROUP, card));
    }
    wait_until("both answered", || answers(&app).len() == 2).await;
    assert!(answers(&app).iter().all(|(_, alert)| *alert), "refused: {:?}", answers(&app));
    assert_eq!(app.card_edits(card).len(), edits_before, "the card's text was not replaced");
    assert_eq!(card_now(&app, card), before, "text and buttons as they were");
    for user in [4444, MODERATOR] {
        assert_eq!(app.services.store.locale_override(UserId(user)).await.unwrap(), None, "no language set");
    }
    assert_eq!(app.status_of(post).await, "pending");

    app.fake.push_update(callback_query(AUTHOR, "lang:en", AUTHOR, 1000));
    wait_until("own chat answered", || answers(&app).len() == 3).await;
    assert_eq!(app.services.store.locale_override(UserId(AUTHOR)).await.unwrap().as_deref(), Some("en"));
    app.stop().await;
}

on_both_backends!(
    a_press_on_a_card_the_author_changed_since_approves_nothing,
    a_card_for_a_text_with_a_text_link_shows_the_url,
    a_cut_card_is_approved_only_after_the_whole_text_was_shown,
    an_approve_button_without_a_version_asks_to_look_again,
    a_forged_language_button_on_a_card_changes_nothing,
);

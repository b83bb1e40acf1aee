//! Author options end to end on the fake Bot API, on both backends and in both languages: the
//! receipt carries the signed/anonymous toggle, the author flips it (the receipt's button
//! follows), a stranger's press changes nothing, a signed post reaches the channel with its
//! signature entities and the footer and an anonymous one with the footer only (the exact
//! text and UTF-16 offsets the fake recorded), and a press after publication is refused.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod app;
#[path = "common/mod.rs"]
mod common;
mod support;

use app::{App, Backend, CHANNEL, GROUP, MODERATOR, on_both_backends, wait_until};
use postgate::domain::PostId;
use postgate::render::callback::Action;
use serde_json::{Value, json};
use support::fake_telegram::updates::{callback_query, photo_message, text_message};

const FOOTER: &str = "#новости https://t.me/postgate_bot";
const OPTIONS: [(&str, &str); 2] = [("SIGNATURE_TEMPLATE", "✍️ {full_name} ({name})"), ("POST_FOOTER", FOOTER)];

/// Sends a submission; the post's id once its receipt went out.
async fn submit(app: &App, author: i64, message_id: i32, lang: &str, body: &str) -> i64 {
    app.fake.push_update(text_message(author, author, message_id, body, Some(lang)));
    wait_until("receipt sent", || receipts(app, author).len() >= usize::try_from(message_id).unwrap()).await;
    let (post, _) = app.card_of_latest().await;
    post
}

/// The receipts sent to `author` (messages with the toggle under them).
fn receipts(app: &App, author: i64) -> Vec<support::fake_telegram::Call> {
    app.sent_to(author).into_iter().filter(|c| c.field_json("reply_markup").is_some()).collect()
}

/// The one button of a keyboard: its label and its data.
fn button(markup: &Value) -> (String, String) {
    let b = &markup["inline_keyboard"][0][0];
    (b["text"].as_str().unwrap().to_owned(), b["callback_data"].as_str().unwrap().to_owned())
}

/// `from` presses `action` on message 1 of their own chat, in `lang`; the answer's text and
/// whether it was an alert.
async fn press(app: &App, from: i64, lang: &str, action: &Action) -> (String, bool) {
    let before = app.fake.calls_to("answerCallbackQuery").len();
    let mut update = callback_query(from, &action.encode(), from, 1);
    update["callback_query"]["from"]["language_code"] = json!(lang);
    app.fake.push_update(update);
    wait_until("press answered", || app.fake.calls_to("answerCallbackQuery").len() > before).await;
    let answer = app.fake.calls_to("answerCallbackQuery").pop().unwrap();
    (answer.field_str("text").unwrap_or_default(), answer.field_str("show_alert").as_deref() == Some("true"))
}

async fn signed_of(app: &App, post: i64) -> Option<bool> {
    app.services.store.post(PostId(post)).await.unwrap().unwrap().signed
}

/// Approves `post` from its card and waits for its publication.
async fn approve_and_publish(app: &App, post: i64) -> support::fake_telegram::Call {
    let card = app.services.store.post(PostId(post)).await.unwrap().unwrap().moderation_message_id.unwrap();
    let before = app.sent_to(CHANNEL).len();
    app.fake.push_update(callback_query(MODERATOR, &app.approve_data(post).await, GROUP, card));
    wait_until("published", || app.sent_to(CHANNEL).len() > before).await;
    app.sent_to(CHANNEL).pop().unwrap()
}

async fn the_author_flips_the_toggle_under_the_receipt_and_a_stranger_cannot(backend: Backend) {
    let app = App::start_on(backend, "opt_toggle", &OPTIONS).await;
    for (author, lang, anonymous, signed, now_signed, not_yours) in [
        (6001, "en", "🙈 Anonymous", "✍️ Signed", "will be published with your name", "Only the author"),
        (6002, "ru", "🙈 Анонимно", "✍️ С подписью", "будет опубликована с вашим именем", "только автор"),
    ] {
        let post = submit(&app, author, 1, lang, "hello").await;
        let receipt = receipts(&app, author).pop().unwrap();
        assert_eq!(
            button(&receipt.field_json("reply_markup").unwrap()),
            (anonymous.to_owned(), format!("sg:{post}:1"))
        );

        let stranger = author + 100;
        let (said, alert) = press(&app, stranger, lang, &Action::Signed(PostId(post), true)).await;
        assert!(said.contains(not_yours) && alert, "{said}");
        assert_eq!(signed_of(&app, post).await, None, "nothing changed");

        let (said, alert) = press(&app, author, lang, &Action::Signed(PostId(post), true)).await;
        assert!(said.contains(now_signed) && said.contains(&post.to_string()) && !alert, "{said}");
        assert_eq!(signed_of(&app, post).await, Some(true));
        wait_until("the receipt's button follows", || {
            app.fake.calls_to("editMessageReplyMarkup").iter().any(|c| {
                c.field_i64("chat_id") == Some(author)
                    && c.field_json("reply_markup")
                        .is_some_and(|m| button(&m) == (signed.to_owned(), format!("sg:{post}:0")))
            })
        })
        .await;
        // The group card says so too (in the group's language).
        wait_until("the card shows the choice", || {
            app.fake.calls_to("editMessageText").iter().any(|c| {
                c.field_i64("chat_id") == Some(GROUP)
                    && c.field_str("text").is_some_and(|t| {
                        let title = [format!("№{post}\n"), format!("#{post}\n")].iter().any(|n| t.contains(n.as_str()));
                        title && ["✍️ С подписью автора", "✍️ Signed by the author"].iter().any(|l| t.contains(l))
                    })
            })
        })
        .await;
        press(&app, author, lang, &Action::Signed(PostId(post), false)).await;
        assert_eq!(signed_of(&app, post).await, Some(false));
        let log = app.services.store.moderation_log(Some(PostId(post)), 5).await.unwrap();
        assert_eq!(
            (log[0].action.as_str(), log[0].source.as_str(), log[0].moderator_id),
            ("set_signed", "telegram", None)
        );
    }
    app.stop().await;
}

async fn a_signed_post_carries_its_signature_and_the_footer_an_anonymous_one_the_footer(backend: Backend) {
    let app = App::start_on(backend, "opt_publish", &OPTIONS).await;
    let signed = submit(&app, 6101, 1, "ru", "Привет 😀").await;
    press(&app, 6101, "ru", &Action::Signed(PostId(signed), true)).await;
    assert_eq!(signed_of(&app, signed).await, Some(true));
    let published = approve_and_publish(&app, signed).await;
    let want = format!("Привет 😀\n\n✍️ User6101 (@user6101)\n\n{FOOTER}");
    assert_eq!(published.field_str("text").unwrap(), want);
    // "Привет 😀" is 9 UTF-16 units (the emoji two), the gap 2, "✍️ " 3: the name at 14.
    assert_eq!(
        published.field_json("entities").unwrap(),
        json!([
            { "type": "text_link", "offset": 14, "length": 8, "url": "tg://user?id=6101" },
            { "type": "mention", "offset": 24, "length": 9 },
        ])
    );

    let anonymous = submit(&app, 6102, 1, "en", "just text").await;
    let published = approve_and_publish(&app, anonymous).await;
    assert_eq!(published.field_str("text").unwrap(), format!("just text\n\n{FOOTER}"));
    assert_eq!(published.field_json("entities"), None, "no entities: none sent");
    app.stop().await;
}

async fn the_toggle_after_publication_is_refused_politely(backend: Backend) {
    let app = App::start_on(backend, "opt_late", &OPTIONS).await;
    for (author, lang, too_late) in [(6201, "en", "already published"), (6202, "ru", "уже опубликована")]
    {
        let post = submit(&app, author, 1, lang, "late").await;
        approve_and_publish(&app, post).await;
        let mut done = None;
        app::eventually("recorded", || async { (app.status_of(post).await == "published").then_some(()) }, &mut done)
            .await;
        let edits = app.fake.calls_to("editMessageReplyMarkup").len();
        let (said, alert) = press(&app, author, lang, &Action::Signed(PostId(post), true)).await;
        assert!(said.contains(too_late) && said.contains(&post.to_string()) && alert, "{said}");
        assert_eq!(signed_of(&app, post).await, None);
        assert_eq!(app.fake.calls_to("editMessageReplyMarkup").len(), edits, "the receipt stays as it was");
    }
    app.stop().await;
}

async fn an_albums_caption_on_its_first_item_is_signed_and_leaves_out_the_footer_that_would_not_fit(backend: Backend) {
    const AUTHOR: i64 = 6301;
    let app = App::start_on(backend, "opt_album", &OPTIONS).await;
    // 990 units of caption: the signature (25 with its gap) fits 1,024, the footer (36) does not.
    let caption = "я".repeat(990);
    for (mid, file) in [(12, "p2"), (11, "p1"), (13, "p3")] {
        let text = (mid == 11).then_some(caption.as_str());
        app.fake.push_update(photo_message(AUTHOR, AUTHOR, mid, file, &format!("u{file}"), text, Some("alb-opt")));
    }
    wait_until("the album's receipt", || !receipts(&app, AUTHOR).is_empty()).await;
    let (post, _) = app.card_of_latest().await;
    let receipt = receipts(&app, AUTHOR).pop().unwrap();
    assert_eq!(
        button(&receipt.field_json("reply_markup").unwrap()),
        ("🙈 Anonymous".to_owned(), format!("sg:{post}:1"))
    );
    press(&app, AUTHOR, "en", &Action::Signed(PostId(post), true)).await;
    assert_eq!(signed_of(&app, post).await, Some(true));

    let card = app.services.store.post(PostId(post)).await.unwrap().unwrap().moderation_message_id.unwrap();
    app.fake.push_update(callback_query(MODERATOR, &app.approve_data(post).await, GROUP, card));
    wait_until("the album in the channel", || {
        app.fake.calls_to("sendMediaGroup").iter().any(|c| c.field_i64("chat_id") == Some(CHANNEL))
    })
    .await;
    let album =
        app.fake.calls_to("sendMediaGroup").into_iter().find(|c| c.field_i64("chat_id") == Some(CHANNEL)).unwrap();
    let media = app::json_field(&album, "media");
    let items = media.as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(items[0]["caption"], json!(format!("{caption}\n\n✍️ User6301 (@user6301)")), "the footer left out");
    // 990 units, the gap 2, "✍️ " 3: the name at 995.
    assert_eq!(
        items[0]["caption_entities"],
        json!([
            { "type": "text_link", "offset": 995, "length": 8, "url": "tg://user?id=6301" },
            { "type": "mention", "offset": 1005, "length": 9 },
        ])
    );
    assert!(items[1..].iter().all(|i| i.get("caption").is_none()), "the caption on the first item only: {items:?}");
    app.stop().await;
}

on_both_backends!(
    an_albums_caption_on_its_first_item_is_signed_and_leaves_out_the_footer_that_would_not_fit,
    the_author_flips_the_toggle_under_the_receipt_and_a_stranger_cannot,
    a_signed_post_carries_its_signature_and_the_footer_an_anonymous_one_the_footer,
    the_toggle_after_publication_is_refused_politely,
);

//! The conversation with the author end to end on the fake Bot API, on both backends and in
//! both languages (issue #17 part 1): "Ask for changes" from the card and the author's reply
//! as the new version (back to pending, card redrawn, old approve buttons stale); a plain
//! answer joins the thread; `/withdraw N` and the Withdraw button; an unanswered request
//! expires on an injected clock; a blocked bot marks the message undelivered, not retried; a
//! banned author's reply is neither attached nor submitted.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod app;
#[path = "common/mod.rs"]
mod common;
mod support;

use app::{App, Backend, GROUP, MODERATOR, on_both_backends, wait_until};
use chrono::{Duration, Utc};
use postgate::domain::{ActionSource, PostId, PostStatus, UserId};
use postgate::moderation::conversation::{self, ConversationError, Outgoing};
use postgate::render::callback::Action;
use postgate::store::{BanRequest, ThreadDelivery, ThreadDirection, ThreadKind};
use serde_json::Value;
use support::fake_telegram::Fault;
use support::fake_telegram::updates::{callback_query, photo_message, text_message};

/// Submits a text from `author` and waits for its card; the post and card ids.
async fn submit(app: &App, author: i64, message: i32, lang: &str, body: &str) -> (i64, i32) {
    app.fake.push_update(text_message(author, author, message, body, Some(lang)));
    wait_until("receipt", || app.texts_to(author).iter().any(|t| t.contains('#') || t.contains('№'))).await;
    app.card_of_latest().await
}

/// Asks for changes from the console's side of the write path.
async fn ask(app: &App, post: i64, body: &str) {
    let out = Outgoing {
        post: PostId(post),
        moderator: UserId(MODERATOR),
        source: ActionSource::Console,
        body: body.into(),
        request: true,
    };
    conversation::send(&app.services, &out).await.unwrap();
}

/// The bot's last message to `chat` whose text contains `needle`, once delivered.
async fn delivered(app: &App, chat: i64, needle: &str) -> Value {
    wait_until(needle, || {
        app.fake.delivered_to(chat).iter().any(|m| m["text"].as_str().is_some_and(|t| t.contains(needle)))
    })
    .await;
    app.fake
        .delivered_to(chat)
        .into_iter()
        .rev()
        .find(|m| m["text"].as_str().is_some_and(|t| t.contains(needle)))
        .unwrap()
}

/// A private message of `author` replying to the bot's message `to`.
fn reply_to(author: i64, message: i32, text: &str, lang: &str, to: &Value) -> Value {
    let mut update = text_message(author, author, message, text, Some(lang));
    update["message"]["reply_to_message"] = to.clone();
    update
}

async fn status(app: &App, post: i64) -> PostStatus {
    app.services.store.post(PostId(post)).await.unwrap().unwrap().status
}

async fn wait_status(app: &App, post: i64, want: PostStatus) {
    let mut done = None;
    app::eventually(want.as_str(), || async { (status(app, post).await == want).then_some(()) }, &mut done).await;
}

async fn ask_from_the_card_and_the_reply_is_the_new_version(backend: Backend) {
    let app = App::start_on(backend, "conv_revision", &[]).await;
    let author = 7101;
    let (post, card) = submit(&app, author, 1, "en", "first draft").await;
    let stale_approve = app.approve_data(post).await;

    // The card's button asks for the text as a reply to the bot's prompt.
    app.fake.push_update(callback_query(MODERATOR, &Action::AskChanges(PostId(post)).encode(), GROUP, card));
    let prompt = delivered(&app, GROUP, &format!("№{post}")).await;
    let mut answer = text_message(MODERATOR, GROUP, 900, "Please add the source", Some("ru"));
    answer["message"]["reply_to_message"] = prompt;
    app.fake.push_update(answer);

    let request = delivered(&app, author, "Moderators ask you to change submission").await;
    let text = request["text"].as_str().unwrap();
    assert!(
        text.contains(&format!("#{post}")) && text.contains("first draft") && text.contains("Please add the source"),
        "{text}"
    );
    assert!(!text.contains(&MODERATOR.to_string()), "the author never sees who wrote: {text}");
    assert!(request["reply_markup"].to_string().contains(&format!("wd:{post}")), "a Withdraw button");
    wait_status(&app, post, PostStatus::ChangesRequested).await;
    wait_until("card says changes were requested", || {
        app.card_edits(card).iter().any(|c| c.field_str("text").is_some_and(|t| t.contains("Please add the source")))
    })
    .await;

    app.fake.push_update(reply_to(author, 2, "second draft, source: example.org", "en", &request));
    wait_status(&app, post, PostStatus::Pending).await;
    let stored = app.services.store.post(PostId(post)).await.unwrap().unwrap();
    assert_eq!((stored.body.as_str(), stored.edited_by_author), ("second draft, source: example.org", true));
    wait_until("author told", || app.texts_to(author).iter().any(|t| t.contains("updated and back in the queue")))
        .await;
    wait_until("card shows the new version", || {
        app.card_edits(card).iter().any(|c| c.field_str("text").is_some_and(|t| t.contains("second draft")))
    })
    .await;
    // The new version is flagged anew: its link is on the card's flags, the first draft had none.
    let flags = app.services.store.post(PostId(post)).await.unwrap().unwrap().flags.expect("flags computed");
    assert!(flags.domains.iter().any(|d| d == "example.org"), "{flags:?}");
    let total = app.services.store.list_posts(&postgate::store::PostQuery::default()).await.unwrap().total;
    assert_eq!(total, 1, "a reply is not a new submission");
    let thread = app.services.store.thread(PostId(post)).await.unwrap();
    let kinds: Vec<_> = thread.iter().map(|m| (m.direction, m.kind)).collect();
    assert_eq!(
        kinds,
        [(ThreadDirection::ToAuthor, ThreadKind::Request), (ThreadDirection::FromAuthor, ThreadKind::Revision)]
    );
    let log = app.services.store.moderation_log(Some(PostId(post)), 10).await.unwrap();
    let actions: Vec<&str> = log.iter().rev().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["request_changes", "revised"]);

    // The card drawn before the revision approves nothing.
    app.fake.push_update(callback_query(MODERATOR, &stale_approve, GROUP, card));
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(status(&app, post).await, PostStatus::Pending, "an approval of the old version is refused");
    app.stop().await;
}

async fn a_plain_answer_joins_the_thread_in_russian(backend: Backend) {
    let app = App::start_on(backend, "conv_answer", &[]).await;
    let author = 7102;
    let (post, card) = submit(&app, author, 1, "ru", "черновик").await;
    ask(&app, post, "Откуда фото?").await;
    delivered(&app, author, "Модераторы просят изменить заявку").await;
    app.fake.push_update(text_message(author, author, 2, "Снято мной", Some("ru")));
    wait_status(&app, post, PostStatus::Pending).await;
    wait_until("author told", || app.texts_to(author).iter().any(|t| t.contains("передан модераторам"))).await;
    let stored = app.services.store.post(PostId(post)).await.unwrap().unwrap();
    assert_eq!(stored.body, "черновик", "an answer keeps the content");
    let thread = app.services.store.thread(PostId(post)).await.unwrap();
    assert_eq!((thread[1].kind, thread[1].body.as_str()), (ThreadKind::Answer, "Снято мной"));
    wait_until("card shows the answer", || {
        app.card_edits(card).iter().any(|c| c.field_str("text").is_some_and(|t| t.contains("Снято мной")))
    })
    .await;

    // The request is answered: the next message is a submission of its own.
    app.fake.push_update(text_message(author, author, 3, "новый пост", Some("ru")));
    let mut newer = None;
    app::eventually(
        "a new submission",
        || async {
            let total = app.services.store.list_posts(&postgate::store::PostQuery::default()).await.unwrap().total;
            (total == 2).then_some(())
        },
        &mut newer,
    )
    .await;
    app.stop().await;
}

async fn withdraw_by_command_and_by_button(backend: Backend) {
    let app = App::start_on(backend, "conv_withdraw", &[]).await;
    let (en, ru) = (7103, 7104);
    let (first, _) = submit(&app, en, 1, "en", "withdraw me").await;
    let (second, card) = submit(&app, ru, 1, "ru", "и меня").await;

    app.fake.push_update(text_message(ru, ru, 2, &format!("/withdraw {first}"), Some("ru")));
    wait_until("not yours", || app.texts_to(ru).iter().any(|t| t.contains(&format!("нет заявки №{first}")))).await;
    app.fake.push_update(text_message(en, en, 2, &format!("/withdraw {first}"), Some("en")));
    wait_until("withdrawn", || app.texts_to(en).iter().any(|t| t.contains(&format!("#{first} is withdrawn")))).await;
    wait_status(&app, first, PostStatus::Rejected).await;
    let p = app.services.store.post(PostId(first)).await.unwrap().unwrap();
    assert_eq!(p.reject_reason, Some(postgate::domain::RejectReason::withdrawn()));

    ask(&app, second, "Короче, пожалуйста").await;
    let request = delivered(&app, ru, "Модераторы просят изменить заявку").await;
    let message = i32::try_from(request["message_id"].as_i64().unwrap()).unwrap();
    app.fake.push_update(callback_query(ru, &Action::Withdraw(PostId(second)).encode(), ru, message));
    wait_status(&app, second, PostStatus::Rejected).await;
    let answered = || -> Vec<String> {
        app.fake.calls_to("answerCallbackQuery").iter().filter_map(|c| c.field_str("text")).collect()
    };
    let said = format!("#{second} is withdrawn");
    let deadline = tokio::time::Instant::now() + app::WAIT;
    while !answered().iter().any(|t| t.contains(&said) || t.contains(&format!("№{second} отозвана"))) {
        assert!(tokio::time::Instant::now() < deadline, "the press is answered: {:?}", answered());
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    wait_until("card redrawn", || {
        app.card_edits(card).iter().any(|c| c.field_str("text").is_some_and(|t| t.contains("отозвана автором")))
    })
    .await;
    let log = app.services.store.moderation_log(Some(PostId(second)), 1).await.unwrap();
    assert_eq!(log[0].action, "withdraw");
    app.stop().await;
}

async fn an_unanswered_request_expires_on_the_clock(backend: Backend) {
    let app = App::start_on(backend, "conv_expiry", &[("CHANGES_EXPIRE_HOURS", "48")]).await;
    let author = 7105;
    let (post, card) = submit(&app, author, 1, "en", "silent author").await;
    ask(&app, post, "Anything?").await;
    delivered(&app, author, "Moderators ask you").await;
    let now = Utc::now();
    assert!(conversation::expire_due(&app.services, now + Duration::hours(47)).await.unwrap().is_empty());
    assert_eq!(conversation::expire_due(&app.services, now + Duration::hours(49)).await.unwrap(), [PostId(post)]);
    wait_status(&app, post, PostStatus::Rejected).await;
    wait_until("author told", || app.texts_to(author).iter().any(|t| t.contains("no answer to the moderators"))).await;
    // The group reads Russian (the default locale).
    wait_until("card redrawn", || {
        app.card_edits(card).iter().any(|c| c.field_str("text").is_some_and(|t| t.contains("нет ответа на просьбу")))
    })
    .await;
    let log = app.services.store.moderation_log(Some(PostId(post)), 1).await.unwrap();
    assert_eq!((log[0].action.as_str(), log[0].source.as_str()), ("changes_expired", "system"));
    app.stop().await;
}

async fn a_blocked_bot_marks_the_message_undelivered_once(backend: Backend) {
    let app = App::start_on(backend, "conv_blocked", &[]).await;
    let author = 7106;
    let (post, _) = submit(&app, author, 1, "en", "then I blocked the bot").await;
    let blocked = Fault::Api(403, "Forbidden: bot was blocked by the user".into());
    app.fake.fail_next_to("sendMessage", author, 100, blocked);
    ask(&app, post, "Source?").await;
    let mut undelivered = None;
    app::eventually(
        "undelivered",
        || async {
            let thread = app.services.store.thread(PostId(post)).await.unwrap();
            (thread[0].delivery == ThreadDelivery::Undelivered).then(|| thread[0].clone())
        },
        &mut undelivered,
    )
    .await;
    assert!(undelivered.unwrap().error.unwrap().contains("blocked"));
    let attempts =
        || app.fake.calls_to("sendMessage").iter().filter(|c| c.field_i64("chat_id") == Some(author)).count();
    let after = attempts();
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    assert_eq!(attempts(), after, "not retried");
    assert_eq!(app.services.store.outbox_backlog().await.unwrap(), 0, "nothing left to send");

    // Too long for one message with the frame: refused whole, nothing stored.
    let long = "я".repeat(4096);
    let out = Outgoing {
        post: PostId(post),
        moderator: UserId(MODERATOR),
        source: ActionSource::Console,
        body: long,
        request: false,
    };
    assert!(matches!(
        conversation::send(&app.services, &out).await,
        Err(ConversationError::TooLong { length: 4096, .. })
    ));
    assert_eq!(app.services.store.thread(PostId(post)).await.unwrap().len(), 1);
    app.stop().await;
}

async fn a_banned_authors_reply_is_neither_attached_nor_submitted(backend: Backend) {
    let app = App::start_on(backend, "conv_banned", &[]).await;
    let author = 7107;
    let (post, _) = submit(&app, author, 1, "en", "spam").await;
    ask(&app, post, "Really?").await;
    let request = delivered(&app, author, "Moderators ask you").await;
    let ban = BanRequest {
        user: UserId(author),
        moderator: UserId(MODERATOR),
        source: ActionSource::Console,
        reason: "spam".into(),
        post: None,
    };
    postgate::moderation::ban(&app.services, &ban).await.unwrap();
    let photo = {
        let mut update = photo_message(author, author, 2, "ph-1", "uq-1", Some("new"), None);
        update["message"]["reply_to_message"] = request;
        update
    };
    app.fake.push_update(photo);
    app.fake.push_update(text_message(author, author, 3, "and this?", Some("en")));
    wait_until("updates handled", || app.fake.pending_updates() == 0).await;
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    assert_eq!(app.services.store.thread(PostId(post)).await.unwrap().len(), 1, "nothing attached");
    assert_eq!(status(&app, post).await, PostStatus::ChangesRequested);
    let total = app.services.store.list_posts(&postgate::store::PostQuery::default()).await.unwrap().total;
    assert_eq!(total, 1, "nothing submitted");
    app.stop().await;
}

/// Sends a free message to the author of `post` through the write path.
async fn write(app: &App, post: i64, body: &str) {
    let out = Outgoing {
        post: PostId(post),
        moderator: UserId(MODERATOR),
        source: ActionSource::Console,
        body: body.into(),
        request: false,
    };
    conversation::send(&app.services, &out).await.unwrap();
}

async fn a_reply_to_a_free_message_is_an_answer_also_after_the_decision(backend: Backend) {
    let app = App::start_on(backend, "conv_free", &[]).await;
    let author = 7108;
    let (post, _) = submit(&app, author, 1, "en", "keep this text").await;
    write(&app, post, "Nice one, one question").await;
    let message = delivered(&app, author, "Moderators about submission").await;
    assert!(message["reply_markup"].is_null(), "no Withdraw button under a free message: {message}");
    app.fake.push_update(reply_to(author, 2, "ask away", "en", &message));
    wait_until("answer taken", || app.texts_to(author).iter().any(|t| t.contains("was passed to the moderators")))
        .await;
    let stored = app.services.store.post(PostId(post)).await.unwrap().unwrap();
    assert_eq!((stored.status, stored.body.as_str()), (PostStatus::Pending, "keep this text"), "not a new version");

    let approve = postgate::store::Decision {
        post_id: PostId(post),
        moderator: UserId(MODERATOR),
        source: ActionSource::Console,
        kind: postgate::store::DecisionKind::Approve { edited_body: None },
    };
    postgate::moderation::decide(&app.services, &approve).await.unwrap();
    write(&app, post, "Published, thanks!").await;
    let thanks = delivered(&app, author, "Published, thanks!").await;
    app.fake.push_update(reply_to(author, 3, "you're welcome", "en", &thanks));
    let mut answered = None;
    app::eventually(
        "the answer joins the decided post's thread",
        || async {
            let thread = app.services.store.thread(PostId(post)).await.unwrap();
            thread.iter().any(|m| m.body == "you're welcome").then_some(())
        },
        &mut answered,
    )
    .await;
    assert_ne!(status(&app, post).await, PostStatus::Pending, "its status stays");
    let total = app.services.store.list_posts(&postgate::store::PostQuery::default()).await.unwrap().total;
    assert_eq!(total, 1, "no submission");
    app.stop().await;
}

on_both_backends!(
    a_reply_to_a_free_message_is_an_answer_also_after_the_decision,
    ask_from_the_card_and_the_reply_is_the_new_version,
    a_plain_answer_joins_the_thread_in_russian,
    withdraw_by_command_and_by_button,
    an_unanswered_request_expires_on_the_clock,
    a_blocked_bot_marks_the_message_undelivered_once,
    a_banned_authors_reply_is_neither_attached_nor_submitted,
);

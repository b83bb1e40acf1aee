//! Moderation in the group, success paths: the card's Ban button, and reject-and-ban. Each
//! checks the rows (post, ban, moderation log), the outbox jobs and what Telegram was asked to
//! do (the author told, the card updated, the author's next submission refused).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod app;
mod support;

use app::{App, CHANNEL, GROUP, MODERATOR, has_text, wait_until};
use postgate::domain::{ActionSource, PostId, RejectReason, UserId};
use postgate::store::{DecideOutcome, Decision, DecisionKind};
use serde_json::Value;
use support::fake_telegram::Call;
use support::fake_telegram::updates::{callback_query, text_message};

const AUTHOR: i64 = 4242;

/// One moderation-log row: action, moderator, source, reason, target user.
type LogRow = (String, Option<i64>, String, Option<String>, Option<i64>);

async fn log_of(app: &App, post: i64) -> Vec<LogRow> {
    sqlx::query_as(
        "SELECT action, moderator_id, source, reason, target_user_id FROM moderation_log \
         WHERE post_id = $1 ORDER BY id",
    )
    .bind(post)
    .fetch_all(app.pg())
    .await
    .unwrap()
}

/// The post's outbox jobs as (kind, done), in the order they were written.
async fn jobs_of(app: &App, post: i64) -> Vec<(String, bool)> {
    sqlx::query_as("SELECT kind, done_at IS NOT NULL FROM outbox WHERE post_id = $1 ORDER BY id")
        .bind(post)
        .fetch_all(app.pg())
        .await
        .unwrap()
}

async fn wait_outbox_empty(app: &App) {
    let deadline = tokio::time::Instant::now() + app::WAIT;
    while app.services.store.outbox_backlog().await.unwrap() > 0 {
        assert!(tokio::time::Instant::now() < deadline, "outbox not drained: {:?}", app.fake.methods());
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
}

/// The callback data of every button in a call's `reply_markup`.
fn buttons(call: &Call) -> Vec<String> {
    let markup = call.field_json("reply_markup").unwrap_or(Value::Null);
    markup["inline_keyboard"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|row| row.as_array().into_iter().flatten())
        .filter_map(|b| b["callback_data"].as_str().map(str::to_owned))
        .collect()
}

/// Status, reason and decider of a post.
async fn decision_of(app: &App, post: i64) -> (String, Option<String>, Option<i64>) {
    sqlx::query_as("SELECT status, reject_reason, decided_by FROM posts WHERE id = $1")
        .bind(post)
        .fetch_one(app.pg())
        .await
        .unwrap()
}

/// The author's next submission is refused as banned and not stored.
async fn next_submission_refused(app: &App) {
    let before: i64 = sqlx::query_scalar("SELECT count(*) FROM posts").fetch_one(app.pg()).await.unwrap();
    app.fake.push_update(text_message(AUTHOR, AUTHOR, 2, "и ещё один пост", Some("ru")));
    wait_until("banned author refused", || has_text(&app.texts_to(AUTHOR), "не можете предлагать")).await;
    let after: i64 = sqlx::query_scalar("SELECT count(*) FROM posts").fetch_one(app.pg()).await.unwrap();
    assert_eq!(after, before, "a banned author's submission is not stored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_ban_button_rejects_bans_tells_the_author_and_updates_the_card() {
    let app = App::start("mod_ban", &[]).await;
    app.fake.push_update(text_message(AUTHOR, AUTHOR, 1, "Купите часы!", Some("ru")));
    let (post, card) = app.card_of_latest().await;
    let card_call = app.sent_to(GROUP).into_iter().rev().find(|c| c.method == "sendmessage").unwrap();
    assert!(buttons(&card_call).contains(&format!("b:{post}")), "the card offers Ban: {:?}", buttons(&card_call));

    app.fake.push_update(callback_query(MODERATOR, &format!("b:{post}"), GROUP, card));
    wait_until("the press answered", || !app.fake.calls_to("answerCallbackQuery").is_empty()).await;
    let answer = app.fake.calls_to("answerCallbackQuery").pop().unwrap();
    assert_eq!(answer.field_str("text").as_deref(), Some("Готово."), "{:?}", answer.body);

    wait_until("author told", || has_text(&app.texts_to(AUTHOR), &format!("Ваша заявка №{post} отклонена"))).await;
    let told = app.texts_to(AUTHOR).into_iter().find(|t| t.contains("отклонена")).unwrap();
    assert!(told.contains("нарушает правила канала"), "the reason reaches the author: {told}");
    wait_outbox_empty(&app).await;

    // Rows: the post rejected by the moderator, the author banned, both actions in the log.
    let (status, reason, by) = decision_of(&app, post).await;
    assert_eq!((status.as_str(), reason.as_deref(), by), ("rejected", Some("template:rules"), Some(MODERATOR)));
    let ban = app.services.store.ban_of(UserId(AUTHOR)).await.unwrap().expect("the author is banned");
    assert_eq!((ban.reason.as_str(), ban.banned_by), ("template:rules", Some(UserId(MODERATOR))));
    let rules = Some("template:rules".to_owned());
    assert_eq!(
        log_of(&app, post).await,
        [
            ("reject".to_owned(), Some(MODERATOR), "telegram".to_owned(), rules.clone(), Some(AUTHOR)),
            ("ban".to_owned(), Some(MODERATOR), "telegram".to_owned(), rules, Some(AUTHOR)),
        ],
        "one log row per action, naming the moderator, the source and the reason"
    );
    // Jobs: the card, then the author's notice and the card's update, all done.
    let jobs = jobs_of(&app, post).await;
    let kinds: Vec<&str> = jobs.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(kinds, ["announce", "notify_author", "update_card"], "{jobs:?}");
    assert!(jobs.iter().all(|(_, done)| *done), "every job done: {jobs:?}");

    // The card: edited once to show the decision, with only ↩️ Undo left (for who rejected).
    let edits = app.card_edits(card);
    assert_eq!(edits.len(), 1, "the card is updated once: {edits:?}");
    let text = edits[0].field_str("text").unwrap();
    assert!(text.contains("Отклонено") && text.contains("нарушает правила канала"), "card text: {text}");
    assert_eq!(buttons(&edits[0]), [format!("ud:{post}")], "only Undo on a rejected card");
    assert!(app.texts_to(CHANNEL).is_empty(), "nothing published");
    assert_eq!(app.texts_to(AUTHOR).iter().filter(|t| t.contains("отклонена")).count(), 1, "told once");

    next_submission_refused(&app).await;
    app.stop().await;
}

/// The card of a post whose author was banned says so (the locales carry `card-decided-banned`
/// for it): moderators reading the group must see that a ban, not only a rejection, happened.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_card_of_a_ban_says_the_author_was_banned() {
    let app = App::start("mod_ban_card", &[]).await;
    app.fake.push_update(text_message(AUTHOR, AUTHOR, 1, "Купите часы!", Some("ru")));
    let (post, card) = app.card_of_latest().await;
    app.fake.push_update(callback_query(MODERATOR, &format!("b:{post}"), GROUP, card));
    // An earlier refresh (the flags landing after the card) may come first: wait for the decision's.
    let banned =
        || app.card_edits(card).iter().filter_map(|e| e.field_str("text")).find(|t| t.contains("Автор заблокирован"));
    wait_until("the card says the author was banned", || banned().is_some()).await;
    let text = banned().unwrap();
    assert!(text.contains("Отклонено"), "the ban is shown with the rejection:\n{text}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reject_and_ban_with_a_chosen_reason_while_the_group_shows_the_reasons() {
    let app = App::start("mod_reject_ban", &[]).await;
    app.fake.push_update(text_message(AUTHOR, AUTHOR, 1, "Реклама казино", Some("ru")));
    let (post, card) = app.card_of_latest().await;

    // A moderator opens the reasons in the group.
    app.fake.push_update(callback_query(MODERATOR, &format!("rm:{post}:{}", app.version_of(post).await), GROUP, card));
    wait_until("reasons shown", || !app.fake.calls_to("editMessageReplyMarkup").is_empty()).await;
    let menu = buttons(&app.fake.calls_to("editMessageReplyMarkup").pop().unwrap());
    assert!(
        menu.contains(&format!("r:{post}:0")) && menu.contains(&format!("bk:{post}:{}", app.version_of(post).await)),
        "{menu:?}"
    );
    // The reasons menu offers no "reject with this reason and ban" (only the card's Ban, with
    // a fixed reason), so the reject-and-ban goes through the moderation service, as the
    // console does it.
    let decision = Decision {
        post_id: PostId(post),
        moderator: UserId(MODERATOR),
        source: ActionSource::Console,
        kind: DecisionKind::Reject { reason: RejectReason::template("spam").unwrap(), ban_author: true },
    };
    let outcome = postgate::moderation::decide(&app.services, &decision).await.unwrap();
    assert!(matches!(outcome, DecideOutcome::Decided { .. }), "{outcome:?}");

    wait_until("author told", || has_text(&app.texts_to(AUTHOR), &format!("Ваша заявка №{post} отклонена"))).await;
    let told = app.texts_to(AUTHOR).into_iter().find(|t| t.contains("отклонена")).unwrap();
    assert!(told.contains("спам или реклама"), "the chosen reason reaches the author: {told}");
    wait_outbox_empty(&app).await;

    let (status, reason, by) = decision_of(&app, post).await;
    assert_eq!((status.as_str(), reason.as_deref(), by), ("rejected", Some("template:spam"), Some(MODERATOR)));
    let ban = app.services.store.ban_of(UserId(AUTHOR)).await.unwrap().expect("the author is banned");
    assert_eq!((ban.reason.as_str(), ban.banned_by), ("template:spam", Some(UserId(MODERATOR))));
    let spam = Some("template:spam".to_owned());
    assert_eq!(
        log_of(&app, post).await,
        [
            ("reject".to_owned(), Some(MODERATOR), "console".to_owned(), spam.clone(), Some(AUTHOR)),
            ("ban".to_owned(), Some(MODERATOR), "console".to_owned(), spam, Some(AUTHOR)),
        ]
    );
    let jobs = jobs_of(&app, post).await;
    let kinds: Vec<&str> = jobs.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(kinds, ["announce", "notify_author", "update_card"], "{jobs:?}");
    assert!(jobs.iter().all(|(_, done)| *done), "every job done: {jobs:?}");

    // The group's card, still showing the reasons, now shows the decision and only Undo.
    let edits = app.card_edits(card);
    assert_eq!(edits.len(), 1, "the card is updated once: {edits:?}");
    let text = edits[0].field_str("text").unwrap();
    assert!(text.contains("Отклонено") && text.contains("спам или реклама"), "card text: {text}");
    assert_eq!(buttons(&edits[0]), [format!("ud:{post}")], "the reasons are gone, Undo is offered");

    // A late press on the stale reasons menu changes nothing and says it was decided.
    app.fake.push_update(callback_query(MODERATOR, &format!("r:{post}:1"), GROUP, card));
    wait_until("late press answered", || app.fake.calls_to("answerCallbackQuery").len() == 2).await;
    let late = app.fake.calls_to("answerCallbackQuery").pop().unwrap();
    assert!(late.field_str("text").unwrap_or_default().contains("Уже решено"), "{:?}", late.body);
    assert_eq!(log_of(&app, post).await.len(), 2, "no further log rows");
    assert_eq!(decision_of(&app, post).await.1.as_deref(), Some("template:spam"), "the reason stands");

    next_submission_refused(&app).await;
    app.stop().await;
}

//! The queue does not go stale (issue #17 part 3) on the fake Bot API, on both backends, with
//! the clock injected (the round's functions take `now`): one reminder message in the group,
//! edited as its numbers change and never when nothing did, a new one after it was deleted, for
//! a new spell or when a day old, the same one after a restart, none when switched off; the
//! expiry of old pending posts — exactly those, by the system, cards updated and authors told in
//! their language — a hundred per round.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod app;
#[path = "common/mod.rs"]
mod common;
mod support;

use std::sync::Arc;

use app::{App, Backend, GROUP, MODERATOR, on_both_backends, wait_until};
use chrono::{DateTime, Duration, Utc};
use postgate::domain::{PostId, PostStatus, UserId};
use postgate::moderation::stale::{EXPIRE_BATCH, expire};
use postgate::publisher::stale::{Reminded, remind};
use postgate::services::Services;
use postgate::store::{REMINDER_STATE_KEY, SubmitOutcome};
use support::fake_telegram::updates::{callback_query, text_message};
use teloxide::prelude::*;
use teloxide::types::MessageId;

/// Messages the bot sent to the group that are reminders (cards are not).
fn reminders(app: &App) -> Vec<String> {
    app.texts_to(GROUP).into_iter().filter(|t| t.starts_with('⏳') || t.starts_with('✅')).collect()
}

/// Edits of message `id` in the group, their texts, oldest first.
fn edits_of(app: &App, id: i32) -> Vec<String> {
    app.card_edits(id).iter().filter_map(|c| c.field_str("text")).collect()
}

/// Stores a pending text post from `author` straight through the store; its id.
async fn seed(services: &Services, author: i64, message: i32) -> PostId {
    let post = common::text_post(author, message, &format!("waiting {message}"));
    let SubmitOutcome::Created(id) = services.store.submit(&post).await.unwrap() else { panic!("stored") };
    id
}

async fn reject(services: &Services, id: PostId) {
    services.store.decide(&common::reject(id, UserId(MODERATOR))).await.unwrap();
}

async fn the_reminder_is_one_message_edited_as_its_numbers_change(backend: Backend) {
    let app = App::start_on(backend, "stale_remind", &[("STALE_REMINDER_HOURS", "24")]).await;
    // The worker's own round runs on the real clock: the test moves its clock alone.
    app.runtime.stop().await;
    let (bot, services) = (app.fake.bot(), &app.services);
    let ids =
        [seed(&app.services, 8001, 1).await, seed(&app.services, 8002, 2).await, seed(&app.services, 8003, 3).await];
    assert_eq!(remind(&bot, services, Utc::now()).await.unwrap(), Reminded::Unchanged, "nothing old yet");
    assert!(reminders(&app).is_empty());

    let later = Utc::now() + Duration::hours(26);
    let Reminded::Sent { message_id } = remind(&bot, services, later).await.unwrap() else { panic!("sent") };
    let first = format!("⏳ 3 заявки ждут решения дольше 24 ч; самая старая, №{}, ждёт 1 д 2 ч.", ids[0].0);
    assert_eq!(reminders(&app), [first]);
    assert_eq!(remind(&bot, services, later).await.unwrap(), Reminded::Unchanged, "nothing changed");
    assert!(edits_of(&app, message_id).is_empty(), "no edit when nothing changed");

    reject(services, ids[0]).await;
    assert_eq!(remind(&bot, services, later).await.unwrap(), Reminded::Edited { message_id });
    let second = format!("⏳ 2 заявки ждут решения дольше 24 ч; самая старая, №{}, ждёт 1 д 2 ч.", ids[1].0);
    assert_eq!(edits_of(&app, message_id), [second]);

    // A restart: a new process opens the store, reads the message back and edits it.
    assert!(services.store.bot_state(REMINDER_STATE_KEY).await.unwrap().is_some_and(|s| s.contains("message_id")));
    services.store.close().await;
    let restarted = Services::build((*services.config).clone()).await.unwrap();
    let services = &restarted;
    assert_eq!(remind(&bot, services, later + Duration::hours(1)).await.unwrap(), Reminded::Edited { message_id });
    assert_eq!(reminders(&app).len(), 1, "still one message");
    assert!(edits_of(&app, message_id).last().unwrap().contains("1 д 3 ч"));

    // Deleted by a moderator: "message to edit not found", so a new one is sent.
    bot.delete_message(ChatId(GROUP), MessageId(message_id)).await.unwrap();
    let Reminded::Sent { message_id: again } = remind(&bot, services, later + Duration::hours(2)).await.unwrap() else {
        panic!("a new reminder after the old one was deleted")
    };
    assert_ne!(again, message_id);
    assert_eq!(reminders(&app).len(), 2);

    // Nothing stale any more: the reminder says so, once.
    reject(services, ids[1]).await;
    reject(services, ids[2]).await;
    assert_eq!(
        remind(&bot, services, later + Duration::hours(2)).await.unwrap(),
        Reminded::Edited { message_id: again }
    );
    assert_eq!(edits_of(&app, again), ["✅ Очередь в порядке: ни одна заявка не ждёт дольше 24 ч."]);
    assert_eq!(remind(&bot, services, later + Duration::hours(3)).await.unwrap(), Reminded::Unchanged);

    // A new spell gets a new message; a reminder a day old is not edited but sent anew.
    seed(services, 8004, 4).await;
    let spell = later + Duration::hours(3);
    let Reminded::Sent { message_id: third } = remind(&bot, services, spell).await.unwrap() else {
        panic!("new spell")
    };
    assert_ne!(third, again);
    let Reminded::Sent { message_id: fourth } = remind(&bot, services, spell + Duration::hours(25)).await.unwrap()
    else {
        panic!("a day-old reminder is followed by a new message")
    };
    assert_ne!(fourth, third);
    assert!(edits_of(&app, third).is_empty());
    assert_eq!(reminders(&app).len(), 4);
    restarted.store.close().await;
    app.stop().await;
}

async fn no_reminder_when_off_and_the_group_reads_it_in_its_language(backend: Backend) {
    let app = App::start_on(backend, "stale_lang", &[("STALE_REMINDER_HOURS", "5"), ("DEFAULT_LOCALE", "en")]).await;
    app.runtime.stop().await;
    let bot = app.fake.bot();
    let id = seed(&app.services, 8101, 1).await;
    let mut off = app.services.clone();
    let mut config = (*off.config).clone();
    config.stale.reminder_hours = None;
    off.config = Arc::new(config);
    let later = Utc::now() + Duration::hours(30);
    assert_eq!(remind(&bot, &off, later).await.unwrap(), Reminded::Off);
    assert!(reminders(&app).is_empty(), "none when switched off");
    assert!(matches!(remind(&bot, &app.services, later).await.unwrap(), Reminded::Sent { .. }));
    let want = format!("⏳ 1 submission has waited longer than 5 h; the oldest, #{}, for 1 d 6 h.", id.0);
    assert_eq!(reminders(&app), [want]);
    app.stop().await;
}

/// Sends a submission from `author` in `lang` through the bot; the post and its card.
async fn submit(app: &App, author: i64, lang: &str, body: &str) -> (i64, i32) {
    let cards =
        |app: &App| app.fake.calls_to("sendMessage").iter().filter(|c| c.field_i64("chat_id") == Some(GROUP)).count();
    let before = cards(app);
    app.fake.push_update(text_message(author, author, 1, body, Some(lang)));
    wait_until("card sent", || cards(app) > before).await;
    app.card_of_latest().await
}

async fn status(app: &App, id: i64) -> PostStatus {
    app.services.store.post(PostId(id)).await.unwrap().unwrap().status
}

async fn old_pending_posts_expire_authors_told_cards_updated_by_the_system(backend: Backend) {
    let app = App::start_on(backend, "stale_expire", &[("PENDING_EXPIRE_DAYS", "7")]).await;
    let (old_ru, card_ru) = submit(&app, 8201, "ru", "старая заявка").await;
    let (old_en, card_en) = submit(&app, 8202, "en", "an old submission").await;
    let (approved, approved_card) = submit(&app, 8203, "en", "approved just before").await;
    app.fake.push_update(callback_query(MODERATOR, &app.approve_data(approved).await, GROUP, approved_card));
    let mut done = None;
    app::eventually(
        "approved",
        // No publishing plan: approved, then published at once.
        || async { (status(&app, approved).await != PostStatus::Pending).then_some(()) },
        &mut done,
    )
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let cutoff: DateTime<Utc> = Utc::now();
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let (young, _) = submit(&app, 8204, "ru", "a young one").await;

    let now = cutoff + Duration::days(7);
    let expired = expire(&app.services, now).await.unwrap();
    assert_eq!(expired, [PostId(old_ru), PostId(old_en)], "exactly the old pending ones, oldest first");
    assert!(
        matches!(status(&app, approved).await, PostStatus::Approved | PostStatus::Published),
        "a decided post is not touched"
    );
    assert_eq!(status(&app, young).await, PostStatus::Pending);
    assert!(expire(&app.services, now).await.unwrap().is_empty(), "idempotent");

    wait_until("authors told", || app.texts_to(8201).iter().any(|t| t.contains("отклонена"))).await;
    wait_until("authors told", || app.texts_to(8202).iter().any(|t| t.contains("rejected"))).await;
    let told_ru = app.texts_to(8201).into_iter().find(|t| t.contains("отклонена")).unwrap();
    assert_eq!(told_ru, format!("Ваша заявка №{old_ru} отклонена. Причина: заявка слишком долго ждала решения"));
    let told_en = app.texts_to(8202).into_iter().find(|t| t.contains("rejected")).unwrap();
    assert_eq!(told_en, format!("Your submission #{old_en} was rejected. Reason: it waited too long for a decision"));
    for card in [card_ru, card_en] {
        wait_until("card updated", || {
            app.card_edits(card).iter().filter_map(|c| c.field_str("text")).any(|t| {
                t.contains("❌ Отклонено: система") && t.contains("Причина: заявка слишком долго ждала решения")
            })
        })
        .await;
    }
    for id in [old_ru, old_en] {
        let log = app.services.store.moderation_log(Some(PostId(id)), 5).await.unwrap();
        assert_eq!((log[0].action.as_str(), log[0].source.as_str(), log[0].moderator_id), ("reject", "system", None));
    }
    assert!(
        !app.texts_to(8203).iter().any(|t| t.contains("rejected")),
        "the approved author is not told of a rejection"
    );
    app.stop().await;
}

async fn a_large_backlog_expires_a_hundred_per_round(backend: Backend) {
    let app = App::start_on(backend, "stale_batch", &[("PENDING_EXPIRE_DAYS", "1")]).await;
    app.runtime.stop().await;
    let total = usize::try_from(EXPIRE_BATCH).unwrap() + 1;
    for i in 0..total {
        seed(&app.services, 8300 + i64::try_from(i).unwrap(), i32::try_from(i).unwrap() + 1).await;
    }
    let now = Utc::now() + Duration::days(2);
    assert_eq!(expire(&app.services, now).await.unwrap().len(), total - 1);
    assert_eq!(expire(&app.services, now).await.unwrap().len(), 1);
    assert!(expire(&app.services, now).await.unwrap().is_empty());
    assert_eq!(app.services.store.stats().await.unwrap().pending, 0);
    app.stop().await;
}

on_both_backends!(
    the_reminder_is_one_message_edited_as_its_numbers_change,
    no_reminder_when_off_and_the_group_reads_it_in_its_language,
    old_pending_posts_expire_authors_told_cards_updated_by_the_system,
    a_large_backlog_expires_a_hundred_per_round,
);

//! The publishing schedule end to end on the fake Bot API, on both backends, with the clock
//! injected where time must pass (the release of due posts takes `now`): approvals fill the
//! plan's next slots and say when (card and author, in both languages), nothing is published
//! before its time and each post exactly once after it, the card's buttons and `/schedule`,
//! a restart with 100 scheduled posts, and the catch-up of posts missed while the bot was off.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod app;
#[path = "common/mod.rs"]
mod common;
mod support;

use app::{App, Backend, CHANNEL, GROUP, MODERATOR, on_both_backends, wait_until};
use chrono::{DateTime, Duration, DurationRound, Utc};
use postgate::domain::{PostId, PostStatus, UserId};
use postgate::moderation::schedule::{catch_up, release_due};
use postgate::render::callback::Action;
use postgate::render::when_text;
use postgate::store::SubmitOutcome;
use support::fake_telegram::updates::{callback_query, text_message};

const SLOTS: [(&str, &str); 2] = [("PUBLISH_SLOTS", "09:00,13:00,18:30"), ("PUBLISH_TIMEZONE", "Europe/Moscow")];

fn channel_texts(app: &App) -> Vec<String> {
    app.texts_to(CHANNEL)
}

/// The clock stands at `now`: the worker queues due posts one at a time (the next once the
/// last went out), until the channel holds `count` messages.
async fn publish_through(app: &App, now: DateTime<Utc>, count: usize) {
    let deadline = tokio::time::Instant::now() + app::WAIT;
    while channel_texts(app).len() < count {
        assert!(tokio::time::Instant::now() < deadline, "{} of {count} published", channel_texts(app).len());
        release_due(&app.services, now).await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// The post's time, as stored.
async fn time_of(app: &App, post: i64) -> Option<DateTime<Utc>> {
    app.services.store.post(PostId(post)).await.unwrap().unwrap().scheduled_at
}

/// Sends a submission from `author` and approves it from its card; the post and card ids.
async fn submit_and_approve(app: &App, author: i64, lang: &str, body: &str) -> (i64, i32) {
    let cards_before =
        app.fake.calls_to("sendMessage").iter().filter(|c| c.field_i64("chat_id") == Some(GROUP)).count();
    app.fake.push_update(text_message(author, author, 1, body, Some(lang)));
    wait_until("card sent", || {
        app.fake.calls_to("sendMessage").iter().filter(|c| c.field_i64("chat_id") == Some(GROUP)).count() > cards_before
    })
    .await;
    let (post, card) = app.card_of_latest().await;
    app.fake.push_update(callback_query(MODERATOR, &app.approve_data(post).await, GROUP, card));
    let mut approved = None;
    app::eventually("approved", || async { (app.status_of(post).await == "approved").then_some(()) }, &mut approved)
        .await;
    (post, card)
}

async fn ten_approvals_fill_the_next_slots_and_each_goes_out_once_at_its_time(backend: Backend) {
    let app = App::start_on(backend, "sched_ten", &SLOTS).await;
    let plan = app.services.config.schedule.clone();
    let started = Utc::now();
    let mut posts = Vec::new();
    for i in 0..10_i64 {
        let lang = if i % 2 == 0 { "en" } else { "ru" };
        let (post, card) = submit_and_approve(&app, 3000 + i, lang, &format!("scheduled post {i}")).await;
        posts.push((post, card, 3000 + i, lang));
    }
    // First come, first served: the plan's next ten slots, in the order of the approvals.
    let mut taken = Vec::new();
    for _ in 0..10 {
        taken.push(plan.next_free(started, &taken).unwrap());
    }
    for ((post, ..), want) in posts.iter().zip(&taken) {
        assert_eq!(time_of(&app, *post).await, Some(*want), "post {post}");
    }
    for ((post, card, author, lang), at) in posts.iter().zip(&taken) {
        let in_group = when_text(&app.services.i18n, "ru", &plan, *at);
        wait_until("card shows the time", || {
            app.card_edits(*card).iter().any(|c| c.field_str("text").is_some_and(|t| t.contains(&in_group)))
        })
        .await;
        let to_author = when_text(&app.services.i18n, lang, &plan, *at);
        wait_until("author told when", || app.texts_to(*author).iter().any(|t| t.contains(&to_author))).await;
        let said = app.texts_to(*author).into_iter().find(|t| t.contains(&to_author)).unwrap();
        let id = post.to_string();
        assert!(
            said.contains(&id) && (said.contains("will be published") || said.contains("будет опубликована")),
            "{said}"
        );
    }
    assert!(channel_texts(&app).is_empty(), "nothing goes out before its time");

    // The clock reaches the third slot: exactly the first three go out, in order.
    publish_through(&app, taken[2], 3).await;
    assert_eq!(channel_texts(&app), ["scheduled post 0", "scheduled post 1", "scheduled post 2"]);
    publish_through(&app, taken[9], 10).await;
    for (post, ..) in &posts {
        let mut done = None;
        app::eventually("published", || async { (app.status_of(*post).await == "published").then_some(()) }, &mut done)
            .await;
    }
    assert!(release_due(&app.services, taken[9] + Duration::days(1)).await.unwrap().is_empty());
    let texts = channel_texts(&app);
    for i in 0..10 {
        assert_eq!(texts.iter().filter(|t| **t == format!("scheduled post {i}")).count(), 1, "once: {texts:?}");
    }
    app.stop().await;
}

async fn the_cards_buttons_publish_now_unschedule_and_reslot_and_schedule_lists(backend: Backend) {
    let app = App::start_on(backend, "sched_buttons", &SLOTS).await;
    let (first, first_card) = submit_and_approve(&app, 4001, "en", "first").await;
    let (second, second_card) = submit_and_approve(&app, 4002, "ru", "second").await;
    let (third, third_card) = submit_and_approve(&app, 4003, "en", "third").await;
    let (t1, t2, t3) = (
        time_of(&app, first).await.unwrap(),
        time_of(&app, second).await.unwrap(),
        time_of(&app, third).await.unwrap(),
    );

    // Someone who is not a moderator changes nothing.
    app.press(999_999, &Action::PublishNow(PostId(first), t1.timestamp()), first_card).await;
    assert!(channel_texts(&app).is_empty());
    assert_eq!(time_of(&app, first).await, Some(t1));

    app.press(MODERATOR, &Action::PublishNow(PostId(first), t1.timestamp()), first_card).await;
    wait_until("published now", || channel_texts(&app) == ["first"]).await;
    assert!(app.answers().iter().any(|a| a == "Отправлено в канал."), "{:?}", app.answers());

    app.press(MODERATOR, &Action::Unschedule(PostId(second), t2.timestamp()), second_card).await;
    let parked = app.services.store.post(PostId(second)).await.unwrap().unwrap();
    assert!(parked.parked && parked.scheduled_at.is_none(), "{parked:?}");
    wait_until("card says it waits", || {
        app.card_edits(second_card).iter().any(|c| c.field_str("text").is_some_and(|t| t.contains("⏸")))
    })
    .await;
    // The next free slot is the one the first post left.
    app.press(MODERATOR, &Action::NextSlot(PostId(second)), second_card).await;
    assert_eq!(time_of(&app, second).await, Some(t1));

    // A card showing an old time: nothing is done, the moderator is told.
    app.press(MODERATOR, &Action::PublishNow(PostId(third), (t3 - Duration::hours(1)).timestamp()), third_card).await;
    assert_eq!(time_of(&app, third).await, Some(t3));
    assert!(app.answers().iter().any(|a| a.contains("уже изменили")), "{:?}", app.answers());
    assert_eq!(channel_texts(&app), ["first"]);

    let replies_before = app.texts_to(GROUP).len();
    app.fake.push_update(text_message(MODERATOR, GROUP, 500, "/schedule", Some("en")));
    wait_until("schedule listed", || app.texts_to(GROUP).len() > replies_before).await;
    let listed = app.texts_to(GROUP).pop().unwrap();
    let plan = &app.services.config.schedule;
    let (w1, w3) = (when_text(&app.services.i18n, "ru", plan, t1), when_text(&app.services.i18n, "ru", plan, t3));
    assert!(listed.contains(&format!("{w1} — №{second}")) && listed.contains(&format!("{w3} — №{third}")), "{listed}");
    assert!(listed.find(&format!("№{second}")) < listed.find(&format!("№{third}")), "in time order: {listed}");
    app.stop().await;
}

/// Stores `n` approved posts due at `first`, `first + 1 min`, …; their ids.
async fn seed_scheduled(app: &App, n: i32, first: DateTime<Utc>) -> Vec<PostId> {
    let store = &app.services.store;
    let mut ids = Vec::new();
    for i in 0..n {
        let post = common::text_post(6000 + i64::from(i), i + 1, &format!("seeded {i:03}"));
        let SubmitOutcome::Created(id) = store.submit(&post).await.unwrap() else { panic!("stored") };
        let approve = common::approve(id, UserId(MODERATOR));
        store.decide_at(&approve, Some(first + Duration::minutes(i64::from(i)))).await.unwrap();
        ids.push(id);
    }
    ids
}

async fn a_restart_with_100_scheduled_posts_publishes_each_exactly_once_at_its_time(backend: Backend) {
    let app = App::start_on(backend, "sched_restart", &SLOTS).await;
    let first = Utc::now() + Duration::hours(3);
    let ids = seed_scheduled(&app, 100, first).await;
    app.runtime.stop().await;
    app.runtime.start().await.unwrap();
    publish_through(&app, first + Duration::minutes(49), 50).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(channel_texts(&app).len(), 50, "none before its time");
    app.runtime.stop().await;
    app.runtime.start().await.unwrap();
    publish_through(&app, first + Duration::minutes(99), 100).await;
    let texts: Vec<String> = channel_texts(&app).into_iter().filter(|t| t.starts_with("seeded")).collect();
    let want: Vec<String> = (0..100).map(|i| format!("seeded {i:03}")).collect();
    assert_eq!(texts, want, "each once, in time order");
    for id in ids {
        let mut done = None;
        app::eventually("published", || async { (app.status_of(id.0).await == "published").then_some(()) }, &mut done)
            .await;
    }
    app.stop().await;
}

async fn posts_missed_while_the_bot_was_off_catch_up_in_order_spaced(backend: Backend) {
    let extra = [SLOTS[0], SLOTS[1], ("PUBLISH_CATCH_UP_MINUTES", "10")];
    let app = App::start_on(backend, "sched_catch_up", &extra).await;
    app.runtime.stop().await;
    let ids = seed_scheduled(&app, 3, Utc::now() + Duration::hours(5)).await;
    // The bot comes back a day later: the three times have passed.
    let back = (Utc::now() + Duration::days(1)).duration_trunc(Duration::seconds(1)).unwrap();
    assert_eq!(catch_up(&app.services, back).await.unwrap(), 3);
    for (i, id) in (0_i64..).zip(&ids) {
        let at = app.services.store.post(*id).await.unwrap().unwrap();
        assert_eq!((at.status, at.scheduled_at), (PostStatus::Approved, Some(back + Duration::minutes(10 * i))));
    }
    let log = app.services.store.moderation_log(Some(ids[0]), 5).await.unwrap();
    assert_eq!((log[0].action.as_str(), log[0].source.as_str()), ("reschedule", "system"));
    assert_eq!(catch_up(&app.services, back).await.unwrap(), 0, "nothing is missed twice");
    app.runtime.start().await.unwrap();
    publish_through(&app, back + Duration::minutes(25), 3).await;
    assert_eq!(channel_texts(&app), ["seeded 000", "seeded 001", "seeded 002"]);
    app.stop().await;
}

async fn only_the_approving_moderator_undoes_an_approval_from_the_card(backend: Backend) {
    let other_moderator = MODERATOR + 1;
    let ids = format!("{MODERATOR},{other_moderator}");
    let extra = [SLOTS[0], SLOTS[1], ("MODERATOR_IDS", ids.as_str())];
    let app = App::start_on(backend, "sched_undo", &extra).await;
    let (post, card) = submit_and_approve(&app, 5001, "en", "undo me").await;
    let slot = time_of(&app, post).await.unwrap();

    app.press(other_moderator, &Action::Undo(PostId(post)), card).await;
    assert!(app.answers().iter().any(|a| a.contains("Отменить может только")), "{:?}", app.answers());
    assert_eq!((app.status_of(post).await, time_of(&app, post).await), ("approved".to_owned(), Some(slot)));

    app.press(MODERATOR, &Action::Undo(PostId(post)), card).await;
    assert_eq!((app.status_of(post).await, time_of(&app, post).await), ("pending".to_owned(), None));
    wait_until("the card offers the decision again", || {
        app.card_edits(card)
            .iter()
            .any(|c| c.field_json("reply_markup").is_some_and(|m| m.to_string().contains("\"a:")))
    })
    .await;
    let log = app.services.store.moderation_log(Some(PostId(post)), 5).await.unwrap();
    assert_eq!((log[0].action.as_str(), log[0].source.as_str()), ("return_to_queue", "telegram"));
    assert!(app.services.store.scheduled_times(Utc::now()).await.unwrap().is_empty(), "its slot is free");
    app.stop().await;
}

on_both_backends!(
    only_the_approving_moderator_undoes_an_approval_from_the_card,
    ten_approvals_fill_the_next_slots_and_each_goes_out_once_at_its_time,
    the_cards_buttons_publish_now_unschedule_and_reslot_and_schedule_lists,
    a_restart_with_100_scheduled_posts_publishes_each_exactly_once_at_its_time,
    posts_missed_while_the_bot_was_off_catch_up_in_order_spaced,
);

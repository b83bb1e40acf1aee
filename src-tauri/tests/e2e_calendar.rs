//! The calendar in the real window (`WebKitGTK` under Xvfb, `WebDriver`), on both storage
//! backends, with a plan of three slots a day: three approvals fill the next slots and the
//! calendar shows them; dragging the first post onto a later free slot moves its publication
//! there; a fourth approved to the top of the queue takes the slot left free; then, as the
//! window's injected clock (a debug build's test clock, moved by this test) reaches each slot,
//! the window's bot publishes the posts on the fake Bot API in their new order — the moved one
//! last, once. Screenshot `target/e2e/calendar.png` (the README's
//! `docs/screenshots/calendar.png`). And, on `PostgreSQL`, an approval and a rejection undone
//! from their toasts.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use chrono::{DateTime, Utc};
use fantoccini::actions::{InputSource, MOUSE_BUTTON_LEFT, MouseActions, PointerAction};
use postgate::domain::PostStatus;
use postgate::domain::{ActionSource, PostId, UserId};
use postgate::services::Services;
use postgate::store::{Decision, DecisionKind};
use support::backend::{Backend, Db};
use support::driver::{LogsOnPanic, Window, css, until};
use support::{CHANNEL, MODERATOR, delivered};

async fn time_of(services: &Services, id: PostId) -> Option<DateTime<Utc>> {
    services.store.post(id).await.unwrap().unwrap().scheduled_at
}

fn cell(at: DateTime<Utc>) -> String {
    format!("[data-testid=\"cell-{}\"]", at.timestamp())
}

/// Presses the mouse on `from`, moves it in steps onto `to` and lets go there.
async fn drag(window: &Window, from: &str, to: &str) {
    let source = window.client.find(css(from)).await.unwrap();
    let target = window.client.find(css(to)).await.unwrap();
    let step = Some(Duration::from_millis(50));
    let mouse = MouseActions::new("mouse".into())
        .then(PointerAction::MoveToElement { element: source, duration: step, x: 0.0, y: -4.0 })
        .then(PointerAction::Down { button: MOUSE_BUTTON_LEFT })
        .then(PointerAction::MoveToElement { element: target.clone(), duration: step, x: 10.0, y: 10.0 })
        .then(PointerAction::MoveToElement { element: target, duration: step, x: 0.0, y: 0.0 })
        .then(PointerAction::Up { button: MOUSE_BUTTON_LEFT });
    window.client.perform_actions(mouse).await.unwrap();
}

/// Moves the window's clock (a debug build's test clock, read from `file`) to just after `at`.
/// Written aside and renamed, so the window never reads a half-written offset.
fn set_clock(file: &std::path::Path, at: DateTime<Utc>) {
    let aside = file.with_extension("new");
    std::fs::write(&aside, ((at - Utc::now()).num_seconds() + 2).to_string()).unwrap();
    std::fs::rename(&aside, file).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dragging_a_post_to_another_slot_publishes_it_at_the_new_time_on_postgres() {
    drag_then_publish(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dragging_a_post_to_another_slot_publishes_it_at_the_new_time_on_sqlite() {
    drag_then_publish(Backend::Sqlite).await;
}

async fn drag_then_publish(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let _logs = LogsOnPanic(dir.path().to_owned());
    let fake = support::fake_api().await;
    let mut db = Db::fresh(backend, "e2e_calendar", &fake.base_url(), dir.path()).await;
    let clock = dir.path().join("clock-offset");
    for (key, value) in [
        ("AUTOSTART_BOT", "true".to_owned()),
        ("MEDIA_TEMP_DIR", dir.path().join("media").display().to_string()),
        ("POSTGATE_SETTINGS_FILE", dir.path().join("settings.json").display().to_string()),
        ("PUBLISH_SLOTS", "09:00,13:00,18:30".to_owned()),
        ("PUBLISH_TIMEZONE", "Europe/Moscow".to_owned()),
        (postgate::clock::OFFSET_FILE_VAR, clock.display().to_string()),
    ] {
        db.env.insert(key.into(), value);
    }

    // Three posts approved through the one write path take the plan's next three slots; a
    // fourth waits in the queue.
    let other = db.open().await;
    let mut ids = Vec::new();
    for (author, message, body) in [(801, 10, "first in line"), (802, 20, "second in line"), (803, 30, "third in line")]
    {
        let post = support::text_post(author, message, body);
        support::known_to(&fake, &post);
        let id = other.store.submit(&post).await.unwrap().post_id().unwrap();
        let approve = Decision {
            post_id: id,
            moderator: UserId(MODERATOR),
            source: ActionSource::Console,
            kind: DecisionKind::Approve { edited_body: None },
        };
        postgate::moderation::decide(&other, &approve).await.unwrap();
        ids.push(id);
    }
    let urgent = support::text_post(804, 40, "urgent, to the top");
    support::known_to(&fake, &urgent);
    let urgent = other.store.submit(&urgent).await.unwrap().post_id().unwrap();
    let mut slots = Vec::new();
    for id in &ids {
        slots.push(time_of(&other, *id).await.expect("scheduled"));
    }
    assert!(slots.windows(2).all(|w| w[0] < w[1]), "first come, first served: {slots:?}");
    let later = other.config.schedule.next_free(Utc::now(), &slots).unwrap();
    let other = db.hand_over(other).await;

    let window = db.window(dir.path()).await;
    window.wait_for("[data-testid=\"queue\"]").await;
    window.click("[data-testid=\"nav-calendar\"]").await;
    for (id, at) in ids.iter().zip(&slots) {
        window.wait_for(&format!("{} [data-testid=\"cal-post-{}\"]", cell(*at), id.0)).await;
    }
    window.wait_for(&cell(later)).await;

    drag(&window, &format!("[data-testid=\"cal-post-{}\"]", ids[0].0), &cell(later)).await;
    window.wait_for(&format!("{} [data-testid=\"cal-post-{}\"]", cell(later), ids[0].0)).await;
    if let Some(other) = &other {
        until("the store moved it", || async { time_of(other, ids[0]).await == Some(later) }).await;
    }
    assert!(!window.present(&format!("{} [data-testid^=\"cal-post-\"]", cell(slots[0]))).await, "its old slot is free");
    tokio::time::sleep(Duration::from_millis(300)).await;
    window.screenshot("calendar").await;

    // The fourth, approved to the top of the queue, takes the earliest slot: the one left free.
    window.click("[data-testid=\"nav-queue\"]").await;
    window.click(&support::driver::row(urgent)).await;
    window.wait_for("[data-testid=\"approve-when\"]").await.select_by_value("top").await.unwrap();
    window.click("[data-testid=\"approve\"]").await;
    window.click("[data-testid=\"nav-calendar\"]").await;
    window.wait_for(&format!("{} [data-testid=\"cal-post-{}\"]", cell(slots[0]), urgent.0)).await;

    // The window's clock reaches the second slot: the top post and the second go out, not the
    // moved one. Then it passes the later slot: the third, then the moved one, each once.
    let channel_bodies =
        || delivered(&fake, CHANNEL).iter().filter_map(|m| m["text"].as_str().map(str::to_owned)).collect::<Vec<_>>();
    set_clock(&clock, slots[1]);
    until("two published", || async { channel_bodies().len() >= 2 }).await;
    assert_eq!(channel_bodies(), ["urgent, to the top", "second in line"]);
    set_clock(&clock, later);
    until("all four published", || async { channel_bodies().len() >= 4 }).await;
    assert_eq!(channel_bodies(), ["urgent, to the top", "second in line", "third in line", "first in line"]);

    window.close().await;
    let other = db.take_back(other).await;
    assert_eq!(time_of(&other, ids[0]).await, Some(later), "published at its new time");
    let log = other.store.moderation_log(Some(ids[0]), 10).await.unwrap();
    assert!(log.iter().any(|e| (e.action.as_str(), e.source.as_str()) == ("reschedule", "console")), "{log:?}");
    for id in ids.iter().chain([&urgent]) {
        assert_eq!(other.store.post(*id).await.unwrap().unwrap().status, PostStatus::Published, "{id:?}");
    }
    other.close().await;
    fake.shutdown().await;
    db.drop().await;
}

/// An approval made in the console offers Undo for 10 s: the approved (scheduled) post goes
/// back to the queue, logged, its slot free again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approval_is_undone_from_its_toast() {
    let dir = tempfile::tempdir().unwrap();
    let fake = support::fake_api().await;
    let (db_name, db_url) = support::fresh_database("e2e_undo").await;
    let mut env = support::test_env(&db_url, &db_name, &fake.base_url(), &dir.path().join("logs"));
    env.insert("AUTOSTART_BOT".into(), "false".into());
    env.insert("POSTGATE_SETTINGS_FILE".into(), dir.path().join("settings.json").display().to_string());
    env.insert("PUBLISH_SLOTS".into(), "09:00,13:00,18:30".into());
    env.insert("PUBLISH_TIMEZONE".into(), "Europe/Moscow".into());
    let other = Services::build(postgate::config::Config::from_map(&env).unwrap()).await.unwrap();
    let post = support::text_post(811, 10, "approve me, then think again");
    let id = other.store.submit(&post).await.unwrap().post_id().unwrap();

    let env: Vec<(String, String)> = env.into_iter().collect();
    let window = Window::open(std::path::Path::new(env!("CARGO_BIN_EXE_postgate-desktop")), &env, dir.path()).await;
    window.click(&support::driver::row(id)).await;
    window.click("[data-testid=\"approve\"]").await;
    until("approved and scheduled", || async { time_of(&other, id).await.is_some() }).await;
    window.click("[data-testid=\"undo\"]").await;
    until("back in the queue", || async {
        other.store.post(id).await.unwrap().unwrap().status == postgate::domain::PostStatus::Pending
    })
    .await;
    assert_eq!(time_of(&other, id).await, None, "its slot is free");
    let log = other.store.moderation_log(Some(id), 5).await.unwrap();
    assert_eq!((log[0].action.as_str(), log[0].source.as_str()), ("return_to_queue", "console"));
    window.wait_for(&support::driver::row(id)).await;

    window.close().await;
    other.close().await;
    fake.shutdown().await;
    support::drop_database(&db_name).await;
}

/// A rejection made in the console offers Undo too: the post goes back to the queue before its
/// notice left (the undo window holds it), so the author never hears of it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejection_is_undone_from_its_toast_before_the_author_hears_of_it() {
    let dir = tempfile::tempdir().unwrap();
    let fake = support::fake_api().await;
    let (db_name, db_url) = support::fresh_database("e2e_undo_reject").await;
    let mut env = support::test_env(&db_url, &db_name, &fake.base_url(), &dir.path().join("logs"));
    env.insert("POSTGATE_SETTINGS_FILE".into(), dir.path().join("settings.json").display().to_string());
    env.insert("UNDO_WINDOW_SECS".into(), "60".into());
    let other = Services::build(postgate::config::Config::from_map(&env).unwrap()).await.unwrap();
    let post = support::text_post(812, 11, "reject me, then think again");
    let id = other.store.submit(&post).await.unwrap().post_id().unwrap();

    let env: Vec<(String, String)> = env.into_iter().collect();
    let window = Window::open(std::path::Path::new(env!("CARGO_BIN_EXE_postgate-desktop")), &env, dir.path()).await;
    window.click(&support::driver::row(id)).await;
    window.click("[data-testid=\"reject\"]").await;
    window.wait_for("[data-testid=\"reject-dialog\"]").await;
    window.click("[data-testid=\"reason-spam\"]").await;
    window.click("[data-testid=\"reject-confirm\"]").await;
    let status = |want: postgate::domain::PostStatus| {
        let other = &other;
        async move { other.store.post(id).await.unwrap().unwrap().status == want }
    };
    until("rejected", || status(postgate::domain::PostStatus::Rejected)).await;
    window.click("[data-testid=\"undo\"]").await;
    until("back in the queue", || status(postgate::domain::PostStatus::Pending)).await;
    let log = other.store.moderation_log(Some(id), 5).await.unwrap();
    assert_eq!((log[0].action.as_str(), log[0].source.as_str()), ("return_to_queue", "console"));
    // Withdrawn while held: the author never hears of it (tests/bot_undo.rs watches the chat).
    assert_eq!(log[0].details["author_told"], false, "{:?}", log[0].details);
    window.wait_for(&support::driver::row(id)).await;

    window.close().await;
    other.close().await;
    fake.shutdown().await;
    support::drop_database(&db_name).await;
}

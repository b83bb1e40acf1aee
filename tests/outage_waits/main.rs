//! Outages waited out before anyone is bothered (issue #13, item 3): the database goes away
//! for real — a private PostgreSQL stopped, a SQLite folder made unwritable or its disk
//! filled — under a steady stream of submissions through the fake Bot API. Up to
//! `DB_OUTAGE_WAIT_SECS` nobody is told "try later" and everything is stored and receipted when
//! the database returns; past it the author is told. A moderator's press during an outage is
//! answered "saving…" and applied after recovery, or refused clearly. Loopback only; every
//! loop is bounded.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../app/mod.rs"]
mod app;
#[path = "../common/mod.rs"]
mod common;
mod faults;
mod stream;
#[path = "../support/mod.rs"]
mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use app::{App, Backend, GROUP, MODERATOR};
use faults::{Immutable, PrivatePg, SmallDisk};
use postgate::health::DbHealth;
use stream::{Outage, logged_for, logs, receipts, try_laters};
use support::fake_telegram::updates::{callback_query, text_message};

const NO_LIMITS: [(&str, &str); 2] = [("RATE_LIMIT_MAX", "10000"), ("MAX_PENDING_PER_USER", "10000")];

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_stopped_for_15_s_under_a_stream_asks_nobody_to_try_again() {
    logs();
    let pg = Arc::new(tokio::task::spawn_blocking(PrivatePg::start).await.unwrap());
    let url = pg.url("postgate");
    let mut env = NO_LIMITS.to_vec();
    env.push(("DATABASE_URL", url.as_str()));
    let app = App::start_on(Backend::Postgres, "wait_pg", &env).await;
    let (stop, start) = (Arc::clone(&pg), Arc::clone(&pg));
    let outage = Outage {
        before: Duration::from_secs(3),
        during: Duration::from_secs(15),
        after: Duration::from_secs(3),
        every: Duration::from_millis(200),
    };
    let users = outage.run(&app, 120_000, move || stop.stop(), move || start.start_again()).await;
    stream::all_receipted_once(&app, &users, Duration::from_mins(2)).await;
    stream::waited_out(&users);

    let db = sqlx::PgPool::connect(&url).await.unwrap();
    let stored: i64 = sqlx::query_scalar("SELECT count(DISTINCT author_id) FROM posts").fetch_one(&db).await.unwrap();
    assert_eq!(stored, i64::try_from(users.len()).unwrap(), "every submission stored once");
    db.close().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_folder_made_unwritable_under_a_stream_asks_nobody_to_try_again() {
    logs();
    let folder = Arc::new(Immutable::new());
    let url = format!("sqlite://{}", folder.dir.path().join("postgate.db").display());
    let mut env = NO_LIMITS.to_vec();
    env.push(("DATABASE_URL", url.as_str()));
    let app = App::start_on(Backend::Sqlite, "wait_ro", &env).await;
    let (lock, unlock) = (Arc::clone(&folder), Arc::clone(&folder));
    let outage = Outage {
        before: Duration::from_secs(2),
        during: Duration::from_secs(15),
        after: Duration::from_secs(2),
        every: Duration::from_millis(100),
    };
    let users = outage.run(&app, 130_000, move || lock.lock(), move || unlock.unlock()).await;
    stream::all_receipted_once(&app, &users, Duration::from_mins(2)).await;
    stream::waited_out(&users);
    stream::sqlite_stored_once(&app, &users).await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_disk_full_under_a_stream_asks_nobody_to_try_again() {
    logs();
    let disk = Arc::new(SmallDisk::new(48));
    let url = format!("sqlite://{}", disk.dir.path().join("postgate.db").display());
    let mut env = NO_LIMITS.to_vec();
    env.push(("DATABASE_URL", url.as_str()));
    let app = App::start_on(Backend::Sqlite, "wait_full", &env).await;
    let (fill, free) = (Arc::clone(&disk), Arc::clone(&disk));
    let outage = Outage {
        before: Duration::from_secs(2),
        during: Duration::from_secs(10),
        after: Duration::from_secs(2),
        every: Duration::from_millis(100),
    };
    let users = outage
        .run(
            &app,
            140_000,
            move || {
                let filled = fill.fill();
                eprintln!("disk full: {filled} bytes of filler written");
            },
            move || free.free(),
        )
        .await;
    stream::all_receipted_once(&app, &users, Duration::from_mins(2)).await;
    stream::waited_out(&users);
    stream::sqlite_stored_once(&app, &users).await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_bound_the_author_is_told_to_try_again_and_nothing_is_stored() {
    const AUTHOR: i64 = 150_000;
    logs();
    let pg = Arc::new(tokio::task::spawn_blocking(PrivatePg::start).await.unwrap());
    let url = pg.url("postgate");
    let env = [("DATABASE_URL", url.as_str()), ("DB_OUTAGE_WAIT_SECS", "3"), ("DB_ACQUIRE_TIMEOUT_SECS", "1")];
    let app = App::start_on(Backend::Postgres, "wait_bound", &env).await;
    app.fake.push_update(text_message(AUTHOR, AUTHOR, 1, "до сбоя", Some("ru")));
    app::wait_until("the first receipt", || receipts(&app, AUTHOR) == 1).await;

    let stopping = Arc::clone(&pg);
    tokio::task::spawn_blocking(move || stopping.stop()).await.unwrap();
    let sent = Instant::now();
    app.fake.push_update(text_message(AUTHOR, AUTHOR, 2, "во время сбоя", Some("ru")));
    stream::wait_or_dump("told to try again", || try_laters(&app, AUTHOR) == 1).await;
    let took = sent.elapsed();
    assert!(took >= Duration::from_secs(3), "told after {took:?}, before the 3 s bound was waited out");
    assert!(took < Duration::from_secs(15), "told after {took:?}: the bound is 3 s");
    let waits = logged_for(&["WARN"], "waiting to try again", "user_id", &[AUTHOR].into());
    let gave_up = logged_for(&["ERROR"], "giving up", "user_id", &[AUTHOR].into());
    assert!(!waits.is_empty() && !gave_up.is_empty(), "each wait and the end of it logged with the user id");
    assert!(matches!(app.services.health.current(), DbHealth::Unreachable { .. }), "the console would say so");

    let starting = Arc::clone(&pg);
    tokio::task::spawn_blocking(move || starting.start_again()).await.unwrap();
    app.fake.push_update(text_message(AUTHOR, AUTHOR, 3, "после сбоя", Some("ru")));
    app::wait_until("the receipt after the outage", || receipts(&app, AUTHOR) == 2).await;
    let db = sqlx::PgPool::connect(&url).await.unwrap();
    let bodies: Vec<String> = sqlx::query_scalar("SELECT body FROM posts ORDER BY id").fetch_all(&db).await.unwrap();
    assert_eq!(bodies, ["до сбоя", "после сбоя"], "the refused submission was not stored");
    db.close().await;
    stream::wait_health(&app, |h| *h == DbHealth::Reachable, "reachable again").await;
    assert_eq!(try_laters(&app, AUTHOR), 1);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_press_during_an_outage_is_answered_saving_then_applied_or_refused_clearly() {
    logs();
    let pg = Arc::new(tokio::task::spawn_blocking(PrivatePg::start).await.unwrap());
    let url = pg.url("postgate");
    let app =
        App::start_on(Backend::Postgres, "wait_press", &[("DATABASE_URL", url.as_str()), ("DB_OUTAGE_WAIT_SECS", "8")])
            .await;
    app.fake.add_chat(common::CHAT);
    for (user, body) in [(160_001, "первый пост"), (160_002, "второй пост")] {
        app.fake.push_update(text_message(user, user, 1, body, Some("ru")));
    }
    let db = sqlx::PgPool::connect(&url).await.unwrap();
    let mut cards = None;
    app::eventually(
        "both cards sent",
        || async {
            // The two chats' messages are stored concurrently: ids need not follow the order sent.
            let rows: Vec<(i64, Option<i32>, String)> =
                sqlx::query_as("SELECT id, moderation_message_id, body FROM posts ORDER BY id")
                    .fetch_all(&db)
                    .await
                    .ok()?;
            let cards: Vec<(i64, i32, String)> =
                rows.into_iter().filter_map(|(id, card, body)| card.map(|c| (id, c, body))).collect();
            (cards.len() == 2).then_some(cards)
        },
        &mut cards,
    )
    .await;
    let cards = cards.unwrap();
    db.close().await;
    let saving = |app: &App| stream::answers_containing(app, "Сохраняю");
    let stop = |pg: &Arc<PrivatePg>| {
        let pg = Arc::clone(pg);
        tokio::task::spawn_blocking(move || pg.stop())
    };
    let start = |pg: &Arc<PrivatePg>| {
        let pg = Arc::clone(pg);
        tokio::task::spawn_blocking(move || pg.start_again())
    };

    // The cards' Approve buttons, read while the database answers.
    let approve = [app.approve_data(cards[0].0).await, app.approve_data(cards[1].0).await];

    // Applied after recovery: the press is answered "saving…" at once, the card follows.
    stop(&pg).await.unwrap();
    stream::wait_health(&app, |h| matches!(h, DbHealth::Unreachable { .. }), "unreachable").await;
    let (post, card, body) = cards[0].clone();
    let pressed = Instant::now();
    app.fake.push_update(callback_query(MODERATOR, &approve[0], GROUP, card));
    app::wait_until("the press answered \"saving…\"", || saving(&app) == 1).await;
    assert!(pressed.elapsed() < Duration::from_secs(3), "answered after {:?}", pressed.elapsed());
    tokio::time::sleep(Duration::from_secs(2)).await;
    start(&pg).await.unwrap();
    stream::wait_status(&app, post, "published").await;
    app::wait_until("published to the channel", || app::has_text(&app.texts_to(app::CHANNEL), &body)).await;

    // Refused clearly past the bound: said under the card, nothing changed.
    stop(&pg).await.unwrap();
    let (post, card, _) = cards[1].clone();
    app.fake.push_update(callback_query(MODERATOR, &approve[1], GROUP, card));
    app::wait_until("the second press answered \"saving…\"", || saving(&app) == 2).await;
    let refused = Instant::now() + Duration::from_secs(30);
    while !app::has_text(&app.texts_to(GROUP), "ничего не изменено") {
        assert!(Instant::now() < refused, "no refusal in the group: {:?}", app.texts_to(GROUP));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let failed = logged_for(&["ERROR"], "decision not saved", "post_id", &[post].into());
    assert!(!failed.is_empty(), "the refused decision is logged with its post id");
    start(&pg).await.unwrap();
    stream::wait_health(&app, |h| *h == DbHealth::Reachable, "reachable again").await;
    assert_eq!(app.status_of(post).await, "pending", "a refused decision changed nothing");
    app.stop().await;
}

//! Issue #14 (8): who may decide is asked of Telegram, never taken from Redis. A list planted in
//! Redis (reachable by any local user when it runs without a password) makes nobody a
//! moderator, and an administrator demoted in the group is refused at once, not after a TTL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod app;
mod support;

use app::{App, GROUP, wait_until};
use redis::AsyncCommands;
use support::fake_telegram::updates::{callback_query, text_message};

const AUTHOR: i64 = 1001;
const INTRUDER: i64 = 555;
const ADMIN: i64 = 600;

async fn redis() -> redis::aio::MultiplexedConnection {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/0".into());
    redis::Client::open(url).unwrap().get_multiplexed_async_connection().await.unwrap()
}

/// Presses approve on a new post (the `nth`, from 1) as `user`; returns the post, once the
/// press was answered.
async fn press_approve(app: &App, user: i64, nth: i32) -> i64 {
    app.fake.push_update(text_message(AUTHOR, AUTHOR, nth, &format!("post {nth}"), Some("en")));
    let deadline = tokio::time::Instant::now() + app::WAIT;
    let mut newest = app.card_of_latest().await;
    while app.services.store.post(postgate::domain::PostId(newest.0)).await.unwrap().unwrap().body
        != format!("post {nth}")
    {
        assert!(tokio::time::Instant::now() < deadline, "post {nth} never got its card");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        newest = app.card_of_latest().await;
    }
    let (post, card) = newest;
    let answered = app.fake.calls_to("answerCallbackQuery").len();
    let approve = app.approve_data(post).await;
    app.fake.push_update(callback_query(user, &approve, GROUP, card));
    wait_until("press answered", || app.fake.calls_to("answerCallbackQuery").len() > answered).await;
    post
}

#[tokio::test]
async fn a_list_planted_in_redis_makes_nobody_a_moderator() {
    let app = App::start("mods_planted", &[]).await;
    app.fake.set_admins(&[]);
    let prefix = app.services.config.cache.key_prefix.clone();
    let mut conn = redis().await;
    for key in [format!("{prefix}group-admins:{GROUP}"), format!("{prefix}admins:{GROUP}")] {
        let () = conn.set_ex(&key, INTRUDER.to_string(), 600).await.unwrap();
    }
    let post = press_approve(&app, INTRUDER, 1).await;
    let answer = app.fake.calls_to("answerCallbackQuery").pop().unwrap();
    assert_eq!(answer.field_str("show_alert").as_deref(), Some("true"), "refused: {:?}", answer.body);
    assert_eq!(app.status_of(post).await, "pending", "the planted entry changed nothing");
    assert!(!app.fake.calls_to("getChatMember").is_empty(), "Telegram was asked");
    let _: () = conn.del(format!("{prefix}group-admins:{GROUP}")).await.unwrap();
    let _: () = conn.del(format!("{prefix}admins:{GROUP}")).await.unwrap();
    app.stop().await;
}

#[tokio::test]
async fn a_demoted_administrator_is_refused_at_once() {
    let app = App::start("mods_demoted", &[]).await;
    app.fake.set_admins(&[ADMIN]);
    let first = press_approve(&app, ADMIN, 1).await;
    let deadline = tokio::time::Instant::now() + app::WAIT;
    while app.status_of(first).await == "pending" {
        assert!(tokio::time::Instant::now() < deadline, "an administrator may decide");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    app.fake.set_admins(&[]); // demoted in the group, seconds later
    let second = press_approve(&app, ADMIN, 2).await;
    let answer = app.fake.calls_to("answerCallbackQuery").pop().unwrap();
    assert_eq!(answer.field_str("show_alert").as_deref(), Some("true"), "refused: {:?}", answer.body);
    assert_eq!(app.status_of(second).await, "pending", "no decision from a former administrator");
    app.stop().await;
}

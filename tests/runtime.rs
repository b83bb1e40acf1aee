//! The runtime's lifecycle: prompt stop right after start, start/stop/start, and one poller
//! per bot token across processes (the second reports who holds the lock, then takes over).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod app;
mod support;

use std::time::{Duration, Instant};

use app::{App, has_text, wait_until};
use postgate::runtime::{BotState, Runtime, RuntimeError};
use support::fake_telegram::updates::text_message;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_right_after_start_is_prompt_and_the_bot_restarts() {
    let app = App::start("rt_cycle", &[("SHUTDOWN_TIMEOUT_SECS", "10")]).await;
    for cycle in 0..10 {
        app.runtime.stop().await;
        assert_eq!(app.runtime.status(), BotState::Stopped);
        app.runtime.start().await.unwrap();
        let started = Instant::now();
        app.runtime.stop().await;
        let took = started.elapsed();
        assert!(took < Duration::from_secs(3), "cycle {cycle}: stop right after start took {took:?}");
        app.runtime.start().await.unwrap();
        assert!(matches!(app.runtime.status(), BotState::Running { .. }));
    }
    app.fake.push_update(text_message(5, 5, 1, "/start", Some("en")));
    wait_until("the restarted bot answers", || has_text(&app.texts_to(5), "Hello")).await;
    let handled = app.services.metrics.updates_handled.load(std::sync::atomic::Ordering::Relaxed);
    assert_eq!(handled, 1, "the bot panel's counter saw the one update");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_instance_reports_the_holder_and_takes_over_when_it_stops() {
    let app = App::start("rt_lock", &[]).await;
    let second = Runtime::new(app.services.clone()).unwrap();
    let Err(RuntimeError::HeldElsewhere { holder }) = second.start().await else { panic!("second poller started") };
    assert!(holder.contains("postgate") && holder.contains("pid"), "holder names the instance: {holder}");
    assert!(matches!(second.status(), BotState::HeldElsewhere { .. }));
    let polls_before = app.fake.calls_to("getUpdates").len();

    app.runtime.stop().await;
    second.start().await.unwrap();
    assert!(matches!(second.status(), BotState::Running { .. }));
    app.fake.push_update(text_message(6, 6, 1, "/start", Some("ru")));
    wait_until("the second instance answers", || has_text(&app.texts_to(6), "Здравствуйте")).await;
    assert!(app.fake.calls_to("getUpdates").len() > polls_before);
    second.stop().await;
    app.stop().await;
}

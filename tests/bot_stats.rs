//! `/stats` in the moderation group: a moderator gets the last 7 days in their language, with
//! the figures of what happened; anyone else gets no figures; `/stats` anywhere else is not a
//! statistics command. On both storage backends.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod app;
mod support;

use app::{App, Backend, CHANNEL, GROUP, MODERATOR, has_text, on_both_backends, wait_until};
use support::fake_telegram::updates::{callback_query, text_message};

const AUTHOR: i64 = 3003;
const STRANGER: i64 = 555;

async fn a_moderator_gets_the_week_in_their_language_and_a_stranger_gets_no_figures(backend: Backend) {
    let app = App::start_on(backend, "stats_cmd", &[]).await;
    app.fake.set_admins(&[]);
    app.fake.push_update(text_message(AUTHOR, AUTHOR, 1, "first", Some("en")));
    let (published, card) = app.card_of_latest().await;
    app.fake.push_update(callback_query(MODERATOR, &app.approve_data(published).await, GROUP, card));
    wait_until("published", || has_text(&app.texts_to(CHANNEL), "first")).await;
    app.fake.push_update(text_message(AUTHOR, AUTHOR, 2, "second", Some("en")));
    wait_until("second card", || app.texts_to(GROUP).iter().filter(|t| t.contains("second")).count() == 1).await;

    app.fake.push_update(text_message(MODERATOR, GROUP, 50, "/stats", Some("en")));
    wait_until("summary in English", || has_text(&app.texts_to(GROUP), "Last 7 days")).await;
    let summary = app.texts_to(GROUP).into_iter().find(|t| t.contains("Last 7 days")).unwrap();
    assert!(summary.contains("Submitted: 2 — published 1, approved and waiting 0, pending 1, rejected 0"), "{summary}");
    assert!(summary.contains("Decisions: 1, 100% approved"), "{summary}");
    assert!(summary.contains("Most decisions: "), "{summary}");

    app.fake.push_update(text_message(MODERATOR, GROUP, 51, "/stats@postgate_bot", Some("ru")));
    wait_until("summary in Russian", || has_text(&app.texts_to(GROUP), "Последние 7 дней")).await;
    let russian = app.texts_to(GROUP).into_iter().find(|t| t.contains("Последние 7 дней")).unwrap();
    assert!(russian.contains("Прислано: 2 — опубликовано 1"), "{russian}");

    let before = app.texts_to(GROUP).len();
    app.fake.push_update(text_message(STRANGER, GROUP, 52, "/stats", Some("en")));
    wait_until("stranger answered", || app.texts_to(GROUP).len() == before + 1).await;
    let answer = app.texts_to(GROUP).pop().unwrap();
    assert!(answer.contains("Only moderators"), "{answer}");
    assert!(!answer.contains("Submitted"), "{answer}");

    // In a private chat /stats is no statistics command (an author sees nothing of the group's).
    app.fake.push_update(text_message(AUTHOR, AUTHOR, 3, "/stats", Some("en")));
    app.fake.push_update(text_message(AUTHOR, AUTHOR, 4, "/status", Some("en")));
    wait_until("status answered", || has_text(&app.texts_to(AUTHOR), "Your recent submissions")).await;
    assert!(!has_text(&app.texts_to(AUTHOR), "Last 7 days"), "{:?}", app.texts_to(AUTHOR));
    app.stop().await;
}

on_both_backends!(a_moderator_gets_the_week_in_their_language_and_a_stranger_gets_no_figures);

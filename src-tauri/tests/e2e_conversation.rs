//! The conversation with the author in the real window (`WebKitGTK` under Xvfb, `WebDriver`), on
//! both storage backends (issue #17 part 1): the moderator asks for changes from the detail pane (the
//! dialog counts the characters left); the window's bot sends the request to the author on the
//! fake Bot API; the author's reply to it comes back through the bot as the new version, and
//! the open thread shows it live, the post pending again. Screenshot `target/e2e/conversation.png`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use postgate::domain::PostStatus;
use support::backend::{Backend, Db};
use support::delivered;
use support::driver::{LogsOnPanic, until};
use support::fake_telegram::updates::text_message;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn asking_for_changes_from_the_window_and_the_reply_appears_live_on_postgres() {
    ask_and_hear_back(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn asking_for_changes_from_the_window_and_the_reply_appears_live_on_sqlite() {
    ask_and_hear_back(Backend::Sqlite).await;
}

async fn ask_and_hear_back(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let _logs = LogsOnPanic(dir.path().to_owned());
    let fake = support::fake_api().await;
    let mut db = Db::fresh(backend, "e2e_conversation", &fake.base_url(), dir.path()).await;
    db.env.insert("AUTOSTART_BOT".into(), "true".into());
    db.env.insert("MEDIA_TEMP_DIR".into(), dir.path().join("media").display().to_string());
    db.env.insert("POSTGATE_SETTINGS_FILE".into(), dir.path().join("settings.json").display().to_string());
    let other = db.open().await;
    let author = 821;
    let post = support::text_post(author, 10, "первый вариант");
    support::known_to(&fake, &post);
    let id = other.store.submit(&post).await.unwrap().post_id().unwrap();
    let other = db.hand_over(other).await;

    let window = db.window(dir.path()).await;
    window.click(&support::driver::row(id)).await;
    window.wait_for("[data-testid=\"thread\"]").await;
    window.click("[data-testid=\"ask-changes\"]").await;
    let text = window.wait_for("[data-testid=\"ask-changes-text\"]").await;
    text.send_keys("Добавьте источник").await.unwrap();
    let count = window.text_of("[data-testid=\"ask-changes-count\"]").await.unwrap_or_default();
    assert!(count.chars().any(|c| c.is_ascii_digit()), "the characters left are counted: {count:?}");
    window.click("[data-testid=\"ask-changes-send\"]").await;
    window.until_text("[data-testid=\"detail-status\"]", "просим исправить").await;
    if let Some(other) = &other {
        assert_eq!(other.store.post(id).await.unwrap().unwrap().status, PostStatus::ChangesRequested);
    }

    // The window's bot sends the request; the author replies to it with the new version.
    let request = || {
        delivered(&fake, author)
            .into_iter()
            .find(|m| m["text"].as_str().is_some_and(|t| t.contains("Добавьте источник")))
    };
    until("the request reached the author", || async { request().is_some() }).await;
    let request = request().unwrap();
    assert!(request["text"].as_str().unwrap().contains("первый вариант"), "it quotes the submission: {request}");
    let mut reply = text_message(author, author, 11, "второй вариант, источник: example.org", Some("ru"));
    reply["message"]["reply_to_message"] = request;
    fake.push_update(reply);

    window.until_text("[data-testid=\"thread\"]", "второй вариант, источник: example.org").await;
    window.until_text("[data-testid=\"detail-body\"]", "второй вариант").await;
    window.until_text("[data-testid=\"detail-status\"]", "ожидает").await;
    window.screenshot("conversation").await;

    window.close().await;
    let other = db.take_back(other).await;
    let stored = other.store.post(id).await.unwrap().unwrap();
    assert_eq!((stored.status, stored.body.as_str()), (PostStatus::Pending, "второй вариант, источник: example.org"));
    let log = other.store.moderation_log(Some(id), 10).await.unwrap();
    assert!(log.iter().any(|e| e.source.as_str() == "console"), "the request is in the audit log: {log:?}");
    other.close().await;
    fake.shutdown().await;
    db.drop().await;
}

//! End to end: the real console window (`WebKitGTK` under Xvfb, driven through tauri-driver and
//! `WebDriver`) on a real `PostgreSQL`. The queue shows seeded posts (an album, and markup shown
//! as literal text), `a` approves, the reject dialog rejects with a reason, and a decision
//! written by another process appears without a reload. The bot the window hosts talks to the
//! core's strict fake Bot API: the album's card must really reach the moderation group.
//! Screenshots go to `target/e2e/`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::HashMap;
use std::time::Duration;

use postgate::domain::{ActionSource, PostId, RejectReason, UserId};
use postgate::services::Services;
use postgate::store::{Decision, DecisionKind};
use support::driver::{Window, css, row, until};
use support::fake_telegram::FakeTelegram;
use support::{CHANNEL, GROUP, MODERATOR, album_post, delivered, text_post};

const XSS: &str = "<img src=x onerror=alert(1)>";

async fn status(services: &Services, id: PostId) -> String {
    services.store.post(id).await.unwrap().unwrap().status.to_string()
}

async fn row_present(window: &Window, id: PostId) -> bool {
    window.present(&row(id)).await
}

/// The window's environment: the test app's, with the bot started at once and a JSON log.
fn window_env(db_url: &str, db_name: &str, fake: &FakeTelegram, dir: &std::path::Path) -> HashMap<String, String> {
    let mut env = support::test_env(db_url, db_name, &fake.base_url(), &dir.join("logs"));
    env.insert("AUTOSTART_BOT".into(), "true".into());
    env.insert("LOG_FORMAT".into(), "json".into());
    env.insert("MEDIA_TEMP_DIR".into(), dir.join("media").display().to_string());
    env.insert("POSTGATE_SETTINGS_FILE".into(), dir.join("settings.json").display().to_string());
    env
}

/// Stores a text post, an album and a post of markup as the bot's intake would, and tells the
/// fake about their authors and files (every file a real PNG).
async fn seed(fake: &FakeTelegram, other: &Services) -> [PostId; 3] {
    let posts = [
        text_post(601, 30, "a plain post to approve"),
        album_post(602, 40, "three photos", 3),
        text_post(603, 50, XSS),
    ];
    let mut ids = [PostId(0); 3];
    for (id, post) in ids.iter_mut().zip(&posts) {
        support::known_to(fake, post);
        *id = other.store.submit(post).await.unwrap().post_id().unwrap();
    }
    ids
}

/// The bot the window hosts announced the album: its photos, then the card with the decision
/// buttons, all accepted by the (strict) fake in the moderation group — a refused call is
/// recorded by the fake too, but never becomes a message.
async fn album_announced(fake: &FakeTelegram, other: &Services, album: PostId) {
    until("the album's card reached the moderation group", || async {
        other.store.post(album).await.unwrap().unwrap().moderation_message_id.is_some()
    })
    .await;
    let card_id = other.store.post(album).await.unwrap().unwrap().moderation_message_id.unwrap();
    let card = fake.sent_message(GROUP, card_id).expect("the card is a message the fake accepted in the group");
    assert!(card["text"].as_str().unwrap().contains("three photos"), "{card}");
    let buttons = card["reply_markup"]["inline_keyboard"].as_array().expect("the card carries buttons");
    assert!(!buttons.is_empty(), "{card}");
    let group = delivered(fake, GROUP);
    for i in 0..3 {
        let file = format!("file-40-{i}");
        let photo = group.iter().find(|m| m["photo"].to_string().contains(&file));
        let photo = photo.unwrap_or_else(|| panic!("photo {file} is not in the group: {group:?}"));
        assert!(photo["message_id"].as_i64().unwrap() < i64::from(card_id), "the photos come first");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_window_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let fake = support::fake_api().await;
    let (db_name, db_url) = support::fresh_database("e2e").await;
    let env = window_env(&db_url, &db_name, &fake, dir.path());

    // The other process on the same database: seeds posts, later decides one behind the window's back.
    let other = Services::build(postgate::config::Config::from_map(&env).unwrap()).await.unwrap();
    let [text, album, xss] = seed(&fake, &other).await;

    let env: Vec<(String, String)> = env.into_iter().collect();
    let started = std::time::Instant::now();
    let phase = |name: &str| eprintln!("e2e: {name} at {:.1} s", started.elapsed().as_secs_f64());
    let window = Window::open(std::path::Path::new(env!("CARGO_BIN_EXE_postgate-desktop")), &env, dir.path()).await;

    // The queue lists all three; the markup post is literal text and nothing ran.
    phase("window open");
    window.wait_for("[data-testid=\"queue\"]").await;
    for id in [text, album, xss] {
        window.wait_for(&row(id)).await;
    }
    window.until_text(&format!("{} [data-testid=\"row-excerpt\"]", row(album)), "three photos").await;
    until("the markup post's excerpt reads as literal text", || async {
        window.text_of(&format!("{} [data-testid=\"row-excerpt\"]", row(xss))).await.is_some_and(|t| t.trim() == XSS)
    })
    .await;
    window.click(&row(xss)).await;
    window.until_text("[data-testid=\"detail-body\"]", XSS).await;
    let injected = window.client.execute("return document.querySelectorAll('img[src=\"x\"]').length;", vec![]).await;
    assert_eq!(injected.unwrap(), serde_json::json!(0), "markup must not become an element");
    assert!(window.client.get_alert_text().await.is_err(), "no alert ran");
    window.screenshot("01-queue").await;
    phase("queue checked");

    album_announced(&fake, &other, album).await;
    phase("album announced");

    // The author filter narrows the queue to one author's posts, and clearing it brings all back.
    let author_filter = window.client.find(css("[data-testid=\"filter-author\"]")).await.unwrap();
    author_filter.send_keys("603").await.unwrap();
    until("only author 603's post is listed", || async {
        row_present(&window, xss).await && !row_present(&window, text).await && !row_present(&window, album).await
    })
    .await;
    author_filter.clear().await.unwrap();
    author_filter.send_keys(" ").await.unwrap(); // an input event; a blank filter means everyone
    until("all posts are listed again", || async { row_present(&window, text).await }).await;

    // `a` approves the open post.
    window.click(&row(text)).await;
    window.until_text("[data-testid=\"detail-body\"]", "plain post").await;
    tokio::time::sleep(Duration::from_millis(300)).await; // the claim settles before the key
    window.client.find(css("body")).await.unwrap().send_keys("a").await.unwrap();
    // The window's own bot may publish it before the next poll: approved or already published.
    until("the text post is approved", || async {
        matches!(status(&other, text).await.as_str(), "approved" | "published")
    })
    .await;
    let decided = other.store.post(text).await.unwrap().unwrap();
    assert_eq!(decided.decided_by, Some(UserId(MODERATOR)));
    until("the approved post leaves the pending queue", || async { !row_present(&window, text).await }).await;
    // The bot the window hosts publishes it to the channel and tells the author.
    until("published to the channel", || async { status(&other, text).await == "published" }).await;
    let channel = delivered(&fake, CHANNEL);
    assert!(channel.iter().any(|m| m["text"] == "a plain post to approve"), "{channel:?}");
    until("the author is told", || async {
        delivered(&fake, 601).iter().any(|m| m["text"].as_str().is_some_and(|t| t.contains("опубликована")))
    })
    .await;
    phase("approved with a");

    // Reject the album with a template reason from the dialog.
    window.click(&row(album)).await;
    window.until_text("[data-testid=\"detail-body\"]", "three photos").await;
    // Its photos are previewed through the media protocol (Bot API → bounded disk cache).
    until("the album's photos show as images", || async {
        let js = "return [0, 1, 2].every(p => { const i = document.querySelector(`[data-testid=\"preview-${p}\"]`); \
                  return i !== null && i.complete && i.naturalWidth > 0; });";
        window.client.execute(js, vec![]).await.is_ok_and(|v| v == serde_json::json!(true))
    })
    .await;
    window.click("[data-testid=\"reject\"]").await;
    window.wait_for("[data-testid=\"reject-dialog\"]").await;
    window.click("[data-testid=\"reason-spam\"]").await;
    window.screenshot("02-reject-dialog").await;
    window.click("[data-testid=\"reject-confirm\"]").await;
    until("the album is rejected", || async { status(&other, album).await == "rejected" }).await;
    let rejected = other.store.post(album).await.unwrap().unwrap();
    assert_eq!(rejected.reject_reason, Some(RejectReason::template("spam").unwrap()));
    phase("rejected with a reason");

    // A decision from elsewhere (a moderator in the Telegram group) shows up live.
    let elsewhere = Decision {
        post_id: xss,
        moderator: UserId(777),
        source: ActionSource::Telegram,
        kind: DecisionKind::Approve { edited_body: None },
    };
    postgate::moderation::decide(&other, &elsewhere).await.unwrap();
    until("the post decided elsewhere leaves the queue without a reload", || async {
        !row_present(&window, xss).await
    })
    .await;
    until("the pending count drops to 0", || async {
        window.text_of("[data-testid=\"count-pending\"]").await.is_some_and(|t| t.trim() == "0")
    })
    .await;
    window.screenshot("03-after-decisions").await;
    phase("live update seen");

    window.close().await;
    phase("window closed");
    other.close().await;
    fake.shutdown().await;
    support::drop_database(&db_name).await;
}

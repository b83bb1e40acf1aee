//! The preview as published in the real window (`WebKitGTK` under Xvfb, `WebDriver`) on
//! `PostgreSQL`: the detail pane shows the post as the channel will — the footer under the
//! text, anonymous by default — and after "Publish signed" in the console the signature line
//! too (the choice stored through the one write path, logged as the console's). Screenshot
//! `target/e2e/preview.png` (the README's `docs/screenshots/preview.png`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use postgate::services::Services;
use support::driver::{Window, until};

/// The preview's text now (the pane re-renders on change events: looked up again until found).
async fn preview_text(window: &Window) -> String {
    for _ in 0..200 {
        if let Some(text) = window.text_of("[data-testid=\"preview-body\"]").await {
            return text;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the preview never showed")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_preview_shows_the_footer_and_the_signature_after_toggling_signed() {
    let dir = tempfile::tempdir().unwrap();
    let fake = support::fake_api().await;
    let (db_name, db_url) = support::fresh_database("e2e_preview").await;
    let mut env = support::test_env(&db_url, &db_name, &fake.base_url(), &dir.path().join("logs"));
    env.insert("AUTOSTART_BOT".into(), "false".into());
    env.insert("POSTGATE_SETTINGS_FILE".into(), dir.path().join("settings.json").display().to_string());
    env.insert("SIGNATURE_TEMPLATE".into(), "— {full_name}".into());
    env.insert("POST_FOOTER".into(), "#footer_tag".into());
    let other = Services::build(postgate::config::Config::from_map(&env).unwrap()).await.unwrap();
    let post = support::text_post(821, 10, "preview me 😀");
    let id = other.store.submit(&post).await.unwrap().post_id().unwrap();

    let env: Vec<(String, String)> = env.into_iter().collect();
    let window = Window::open(std::path::Path::new(env!("CARGO_BIN_EXE_postgate-desktop")), &env, dir.path()).await;
    window.click(&support::driver::row(id)).await;
    window.until_text("[data-testid=\"preview-body\"]", "#footer_tag").await;
    let before = preview_text(&window).await;
    assert!(before.starts_with("preview me 😀") && !before.contains("— Анна"), "anonymous: {before:?}");

    window.click("[data-testid=\"toggle-signed\"]").await;
    window.until_text("[data-testid=\"preview-body\"]", "— Анна").await;
    let after = preview_text(&window).await;
    let (signature, footer) = (after.find("— Анна").unwrap(), after.find("#footer_tag").unwrap());
    assert!(signature < footer, "the signature, then the footer: {after:?}");
    until("stored signed", || async { other.store.post(id).await.unwrap().unwrap().signed == Some(true) }).await;
    let log = other.store.moderation_log(Some(id), 5).await.unwrap();
    assert_eq!((log[0].action.as_str(), log[0].source.as_str()), ("set_signed", "console"));
    window.screenshot("preview").await;

    window.close().await;
    other.close().await;
    fake.shutdown().await;
    support::drop_database(&db_name).await;
}

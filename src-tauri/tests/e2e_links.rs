//! End to end (issue #14, "Also found" and item 10): in the real console window (`WebKitGTK`
//! under Xvfb, through tauri-driver), a click on a post's https link, once confirmed, reaches
//! the system opener — a stand-in `xdg-open` first on the window's `PATH` records what it was
//! asked to open — while `javascript:` and `file:` links are not links at all, the page cannot
//! make the opener take a `file:` URL, and the window refuses to navigate away from the app.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::HashMap;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use postgate::config::Config;
use postgate::services::Services;
use support::driver::{LogsOnPanic, Window, row, until};
use support::text_post;

const BODY: &str = "safe evil file";
const SAFE: &str = "https://example.com/safe?a=1";

/// A stand-in `xdg-open` in `bin` that appends each URL it is given to `log`.
fn fake_opener(bin: &Path, log: &Path) {
    std::fs::create_dir_all(bin).unwrap();
    let script = bin.join("xdg-open");
    std::fs::write(&script, format!("#!/bin/sh\nprintf '%s\\n' \"$1\" >> '{}'\n", log.display())).unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn opened(log: &Path) -> Vec<String> {
    std::fs::read_to_string(log).unwrap_or_default().lines().map(str::to_owned).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_click_reaches_the_opener_for_http_s_only() {
    let dir = tempfile::tempdir().unwrap();
    let _logs = LogsOnPanic(dir.path().to_owned());
    let fake = support::fake_api().await;
    let db = format!("sqlite://{}", dir.path().join("postgate.db").display());
    let mut env: HashMap<String, String> = support::test_env(&db, "", &fake.base_url(), &dir.path().join("logs"));
    env.remove("REDIS_URL");
    env.insert("AUTOSTART_BOT".into(), "false".into());
    env.insert("POSTGATE_SETTINGS_FILE".into(), dir.path().join("settings.json").display().to_string());
    let (bin, log) = (dir.path().join("bin"), dir.path().join("opened.txt"));
    fake_opener(&bin, &log);
    env.insert("PATH".into(), format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default()));

    let mut post = text_post(801, 10, BODY);
    post.entities = serde_json::json!([
        { "type": "text_link", "offset": 0, "length": 4, "url": SAFE },
        { "type": "text_link", "offset": 5, "length": 4, "url": "javascript:alert(1)" },
        { "type": "text_link", "offset": 10, "length": 4, "url": "file:///etc/passwd" },
    ]);
    let services = Services::build(Config::from_map(&env).unwrap()).await.unwrap();
    support::known_to(&fake, &post);
    let id = services.store.submit(&post).await.unwrap().post_id().unwrap();
    services.close().await;
    drop(services);

    let window_env: Vec<(String, String)> = env.into_iter().collect();
    let application = Path::new(env!("CARGO_BIN_EXE_postgate-desktop"));
    let window = Window::open_without(application, &window_env, &["DATABASE_URL", "REDIS_URL"], dir.path()).await;
    window.click(&row(id)).await;
    // The detail shows each link's target after its text.
    window.until_text("[data-testid=\"detail-body\"]", "eviljavascript:alert(1)").await;

    // Only the https link is a link; the others are plain text the moderator cannot follow.
    let links: serde_json::Value = window
        .client
        .execute("return [...document.querySelectorAll('[data-testid=\"detail-body\"] a')].map(a => a.href);", vec![])
        .await
        .unwrap();
    assert_eq!(links, serde_json::json!([SAFE]));
    window.click("[data-testid=\"detail-body\"] .ent-link-unsafe").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!window.present("[data-testid=\"confirm-dialog\"]").await, "nothing to confirm for an unsafe link");

    window.click("[data-testid=\"detail-body\"] a.ent-link").await;
    window.wait_for("[data-testid=\"confirm-dialog\"]").await;
    window.screenshot("links-01-confirm").await;
    window.click("[data-testid=\"confirm\"]").await;
    until("the system opener got the link", || async { opened(&log) == [SAFE] }).await;

    // The page itself cannot make the opener take anything but http(s).
    let refused: serde_json::Value = window
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             window.__TAURI__.core.invoke('plugin:opener|open_url', { url: 'file:///etc/passwd' })
               .then(() => done('opened'), (e) => done(String(e)));",
            vec![],
        )
        .await
        .unwrap();
    assert!(refused.as_str().unwrap().to_lowercase().contains("not allowed"), "{refused}");

    // Nor leave the app: a navigation to the media protocol (or anywhere) is refused.
    window.client.execute("location.href = 'postgate-media://localhost/1/0'; return true;", vec![]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let location: serde_json::Value = window.client.execute("return location.href;", vec![]).await.unwrap();
    assert!(location.as_str().unwrap().starts_with("tauri://localhost"), "{location}");
    assert!(window.present("[data-testid=\"detail-body\"]").await, "still the console");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(opened(&log), [SAFE], "nothing else was opened");
    window.close().await;
    fake.shutdown().await;
}

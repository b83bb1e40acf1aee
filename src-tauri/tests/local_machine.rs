//! Issue #14, "the local machine is shared", through the console's real parts (commands over
//! IPC, the settings file on disk, the preview protocol against the fake Bot API): passwords in
//! a URL's query are masked on the Settings screen, the settings file is private, previews are
//! images only with fixed headers, and links reach the system opener for http(s) only.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use postgate::domain::MediaKind;
use postgate::store::NewMedia;
use serde_json::json;
use support::{Console, PREVIEW_PNG, block_on, text_post};

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn settings_mask_a_query_password_and_the_file_is_private() {
    let console = Console::start("local_settings", &[]);
    let mut settings = console.ok("settings_get", json!({}));
    let with_password = format!("{}?password=hunter2", console.db_url);
    settings["database_url"] = json!(with_password);
    console.ok("settings_save", json!({ "settings": settings }));

    let shown = console.ok("settings_get", json!({}));
    assert_eq!(shown["database_url"], format!("{}?password=***", console.db_url));
    assert!(!shown.to_string().contains("hunter2"), "{shown}");
    // The masked value sent back unchanged keeps the real one.
    console.ok("settings_save", json!({ "settings": shown }));
    let file = console.state.settings_path.clone();
    let saved: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(saved["DATABASE_URL"], with_password.as_str());
    assert_eq!((mode(file.parent().unwrap()), mode(&file)), (0o700, 0o600), "folder 0700, file 0600");
    console.stop();
}

fn document(message_id: i32, file_id: &str, mime: &str) -> NewMedia {
    NewMedia {
        kind: MediaKind::Document,
        file_id: file_id.into(),
        file_unique_id: format!("u-{file_id}"),
        source_message_id: message_id,
        file_name: Some("x".into()),
        mime_type: Some(mime.into()),
        file_size: Some(100),
    }
}

#[test]
fn the_media_protocol_serves_images_only_with_fixed_headers() {
    let console = Console::start("local_media", &[]);
    let html = b"<!doctype html><script>window.__TAURI__</script>".to_vec();
    let mut post = text_post(901, 1, "media");
    let mut photo = document(1, "photo-1", "image/jpeg");
    photo.kind = MediaKind::Photo;
    post.media = vec![
        photo,
        document(2, "page", "text/html"),
        document(3, "vector", "image/svg+xml"),
        document(4, "liar", "image/png"), // claims PNG, is HTML
    ];
    let id = console.seed(&post); // every file a PNG...
    console.fake.set_file("liar", html.clone()); // ...but this one
    console.fake.clear_calls();

    let serve =
        |position: i16| block_on(postgate_desktop::media::serve(&console.state, &format!("/{}/{position}", id.0)));
    let image = serve(0);
    assert_eq!(image.status(), 200);
    assert_eq!(image.body(), PREVIEW_PNG, "the photo itself");
    assert_eq!(image.headers()["content-type"], "image/png", "typed by its bytes, not the declared image/jpeg");
    assert_eq!(image.headers()["x-content-type-options"], "nosniff");
    assert!(image.headers()["content-security-policy"].to_str().unwrap().contains("sandbox"));

    for (position, what) in [(1, "an HTML document"), (2, "an SVG"), (3, "HTML claiming to be a PNG")] {
        let refused = serve(position);
        assert_eq!(refused.status(), 415, "{what}");
        assert!(refused.body().is_empty(), "{what}: nothing of it served");
        assert_ne!(refused.headers().get("content-type").map(|v| v.to_str().unwrap()), Some("text/html"));
        assert_eq!(refused.headers()["x-content-type-options"], "nosniff");
    }
    let downloads = console.fake.calls_to("download").len();
    assert_eq!(downloads, 2, "only the photo and the file claiming PNG were fetched");
    console.stop();
}

/// The opener's scope: what the window may ask the system to open. (That an http(s) link click
/// really reaches the system opener is shown in the real window, `e2e_links.rs`.)
#[test]
fn the_opener_refuses_everything_but_http_and_https() {
    let console = Console::start("local_links", &[]);
    for refused in
        ["javascript:alert(1)", "file:///etc/passwd", "tauri://localhost/", "mailto:a@example.com", "smb://host/share"]
    {
        let err = console.invoke("plugin:opener|open_url", json!({ "url": refused })).unwrap_err();
        assert!(err.to_string().to_lowercase().contains("not allowed"), "{refused}: {err}");
    }
    for command in ["plugin:opener|open_path", "plugin:opener|reveal_item_in_dir"] {
        let err = console.invoke(command, json!({ "path": "/etc/passwd" })).unwrap_err();
        assert!(err.to_string().to_lowercase().contains("not allowed"), "{command}: {err}");
    }
    let err = console
        .invoke("plugin:opener|open_url", json!({ "url": "https://example.com/", "with": "/bin/sh" }))
        .unwrap_err();
    assert!(err.to_string().to_lowercase().contains("not allowed"), "a program of the page's choosing: {err}");
    console.stop();
}

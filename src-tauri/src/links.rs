//! Where the window may go: nowhere but the console itself. Links in posts open in the system
//! browser through the official opener plugin (http(s) only, by the capability's scope); any
//! other navigation of the window — a link followed, a page from the `postgate-media:`
//! protocol, a `javascript:` or `file:` URL — is refused, so no page but the app's ever runs
//! with access to the console's commands.

use tauri::plugin::{Plugin, TauriPlugin};
use tauri::{Runtime, Url};

/// The opener plugin as the console uses it: its own click interception off (the console asks
/// the moderator first, then calls `plugin:opener|open_url` itself).
pub fn opener<R: Runtime>() -> impl Plugin<R> {
    tauri_plugin_opener::Builder::new().open_js_links_on_click(false).build()
}

/// Refuses every top-level navigation away from the app's own pages.
pub fn navigation_guard<R: Runtime>() -> TauriPlugin<R> {
    tauri::plugin::Builder::new("navigation-guard")
        .on_navigation(|_webview, url| {
            let allowed = is_app_url(url);
            if !allowed {
                tracing::warn!(scheme = url.scheme(), "the console window may not leave the app; navigation refused");
            }
            allowed
        })
        .build()
}

/// The app's own origin: `tauri://localhost` (Linux, macOS) or `http(s)://tauri.localhost`
/// (Windows).
pub fn is_app_url(url: &Url) -> bool {
    match url.scheme() {
        "tauri" => url.host_str() == Some("localhost"),
        "http" | "https" => url.host_str() == Some("tauri.localhost"),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::is_app_url;

    #[test]
    fn only_the_app_itself_is_a_place_to_go() {
        for ok in ["tauri://localhost/", "tauri://localhost/index.html#queue", "http://tauri.localhost/"] {
            assert!(is_app_url(&ok.parse().unwrap()), "{ok}");
        }
        for bad in [
            "postgate-media://localhost/1/0",
            "https://example.com/",
            "http://tauri.localhost.evil.example/",
            "file:///etc/passwd",
            "javascript:alert(1)",
            "about:blank",
        ] {
            assert!(!is_app_url(&bad.parse().unwrap()), "{bad}");
        }
    }
}

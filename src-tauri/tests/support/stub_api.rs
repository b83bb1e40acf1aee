//! A tiny stand-in for the Telegram Bot API on 127.0.0.1: answers `getMe`, holds `getUpdates`
//! briefly and returns no updates, serves every file as one PNG (media previews), and says
//! `true` to anything else. Enough for the bot to start, poll and stop.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use axum::Json;
use axum::extract::Path;
use axum::routing::post;
use serde_json::{Value, json};
use tokio::sync::oneshot;

/// What every file download returns: a real PNG, so previews decode in the window.
pub const PREVIEW_PNG: &[u8] = include_bytes!("../../../icons/icon.png");

async fn download() -> Vec<u8> {
    PREVIEW_PNG.to_vec()
}

pub struct StubApi {
    addr: std::net::SocketAddr,
    stop: Option<oneshot::Sender<()>>,
}

async fn answer(Path((_token, method)): Path<(String, String)>) -> Json<Value> {
    let result = match method.to_ascii_lowercase().as_str() {
        "getme" => json!({
            "id": 123_456, "is_bot": true, "first_name": "Stub", "username": "stub_postgate_bot",
            "can_join_groups": true, "can_read_all_group_messages": false, "supports_inline_queries": false,
            "can_connect_to_business": false, "has_main_web_app": false,
        }),
        "getfile" => json!({
            "file_id": "any", "file_unique_id": "any", "file_size": PREVIEW_PNG.len(), "file_path": "photos/preview.png",
        }),
        "getupdates" => {
            tokio::time::sleep(Duration::from_millis(200)).await;
            json!([])
        }
        _ => json!(true),
    };
    Json(json!({ "ok": true, "result": result }))
}

impl StubApi {
    /// Serves on a free loopback port (on the current Tokio runtime).
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let app = axum::Router::new()
            .route("/{token}/{method}", post(answer))
            .route("/file/{token}/{*path}", axum::routing::get(download));
        tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await
                .unwrap();
        });
        Self { addr, stop: Some(stop) }
    }

    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    pub fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

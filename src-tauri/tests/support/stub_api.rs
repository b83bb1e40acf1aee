//! A tiny stand-in for the Telegram Bot API on 127.0.0.1: answers `getMe`, holds `getUpdates`
//! briefly and returns no updates, serves every file as one PNG (media previews), answers
//! `sendMessage`/`editMessageText` with a message (and records them), and says `true` to
//! anything else. Enough for the bot to start, poll, publish and stop.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::extract::{Path, State};
use axum::routing::post;
use serde_json::{Value, json};
use tokio::sync::oneshot;

/// What every file download returns: a real PNG, so previews decode in the window.
pub const PREVIEW_PNG: &[u8] = include_bytes!("../../../icons/icon.png");

async fn download() -> Vec<u8> {
    PREVIEW_PNG.to_vec()
}

pub struct StubApi {
    pub calls: Calls,
    addr: std::net::SocketAddr,
    stop: Option<oneshot::Sender<()>>,
}

/// Every `send*`/`edit*` call the stub received: (method in lowercase, JSON body).
pub type Calls = Arc<Mutex<Vec<(String, Value)>>>;

/// A sent message as Telegram returns it, in the chat the request named.
fn message(body: &Value, next_id: i64) -> Value {
    let chat = body.get("chat_id").and_then(Value::as_i64).unwrap_or(0);
    let kind = if chat > 0 { "private" } else { "supergroup" };
    json!({
        "message_id": next_id, "date": 1_700_000_000,
        "chat": { "id": chat, "type": kind, "title": "stub", "first_name": "stub" },
        "text": body.get("text").and_then(Value::as_str).unwrap_or(""),
    })
}

async fn answer(
    State(calls): State<Calls>,
    Path((_token, method)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Json<Value> {
    let method = method.to_ascii_lowercase();
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let next_id = {
        let mut calls = calls.lock().unwrap();
        if method.starts_with("send") || method.starts_with("edit") {
            calls.push((method.clone(), body.clone()));
        }
        1000 + i64::try_from(calls.len()).unwrap()
    };
    let result = match method.as_str() {
        "sendmessage" | "editmessagetext" => message(&body, next_id),
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
        let calls = Calls::default();
        let app = axum::Router::new()
            .route("/{token}/{method}", post(answer))
            .route("/file/{token}/{*path}", axum::routing::get(download))
            .with_state(calls.clone());
        tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await
                .unwrap();
        });
        Self { calls, addr, stop: Some(stop) }
    }

    /// Texts sent to `chat` so far.
    pub fn texts_to(&self, chat: i64) -> Vec<String> {
        self.calls
            .lock()
            .unwrap()
            .iter()
            .filter(|(m, b)| m == "sendmessage" && b.get("chat_id").and_then(Value::as_i64) == Some(chat))
            .filter_map(|(_, b)| b.get("text").and_then(Value::as_str).map(str::to_owned))
            .collect()
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

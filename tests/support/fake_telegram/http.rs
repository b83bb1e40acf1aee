//! HTTP side of the fake Bot API: routing `/bot<token>/<Method>` and `/file/bot<token>/<path>`,
//! body decoding, call recording and fault injection.

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::answers;
use super::multipart;
use super::state::{Call, Fault, HANG_FOR, Inner, UploadedFile, normalize};
use super::strict;
use super::updates;

/// Largest request body accepted (uploads included).
const MAX_BODY: usize = 64 * 1024 * 1024;

pub fn router(inner: Arc<Inner>) -> Router {
    Router::new().fallback(handle).with_state(inner)
}

fn percent_decode(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn error(status: StatusCode, description: &str) -> Response {
    let body = json!({"ok": false, "error_code": status.as_u16(), "description": description});
    (status, axum::Json(body)).into_response()
}

fn bot_id(token: &str) -> i64 {
    token.split(':').next().and_then(|id| id.parse().ok()).unwrap_or(super::json::FAKE_BOT_ID)
}

async fn handle(State(inner): State<Arc<Inner>>, request: Request) -> Response {
    let mut at = Instant::now();
    let path = request.uri().path().to_owned();
    let query = request.uri().query().map(str::to_owned);
    let content_type =
        request.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let segments: Vec<String> = path.trim_start_matches('/').split('/').map(percent_decode).collect();

    if let [file, token, rest @ ..] = segments.as_slice()
        && file == "file"
        && token.starts_with("bot")
        && !rest.is_empty()
    {
        let file_path = rest.join("/");
        let bytes = {
            let mut state = inner.lock();
            if token.strip_prefix("bot") != Some(state.token.as_str()) {
                return error(StatusCode::NOT_FOUND, "Not Found");
            }
            state.calls.push(Call {
                method: "download".into(),
                body: json!({ "file_path": file_path }),
                files: Vec::new(),
                at,
                raw: axum::body::Bytes::new(),
            });
            if state.take_fault("download").is_some() {
                // Any fault on a download: the server breaks off with a 500.
                return error(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error");
            }
            state.files.get(&file_path).cloned().unwrap_or_else(|| answers::default_file_bytes(&file_path))
        };
        return (StatusCode::OK, [(header::CONTENT_TYPE, "application/octet-stream")], bytes).into_response();
    }

    let [token, method] = segments.as_slice() else {
        return error(StatusCode::NOT_FOUND, "Not Found");
    };
    let Some(token) = token.strip_prefix("bot") else {
        return error(StatusCode::NOT_FOUND, "Not Found");
    };
    let method = normalize(method);
    let bot_id = bot_id(token);
    let Ok(bytes) = axum::body::to_bytes(request.into_body(), MAX_BODY).await else {
        return error(StatusCode::BAD_REQUEST, "Bad Request: could not read the request body");
    };
    let (body, files) = decode_body(&content_type, query.as_deref(), &bytes);
    // Half the simulated round trip on the way in (getUpdates, a long poll, is never delayed).
    let half_trip = half_round_trip(&inner, &method);
    if !half_trip.is_zero() {
        if !wait_or_cancel(&inner, half_trip).await {
            return error(StatusCode::SERVICE_UNAVAILABLE, "shutting down");
        }
        at = Instant::now();
    }

    let fault = {
        let mut state = inner.lock();
        state.calls.push(Call { method: method.clone(), body: body.clone(), files, at, raw: bytes.clone() });
        if token != state.token {
            return error(StatusCode::UNAUTHORIZED, strict::UNAUTHORIZED);
        }
        let chat = answers::chat_id_of(&body, "chat_id");
        match state.limits.check(&method, &body, chat, Instant::now()) {
            Some(secs) => Some(Fault::RetryAfter(secs)),
            None => state.take_fault_in(&method, chat),
        }
    };
    let answer_late = match fault {
        Some(Fault::AnswerLate(wait)) => Some(wait),
        other => {
            if let Some(response) = apply_fault(&inner, other).await {
                return response;
            }
            None
        }
    };

    if method == "getupdates" {
        return match updates::get_updates(&inner, &body).await {
            Some(answer) => axum::Json(answer).into_response(),
            None => error(StatusCode::CONFLICT, strict::CONFLICT),
        };
    }
    let result = {
        let mut state = inner.lock();
        if let Err(description) = strict::check(&mut state, &method, &body) {
            return error(StatusCode::BAD_REQUEST, description);
        }
        answers::answer(&mut state, bot_id, &method, &body)
    };
    if let Some(wait) = answer_late {
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = inner.cancel.cancelled() => {}
        }
    }
    // And the other half on the way back.
    wait_or_cancel(&inner, half_trip).await;
    match result {
        Some(result) => axum::Json(json!({"ok": true, "result": result})).into_response(),
        None => error(StatusCode::NOT_FOUND, "Not Found: method not found"),
    }
}

/// Half of the configured round trip for `method` (zero for `getUpdates`).
fn half_round_trip(inner: &Inner, method: &str) -> std::time::Duration {
    let rtt = inner.rtt_us.load(std::sync::atomic::Ordering::Relaxed);
    if rtt == 0 || method == "getupdates" {
        return std::time::Duration::ZERO;
    }
    std::time::Duration::from_micros(rtt / 2)
}

/// Sleeps `wait` unless the server shuts down first; whether the whole wait passed.
async fn wait_or_cancel(inner: &Inner, wait: std::time::Duration) -> bool {
    if wait.is_zero() {
        return true;
    }
    tokio::select! {
        () = tokio::time::sleep(wait) => true,
        () = inner.cancel.cancelled() => false,
    }
}

/// JSON, multipart, urlencoded form or query string → (JSON object, uploaded files).
fn decode_body(content_type: &str, query: Option<&str>, bytes: &[u8]) -> (Value, Vec<UploadedFile>) {
    let mut object = Map::new();
    let mut files = Vec::new();
    if let Some(query) = query {
        for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
            object.insert(k.into_owned(), Value::String(v.into_owned()));
        }
    }
    let mime = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    match mime.as_str() {
        "multipart/form-data" => {
            if let Some((fields, parts)) = multipart::boundary(content_type).and_then(|b| multipart::parse(&b, bytes)) {
                object.extend(fields);
                files = parts;
            }
        }
        "application/x-www-form-urlencoded" => {
            for (k, v) in url::form_urlencoded::parse(bytes) {
                object.insert(k.into_owned(), Value::String(v.into_owned()));
            }
        }
        _ if !bytes.is_empty() => match serde_json::from_slice::<Value>(bytes) {
            Ok(Value::Object(fields)) => object.extend(fields),
            Ok(other) => {
                object.insert("_body".into(), other);
            }
            Err(_) => {
                object.insert("_body".into(), Value::String(String::from_utf8_lossy(bytes).into_owned()));
            }
        },
        _ => {}
    }
    (Value::Object(object), files)
}

/// Turns an injected fault into its response; `None` means answer normally (after a delay).
async fn apply_fault(inner: &Inner, fault: Option<Fault>) -> Option<Response> {
    let response = match fault? {
        Fault::RetryAfter(secs) => {
            let body = json!({
                "ok": false,
                "error_code": 429,
                "description": format!("Too Many Requests: retry after {secs}"),
                "parameters": {"retry_after": secs},
            });
            (StatusCode::TOO_MANY_REQUESTS, axum::Json(body)).into_response()
        }
        Fault::ServerError => error(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error"),
        Fault::BadGateway => error(StatusCode::BAD_GATEWAY, "Bad Gateway"),
        Fault::BadRequest(description) => error(StatusCode::BAD_REQUEST, &description),
        Fault::Api(code, description) => {
            error(StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_REQUEST), &description)
        }
        Fault::Hang => {
            tokio::select! {
                () = tokio::time::sleep(HANG_FOR) => {}
                () = inner.cancel.cancelled() => {}
            }
            error(StatusCode::GATEWAY_TIMEOUT, "Gateway Timeout: fake hang ended")
        }
        // Answered by the caller, after carrying the request out.
        Fault::AnswerLate(_) => return None,
        Fault::Delay(delay) => {
            tokio::select! {
                () = tokio::time::sleep(delay) => return None,
                () = inner.cancel.cancelled() => error(StatusCode::SERVICE_UNAVAILABLE, "shutting down"),
            }
        }
    };
    Some(response)
}

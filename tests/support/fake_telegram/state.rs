//! Shared state of the fake Bot API server: recorded calls, scripted updates, faults and settings.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// First message id the fake bot uses in every chat (increasing from there, per chat).
pub const FIRST_BOT_MESSAGE_ID: i32 = 1000;

/// One HTTP request the fake server received.
#[derive(Clone, Debug)]
pub struct Call {
    /// Bot API method, lowercased (`"sendmessage"`); `"download"` for `GET /file/bot<token>/<path>`.
    pub method: String,
    /// JSON body; for multipart uploads an object of the text fields (values stay strings).
    pub body: Value,
    /// File parts of a multipart upload.
    pub files: Vec<UploadedFile>,
    /// When the request arrived.
    pub at: Instant,
    /// The request body's bytes as the client sent them.
    pub raw: axum::body::Bytes,
}

impl Call {
    /// A field as text: strings as-is, numbers and booleans rendered (multipart sends everything as text).
    pub fn field_str(&self, name: &str) -> Option<String> {
        field_str(&self.body, name)
    }

    /// A field as an integer, whether it was sent as a JSON number or as text.
    pub fn field_i64(&self, name: &str) -> Option<i64> {
        field_i64(&self.body, name)
    }

    /// A field as structured JSON, parsing it when multipart sent it as a JSON string.
    pub fn field_json(&self, name: &str) -> Option<Value> {
        field_json(&self.body, name)
    }

    /// A field of a JSON body as the client wrote it, byte for byte (`None` for other bodies).
    pub fn raw_field(&self, name: &str) -> Option<String> {
        raw_fields(std::str::from_utf8(&self.raw).ok()?)?.remove(name)
    }
}

/// The fields of a JSON object, each as the JSON text it was written with.
pub fn raw_fields(object: &str) -> Option<HashMap<String, String>> {
    let fields: HashMap<String, Box<serde_json::value::RawValue>> = serde_json::from_str(object).ok()?;
    Some(fields.into_iter().map(|(k, v)| (k, v.get().to_owned())).collect())
}

/// The items of a JSON array, each as the JSON text it was written with.
pub fn raw_items(array: &str) -> Option<Vec<String>> {
    let items: Vec<Box<serde_json::value::RawValue>> = serde_json::from_str(array).ok()?;
    Some(items.into_iter().map(|v| v.get().to_owned()).collect())
}

/// A file part of a multipart request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadedFile {
    /// Form field name (teloxide uses a random attach id, referenced as `attach://<name>`).
    pub name: String,
    pub file_name: Option<String>,
    pub content_type: Option<String>,
    pub size: usize,
}

/// An injected failure for the next call(s) of one method.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// HTTP 429 with `parameters.retry_after` = N seconds (teloxide: `RequestError::RetryAfter`).
    RetryAfter(u32),
    /// HTTP 500, `ok:false` (note: teloxide itself sleeps 10 s after any 5xx before returning).
    ServerError,
    /// HTTP 502, `ok:false` (same 10 s teloxide delay).
    BadGateway,
    /// HTTP 400 with this description (teloxide maps known descriptions to `ApiError` variants).
    BadRequest(String),
    /// Any status and description, e.g. `Api(403, "Forbidden: bot was blocked by the user")`.
    Api(u16, String),
    /// Never answer: sleep `HANG_FOR` or until the server shuts down.
    Hang,
    /// Wait, then answer normally.
    Delay(Duration),
    /// Carry the request out at once (the message is sent), then wait this long before
    /// answering: a client that dies meanwhile never learns the message's id.
    AnswerLate(Duration),
}

/// How long a `Fault::Hang` request sleeps at most.
pub const HANG_FOR: Duration = Duration::from_mins(2);

#[derive(Default)]
pub struct State {
    pub calls: Vec<Call>,
    /// Queued, unconfirmed updates, in `update_id` order.
    pub updates: VecDeque<Value>,
    pub next_update_id: i64,
    pub confirmed_offset: Option<i64>,
    pub faults: HashMap<String, VecDeque<Fault>>,
    /// Faults for one method in one chat, taken before the method's own.
    pub chat_faults: HashMap<(String, i64), VecDeque<Fault>>,
    pub admins: Vec<i64>,
    pub files: HashMap<String, Vec<u8>>,
    pub overrides: HashMap<String, Value>,
    /// Last message id used by the fake bot, per chat.
    pub message_ids: HashMap<i64, i32>,
    /// Messages the fake bot sent, by (chat id, message id), so edits can return them updated.
    pub sent: HashMap<(i64, i32), Value>,
    pub media_groups: u64,
    pub generated_files: u64,
    /// Telegram's sending limits, when enforced.
    pub limits: super::limits::Enforcer,
    /// The one token the server accepts (others get 401), as Telegram knows one bot per token.
    pub token: String,
    /// Chats the bot may write to: added by tests, or seen in a pushed update.
    pub chats: HashSet<i64>,
    /// File ids the bot may send: seen in a pushed update, given to `set_file`/`add_file`, or
    /// generated by the fake for an upload.
    pub file_ids: HashSet<String>,
    /// Callback query ids from pushed updates that were not answered yet.
    pub open_callbacks: HashSet<String>,
    /// Generation of the newest `getUpdates` request: an older one still waiting is ended
    /// with 409, as Telegram ends the first of two pollers.
    pub poll_generation: u64,
}

impl State {
    pub fn next_message_id(&mut self, chat_id: i64) -> i32 {
        let id = self.message_ids.entry(chat_id).or_insert(FIRST_BOT_MESSAGE_ID - 1);
        *id += 1;
        *id
    }

    /// The next fault for `method` in `chat`, else for `method` anywhere.
    pub fn take_fault_in(&mut self, method: &str, chat: i64) -> Option<Fault> {
        let key = (method.to_owned(), chat);
        if let Some(queue) = self.chat_faults.get_mut(&key) {
            let fault = queue.pop_front();
            if queue.is_empty() {
                self.chat_faults.remove(&key);
            }
            if fault.is_some() {
                return fault;
            }
        }
        self.take_fault(method)
    }

    pub fn take_fault(&mut self, method: &str) -> Option<Fault> {
        let queue = self.faults.get_mut(method)?;
        let fault = queue.pop_front();
        if queue.is_empty() {
            self.faults.remove(method);
        }
        fault
    }

    /// Queues an update, assigning `update_id` when missing; returns the id.
    pub fn push_update(&mut self, mut update: Value) -> i64 {
        if self.next_update_id == 0 {
            self.next_update_id = 1;
        }
        let id = match update.get("update_id").and_then(Value::as_i64) {
            Some(id) => id,
            None => self.next_update_id,
        };
        if let Some(obj) = update.as_object_mut() {
            obj.insert("update_id".into(), Value::from(id));
        }
        self.next_update_id = self.next_update_id.max(id + 1);
        self.learn(&update);
        // Usually the newest: append without a scan (benches push tens of thousands).
        if self.updates.back().is_none_or(|last| update_id(last) < id) {
            self.updates.push_back(update);
        } else {
            let at = self.updates.iter().position(|u| update_id(u) > id).unwrap_or(self.updates.len());
            self.updates.insert(at, update);
        }
        id
    }

    /// What a pushed update tells the fake exists: its chats and users (private chats), its
    /// file ids, the message a callback query was pressed on, and the query itself.
    fn learn(&mut self, update: &Value) {
        walk(update, &mut |key, value| match (key, value) {
            ("chat" | "from" | "sender_chat", Value::Object(obj)) => {
                if let Some(id) = obj.get("id").and_then(Value::as_i64) {
                    self.chats.insert(id);
                }
            }
            ("file_id", Value::String(id)) => {
                self.file_ids.insert(id.clone());
            }
            _ => {}
        });
        if let Some(query) = update.get("callback_query") {
            if let Some(id) = query.get("id").and_then(Value::as_str) {
                self.open_callbacks.insert(id.to_owned());
            }
            if let Some(message) = query.get("message") {
                let chat = message.pointer("/chat/id").and_then(Value::as_i64).unwrap_or(0);
                let id = message.get("message_id").and_then(Value::as_i64).and_then(|i| i32::try_from(i).ok());
                if let Some(id) = id {
                    self.sent.entry((chat, id)).or_insert_with(|| message.clone());
                }
            }
        }
    }

    /// Telegram semantics: a positive offset confirms (drops) every update with a smaller id.
    pub fn confirm(&mut self, offset: i64) {
        if offset <= 0 {
            return;
        }
        self.updates.retain(|u| update_id(u) >= offset);
        self.confirmed_offset = Some(self.confirmed_offset.map_or(offset, |o| o.max(offset)));
    }
}

/// Calls `visit(key, value)` for every field of every object in `value`, depth first.
fn walk(value: &Value, visit: &mut impl FnMut(&str, &Value)) {
    match value {
        Value::Object(obj) => {
            for (key, inner) in obj {
                visit(key, inner);
                walk(inner, visit);
            }
        }
        Value::Array(items) => items.iter().for_each(|inner| walk(inner, visit)),
        _ => {}
    }
}

pub fn update_id(update: &Value) -> i64 {
    update.get("update_id").and_then(Value::as_i64).unwrap_or(0)
}

pub struct Inner {
    state: Mutex<State>,
    pub updates_changed: Notify,
    pub cancel: CancellationToken,
    pub open: AtomicUsize,
    pub accepted: AtomicU64,
    /// Simulated network round trip in microseconds (see `FakeTelegram::set_round_trip`).
    pub rtt_us: AtomicU64,
}

impl Inner {
    pub fn new() -> Self {
        Self {
            state: Mutex::new(State { token: super::TEST_TOKEN.to_owned(), ..State::default() }),
            updates_changed: Notify::new(),
            cancel: CancellationToken::new(),
            open: AtomicUsize::new(0),
            accepted: AtomicU64::new(0),
            rtt_us: AtomicU64::new(0),
        }
    }

    /// Locks the state; a panic elsewhere while holding the lock does not poison later tests.
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Counts one open client connection; dropped when the connection task ends (however it ends).
pub struct ConnGuard(pub std::sync::Arc<Inner>);

impl ConnGuard {
    pub fn new(inner: std::sync::Arc<Inner>) -> Self {
        inner.accepted.fetch_add(1, Ordering::SeqCst);
        inner.open.fetch_add(1, Ordering::SeqCst);
        Self(inner)
    }
}

impl Drop for ConnGuard {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::SeqCst);
    }
}

pub fn normalize(method: &str) -> String {
    method.to_ascii_lowercase()
}

pub fn field_str(body: &Value, name: &str) -> Option<String> {
    match body.get(name)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

pub fn field_i64(body: &Value, name: &str) -> Option<i64> {
    match body.get(name)? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

pub fn field_json(body: &Value, name: &str) -> Option<Value> {
    match body.get(name)? {
        Value::String(s) => serde_json::from_str(s).ok().or_else(|| Some(Value::String(s.clone()))),
        other => Some(other.clone()),
    }
}

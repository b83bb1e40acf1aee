//! A fake Telegram Bot API server on loopback for whole-process tests: records calls, serves
//! scripted updates, injects faults and counts client connections.
//!
//! ```ignore
//! let fake = FakeTelegram::start().await;
//! let bot = teloxide::Bot::new("123:TEST").set_api_url(fake.url());
//! fake.push_update(updates::text_message(7, 7, 1, "/start", Some("en")));
//! ```
#![allow(dead_code, unused_imports)]

mod answers;
mod http;
pub mod json;
mod limits;
mod multipart;
mod state;
pub mod strict;
pub mod updates;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};

pub use answers::{default_file_bytes, file_path_for};
pub use json::USERNAME_CHAT_ID;
pub use limits::{LimitStats, SendLimits};
pub use state::{Call, FIRST_BOT_MESSAGE_ID, Fault, HANG_FOR, UploadedFile, raw_fields, raw_items};
pub use updates::LONG_POLL_CAP;

use state::{ConnGuard, Inner, normalize};

/// Token the helpers use; any `<digits>:<anything>` token works (the digits become the bot id).
pub const TEST_TOKEN: &str = "123:TEST";

/// How long `shutdown` waits for the server task.
const SHUTDOWN_WAIT: Duration = Duration::from_secs(5);

/// Poll interval of the `wait_*` helpers.
const POLL_EVERY: Duration = Duration::from_millis(10);

/// A running fake Bot API server. Stops on [`FakeTelegram::shutdown`] or when dropped.
pub struct FakeTelegram {
    inner: Arc<Inner>,
    addr: SocketAddr,
    server: Option<JoinHandle<()>>,
}

impl FakeTelegram {
    /// Binds `127.0.0.1:0` and serves in a background task of the current runtime.
    pub async fn start() -> Self {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.expect("bind fake Telegram on 127.0.0.1:0");
        let addr = listener.local_addr().expect("fake Telegram local address");
        let inner = Arc::new(Inner::new());
        let server = tokio::spawn(accept_loop(listener, Arc::clone(&inner)));
        Self { inner, addr, server: Some(server) }
    }

    /// Base URL for `Bot::set_api_url` / `TELEGRAM_API_URL`, e.g. `http://127.0.0.1:PORT/`.
    pub fn url(&self) -> url::Url {
        url::Url::parse(&self.base_url()).expect("fake Telegram URL")
    }

    /// [`FakeTelegram::url`] as a string.
    pub fn base_url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A plain `teloxide::Bot` with [`TEST_TOKEN`] pointed at this server.
    pub fn bot(&self) -> teloxide::Bot {
        teloxide::Bot::new(TEST_TOKEN).set_api_url(self.url())
    }

    /// Stops accepting, closes every connection (hanging requests included) and waits for the
    /// server task (bounded).
    pub async fn shutdown(mut self) {
        self.inner.cancel.cancel();
        if let Some(server) = self.server.take() {
            let _ = tokio::time::timeout(SHUTDOWN_WAIT, server).await;
        }
    }

    // ---- recorded calls ----

    /// Every request so far, in arrival order.
    pub fn calls(&self) -> Vec<Call> {
        self.inner.lock().calls.clone()
    }

    /// Requests to one method (case-insensitive, e.g. `"sendMessage"`).
    pub fn calls_to(&self, method: &str) -> Vec<Call> {
        let method = normalize(method);
        self.inner.lock().calls.iter().filter(|c| c.method == method).cloned().collect()
    }

    /// Refuses messages over these limits with 429, as Telegram does (`None`: no limits, the
    /// default). Resets the statistics.
    pub fn enforce_limits(&self, limits: Option<SendLimits>) {
        self.inner.lock().limits.set(limits);
    }

    /// Every call but `getUpdates` takes `rtt` longer, half before Telegram carries it out (and
    /// records it) and half after, as a server that far away would (default: none).
    pub fn set_round_trip(&self, rtt: Duration) {
        self.inner.rtt_us.store(u64::try_from(rtt.as_micros()).unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    /// Messages accepted and refused under [`FakeTelegram::enforce_limits`].
    pub fn limit_stats(&self) -> LimitStats {
        self.inner.lock().limits.stats
    }

    /// How many requests to `method` satisfy `keep`, without copying them (cheap to poll).
    pub fn count_calls(&self, method: &str, keep: impl Fn(&Call) -> bool) -> usize {
        let method = normalize(method);
        self.inner.lock().calls.iter().filter(|c| c.method == method && keep(c)).count()
    }

    /// Recorded method names in order (for assertion messages).
    pub fn methods(&self) -> Vec<String> {
        self.inner.lock().calls.iter().map(|c| c.method.clone()).collect()
    }

    pub fn clear_calls(&self) {
        self.inner.lock().calls.clear();
    }

    /// Waits until at least `count` calls to `method` were recorded and returns them;
    /// panics after `timeout` listing what was recorded.
    pub async fn wait_for(&self, method: &str, count: usize, timeout: Duration) -> Vec<Call> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let calls = self.calls_to(method);
            if calls.len() >= count {
                return calls;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "fake Telegram: expected at least {count} call(s) to {method} within {timeout:?}, got {}; \
                 recorded: {:?}",
                calls.len(),
                self.methods()
            );
            tokio::time::sleep(POLL_EVERY).await;
        }
    }

    // ---- updates ----

    /// Queues an update for `getUpdates`; assigns an increasing `update_id` when missing.
    /// Returns the update id.
    pub fn push_update(&self, update: Value) -> i64 {
        let id = self.inner.lock().push_update(update);
        self.inner.updates_changed.notify_waiters();
        id
    }

    /// Updates queued and not yet confirmed by an `offset`.
    pub fn pending_updates(&self) -> usize {
        self.inner.lock().updates.len()
    }

    /// Highest positive `offset` a `getUpdates` call sent (updates below it are dropped).
    pub fn confirmed_offset(&self) -> Option<i64> {
        self.inner.lock().confirmed_offset
    }

    /// Waits until every queued update is confirmed; returns whether that happened in time.
    pub async fn wait_updates_confirmed(&self, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        while self.pending_updates() > 0 {
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(POLL_EVERY).await;
        }
        true
    }

    // ---- behaviour ----

    /// The next `times` calls to `method` fail with `fault` (queued after earlier faults).
    pub fn fail_next(&self, method: &str, times: usize, fault: Fault) {
        let mut state = self.inner.lock();
        let queue = state.faults.entry(normalize(method)).or_default();
        queue.extend(std::iter::repeat_n(fault, times));
    }

    /// User ids that `getChatAdministrators` lists and `getChatMember` reports as administrators
    /// (in every chat). Default: none.
    pub fn set_admins(&self, user_ids: &[i64]) {
        self.inner.lock().admins = user_ids.to_vec();
    }

    /// The next `times` calls to `method` addressed to `chat_id` fail with `fault` (before any
    /// fault queued for the method in every chat).
    pub fn fail_next_to(&self, method: &str, chat_id: i64, times: usize, fault: Fault) {
        let mut state = self.inner.lock();
        let queue = state.chat_faults.entry((normalize(method), chat_id)).or_default();
        queue.extend(std::iter::repeat_n(fault, times));
    }

    /// Accepts only `token` from now on (default [`TEST_TOKEN`]); requests with another get 401.
    pub fn set_token(&self, token: &str) {
        token.clone_into(&mut self.inner.lock().token);
    }

    /// A chat the bot may write to (a group, a channel, a user who never wrote in a pushed
    /// update). Sending to or editing in any other chat answers 400 "chat not found".
    pub fn add_chat(&self, chat_id: i64) {
        self.inner.lock().chats.insert(chat_id);
    }

    /// [`FakeTelegram::add_chat`] for several chats.
    pub fn add_chats(&self, chat_ids: &[i64]) {
        self.inner.lock().chats.extend(chat_ids);
    }

    /// A file id the bot may send (besides those in pushed updates, given to `set_file`, or
    /// generated for uploads); any other answers 400 "wrong file identifier".
    pub fn add_file(&self, file_id: &str) {
        self.inner.lock().file_ids.insert(file_id.to_owned());
    }

    /// Bytes served at `GET /file/bot<token>/<file_path>` (see [`file_path_for`]).
    pub fn set_file_bytes(&self, file_path: &str, bytes: Vec<u8>) {
        self.inner.lock().files.insert(file_path.to_owned(), bytes);
    }

    /// Bytes for a file id: `getFile` reports their size and the download serves them.
    pub fn set_file(&self, file_id: &str, bytes: Vec<u8>) {
        self.add_file(file_id);
        self.set_file_bytes(&file_path_for(file_id), bytes);
    }

    /// From now on answer `method` with `{"ok":true,"result":result}` instead of the default.
    pub fn respond_with(&self, method: &str, result: Value) {
        self.inner.lock().overrides.insert(normalize(method), result);
    }

    /// The messages the fake bot sent to `chat` (as last edited), oldest first: what the
    /// chat's members see, unlike [`Self::calls_to`], which also lists requests that failed or
    /// never finished.
    pub fn delivered_to(&self, chat_id: i64) -> Vec<Value> {
        let state = self.inner.lock();
        let mut found: Vec<(i32, Value)> =
            state.sent.iter().filter(|((chat, _), _)| *chat == chat_id).map(|((_, id), m)| (*id, m.clone())).collect();
        found.sort_by_key(|(id, _)| *id);
        found.into_iter().map(|(_, m)| m).collect()
    }

    /// A message the fake bot sent (as last edited), by chat and message id.
    pub fn sent_message(&self, chat_id: i64, message_id: i32) -> Option<Value> {
        self.inner.lock().sent.get(&(chat_id, message_id)).cloned()
    }

    // ---- connections ----

    /// Client TCP connections currently open.
    pub fn open_connections(&self) -> usize {
        self.inner.open.load(Ordering::SeqCst)
    }

    /// Client TCP connections accepted since start.
    pub fn accepted_connections(&self) -> u64 {
        self.inner.accepted.load(Ordering::SeqCst)
    }

    /// Waits until at most `max` connections are open; returns the last count seen.
    pub async fn wait_open_connections_at_most(&self, max: usize, timeout: Duration) -> usize {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let open = self.open_connections();
            if open <= max || tokio::time::Instant::now() >= deadline {
                return open;
            }
            tokio::time::sleep(POLL_EVERY).await;
        }
    }
}

impl Drop for FakeTelegram {
    fn drop(&mut self) {
        self.inner.cancel.cancel();
    }
}

/// Accepts until cancelled; each connection is served by hyper in its own task, which holds a
/// [`ConnGuard`] so the open-connection count drops when the connection ends.
async fn accept_loop(listener: TcpListener, inner: Arc<Inner>) {
    let router = http::router(Arc::clone(&inner));
    let mut connections = JoinSet::new();
    loop {
        let accepted = tokio::select! {
            () = inner.cancel.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        while connections.try_join_next().is_some() {}
        let Ok((stream, _peer)) = accepted else {
            // e.g. EMFILE: back off instead of spinning.
            tokio::time::sleep(POLL_EVERY).await;
            continue;
        };
        let _ = stream.set_nodelay(true);
        let guard = ConnGuard::new(Arc::clone(&inner));
        let service = TowerToHyperService::new(router.clone());
        let cancel = inner.cancel.clone();
        connections.spawn(async move {
            let _guard = guard;
            let connection = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service);
            tokio::select! {
                _ = connection => {}
                () = cancel.cancelled() => {}
            }
        });
    }
    drop(listener);
    connections.shutdown().await;
}

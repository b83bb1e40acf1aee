//! Staying under Telegram's sending limits up front: every outgoing message waits for a slot
//! that respects the overall rate, the per-chat rate of private chats and the per-minute rate
//! of groups and channels. Requests are granted in arrival order per chat; a chat that must
//! wait does not hold up the others. A 429 that still happens is waited out by the caller.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use serde::Serialize;
use tokio::sync::{Notify, oneshot};
use tokio::time::Instant;
use tokio_util::sync::{CancellationToken, DropGuard};

/// Telegram's limits for bots (documented as approximate): about 30 messages per second
/// overall, one per second in a private chat, 20 per minute in a group or channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SendLimits {
    pub per_sec: u32,
    pub private_chat_per_sec: u32,
    pub group_per_min: u32,
}

impl Default for SendLimits {
    fn default() -> Self {
        Self { per_sec: 30, private_chat_per_sec: 1, group_per_min: 20 }
    }
}

/// Where a message goes, as far as limits are concerned.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ChatKey {
    /// A chat id: positive for private chats, negative for groups and channels.
    Id(i64),
    /// A public channel addressed by `@username`.
    Channel(String),
}

impl ChatKey {
    fn is_private(&self) -> bool {
        matches!(self, Self::Id(id) if *id > 0)
    }
}

/// Hands out sending slots; cheap to clone. [`Limiter::off`] grants everything at once.
#[derive(Clone)]
pub struct Limiter {
    shared: Option<Arc<Shared>>,
    /// Stops the scheduling task when the last clone is dropped.
    _stop: Option<Arc<DropGuard>>,
}

struct Shared {
    state: Mutex<State>,
    wake: Notify,
    overall: Duration,
    private_chat: Duration,
    group: Duration,
}

struct Waiter {
    weight: u32,
    grant: oneshot::Sender<()>,
}

#[derive(Default)]
struct Chat {
    waiting: VecDeque<Waiter>,
    next_free: Option<Instant>,
}

#[derive(Default)]
struct State {
    chats: HashMap<ChatKey, Chat>,
    /// Chats with a waiting request whose own limit allows sending now, in the order they
    /// became ready.
    ready: VecDeque<ChatKey>,
    /// Chats with a waiting request that must wait for their own limit, by when.
    sleeping: BinaryHeap<Reverse<(Instant, ChatKey)>>,
    next_overall: Option<Instant>,
}

/// The share of each limit actually used: the margin absorbs scheduling and network jitter,
/// so a message granted on time is not counted against the previous window by Telegram.
const MARGIN: f64 = 0.97;

fn interval(per: Duration, count: u32) -> Duration {
    per.div_f64(f64::from(count.max(1)) * MARGIN)
}

/// The slot after one taken now: counted from the slot that was due (so a timer that fires a
/// little late does not lower the rate), but never from further back than one interval (so a
/// quiet spell does not turn into a burst).
fn next_slot(due: Option<Instant>, now: Instant, every: Duration, weight: u32) -> Instant {
    let base = due.filter(|at| *at + every > now).unwrap_or(now);
    base + every * weight
}

impl Limiter {
    /// A limiter enforcing `limits`; spawns its scheduling task on the current Tokio runtime.
    pub fn new(limits: SendLimits) -> Self {
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            wake: Notify::new(),
            overall: interval(Duration::from_secs(1), limits.per_sec),
            private_chat: interval(Duration::from_secs(1), limits.private_chat_per_sec),
            group: interval(Duration::from_mins(1), limits.group_per_min),
        });
        let stop = CancellationToken::new();
        tokio::spawn(schedule(Arc::clone(&shared), stop.clone()));
        Self { shared: Some(shared), _stop: Some(Arc::new(stop.drop_guard())) }
    }

    /// No limits: every request goes at once (Telegram's own 429s are still obeyed).
    pub fn off() -> Self {
        Self { shared: None, _stop: None }
    }

    /// From the configuration: `None` means limiting is off.
    pub fn from_config(limits: Option<SendLimits>) -> Self {
        limits.map_or_else(Self::off, Self::new)
    }

    /// Waits for a slot to send `weight` messages (an album counts each item) to `chat`.
    pub async fn acquire(&self, chat: ChatKey, weight: u32) {
        let Some(shared) = &self.shared else { return };
        let (grant, granted) = oneshot::channel();
        {
            let mut state = shared.lock();
            let now = Instant::now();
            let entry = state.chats.entry(chat.clone()).or_default();
            entry.waiting.push_back(Waiter { weight: weight.max(1), grant });
            if entry.waiting.len() == 1 {
                match entry.next_free {
                    Some(at) if at > now => state.sleeping.push(Reverse((at, chat))),
                    _ => state.ready.push_back(chat),
                }
            }
        }
        shared.wake.notify_one();
        // Dropped only if the limiter is gone, and then there is nothing left to wait for.
        let _ = granted.await;
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Grants what may go now; returns when to look again (`None`: nothing is waiting).
    fn grant_due(&self) -> Option<Instant> {
        let mut state = self.lock();
        let now = Instant::now();
        while state.sleeping.peek().is_some_and(|Reverse((at, _))| *at <= now) {
            if let Some(Reverse((_, chat))) = state.sleeping.pop() {
                state.ready.push_back(chat);
            }
        }
        loop {
            if state.next_overall.is_some_and(|at| at > now) {
                break;
            }
            let Some(key) = state.ready.pop_front() else { break };
            let private = key.is_private();
            let Some(chat) = state.chats.get_mut(&key) else { continue };
            let Some(waiter) = chat.waiting.pop_front() else { continue };
            // A caller that gave up (its future was dropped) uses no slot.
            if waiter.grant.send(()).is_ok() {
                let per_chat = if private { self.private_chat } else { self.group };
                chat.next_free = Some(next_slot(chat.next_free, now, per_chat, waiter.weight));
                state.next_overall = Some(next_slot(state.next_overall, now, self.overall, waiter.weight));
            }
            let Some(chat) = state.chats.get_mut(&key) else { continue };
            match (chat.waiting.is_empty(), chat.next_free) {
                (false, Some(at)) if at > now => state.sleeping.push(Reverse((at, key))),
                (false, _) => state.ready.push_front(key),
                // Forget idle chats whose limit has passed, so the map stays small.
                (true, Some(at)) if at <= now => {
                    state.chats.remove(&key);
                }
                (true, _) => {}
            }
        }
        let overall = (!state.ready.is_empty()).then_some(state.next_overall).flatten();
        let chat = state.sleeping.peek().map(|Reverse((at, _))| *at);
        if state.chats.len() > 10_000 {
            state.chats.retain(|_, c| !c.waiting.is_empty() || c.next_free.is_some_and(|at| at > now));
        }
        match (overall, chat) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// The scheduling task: grants slots as they come due; sleeps until the next one is due or a
/// new request arrives.
async fn schedule(shared: Arc<Shared>, stop: CancellationToken) {
    loop {
        let next = shared.grant_due();
        let wait = async {
            match next {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = stop.cancelled() => return,
            () = shared.wake.notified() => {}
            () = wait => {}
        }
    }
}

#[cfg(test)]
mod tests;

//! Staying under Telegram's sending limits up front: every outgoing message waits for a slot
//! that respects the overall rate, the per-chat rate of private chats and the per-minute rate
//! of groups and channels. Requests are granted in arrival order per chat; a chat that must
//! wait does not hold up the others, and a chat whose own limit just passed goes first. A 429 that still happens is waited out by the caller.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use serde::Serialize;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, oneshot};
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
    /// Messages on the wire at once when limits are off (with limits on, the scheduler holds
    /// the same bound): bounds the sockets open to Telegram.
    in_flight: Arc<Semaphore>,
    /// Callback answers on the wire at once (see [`Limiter::acquire_answer`]).
    answers: Arc<Semaphore>,
    /// Stops the scheduling task when the last clone is dropped.
    _stop: Option<Arc<DropGuard>>,
}

struct Shared {
    state: Mutex<State>,
    wake: Notify,
    in_flight: Arc<Semaphore>,
    overall: Duration,
    private_chat: Duration,
    group: Duration,
}

struct Waiter {
    weight: u32,
    grant: oneshot::Sender<SendPermit>,
}

/// Leave to send: hold it while the request is on the wire. Granted only when both the rate
/// and the in-flight bound allow, so the request goes out at the moment its slot was given.
#[must_use = "hold the permit while sending"]
pub struct SendPermit {
    permit: Option<OwnedSemaphorePermit>,
    /// Told when the permit is given back (the scheduler may be waiting for one).
    scheduler: Option<Arc<Shared>>,
}

impl Drop for SendPermit {
    fn drop(&mut self) {
        if let Some(shared) = &self.scheduler {
            // Give the permit back first, then wake the scheduler.
            self.permit.take();
            shared.wake.notify_one();
        }
    }
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
/// The overall limit counts many messages per window, so one late message hardly moves it;
/// a private chat's limit is one message a second, where a reply delayed on a busy machine
/// and the next one sent on time can arrive less than a second apart. Spacing one chat's
/// replies wider costs no throughput while other chats are waiting.
const OVERALL_MARGIN: f64 = 0.98;
const PRIVATE_CHAT_MARGIN: f64 = 0.97;
const GROUP_MARGIN: f64 = 0.97;

/// Messages on the wire at once with limits off, and at least that many with them on (see
/// [`SendPermit`] and [`messages_in_flight`]).
pub const IN_FLIGHT: usize = 16;
/// Callback answers on the wire at once, beside the messages: a moderator's press is answered
/// without waiting behind the channel posts, cards and notices its approvals queue. 100 answer
/// a thousand presses within a second at an 80 ms round trip (aiohttp, under aiogram, allows
/// 100 connections too); idle sockets close after a minute.
pub const ANSWERS_IN_FLIGHT: usize = 100;
/// The round trip the in-flight bound is sized for: a server far from Telegram's.
const SIZED_FOR_ROUND_TRIP: Duration = Duration::from_millis(200);

/// Messages on the wire at once under `limits`: enough to keep the overall rate busy at a
/// 200 ms round trip (each message holds its slot for a round trip), and never fewer than
/// [`IN_FLIGHT`]. Raised limits (a bot Telegram allows more) would otherwise be capped by the
/// sockets, not by the rate: 16 at 80 ms carry 200 messages a second.
pub fn messages_in_flight(limits: Option<SendLimits>) -> usize {
    let Some(limits) = limits else { return IN_FLIGHT };
    let per_round_trip = f64::from(limits.per_sec) * SIZED_FOR_ROUND_TRIP.as_secs_f64();
    // At most a few thousand: the rate is bounded by the configuration's own range.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let needed = per_round_trip.ceil() as usize;
    needed.max(IN_FLIGHT)
}

/// Every socket the bot may hold open to Telegram at once: messages and callback answers
/// (`getUpdates` and other calls are few and short).
pub fn sockets(limits: Option<SendLimits>) -> usize {
    messages_in_flight(limits) + ANSWERS_IN_FLIGHT
}

fn interval(per: Duration, count: u32, margin: f64) -> Duration {
    per.div_f64(f64::from(count.max(1)) * margin)
}

/// The overall rate's (or a group's) slot after one taken now: counted from the slot that was
/// due (so a timer that fires a little late does not lower the rate), but never from further
/// back than one interval (so a quiet spell does not turn into a burst).
fn next_slot(due: Option<Instant>, now: Instant, every: Duration, weight: u32) -> Instant {
    let base = due.filter(|at| *at + every > now).unwrap_or(now);
    base + every * weight
}

impl Limiter {
    /// A limiter enforcing `limits`; spawns its scheduling task on the current Tokio runtime.
    pub fn new(limits: SendLimits) -> Self {
        let in_flight = Arc::new(Semaphore::new(messages_in_flight(Some(limits))));
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            wake: Notify::new(),
            in_flight: Arc::clone(&in_flight),
            overall: interval(Duration::from_secs(1), limits.per_sec, OVERALL_MARGIN),
            private_chat: interval(Duration::from_secs(1), limits.private_chat_per_sec, PRIVATE_CHAT_MARGIN),
            group: interval(Duration::from_mins(1), limits.group_per_min, GROUP_MARGIN),
        });
        let stop = CancellationToken::new();
        tokio::spawn(schedule(Arc::clone(&shared), stop.clone()));
        Self { shared: Some(shared), in_flight, answers: answers(), _stop: Some(Arc::new(stop.drop_guard())) }
    }

    /// No rate limits: every request goes at once (Telegram's own 429s are still obeyed).
    pub fn off() -> Self {
        Self {
            shared: None,
            in_flight: Arc::new(Semaphore::new(messages_in_flight(None))),
            answers: answers(),
            _stop: None,
        }
    }

    /// Whether sends are paced (Telegram's limits are on).
    pub fn is_pacing(&self) -> bool {
        self.shared.is_some()
    }

    /// From the configuration: `None` means limiting is off.
    pub fn from_config(limits: Option<SendLimits>) -> Self {
        limits.map_or_else(Self::off, Self::new)
    }

    /// Waits for a slot to send `weight` messages (an album counts each item) to `chat`; hold
    /// the permit while sending.
    pub async fn acquire(&self, chat: ChatKey, weight: u32) -> SendPermit {
        let Some(shared) = &self.shared else {
            // The semaphore is never closed.
            let permit = Arc::clone(&self.in_flight).acquire_owned().await.ok();
            return SendPermit { permit, scheduler: None };
        };
        let (grant, granted) = oneshot::channel();
        {
            let mut state = shared.lock();
            let now = Instant::now();
            let entry = state.chats.entry(chat.clone()).or_default();
            entry.waiting.push_back(Waiter { weight: weight.max(1), grant });
            if entry.waiting.len() == 1 {
                match entry.next_free {
                    Some(at) if at > now => state.sleeping.push(Reverse((at, chat))),
                    // Groups and channels (cards, publications) go ahead of private replies:
                    // their own limit is the tighter one, so a turn they miss is lost for good.
                    _ if !chat.is_private() => state.ready.push_front(chat),
                    _ => state.ready.push_back(chat),
                }
            }
        }
        shared.wake.notify_one();
        // Dropped only if the limiter is gone, and then there is nothing left to wait for.
        granted.await.unwrap_or(SendPermit { permit: None, scheduler: None })
    }

    /// Waits for a place on the wire for a callback answer. An answer is not a message:
    /// Telegram's message limits do not count it (teloxide's `Throttle` leaves it alone too),
    /// so it takes no rate slot, only one of its own [`ANSWERS_IN_FLIGHT`] places.
    pub async fn acquire_answer(&self) -> SendPermit {
        // The semaphore is never closed.
        let permit = Arc::clone(&self.answers).acquire_owned().await.ok();
        SendPermit { permit, scheduler: None }
    }
}

fn answers() -> Arc<Semaphore> {
    Arc::new(Semaphore::new(ANSWERS_IN_FLIGHT))
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Grants what may go now; returns when to look again (`None`: nothing is waiting).
    fn grant_due(self: &Arc<Self>) -> Option<Instant> {
        let mut state = self.lock();
        let now = Instant::now();
        // A chat that waited for its own limit goes first: otherwise a busy chat (the moderation
        // group) would get one turn per round of every private chat and fall behind its rate.
        let mut due = Vec::new();
        while state.sleeping.peek().is_some_and(|Reverse((at, _))| *at <= now) {
            if let Some(Reverse((_, chat))) = state.sleeping.pop() {
                due.push(chat);
            }
        }
        for chat in due.into_iter().rev() {
            state.ready.push_front(chat);
        }
        let mut blocked = false;
        loop {
            if state.next_overall.is_some_and(|at| at > now) || state.ready.is_empty() {
                break;
            }
            let Ok(permit) = Arc::clone(&self.in_flight).try_acquire_owned() else {
                blocked = true; // a permit given back wakes us
                break;
            };
            let Some(key) = state.ready.pop_front() else { break };
            let private = key.is_private();
            let Some(chat) = state.chats.get_mut(&key) else { continue };
            let Some(waiter) = chat.waiting.pop_front() else { continue };
            // A caller that gave up (its future was dropped) uses no slot.
            let granted = SendPermit { permit: Some(permit), scheduler: Some(Arc::clone(self)) };
            if waiter.grant.send(granted).is_ok() {
                let per_chat = if private { self.private_chat } else { self.group };
                // A private chat's next slot counts from this grant, not from when its slot was
                // due: a message held back by the overall rate and the chat's next one on time
                // would arrive less than a second apart (the limited bench's 429s at 80 ms). A
                // group's limit is per minute, where a late turn may be caught up.
                chat.next_free = Some(if private {
                    now + per_chat * waiter.weight
                } else {
                    next_slot(chat.next_free, now, per_chat, waiter.weight)
                });
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
        let overall = (!state.ready.is_empty() && !blocked).then_some(state.next_overall).flatten();
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

//! Which updates are handled, so the offset confirmed to Telegram never passes one that is
//! not: the listener asks for updates from the oldest one still being handled, and skips
//! those it already handed out. A process killed before it stored a submission gets that
//! update again after the restart, instead of losing it with the confirmed offset.
//!
//! The listener [`Handled::track`]s each update it hands out; the handler tree holds a
//! [`HandledGuard`] while it works on it (a submission releases it once stored: its receipt
//! is made good by the receipts' sweep). An update nobody released for [`STUCK_AFTER`] stops
//! holding the offset back, so one lost update cannot stall polling.
//!
//! One private chat may have at most [`PER_CHAT`] updates in the handlers: the listener drops
//! the rest (logged and counted) instead of queueing them, so a user who forwards a hundred
//! messages at once fills neither the dispatcher's worker queue nor the intake slots.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How long an update may hold the offset back.
pub const STUCK_AFTER: Duration = Duration::from_mins(5);
/// Updates of one private chat in the handlers at once: two albums of ten, well under the
/// dispatcher's worker queue (64), which a chat shares with others hashed onto the same worker.
pub const PER_CHAT: usize = 20;

#[derive(Default)]
struct InFlight {
    /// Updates handed out and not yet handled: when, and the private chat they come from.
    updates: BTreeMap<i64, (Instant, Option<i64>)>,
    /// Updates in the handlers per private chat.
    per_chat: HashMap<i64, usize>,
}

impl InFlight {
    fn remove(&mut self, id: i64) -> bool {
        let Some((_, chat)) = self.updates.remove(&id) else { return false };
        if let Some(chat) = chat
            && let Some(n) = self.per_chat.get_mut(&chat)
        {
            *n -= 1;
            if *n == 0 {
                self.per_chat.remove(&chat);
            }
        }
        true
    }
}

#[derive(Default)]
struct Inner {
    in_flight: Mutex<InFlight>,
    /// Signalled when an update is handled: a listener waiting for room polls again.
    handled: tokio::sync::Notify,
}

/// The updates of this process in flight. Cheap to clone; all clones share one state.
#[derive(Clone, Default)]
pub struct Handled {
    inner: Arc<Inner>,
}

impl Handled {
    fn with<T>(&self, f: impl FnOnce(&mut InFlight) -> T) -> T {
        f(&mut self.inner.in_flight.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// The listener hands out update `id`, from private chat `chat` if any; `false` (and not
    /// tracked) when that chat already has [`PER_CHAT`] updates in the handlers.
    pub fn track(&self, id: i64, chat: Option<i64>) -> bool {
        self.with(|m| {
            if let Some(chat) = chat {
                let n = m.per_chat.entry(chat).or_default();
                if *n >= PER_CHAT {
                    return false;
                }
                *n += 1;
            }
            m.updates.insert(id, (Instant::now(), chat));
            true
        })
    }

    /// Held by the handler tree while it handles update `id`; dropping it (or
    /// [`HandledGuard::release`]) marks the update handled.
    pub fn guard(&self, id: i64) -> HandledGuard {
        HandledGuard(Arc::new(GuardInner { id, handled: self.clone() }))
    }

    fn done(&self, id: i64) {
        if self.with(|m| m.remove(id)) {
            self.inner.handled.notify_waiters();
        }
    }

    /// The offset that confirms every handled update and none being handled, given `next`,
    /// the id after the newest update handed out. Updates stuck past [`STUCK_AFTER`] are
    /// given up on (logged) and no longer hold it back.
    pub fn confirmable(&self, next: i64) -> i64 {
        self.with(|m| {
            let stuck: Vec<i64> =
                m.updates.iter().filter(|(_, (at, _))| at.elapsed() >= STUCK_AFTER).map(|(id, _)| *id).collect();
            for id in stuck {
                tracing::warn!(update_id = id, "update not handled after 5 minutes; no longer holding the offset back");
                m.remove(id);
            }
            m.updates.keys().next().map_or(next, |oldest| (*oldest).min(next))
        })
    }

    /// Updates handed out and not yet handled.
    pub fn in_flight(&self) -> usize {
        self.with(|m| m.updates.len())
    }

    /// Waits until an update is handled, or `bound` passes.
    pub async fn wait_for_one(&self, bound: Duration) {
        let _ = tokio::time::timeout(bound, self.inner.handled.notified()).await;
    }
}

struct GuardInner {
    id: i64,
    handled: Handled,
}

impl Drop for GuardInner {
    fn drop(&mut self) {
        self.handled.done(self.id);
    }
}

/// Marks its update handled when the last clone is dropped, or when released.
#[derive(Clone)]
pub struct HandledGuard(Arc<GuardInner>);

impl HandledGuard {
    /// Marks the update handled now (the rest of the handler may still run).
    pub fn release(&self) {
        self.0.handled.done(self.0.id);
    }

    /// When the listener took the update in (`None` once released, or if it was never
    /// tracked): what a reply promised "within a second" counts from.
    pub fn taken_at(&self) -> Option<Instant> {
        self.0.handled.with(|m| m.updates.get(&self.0.id).map(|(at, _)| *at))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_offset_waits_for_the_oldest_update_in_flight() {
        let handled = Handled::default();
        assert_eq!(handled.confirmable(10), 10, "nothing in flight: everything handed out is confirmed");
        for id in [10, 11, 12] {
            assert!(handled.track(id, None));
        }
        let (a, b, c) = (handled.guard(10), handled.guard(11), handled.guard(12));
        assert_eq!(handled.confirmable(13), 10);
        drop(b);
        assert_eq!(handled.confirmable(13), 10, "a later update handled does not confirm an earlier one");
        assert!(a.taken_at().is_some_and(|at| at <= Instant::now()), "in flight: taken in before now");
        a.release();
        assert_eq!(a.taken_at(), None, "released: no longer in flight");
        assert_eq!(handled.confirmable(13), 12);
        let clone = c.clone();
        drop(c);
        assert_eq!(handled.confirmable(13), 12, "a clone still holds it");
        drop(clone);
        assert_eq!(handled.confirmable(13), 13);
        assert_eq!(handled.in_flight(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_waiting_listener_hears_of_a_handled_update() {
        let handled = Handled::default();
        handled.track(1, Some(5));
        let guard = handled.guard(1);
        let waiter = {
            let handled = handled.clone();
            tokio::spawn(async move { handled.wait_for_one(Duration::from_mins(1)).await })
        };
        tokio::task::yield_now().await;
        drop(guard);
        tokio::time::timeout(Duration::from_secs(1), waiter).await.unwrap().unwrap();
    }

    #[test]
    fn one_private_chat_has_at_most_its_share_in_flight() {
        let handled = Handled::default();
        let ids: Vec<i64> = (0..i64::try_from(PER_CHAT).unwrap()).collect();
        for &id in &ids {
            assert!(handled.track(id, Some(9)), "update {id} of chat 9 taken");
        }
        assert!(!handled.track(100, Some(9)), "one more from chat 9 is refused");
        assert!(handled.track(101, Some(10)), "another chat is not affected");
        assert!(handled.track(102, None), "updates without a private chat are not capped");
        handled.guard(0).release();
        assert!(handled.track(103, Some(9)), "room again once one of chat 9's updates is handled");
        assert_eq!(handled.in_flight(), PER_CHAT + 2);
    }
}

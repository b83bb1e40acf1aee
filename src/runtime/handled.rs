//! Which updates are handled, so the offset confirmed to Telegram never passes one that is
//! not: the listener asks for updates from the oldest one still being handled, and skips
//! those it already handed out. A process killed before it stored a submission gets that
//! update again after the restart, instead of losing it with the confirmed offset.
//!
//! The listener [`Handled::track`]s each update it hands out; the handler tree holds a
//! [`HandledGuard`] while it works on it (a submission releases it once stored: its receipt
//! is made good by the receipts' sweep). An update nobody released for [`STUCK_AFTER`] stops
//! holding the offset back, so one lost update cannot stall polling.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How long an update may hold the offset back.
pub const STUCK_AFTER: Duration = Duration::from_mins(5);

#[derive(Default)]
struct Inner {
    /// Updates handed out and not yet handled, with when they were handed out.
    in_flight: Mutex<BTreeMap<i64, Instant>>,
    /// Signalled when an update is handled: a listener waiting for room polls again.
    handled: tokio::sync::Notify,
}

/// The updates of this process in flight. Cheap to clone; all clones share one state.
#[derive(Clone, Default)]
pub struct Handled {
    inner: Arc<Inner>,
}

impl Handled {
    fn with<T>(&self, f: impl FnOnce(&mut BTreeMap<i64, Instant>) -> T) -> T {
        f(&mut self.inner.in_flight.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// The listener hands out update `id`.
    pub fn track(&self, id: i64) {
        self.with(|m| m.insert(id, Instant::now()));
    }

    /// Held by the handler tree while it handles update `id`; dropping it (or
    /// [`HandledGuard::release`]) marks the update handled.
    pub fn guard(&self, id: i64) -> HandledGuard {
        HandledGuard(Arc::new(GuardInner { id, handled: self.clone() }))
    }

    fn done(&self, id: i64) {
        if self.with(|m| m.remove(&id)).is_some() {
            self.inner.handled.notify_waiters();
        }
    }

    /// The offset that confirms every handled update and none being handled, given `next`,
    /// the id after the newest update handed out. Updates stuck past [`STUCK_AFTER`] are
    /// given up on (logged) and no longer hold it back.
    pub fn confirmable(&self, next: i64) -> i64 {
        self.with(|m| {
            let stuck: Vec<i64> = m.iter().filter(|(_, at)| at.elapsed() >= STUCK_AFTER).map(|(id, _)| *id).collect();
            for id in stuck {
                tracing::warn!(update_id = id, "update not handled after 5 minutes; no longer holding the offset back");
                m.remove(&id);
            }
            m.keys().next().map_or(next, |oldest| (*oldest).min(next))
        })
    }

    /// Updates handed out and not yet handled.
    pub fn in_flight(&self) -> usize {
        self.with(|m| m.len())
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_offset_waits_for_the_oldest_update_in_flight() {
        let handled = Handled::default();
        assert_eq!(handled.confirmable(10), 10, "nothing in flight: everything handed out is confirmed");
        for id in [10, 11, 12] {
            handled.track(id);
        }
        let (a, b, c) = (handled.guard(10), handled.guard(11), handled.guard(12));
        assert_eq!(handled.confirmable(13), 10);
        drop(b);
        assert_eq!(handled.confirmable(13), 10, "a later update handled does not confirm an earlier one");
        a.release();
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
        handled.track(1);
        let guard = handled.guard(1);
        let waiter = {
            let handled = handled.clone();
            tokio::spawn(async move { handled.wait_for_one(Duration::from_mins(1)).await })
        };
        tokio::task::yield_now().await;
        drop(guard);
        tokio::time::timeout(Duration::from_secs(1), waiter).await.unwrap().unwrap();
    }
}

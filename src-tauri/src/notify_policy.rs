//! When a desktop notification about new submissions is raised: never while the moderator has
//! the console in front of them, a burst grouped into one ("5 new submissions"), and at most
//! one every [`THROTTLE`]. Pure: the caller passes the time and whether the window has the
//! moderator's attention, and asks [`Policy::poll`] when [`Policy::due`] comes.

use std::time::{Duration, Instant};

/// At most one notification per this much time; submissions meanwhile wait and are counted.
pub const THROTTLE: Duration = Duration::from_secs(30);
/// How long the first unseen submission waits for others: a burst (an album's parts, a batch
/// the intake stored together) becomes one notification, not one now and the rest 30 s later.
pub const GATHER: Duration = Duration::from_secs(1);

/// The notification state; one per console.
#[derive(Debug, Default)]
pub struct Policy {
    /// Submissions not seen by the moderator and not yet in a notification.
    unseen: u32,
    /// When the last notification was raised.
    last_raised: Option<Instant>,
    /// When the next notification is due (set while `unseen > 0`).
    due: Option<Instant>,
}

impl Policy {
    pub fn new() -> Self {
        Self::default()
    }

    /// A new submission arrived. `attentive`: the window is shown and focused, so the live
    /// queue already shows it — nothing to notify, and what was waiting has been seen too.
    pub fn submitted(&mut self, now: Instant, attentive: bool) {
        if attentive {
            self.seen();
            return;
        }
        self.unseen = self.unseen.saturating_add(1);
        if self.due.is_none() {
            let gathered = now + GATHER;
            let allowed = self.last_raised.map_or(gathered, |last| last + THROTTLE);
            self.due = Some(gathered.max(allowed));
        }
    }

    /// The moderator looked at the console (the window got the focus): nothing is pending.
    pub fn seen(&mut self) {
        self.unseen = 0;
        self.due = None;
    }

    /// When [`Self::poll`] should be called next, if anything waits.
    pub fn due(&self) -> Option<Instant> {
        self.due
    }

    /// The number of submissions to announce now, if a notification is due; it then counts as
    /// raised (the throttle starts again).
    pub fn poll(&mut self, now: Instant) -> Option<u32> {
        let due = self.due?;
        if now < due {
            return None;
        }
        let count = std::mem::take(&mut self.unseen);
        self.due = None;
        if count == 0 {
            return None;
        }
        self.last_raised = Some(now);
        Some(count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn a_burst_while_hidden_is_one_notification_with_the_count() {
        let t0 = Instant::now();
        let mut policy = Policy::new();
        for i in 0..5 {
            policy.submitted(t0 + Duration::from_millis(100 * i), false);
        }
        assert_eq!(policy.due(), Some(t0 + GATHER), "the first submission sets the time");
        assert_eq!(policy.poll(t0 + Duration::from_millis(900)), None, "not before it is due");
        assert_eq!(policy.poll(t0 + GATHER), Some(5));
        assert_eq!(policy.poll(t0 + secs(2)), None, "raised once");
        assert_eq!(policy.due(), None);
    }

    #[test]
    fn at_most_one_per_throttle_window_the_rest_grouped_into_the_next() {
        let t0 = Instant::now();
        let mut policy = Policy::new();
        policy.submitted(t0, false);
        assert_eq!(policy.poll(t0 + GATHER), Some(1));
        let raised = t0 + GATHER;
        // Three more over the next 20 s: they wait for the throttle, then come as one.
        for s in [2, 10, 20] {
            policy.submitted(t0 + secs(s), false);
            assert_eq!(policy.due(), Some(raised + THROTTLE));
            assert_eq!(policy.poll(t0 + secs(s)), None);
        }
        assert_eq!(policy.poll((raised + THROTTLE).checked_sub(Duration::from_millis(1)).unwrap()), None);
        assert_eq!(policy.poll(raised + THROTTLE), Some(3));
        // Long after the throttle, a single one only waits the gathering time.
        let later = raised + THROTTLE + secs(60);
        policy.submitted(later, false);
        assert_eq!(policy.due(), Some(later + GATHER));
        assert_eq!(policy.poll(later + GATHER), Some(1));
    }

    #[test]
    fn nothing_while_the_window_is_focused_and_focus_clears_what_waited() {
        let t0 = Instant::now();
        let mut policy = Policy::new();
        for i in 0..3 {
            policy.submitted(t0 + secs(i), true);
        }
        assert_eq!(policy.due(), None, "the moderator sees them in the live queue");
        assert_eq!(policy.poll(t0 + secs(60)), None);

        policy.submitted(t0 + secs(61), false);
        policy.submitted(t0 + secs(61), false);
        policy.seen(); // the moderator came back before it was raised
        assert_eq!(policy.poll(t0 + secs(70)), None, "seen: nothing to announce");

        policy.submitted(t0 + secs(80), false);
        policy.submitted(t0 + secs(80), true); // a submission while focused: all seen
        assert_eq!(policy.poll(t0 + secs(90)), None);

        policy.submitted(t0 + secs(100), false);
        assert_eq!(policy.poll(t0 + secs(100) + GATHER), Some(1), "counting starts again after focus");
    }

    #[test]
    fn the_throttle_counts_from_the_last_raised_not_from_seen_ones() {
        let t0 = Instant::now();
        let mut policy = Policy::new();
        policy.submitted(t0, false);
        assert_eq!(policy.poll(t0 + GATHER), Some(1));
        policy.submitted(t0 + secs(5), true);
        policy.submitted(t0 + secs(6), false);
        assert_eq!(policy.due(), Some(t0 + GATHER + THROTTLE), "still within the throttle");
    }
}

//! Whether the database answered the last time this process tried it: "unreachable since T" or
//! reachable. Set by whoever meets the database — the service layer's writes, the outbox
//! worker, the probe below — and read by the console's header. Cheap to set on every success
//! (one atomic load while the database is fine), so the hot path can report freely.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::store::{Store, StoreError};

/// How often [`probe_while_down`] tries the database while it is unreachable.
pub const PROBE_EVERY: Duration = Duration::from_secs(1);

/// The database as this process last found it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum DbHealth {
    Reachable,
    /// Unreachable since `since` (RFC 3339 UTC); `error` is the first failure's text.
    Unreachable {
        since: DateTime<Utc>,
        error: String,
    },
}

/// The shared signal; cloning shares it.
#[derive(Clone)]
pub struct Health {
    down: Arc<AtomicBool>,
    state: Arc<watch::Sender<DbHealth>>,
}

impl Default for Health {
    fn default() -> Self {
        Self { down: Arc::default(), state: Arc::new(watch::Sender::new(DbHealth::Reachable)) }
    }
}

impl Health {
    /// The database failed with an outage (see [`StoreError::is_outage`]). Logged once, when
    /// it starts; later failures keep the first time.
    pub fn unreachable(&self, error: &StoreError) {
        // The flag changes under the watch's lock, so it always agrees with the state.
        let started = self.state.send_if_modified(|state| {
            self.down.store(true, Ordering::Release);
            match state {
                DbHealth::Reachable => {
                    *state = DbHealth::Unreachable { since: Utc::now(), error: error.to_string() };
                    true
                }
                DbHealth::Unreachable { .. } => false,
            }
        });
        if started {
            tracing::warn!(error = %error, "database unreachable; writes wait for it");
        }
    }

    /// The database answered. Logged once, when an outage ends, with how long it lasted.
    pub fn reachable(&self) {
        if !self.down.load(Ordering::Acquire) {
            return;
        }
        let mut ended = None;
        self.state.send_if_modified(|state| {
            self.down.store(false, Ordering::Release);
            match state {
                DbHealth::Unreachable { since, .. } => {
                    ended = Some(*since);
                    *state = DbHealth::Reachable;
                    true
                }
                DbHealth::Reachable => false,
            }
        });
        if let Some(since) = ended {
            let down_ms = (Utc::now() - since).num_milliseconds();
            tracing::info!(down_ms, since = %since.to_rfc3339(), "database reachable again");
        }
    }

    /// Reports what a database call came to: success clears an outage, an outage sets it, any
    /// other error says nothing about reachability (the database answered it).
    pub fn observe<T>(&self, result: &Result<T, StoreError>) {
        match result {
            Err(e) if e.is_outage() => self.unreachable(e),
            Ok(_) | Err(_) => self.reachable(),
        }
    }

    /// The current state.
    pub fn current(&self) -> DbHealth {
        self.state.borrow().clone()
    }

    /// Whether the database is unreachable right now (as last found).
    pub fn is_down(&self) -> bool {
        self.down.load(Ordering::Acquire)
    }

    /// A receiver that sees every change.
    pub fn subscribe(&self) -> watch::Receiver<DbHealth> {
        self.state.subscribe()
    }
}

/// Until `cancel`: whenever the database is marked unreachable, pings it every [`PROBE_EVERY`]
/// until it answers, so the signal clears even when nothing else is trying (a stopped bot, an
/// idle console).
pub async fn probe_while_down(store: Arc<dyn Store>, health: Health, cancel: CancellationToken) {
    let mut states = health.subscribe();
    loop {
        while health.is_down() {
            tokio::select! {
                () = cancel.cancelled() => return,
                () = tokio::time::sleep(PROBE_EVERY) => {}
            }
            let pinged = store.ping().await;
            health.observe(&pinged);
        }
        tokio::select! {
            () = cancel.cancelled() => return,
            changed = states.changed() => if changed.is_err() { return },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{DbHealth, Health};
    use crate::store::StoreError;

    #[test]
    fn an_outage_keeps_its_first_time_and_ends_once() {
        let health = Health::default();
        let seen = health.subscribe();
        assert_eq!(health.current(), DbHealth::Reachable);
        health.reachable(); // nothing to end
        assert!(!seen.has_changed().unwrap());
        health.observe::<()>(&Err(StoreError::Unavailable("refused".into())));
        let DbHealth::Unreachable { since, error } = health.current() else { panic!("not marked") };
        assert!(error.contains("refused"));
        health.observe::<()>(&Err(StoreError::Unavailable("again".into())));
        assert_eq!(health.current(), DbHealth::Unreachable { since, error }, "the first failure is kept");
        health.observe::<()>(&Err(StoreError::Query("syntax".into())));
        assert_eq!(health.current(), DbHealth::Reachable, "an answered query means the database is there");
        assert!(!health.is_down());
        let json = serde_json::to_value(DbHealth::Unreachable { since, error: "x".into() }).unwrap();
        assert_eq!(json["state"], "unreachable");
        assert!(json["since"].as_str().unwrap().ends_with('Z'), "RFC 3339 UTC: {json}");
    }
}

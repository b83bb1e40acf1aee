//! Waiting out a database outage: a write that meets one ([`StoreError::is_outage`]) is tried
//! again with capped exponential back-off until it goes through or `DB_OUTAGE_WAIT_SECS`
//! (from its first failure) has passed. Every outcome is reported to [`crate::health`]; every
//! pause is logged (in the caller's span, so with its ids), and the end of a wait once.

use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, oneshot};
use tokio::time::Instant;

use crate::services::Services;
use crate::store::StoreError;

/// The first pause after a failure; each next one doubles, up to [`LONGEST_PAUSE`].
const FIRST_PAUSE: Duration = Duration::from_millis(100);
/// At most this long between attempts: a waiting write goes through at most ~2 s after the
/// database is back, and tries it about 17 times in 30 s (on PostgreSQL each try may itself
/// wait up to `DB_ACQUIRE_TIMEOUT_SECS` for a connection).
const LONGEST_PAUSE: Duration = Duration::from_secs(2);

/// What a caller brings to a wait.
#[derive(Default)]
pub struct Waiting {
    /// An intake slot: given back for each pause and taken again before the next try, so
    /// submissions that wait out an outage do not keep every other message out meanwhile
    /// (a command or a newcomer can run — and meets the outage itself, or not).
    pub slot: Option<OwnedSemaphorePermit>,
    /// Told once, when the first pause begins (the group answers a press "saving…" then).
    pub started: Option<oneshot::Sender<()>>,
}

impl Waiting {
    /// A wait that gives `slot` back during its pauses.
    pub fn holding(slot: OwnedSemaphorePermit) -> Self {
        Self { slot: Some(slot), started: None }
    }

    /// A wait that tells `started` when it begins.
    pub fn telling(started: oneshot::Sender<()>) -> Self {
        Self { slot: None, started: Some(started) }
    }
}

/// An attempt's value, and whether an attempt before it met an outage (a write whose answer
/// was lost with its connection may have committed all the same).
pub(crate) struct Done<T> {
    pub value: T,
    pub retried: bool,
}

/// Runs `attempt` until it succeeds, fails with something other than an outage, or the outage
/// outlasts the configured bound (then its last error is returned).
pub(crate) async fn wait_out<T, F, Fut>(
    services: &Services,
    waiting: Waiting,
    mut attempt: F,
) -> Result<Done<T>, StoreError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, StoreError>>,
{
    let Waiting { mut slot, mut started } = waiting;
    let holds_slot = slot.is_some();
    let bound = services.config.database.outage_wait;
    let mut first_failure: Option<Instant> = None;
    let mut pause = FIRST_PAUSE;
    let mut attempts: u32 = 0;
    // Known down already: say so before the first try (on PostgreSQL a try can take
    // `DB_ACQUIRE_TIMEOUT_SECS` to fail, too long for a press's answer).
    if services.health.is_down()
        && let Some(started) = started.take()
    {
        let _ = started.send(());
    }
    loop {
        attempts += 1;
        let result = attempt().await;
        services.health.observe(&result);
        let error = match result {
            Err(e) if e.is_outage() => e,
            done => {
                if let Some(since) = first_failure {
                    let waited_ms = since.elapsed().as_millis();
                    tracing::info!(attempts, waited_ms, ok = done.is_ok(), "database outage waited out");
                }
                return done.map(|value| Done { value, retried: first_failure.is_some() });
            }
        };
        let since = *first_failure.get_or_insert_with(Instant::now);
        let waited = since.elapsed();
        if waited >= bound {
            tracing::error!(
                error = %error,
                attempts,
                waited_ms = waited.as_millis(),
                bound_secs = bound.as_secs(),
                "database still unreachable after the wait; giving up"
            );
            return Err(error);
        }
        if let Some(started) = started.take() {
            let _ = started.send(());
        }
        let nap = jittered(pause.min(bound.saturating_sub(waited)));
        tracing::warn!(
            error = %error,
            attempt = attempts,
            waited_ms = waited.as_millis(),
            retry_in_ms = nap.as_millis(),
            "database unreachable; waiting to try again"
        );
        drop(slot.take());
        tokio::time::sleep(nap).await;
        if holds_slot {
            slot = services.intake_slots.clone().acquire_owned().await.ok(); // never closed
        }
        pause = (pause * 2).min(LONGEST_PAUSE);
    }
}

/// `pause` shortened by up to a quarter, so writers that met the same outage do not all try
/// again in the same millisecond.
fn jittered(pause: Duration) -> Duration {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    let quarter = u32::try_from(pause.as_micros() / 4).unwrap_or(u32::MAX).max(1);
    pause.saturating_sub(Duration::from_micros(u64::from(nanos % quarter)))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::jittered;

    #[test]
    fn jitter_shortens_by_at_most_a_quarter() {
        for ms in [0, 1, 100, 2_000] {
            let pause = Duration::from_millis(ms);
            let got = jittered(pause);
            assert!(got <= pause && got >= pause * 3 / 4, "{ms} ms → {got:?}");
        }
    }
}

//! The time the app works by, injected through [`crate::services::Services`]: the machine's
//! clock, or (debug builds only, for end-to-end tests of a separate process such as the console
//! window) the machine's clock moved by an offset read from a file, so a test moves time
//! instead of waiting for it.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;

/// Names a file holding a signed number of seconds added to the machine's clock (a missing or
/// empty file is 0). Read in debug builds only; a release build says it ignores it.
pub const OFFSET_FILE_VAR: &str = "POSTGATE_TEST_CLOCK_OFFSET_FILE";

/// The time, and a way to wait for one.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
    /// Resolves at `at` or before it (the caller looks at [`Clock::now`] again).
    fn sleep_until(&self, at: DateTime<Utc>) -> BoxFuture<'static, ()>;
}

/// The machine's clock. It wakes at least once a minute, so a suspended laptop or a clock set
/// forward is noticed within a minute rather than after the whole wait.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    fn sleep_until(&self, at: DateTime<Utc>) -> BoxFuture<'static, ()> {
        let wait = (at - Utc::now()).to_std().unwrap_or_default().min(Duration::from_mins(1));
        Box::pin(tokio::time::sleep(wait))
    }
}

/// The machine's clock plus the seconds written in a file, read at every look (a test writes
/// the file to move time forward). Sleeps are short, so a move is noticed within a second.
/// Debug builds only: a release build has no way to move its clock.
#[cfg(debug_assertions)]
pub struct ShiftedClock {
    file: PathBuf,
}

#[cfg(debug_assertions)]
impl ShiftedClock {
    pub fn new(file: PathBuf) -> Self {
        Self { file }
    }

    fn offset(&self) -> chrono::Duration {
        let text = std::fs::read_to_string(&self.file).unwrap_or_default();
        // Within a century either way (an absurd value is 0, not a panic).
        let secs: i64 = text.trim().parse().unwrap_or(0);
        chrono::Duration::seconds(secs.clamp(-3_155_760_000, 3_155_760_000))
    }
}

#[cfg(debug_assertions)]
impl Clock for ShiftedClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.offset()
    }

    fn sleep_until(&self, at: DateTime<Utc>) -> BoxFuture<'static, ()> {
        let wait = (at - self.now()).to_std().unwrap_or_default().min(Duration::from_secs(1));
        Box::pin(tokio::time::sleep(wait))
    }
}

/// The process's clock: the machine's, unless a debug build is given [`OFFSET_FILE_VAR`].
pub fn from_env() -> Arc<dyn Clock> {
    let Some(file) = std::env::var_os(OFFSET_FILE_VAR).filter(|f| !f.is_empty()) else {
        return Arc::new(SystemClock);
    };
    shifted(file.into())
}

#[cfg(debug_assertions)]
fn shifted(file: PathBuf) -> Arc<dyn Clock> {
    tracing::warn!(file = %file.display(), "test clock: time moved by the file's offset");
    Arc::new(ShiftedClock::new(file))
}

#[cfg(not(debug_assertions))]
fn shifted(_file: PathBuf) -> Arc<dyn Clock> {
    tracing::warn!(variable = OFFSET_FILE_VAR, "ignored: the test clock exists in debug builds only");
    Arc::new(SystemClock)
}

#[cfg(all(test, debug_assertions))]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_shifted_clock_reads_its_offset_at_every_look() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("offset");
        let clock = ShiftedClock::new(file.clone());
        let drift = (clock.now() - Utc::now()).num_seconds().abs();
        assert!(drift <= 1, "no file: the machine's time ({drift} s off)");
        std::fs::write(&file, "86400\n").unwrap();
        let ahead = (clock.now() - Utc::now()).num_seconds();
        assert!((86_399..=86_401).contains(&ahead), "a day ahead: {ahead} s");
        std::fs::write(&file, "not a number").unwrap();
        assert!((clock.now() - Utc::now()).num_seconds().abs() <= 1, "an unreadable offset is 0");
    }
}

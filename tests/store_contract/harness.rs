//! What the contract needs from a backend — a fresh, empty, migrated store per test, torn down
//! after it even when the test fails — and the clock the expiry tests wait on.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;
use postgate::store::Store;

/// A store under test. `fresh` must return an empty, migrated store whose announcements are
/// due at once (no album debounce), so that tests can lease them without waiting.
pub trait Backend: Sized {
    fn fresh() -> impl Future<Output = Self>;
    fn store(&self) -> Arc<dyn Store>;
    /// Closes the store and deletes what `fresh` created.
    fn dispose(self) -> impl Future<Output = ()>;
    /// Writes fixture times into the store's database (the statistics fixtures only).
    fn backdater(&self) -> crate::backdate::Backdater;
}

/// The longest a contract test may take; a test that hangs (a lock never granted) fails.
const TEST_DEADLINE: Duration = Duration::from_mins(2);

/// Runs one contract test on a fresh store of backend `B`, disposing of it afterwards; a
/// failing (or hanging) test still fails, after the cleanup.
pub async fn run<B, F, Fut>(test: F)
where
    B: Backend,
    F: FnOnce(Arc<dyn Store>) -> Fut,
    Fut: Future<Output = ()>,
{
    let backend = B::fresh().await;
    let outcome = AssertUnwindSafe(tokio::time::timeout(TEST_DEADLINE, test(backend.store()))).catch_unwind().await;
    backend.dispose().await;
    match outcome {
        Ok(Ok(())) => {}
        Ok(Err(_)) => panic!("the test did not finish within {TEST_DEADLINE:?}"),
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

/// [`run`] for a test that also backdates its fixture ([`crate::backdate`]).
pub async fn run_backdated<B, F, Fut>(test: F)
where
    B: Backend,
    F: FnOnce(Arc<dyn Store>, crate::backdate::Backdater) -> Fut,
    Fut: Future<Output = ()>,
{
    let backend = B::fresh().await;
    let backdater = backend.backdater();
    let outcome =
        AssertUnwindSafe(tokio::time::timeout(TEST_DEADLINE, test(backend.store(), backdater))).catch_unwind().await;
    backend.dispose().await;
    match outcome {
        Ok(Ok(())) => {}
        Ok(Err(_)) => panic!("the test did not finish within {TEST_DEADLINE:?}"),
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

/// A claim TTL, lease or retry delay short enough to wait out, yet long enough that the call
/// right after it (on two busy cores) still comes before it passes.
pub const SHORT_SECS: i64 = 2;

/// Sleeps until a [`SHORT_SECS`] claim, lease or delay set before this call has passed.
pub async fn wait_past_short() {
    tokio::time::sleep(Duration::from_secs(SHORT_SECS.unsigned_abs()) + Duration::from_millis(400)).await;
}

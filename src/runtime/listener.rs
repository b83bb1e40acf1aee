//! A polling listener the runtime can always stop. teloxide's shutdown notification is lost
//! when it arrives while the dispatcher is handing out an update (it only looks at the state
//! when woken), so the dispatcher would keep polling until the stop bound. This wrapper ends
//! the update stream when the runtime's fallback token fires.

use futures::StreamExt;
use futures::stream::TakeUntil;
use teloxide::stop::StopToken;
use teloxide::types::AllowedUpdate;
use teloxide::update_listeners::{AsUpdateStream, UpdateListener};
use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};

/// `inner`, whose stream also ends when `fallback` is cancelled.
pub struct Stoppable<L> {
    pub inner: L,
    pub fallback: CancellationToken,
}

impl<L: UpdateListener> UpdateListener for Stoppable<L> {
    type Err = L::Err;

    fn stop_token(&mut self) -> StopToken {
        self.inner.stop_token()
    }

    fn hint_allowed_updates(&mut self, hint: &mut dyn Iterator<Item = AllowedUpdate>) {
        self.inner.hint_allowed_updates(hint);
    }
}

impl<'a, L> AsUpdateStream<'a> for Stoppable<L>
where
    L: AsUpdateStream<'a>,
{
    type StreamErr = L::StreamErr;
    type Stream = TakeUntil<L::Stream, WaitForCancellationFutureOwned>;

    fn as_stream(&'a mut self) -> Self::Stream {
        self.inner.as_stream().take_until(self.fallback.clone().cancelled_owned())
    }
}

//! Live changes for consoles: whichever backend runs, every write that matters is announced,
//! and [`listen`] turns the announcements into a stream of [`ChangeEvent`]s.

use futures::Stream;

pub use crate::store::ChangeEvent;
use crate::store::{Store, StoreError};

/// Subscribes to changes. On PostgreSQL they come from every process on the database; a gap
/// while the listener reconnects is reported as a `resync` event.
pub async fn listen(store: &dyn Store) -> Result<impl Stream<Item = ChangeEvent> + Send + 'static, StoreError> {
    store.changes().await
}

//! Live changes: every write that matters ends with `NOTIFY postgate_events`; this turns the
//! notifications into a stream of [`ChangeEvent`]s for consoles (theirs and other machines').

use futures::{Stream, StreamExt};
use serde::{Deserialize, Serialize};
use sqlx::postgres::PgListener;

use crate::store::StoreError;
use crate::store::postgres::{EVENTS_CHANNEL, PgStore};

/// One change: what happened (`post_created`, `post_decided`, `post_claimed`, …) and to which post.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeEvent {
    pub event: String,
    pub post_id: Option<i64>,
}

/// Subscribes to changes. The listener has its own connection (outside the pool) and
/// reconnects by itself; notifications sent while it was reconnecting are lost, so a
/// consumer should refresh its view after a gap (the stream yields a `resync` event then).
pub async fn listen(pg: &PgStore) -> Result<impl Stream<Item = ChangeEvent> + Send + 'static, StoreError> {
    let mut listener = PgListener::connect_with(pg.pool()).await?;
    listener.ignore_pool_close_event(true);
    listener.listen(EVENTS_CHANNEL).await?;
    Ok(listener.into_stream().filter_map(|item| async move {
        match item {
            Ok(n) => match serde_json::from_str::<ChangeEvent>(n.payload()) {
                Ok(event) => Some(event),
                Err(e) => {
                    tracing::warn!(error = %e, "malformed change notification ignored");
                    None
                }
            },
            Err(e) => {
                tracing::warn!(error = %e, "change listener lost its connection; reconnecting");
                Some(ChangeEvent { event: "resync".to_owned(), post_id: None })
            }
        }
    }))
}

//! Live changes on PostgreSQL: every write that matters ends with `NOTIFY postgate_events`;
//! a listener on its own connection (outside the pool) turns them into [`ChangeEvent`]s, so
//! consoles on other machines see them too.

use futures::StreamExt;
use futures::stream::BoxStream;
use sqlx::PgPool;
use sqlx::postgres::PgListener;

use super::EVENTS_CHANNEL;
use crate::store::{ChangeEvent, StoreError};

/// The listener reconnects by itself; notifications sent while it was reconnecting are lost,
/// so the stream yields a `resync` event then.
pub async fn changes(pool: &PgPool) -> Result<BoxStream<'static, ChangeEvent>, StoreError> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.ignore_pool_close_event(true);
    listener.listen(EVENTS_CHANNEL).await?;
    Ok(listener
        .into_stream()
        .filter_map(|item| async move {
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
        })
        .boxed())
}

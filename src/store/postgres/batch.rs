//! Group commit: writes that arrive while earlier ones are being written are written together
//! in one transaction — one disk flush for the lot instead of one each. Used for intake
//! (`submit.rs`) and for completing outbox jobs (`outbox.rs`). Nothing waits on purpose: an
//! idle store writes a lone request at once. A batch that fails is retried one request at a
//! time, so one bad request never takes others down with it.

use std::future::Future;
use std::sync::{Arc, OnceLock};

use sqlx::PgPool;
use tokio::sync::{Mutex, mpsc, oneshot};

use crate::store::StoreError;

/// Transactions in flight at once (each on its own connection): while one commits, the next
/// batch is already being written.
const WRITERS: usize = 2;
/// Requests waiting for a writer; callers wait (backpressure) beyond this.
const QUEUE: usize = 1024;

/// One kind of write that can be grouped.
pub(super) trait GroupWrite: Send + Sync + 'static {
    type Item: Send + Sync + 'static;
    type Output: Send + 'static;
    /// Requests written in one transaction at most.
    const MAX_BATCH: usize;
    /// Writes `items` in one transaction; one output per item, in order.
    fn write_together(
        pool: &PgPool,
        items: &[Self::Item],
    ) -> impl Future<Output = Result<Vec<Self::Output>, StoreError>> + Send;
    /// Writes one item on its own (a lone request, or a failed batch retried one by one).
    fn write_one(pool: &PgPool, item: &Self::Item) -> impl Future<Output = Result<Self::Output, StoreError>> + Send;
}

struct Request<W: GroupWrite> {
    item: W::Item,
    reply: oneshot::Sender<Result<W::Output, StoreError>>,
}

/// Hands requests to the writer tasks, started on first use on the caller's runtime. The
/// tasks end when the last clone is dropped.
pub(super) struct GroupCommit<W: GroupWrite> {
    queue: Arc<OnceLock<mpsc::Sender<Request<W>>>>,
}

impl<W: GroupWrite> Clone for GroupCommit<W> {
    fn clone(&self) -> Self {
        Self { queue: Arc::clone(&self.queue) }
    }
}

impl<W: GroupWrite> Default for GroupCommit<W> {
    fn default() -> Self {
        Self { queue: Arc::new(OnceLock::new()) }
    }
}

impl<W: GroupWrite> std::fmt::Debug for GroupCommit<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupCommit").field("started", &self.queue.get().is_some()).finish()
    }
}

impl<W: GroupWrite> GroupCommit<W> {
    /// Writes `item` as part of the next batch and returns its own result.
    pub async fn write(&self, pool: &PgPool, item: W::Item) -> Result<W::Output, StoreError> {
        let queue = self.queue.get_or_init(|| start::<W>(pool));
        let (reply, answer) = oneshot::channel();
        queue
            .send(Request { item, reply })
            .await
            .map_err(|_| StoreError::Unavailable("the batch writer stopped".into()))?;
        answer.await.map_err(|_| StoreError::Unavailable("the batch writer stopped".into()))?
    }
}

fn start<W: GroupWrite>(pool: &PgPool) -> mpsc::Sender<Request<W>> {
    let (send, receive) = mpsc::channel(QUEUE);
    let receive = Arc::new(Mutex::new(receive));
    for _ in 0..WRITERS {
        tokio::spawn(write_batches::<W>(pool.clone(), Arc::clone(&receive)));
    }
    send
}

/// Takes whatever has queued up (waiting only for the first request), writes it, repeats.
async fn write_batches<W: GroupWrite>(pool: PgPool, receive: Arc<Mutex<mpsc::Receiver<Request<W>>>>) {
    loop {
        let batch = {
            let mut receive = receive.lock().await;
            let Some(first) = receive.recv().await else { return };
            let mut batch = vec![first];
            while batch.len() < W::MAX_BATCH {
                match receive.try_recv() {
                    Ok(request) => batch.push(request),
                    Err(_) => break,
                }
            }
            batch
        };
        write::<W>(&pool, batch).await;
    }
}

async fn write<W: GroupWrite>(pool: &PgPool, batch: Vec<Request<W>>) {
    let (items, replies): (Vec<W::Item>, Vec<_>) = batch.into_iter().map(|r| (r.item, r.reply)).unzip();
    if items.len() > 1 {
        match W::write_together(pool, &items).await {
            Ok(outputs) if outputs.len() == items.len() => {
                for (reply, output) in replies.into_iter().zip(outputs) {
                    let _ = reply.send(Ok(output));
                }
                return;
            }
            Ok(outputs) => tracing::error!(
                size = items.len(),
                outputs = outputs.len(),
                "batch write answered for the wrong number of requests; writing them one by one"
            ),
            Err(e) => {
                tracing::warn!(error = %e, size = items.len(), "batch write failed; writing its requests one by one");
            }
        }
    }
    for (item, reply) in items.iter().zip(replies) {
        let _ = reply.send(W::write_one(pool, item).await);
    }
}

//! Group commit for intake: submissions that arrive while earlier ones are being written are
//! written together, one statement each, in one transaction — one disk flush for the lot
//! instead of one per submission. Nothing waits on purpose: an idle store writes a lone
//! submission at once. A batch that fails is retried one submission at a time, so one bad
//! submission never takes others down with it.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use sqlx::PgPool;
use tokio::sync::{Mutex, mpsc, oneshot};

use super::submit::admit_and_store;
use crate::store::{Admission, NewPost, StoreError, SubmitOutcome};

/// Submissions written in one transaction at most.
const MAX_BATCH: usize = 128;
/// Transactions in flight at once (each on its own connection): while one commits, the next
/// batch is already being written.
const WRITERS: usize = 2;
/// Requests waiting for a writer; callers wait (backpressure) beyond this.
const QUEUE: usize = 1024;

struct Request {
    post: NewPost,
    admission: Admission,
    reply: oneshot::Sender<Result<SubmitOutcome, StoreError>>,
}

/// Hands submissions to the writer tasks, started on first use on the caller's runtime. The
/// tasks end when the last clone of the store is dropped.
#[derive(Clone, Default)]
pub struct IntakeBatcher {
    queue: Arc<OnceLock<mpsc::Sender<Request>>>,
}

impl std::fmt::Debug for IntakeBatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IntakeBatcher").field("started", &self.queue.get().is_some()).finish()
    }
}

impl IntakeBatcher {
    /// Admits and stores one submission (not an album part) as part of the next batch.
    pub async fn submit(
        &self,
        pool: &PgPool,
        post: &NewPost,
        admission: Admission,
    ) -> Result<SubmitOutcome, StoreError> {
        let queue = self.queue.get_or_init(|| start(pool));
        let (reply, answer) = oneshot::channel();
        let request = Request { post: post.clone(), admission, reply };
        queue.send(request).await.map_err(|_| StoreError::Unavailable("the intake writer stopped".into()))?;
        answer.await.map_err(|_| StoreError::Unavailable("the intake writer stopped".into()))?
    }
}

fn start(pool: &PgPool) -> mpsc::Sender<Request> {
    let (send, receive) = mpsc::channel(QUEUE);
    let receive = Arc::new(Mutex::new(receive));
    for _ in 0..WRITERS {
        tokio::spawn(write_batches(pool.clone(), Arc::clone(&receive)));
    }
    send
}

/// Takes whatever has queued up (waiting only for the first request), writes it, repeats.
async fn write_batches(pool: PgPool, receive: Arc<Mutex<mpsc::Receiver<Request>>>) {
    loop {
        let batch = {
            let mut receive = receive.lock().await;
            let Some(first) = receive.recv().await else { return };
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match receive.try_recv() {
                    Ok(request) => batch.push(request),
                    Err(_) => break,
                }
            }
            batch
        };
        write(&pool, batch).await;
    }
}

async fn write(pool: &PgPool, batch: Vec<Request>) {
    if batch.len() > 1 {
        match write_together(pool, &batch).await {
            Ok(outcomes) => {
                for (request, outcome) in batch.into_iter().zip(outcomes) {
                    let _ = request.reply.send(Ok(outcome));
                }
                return;
            }
            Err(e) => {
                tracing::warn!(error = %e, size = batch.len(), "intake batch failed; writing its submissions one by one");
            }
        }
    }
    for request in batch {
        let outcome = write_one(pool, &request).await;
        let _ = request.reply.send(outcome);
    }
}

async fn write_together(pool: &PgPool, batch: &[Request]) -> Result<Vec<SubmitOutcome>, StoreError> {
    let mut tx = pool.begin().await?;
    let mut outcomes = Vec::with_capacity(batch.len());
    for request in batch {
        outcomes.push(admit_and_store(&mut tx, &request.post, request.admission, Duration::ZERO).await?);
    }
    tx.commit().await?;
    Ok(outcomes)
}

async fn write_one(pool: &PgPool, request: &Request) -> Result<SubmitOutcome, StoreError> {
    let mut conn = pool.acquire().await?;
    admit_and_store(&mut conn, &request.post, request.admission, Duration::ZERO).await
}

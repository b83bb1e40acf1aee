//! Messages to private chats sent beside the update handlers, not inside them: a reply waits
//! for its chat's sending limit (about one message a second) in its chat's own queue, so the
//! dispatcher worker that handled the update is free at once and a user who sends a hundred
//! messages delays nobody else. One task per chat with something to send, in order, at most
//! [`PER_CHAT`] waiting; the runtime waits for them on stop, within its bound. Callback
//! answers go the same way, each on its own ([`Replies::send_apart`]).

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures::future::BoxFuture;
use tokio_util::task::TaskTracker;

/// Messages one chat may have waiting; more are dropped (logged and counted). Well above what
/// one user's updates in the handlers can ask for at once (see `runtime::handled`).
pub const PER_CHAT: usize = 32;

#[derive(Default)]
struct Inner {
    /// Chats with a task sending, and what waits behind the message it sends.
    queues: Mutex<HashMap<i64, VecDeque<BoxFuture<'static, ()>>>>,
    tracker: TaskTracker,
    dropped: AtomicU64,
}

/// The chats' send queues. Cheap to clone; all clones share one state.
#[derive(Clone, Default)]
pub struct Replies {
    inner: Arc<Inner>,
}

/// Why a message was not queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("chat {chat} already has {PER_CHAT} messages waiting")]
pub struct Full {
    pub chat: i64,
}

impl Replies {
    /// Queues `send` behind what `chat` already has waiting; `Err` (and nothing queued) when
    /// the chat's queue is full.
    pub fn queue(&self, chat: i64, send: impl Future<Output = ()> + Send + 'static) -> Result<(), Full> {
        let send: BoxFuture<'static, ()> = Box::pin(send);
        {
            let mut queues = self.inner.queues.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(waiting) = queues.get_mut(&chat) {
                if waiting.len() >= PER_CHAT {
                    self.inner.dropped.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(chat_id = chat, "reply dropped: the chat's queue is full");
                    return Err(Full { chat });
                }
                waiting.push_back(send);
                return Ok(());
            }
            queues.insert(chat, VecDeque::new());
        }
        let this = self.clone();
        self.inner.tracker.spawn(async move { this.drain(chat, send).await });
        Ok(())
    }

    /// Sends `send` beside the handlers and outside every chat's queue: a callback answer, which
    /// is no message (no chat's limit applies) and must not keep the dispatcher worker of its
    /// press busy for a round trip. Waited for on stop like the rest.
    pub fn send_apart(&self, send: impl Future<Output = ()> + Send + 'static) {
        self.inner.tracker.spawn(send);
    }

    /// Sends `first`, then what the chat queued meanwhile, until its queue is empty.
    async fn drain(&self, chat: i64, first: BoxFuture<'static, ()>) {
        first.await;
        loop {
            let next = {
                let mut queues = self.inner.queues.lock().unwrap_or_else(PoisonError::into_inner);
                let Some(next) = queues.get_mut(&chat).and_then(VecDeque::pop_front) else {
                    queues.remove(&chat);
                    return;
                };
                next
            };
            next.await;
        }
    }

    /// Messages dropped because their chat's queue was full, since start.
    pub fn dropped(&self) -> u64 {
        self.inner.dropped.load(Ordering::Relaxed)
    }

    /// Messages queued or being sent.
    pub fn waiting(&self) -> usize {
        let queues = self.inner.queues.lock().unwrap_or_else(PoisonError::into_inner);
        queues.values().map(|q| q.len() + 1).sum()
    }

    /// Waits (at most `bound`) until everything queued is sent; `false` if time ran out.
    pub async fn flush(&self, bound: Duration) -> bool {
        self.inner.tracker.close();
        let done = tokio::time::timeout(bound, self.inner.tracker.wait()).await.is_ok();
        self.inner.tracker.reopen();
        done
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn one_chat_waits_in_order_and_others_do_not_wait_for_it() {
        let replies = Replies::default();
        let sent = Arc::new(Mutex::new(Vec::new()));
        for i in 0..5 {
            let sent = sent.clone();
            replies
                .queue(1, async move {
                    tokio::time::sleep(Duration::from_secs(1)).await; // the chat's sending limit
                    sent.lock().unwrap().push((1, i));
                })
                .unwrap();
        }
        let other = sent.clone();
        replies.queue(2, async move { other.lock().unwrap().push((2, 0)) }).unwrap();
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert_eq!(*sent.lock().unwrap(), vec![(2, 0)], "the other chat's reply is not behind chat 1's");
        assert!(replies.flush(Duration::from_secs(10)).await);
        let order: Vec<_> = sent.lock().unwrap().iter().filter(|(c, _)| *c == 1).map(|(_, i)| *i).collect();
        assert_eq!(order, vec![0, 1, 2, 3, 4], "one chat's replies go out in order");
        assert_eq!(replies.waiting(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_full_queue_drops_and_counts_and_a_flush_has_a_bound() {
        let replies = Replies::default();
        replies.queue(7, std::future::pending()).unwrap(); // never sent: the chat is stuck
        for _ in 0..PER_CHAT {
            replies.queue(7, async {}).unwrap();
        }
        assert_eq!(replies.queue(7, async {}), Err(Full { chat: 7 }));
        assert_eq!(replies.dropped(), 1);
        assert!(!replies.flush(Duration::from_secs(1)).await, "a stuck send does not hold a flush past its bound");
        replies.queue(8, async {}).unwrap();
        tokio::time::sleep(Duration::from_millis(1)).await;
        assert_eq!(replies.waiting(), 1 + PER_CHAT, "chat 8 sent at once; chat 7 still waits");
    }
}

//! Receipts: "your post #N is in", once per submission as far as a crash allows. A receipt
//! goes out right after its submission is stored, and is recorded afterwards in batches (one
//! statement for every receipt sent meanwhile), so the hot path of intake writes nothing more.
//! What a crash leaves unsent is found again: a redelivered update of a stored submission
//! sends its missing receipt, and a sweep at start and every minute sends the ones Telegram
//! never redelivers. A crash can repeat only the receipts sent but not yet recorded.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::Utc;
use futures::StreamExt;
use teloxide::prelude::*;
use teloxide::{Bot, RequestError};
use tokio_util::sync::CancellationToken;
use tracing::instrument;

use crate::domain::{PostId, PostStatus};
use crate::i18n::num;
use crate::services::Services;
use crate::store::{PostRecord, StoreError};
use crate::telegram::{Failure, classify, send_limited};

/// How often the sweep looks for submissions never receipted, and how old one must be: a
/// receipt younger than this may still be waiting for Telegram's per-chat limit.
const SWEEP_EVERY: Duration = Duration::from_mins(1);
/// How long the recorder gathers receipts into one statement after the first one is sent: a
/// burst is recorded in a few writes a second, and a crash can repeat at most what was sent
/// meanwhile. 20 ms cost nothing measurable in the burst beside 100 ms (BENCHMARKS.md, row 3)
/// and cut the receipts a kill mid-burst repeats (`tests/crash.rs`: up to 44 of 120, from 120).
const GATHER: Duration = Duration::from_millis(20);
/// Receipts one sweep sends at most, and at once.
const SWEEP_BATCH: i64 = 200;
const SWEEP_PARALLEL: usize = 8;

#[derive(Default)]
struct State {
    /// Receipts being sent, or sent and not yet recorded: neither the sweep nor a redelivery
    /// sends these again.
    in_flight: HashSet<i64>,
    /// Sent (or refused for good), waiting to be recorded.
    sent: Vec<PostId>,
}

/// The receipts of this process. Cheap to clone; all clones share one state.
#[derive(Clone, Default)]
pub struct Receipts {
    state: Arc<Mutex<State>>,
    wake: Arc<tokio::sync::Notify>,
}

impl Receipts {
    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut self.state.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Claims the receipt of `id`; `false` when it is already on its way.
    fn begin(&self, id: PostId) -> bool {
        self.with(|s| s.in_flight.insert(id.0))
    }

    /// The receipt went out (or never can): the next flush records it.
    fn sent(&self, id: PostId) {
        self.with(|s| s.sent.push(id));
        self.wake.notify_one();
    }

    /// The receipt did not go out and may later: the sweep tries again.
    fn abandon(&self, id: PostId) {
        self.with(|s| s.in_flight.remove(&id.0));
    }

    fn in_flight(&self) -> HashSet<i64> {
        self.with(|s| s.in_flight.clone())
    }

    /// Receipts sent and not yet recorded.
    pub fn unrecorded(&self) -> usize {
        self.with(|s| s.sent.len())
    }

    /// Records every receipt sent so far in one statement; on failure they are kept for the
    /// next flush. Returns how many were recorded.
    pub async fn flush(&self, services: &Services) -> Result<usize, StoreError> {
        let batch = self.with(|s| std::mem::take(&mut s.sent));
        if batch.is_empty() {
            return Ok(0);
        }
        match services.store.record_receipts(&batch).await {
            Ok(()) => {
                self.with(|s| {
                    for id in &batch {
                        s.in_flight.remove(&id.0);
                    }
                });
                Ok(batch.len())
            }
            Err(e) => {
                self.with(|s| s.sent.extend(batch));
                Err(e)
            }
        }
    }
}

/// Tells the author of stored submission `id` that it is in, unless its receipt is already on
/// its way, and has it recorded. A refusal for good (the author blocked the bot) is recorded
/// too: there is nothing more to send. `choice` is the post's signed/anonymous choice so far,
/// which the toggle under the receipt shows.
#[instrument(skip_all, fields(post_id = id.0, chat_id = chat.0))]
pub async fn send(
    bot: &Bot,
    services: &Services,
    chat: ChatId,
    locale: &str,
    id: PostId,
    choice: Option<bool>,
) -> Result<(), RequestError> {
    if !services.receipts.begin(id) {
        return Ok(());
    }
    deliver(bot, services, chat, locale, id, choice).await
}

/// [`send`] from an update handler: the receipt waits for its chat's sending limit in the
/// chat's reply queue ([`crate::replies`]), not in the handler. A receipt the full queue
/// cannot take is left to the sweep.
pub fn queue(bot: &Bot, services: &Services, chat: ChatId, locale: &'static str, id: PostId) {
    if !services.receipts.begin(id) {
        return;
    }
    let (bot, sender) = (bot.clone(), services.clone());
    let send = async move {
        // Failures are logged, and the receipt recorded or left to the sweep, by `deliver`.
        let _ = deliver(&bot, &sender, chat, locale, id, None).await;
    };
    if services.replies.queue(chat.0, send).is_err() {
        services.receipts.abandon(id);
    }
}

/// The receipt of a submission stored earlier (its update came again, or the sweep found
/// it): claimed first, then sent only if the stored post still has none recorded and is
/// due one — so a redelivery and the sweep never both send it.
#[instrument(skip_all, fields(post_id = id.0))]
pub async fn make_good(bot: &Bot, services: &Services, id: PostId) -> Result<(), RequestError> {
    let receipts = &services.receipts;
    if !receipts.begin(id) {
        return Ok(());
    }
    let post = match services.store.post(id).await {
        Ok(Some(post)) if due(&post) => post,
        Ok(_) => {
            receipts.abandon(id);
            return Ok(());
        }
        Err(e) => {
            tracing::warn!(error = %e, "cannot tell whether the receipt went out; the sweep tries again");
            receipts.abandon(id);
            return Ok(());
        }
    };
    tracing::info!("sending a receipt a crash left unsent");
    let locale = crate::bot::locale::locale_for(services, post.author.id, post.author.language_code.as_deref()).await;
    deliver(bot, services, ChatId(post.source_chat_id), locale, id, post.signed).await
}

/// Whether a stored post is owed a receipt now: none recorded, still pending, and (an album)
/// announced, since an album's receipt goes out with its card.
fn due(post: &PostRecord) -> bool {
    post.receipt_sent_at.is_none()
        && post.status == PostStatus::Pending
        && (post.media_group_id.is_none() || post.moderation_message_id.is_some() || post.card_error.is_some())
}

/// Sends a receipt claimed by the caller, with the signed/anonymous toggle under it, and has
/// it recorded (or forgotten, to try again).
async fn deliver(
    bot: &Bot,
    services: &Services,
    chat: ChatId,
    locale: &str,
    id: PostId,
    choice: Option<bool>,
) -> Result<(), RequestError> {
    let receipts = &services.receipts;
    let body = services.i18n.t_args(locale, "receipt", &[("id", num(id.0))]);
    let signed = services.config.options.is_signed(choice);
    let toggle = crate::bot::options::signed_keyboard(&services.i18n, locale, id, signed);
    match send_limited(&services.limiter, &chat.into(), 1, "sendMessage", || {
        bot.send_message(chat, body.clone()).reply_markup(toggle.clone()).send()
    })
    .await
    {
        Ok(_) => {
            receipts.sent(id);
            Ok(())
        }
        Err(e) => {
            if classify(&e) == Failure::Permanent {
                tracing::warn!(error = %e, "Telegram refused the receipt; not trying again");
                receipts.sent(id);
            } else {
                tracing::warn!(error = %e, "receipt not delivered; the sweep tries again");
                receipts.abandon(id);
            }
            Err(e)
        }
    }
}

/// Records receipts as they are sent and sweeps for missing ones until `cancel` fires, then
/// records what is left. Run by the runtime beside the dispatcher.
pub async fn run(bot: Bot, services: Services, cancel: CancellationToken) {
    // The sweep's sends (paced by Telegram's limits) never hold up the records.
    tokio::join!(record(&services, &cancel), sweep_every(&bot, &services, &cancel));
}

/// Sweeps at start, then every [`SWEEP_EVERY`], until `cancel` fires.
async fn sweep_every(bot: &Bot, services: &Services, cancel: &CancellationToken) {
    // Submissions stored before this start whose receipt is not recorded were left by an
    // earlier process: nothing of this one is sending them.
    let mut before = Utc::now();
    loop {
        tokio::select! {
            () = cancel.cancelled() => return,
            () = sweep(bot, services, before) => {}
        }
        tokio::select! {
            () = cancel.cancelled() => return,
            () = tokio::time::sleep(SWEEP_EVERY) => {}
        }
        before = Utc::now() - chrono::Duration::from_std(SWEEP_EVERY).unwrap_or_default();
    }
}

/// Records receipts as they are sent, until `cancel` fires; then records what is left.
async fn record(services: &Services, cancel: &CancellationToken) {
    let receipts = &services.receipts;
    loop {
        tokio::select! {
            () = cancel.cancelled() => break,
            () = receipts.wake.notified() => {}
        }
        tokio::select! {
            () = cancel.cancelled() => break,
            () = tokio::time::sleep(GATHER) => {}
        }
        if let Err(e) = receipts.flush(services).await {
            tracing::warn!(error = %e, unrecorded = receipts.unrecorded(), "receipts sent but not recorded yet; retrying");
            tokio::select! {
                () = cancel.cancelled() => break,
                () = tokio::time::sleep(Duration::from_secs(1)) => receipts.wake.notify_one(),
            }
        }
    }
    // The last ones are recorded patiently: the database may be back in a moment.
    let flushed = crate::publisher::patiently(services, "the receipts sent", || async {
        receipts.flush(services).await.map(drop)
    })
    .await;
    if let Err(e) = flushed {
        tracing::error!(error = %e, unrecorded = receipts.unrecorded(), "receipts sent but not recorded; a restart may repeat them");
    }
}

/// Sends the receipts of pending submissions stored before `before` that have none recorded
/// and are not on their way.
async fn sweep(bot: &Bot, services: &Services, before: chrono::DateTime<Utc>) {
    let ids = match services.store.unreceipted(before, SWEEP_BATCH).await {
        Ok(ids) => ids,
        Err(e) => {
            tracing::warn!(error = %e, "cannot look for submissions never receipted; trying again later");
            return;
        }
    };
    let in_flight = services.receipts.in_flight();
    let ids: Vec<PostId> = ids.into_iter().filter(|id| !in_flight.contains(&id.0)).collect();
    if ids.is_empty() {
        return;
    }
    tracing::info!(count = ids.len(), "submissions stored without a receipt recorded");
    futures::stream::iter(ids)
        .for_each_concurrent(SWEEP_PARALLEL, |id| async move {
            // Failures are logged there and tried again by the next sweep.
            let _ = make_good(bot, services, id).await;
        })
        .await;
}

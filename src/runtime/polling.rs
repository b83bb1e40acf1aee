//! Long polling that keeps what teloxide's parsing would change: each `getUpdates` answer is
//! read as plain JSON, the raw entities of private messages go to [`UpdateEntities`] for the
//! handlers, and only then is the update parsed into teloxide's `Update` for the dispatcher.
//! Otherwise it behaves as teloxide's `Polling` (allowed updates, `retry_after` and exponential
//! backoff after errors, an in-flight request dropped on stop, a last `getUpdates` on stop),
//! except for the offset: it confirms only updates handled ([`Handled`]), asking again from the
//! oldest one still in the handlers and skipping those it already handed out, so a process
//! killed before it stored a submission gets that update again on restart. An update from a
//! private chat that already has its share in the handlers is dropped (see [`Handled::track`]).

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use futures::stream::BoxStream;
use teloxide::backoff::exponential_backoff_strategy;
use teloxide::errors::AsResponseParameters;
use teloxide::requests::Request;
use teloxide::stop::{StopFlag, StopToken, mk_stop_token};
use teloxide::types::{AllowedUpdate, Update};
use teloxide::update_listeners::{AsUpdateStream, UpdateListener};
use teloxide::{Bot, RequestError};

use super::handled::Handled;
use crate::services::{Metrics, Services};
use crate::telegram;
use crate::telegram::entities::{RawUpdate, UpdateEntities};
use crate::telegram::requests::{GetUpdatesRaw, request};

/// A polling listener on `bot` that records raw entities for the handlers.
pub struct RawPolling {
    bot: Bot,
    timeout: Duration,
    entities: UpdateEntities,
    handled: Handled,
    metrics: Arc<Metrics>,
    allowed_updates: Option<Vec<AllowedUpdate>>,
    token: StopToken,
    flag: Option<StopFlag>,
}

/// How long the listener waits for a handler to finish before asking again, when an answer
/// held only updates it had already handed out.
const WAIT_FOR_HANDLERS: Duration = Duration::from_millis(200);
/// The listener asks for more only once fewer updates than this are in the handlers: an
/// answer (at most 100 updates, from the oldest one in the handlers) then brings at least
/// half new ones, instead of the same in-flight updates again after every one handled.
const LOW_WATER: usize = 50;

impl RawPolling {
    /// Polls with the configured long-poll timeout, keeping raw entities in the services' table.
    pub fn new(bot: Bot, services: &Services) -> Self {
        let (token, flag) = mk_stop_token();
        let timeout = telegram::polling_timeout(&services.config.telegram);
        let entities = services.raw_entities.clone();
        let handled = services.handled.clone();
        let metrics = services.metrics.clone();
        Self { bot, timeout, entities, handled, metrics, allowed_updates: None, token, flag: Some(flag) }
    }
}

impl UpdateListener for RawPolling {
    type Err = RequestError;

    fn stop_token(&mut self) -> StopToken {
        self.token.clone()
    }

    fn hint_allowed_updates(&mut self, hint: &mut dyn Iterator<Item = AllowedUpdate>) {
        self.allowed_updates = Some(hint.collect());
    }
}

/// The stream's state between two items.
struct State {
    bot: Bot,
    timeout: u32,
    entities: UpdateEntities,
    handled: Handled,
    metrics: Arc<Metrics>,
    /// Sent with the first request only, as teloxide does.
    allowed_updates: Option<Vec<AllowedUpdate>>,
    flag: StopFlag,
    /// The id after the newest update handed out.
    offset: i64,
    buffer: VecDeque<Update>,
    stopping: bool,
    done: bool,
    errors: u32,
    backoff: Option<Duration>,
}

impl<'a> AsUpdateStream<'a> for RawPolling {
    type StreamErr = RequestError;
    type Stream = BoxStream<'a, Result<Update, RequestError>>;

    fn as_stream(&'a mut self) -> Self::Stream {
        futures::stream::unfold(self.first_state(), next).boxed()
    }
}

impl RawPolling {
    /// The stream's state before its first request.
    fn first_state(&mut self) -> State {
        // The dispatcher takes the stop token first, then the stream, once.
        let flag = self.flag.take().unwrap_or_else(|| {
            let (token, flag) = mk_stop_token();
            self.token = token;
            flag
        });
        State {
            bot: self.bot.clone(),
            timeout: u32::try_from(self.timeout.as_secs()).unwrap_or(u32::MAX),
            entities: self.entities.clone(),
            handled: self.handled.clone(),
            metrics: self.metrics.clone(),
            allowed_updates: self.allowed_updates.clone(),
            flag,
            offset: 0,
            buffer: VecDeque::new(),
            stopping: false,
            done: false,
            errors: 0,
            backoff: None,
        }
    }
}

async fn next(mut state: State) -> Option<(Result<Update, RequestError>, State)> {
    loop {
        if state.done {
            return None;
        }
        if let Some(update) = state.buffer.pop_front() {
            return Some((Ok(update), state));
        }
        if state.stopping {
            // Confirms the updates handled, so a restart sees only the others again.
            state.done = true;
            let offset = state.handled.confirmable(state.offset);
            let confirm =
                GetUpdatesRaw { offset: Some(offset), limit: Some(1), timeout: Some(0), ..Default::default() };
            return match request(&state.bot, confirm).send().await {
                Ok(_) => None,
                Err(e) => Some((Err(e), state)),
            };
        }
        if let Some(delay) = state.backoff.take() {
            tokio::select! {
                () = &mut state.flag => state.stopping = true,
                () = tokio::time::sleep(delay) => {}
            }
            continue;
        }
        if state.handled.in_flight() >= LOW_WATER {
            tokio::select! {
                () = &mut state.flag => state.stopping = true,
                () = state.handled.wait_for_one(WAIT_FOR_HANDLERS) => {}
            }
            continue;
        }
        let poll = GetUpdatesRaw {
            offset: Some(state.handled.confirmable(state.offset)),
            limit: None,
            timeout: Some(state.timeout),
            allowed_updates: state.allowed_updates.take(),
        };
        let answer = tokio::select! {
            // A stop drops the request in flight: updates after it are not wanted.
            () = &mut state.flag => {
                state.stopping = true;
                continue;
            }
            answer = request(&state.bot, poll).send() => answer,
        };
        match answer {
            Ok(updates) => {
                state.errors = 0;
                let answered = updates.len();
                for raw in updates {
                    take_in(&mut state, &raw);
                }
                if answered > 0 && state.buffer.is_empty() {
                    // Only updates the handlers still have: ask again once one is done.
                    tokio::select! {
                        () = &mut state.flag => state.stopping = true,
                        () = state.handled.wait_for_one(WAIT_FOR_HANDLERS) => {}
                    }
                }
            }
            Err(e) => {
                let delay = if let Some(wait) = e.retry_after() {
                    state.errors = 0;
                    wait.duration()
                } else {
                    let delay = exponential_backoff_strategy(state.errors);
                    state.errors = state.errors.saturating_add(1);
                    delay
                };
                state.backoff = Some(delay);
                return Some((Err(e), state));
            }
        }
    }
}

/// Records one update's raw entities, advances the offset past it and queues it parsed (and
/// tracked as in the handlers). An update handed out before is skipped, as is one without an
/// id; one teloxide cannot parse becomes its `UpdateKind::Error`.
fn take_in(state: &mut State, raw: &serde_json::Value) {
    let Some(id) = raw.get("update_id").and_then(serde_json::Value::as_i64) else {
        tracing::warn!("update without an id; skipped");
        return;
    };
    if id < state.offset {
        return; // asked for again while its handler runs
    }
    // teloxide's `Update` is only read from text (its key lookup needs borrowed strings).
    let text = raw.to_string();
    match serde_json::from_str::<RawUpdate>(&text) {
        Ok(envelope) => {
            state.offset = state.offset.max(envelope.update_id.saturating_add(1));
            state.entities.record(envelope);
        }
        Err(e) => tracing::debug!(error = %e, "update without the fields raw entities are read from"),
    }
    match serde_json::from_str::<Update>(&text) {
        Ok(update) => {
            let id = i64::from(update.id.0);
            state.offset = state.offset.max(id.saturating_add(1));
            let private = update.chat().filter(|c| c.is_private()).map(|c| c.id.0);
            if state.handled.track(id, private) {
                state.buffer.push_back(update);
            } else {
                state.metrics.updates_dropped.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                tracing::warn!(
                    update_id = id,
                    chat_id = private,
                    "update dropped: its chat has too many in the handlers"
                );
            }
        }
        Err(e) => tracing::warn!(error = %e, "update teloxide cannot parse; skipped"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn updates_are_parsed_and_their_raw_entities_kept() {
        let (token, flag) = mk_stop_token();
        let entities = UpdateEntities::default();
        let mut polling = RawPolling {
            bot: Bot::new("1:T"),
            timeout: Duration::from_secs(1),
            entities: entities.clone(),
            handled: Handled::default(),
            metrics: Arc::default(),
            allowed_updates: None,
            token,
            flag: Some(flag),
        };
        let mut state = polling.first_state();
        let url = "https://ru.wikipedia.org/wiki/Санкт-Петербург";
        let text = r#"{"update_id": 41, "message": {"message_id": 3, "date": 1, "text": "Питер",
            "chat": {"id": 8, "type": "private", "first_name": "A"},
            "from": {"id": 8, "is_bot": false, "first_name": "A"},
            "entities": [{"offset": 0, "length": 5, "type": "text_link", "url": "https:\/\/ru.wikipedia.org\/wiki\/\u0421\u0430\u043d\u043a\u0442-\u041f\u0435\u0442\u0435\u0440\u0431\u0443\u0440\u0433"}]}}"#;
        take_in(&mut state, &serde_json::from_str(text).unwrap());
        take_in(&mut state, &serde_json::json!({ "no_id": true }));
        assert_eq!(state.offset, 42);
        assert_eq!(state.buffer.len(), 1);
        assert_eq!(state.handled.confirmable(state.offset), 41, "in the handlers: not confirmed");
        take_in(&mut state, &serde_json::from_str(text).unwrap());
        assert_eq!(state.buffer.len(), 1, "asked for again while in the handlers: not handed out twice");
        drop(state.handled.guard(41));
        assert_eq!(state.handled.confirmable(state.offset), 42, "handled: confirmed");
        let kept = entities.take(8, 3, None, "Питер").unwrap().to_stored();
        assert_eq!(kept[0]["url"], url, "Telegram's escapes decoded, nothing normalised");
    }
}

//! The Telegram face: the handler tree ([`schema`]), built only from its injected
//! dependencies (`Services`, and the `Bot` the dispatcher adds), so tests can build it too.

pub use crate::render::callback;
mod conversation;
pub mod extract;
mod forward;
mod group;
mod intake;
pub(crate) mod locale;
mod moderators;
pub mod options;
mod review;
mod schedule;
mod stats;
mod undo;

use teloxide::dispatching::{UpdateFilterExt, UpdateHandler};
use teloxide::prelude::*;

use crate::store::StoreError;

/// Handler failures; logged by the dispatcher's error handler with the update's context.
#[derive(Debug, thiserror::Error)]
pub enum BotError {
    #[error("telegram: {0}")]
    Telegram(#[from] teloxide::RequestError),
    #[error("storage: {0}")]
    Store(#[from] StoreError),
}

/// What every handler returns.
pub type HandlerResult = Result<(), BotError>;

/// Dispatcher workers. teloxide's default keeps one worker per chat and drops idle ones only
/// once there are more of them than were ever busy at once, so after a burst from N chats it
/// keeps N workers for good, each with a queue block of 32 updates (≈ 62 KB): 2 000 chats left
/// 140 MB behind (BENCHMARKS.md, row 4). Chats are hashed onto this many workers instead:
/// one chat's updates are still handled in order, memory is bounded (≈ 8 MB at most), and
/// a burst waits in Telegram's queue rather than ours. 128 is twice the most intake slots, so
/// the slots stay busy; a chat whose receipt waits for its per-chat send limit delays only the
/// chats that share its worker.
pub const DISPATCH_WORKERS: u64 = 128;

/// The worker for an update: the chat's id hashed (Fibonacci hashing, so ids that differ only
/// in their high bits still spread) onto [`DISPATCH_WORKERS`]; `None` (teloxide's concurrent
/// default worker) for updates without a chat.
#[allow(clippy::cast_sign_loss)] // the id's bits are hashed, not its value
pub fn dispatch_key(update: &Update) -> Option<u64> {
    const SHIFT: u32 = 64 - DISPATCH_WORKERS.trailing_zeros();
    let mut id = update.chat()?.id.0 as u64;
    // Presses on different cards are independent (each decision locks its post), so they are
    // spread by card: a moderator's backlog of presses in the group is answered in parallel,
    // each within a second instead of one round trip after another (1 000 presses at 80 ms
    // were 85 s on one worker). Presses on one card stay on one worker, in order.
    if let teloxide::types::UpdateKind::CallbackQuery(q) = &update.kind
        && let Some(card) = &q.message
    {
        id ^= u64::from(card.id().0.unsigned_abs()).rotate_left(29);
    }
    Some(id.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> SHIFT)
}

/// The handler tree: private messages and edits (submissions, commands), callback queries
/// (moderation buttons in the group, language choice in private chats). Every update holds a
/// [`crate::runtime::HandledGuard`] while it is handled, so its offset is confirmed only after.
pub fn schema() -> UpdateHandler<BotError> {
    dptree::entry()
        .map(|update: Update, services: crate::services::Services| services.handled.guard(i64::from(update.id.0)))
        .inspect(|services: crate::services::Services| {
            services.metrics.updates_handled.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        })
        .branch(
            Update::filter_message()
                .filter(|m: Message, services: crate::services::Services| stats::is_stats_command(&m, &services))
                .endpoint(stats::on_stats),
        )
        .branch(Update::filter_message().filter(|m: Message| m.chat.is_private()).endpoint(intake::on_message))
        .branch(Update::filter_edited_message().filter(|m: Message| m.chat.is_private()).endpoint(intake::on_edit))
        .branch(
            Update::filter_message()
                .filter(|m: Message, services: crate::services::Services| {
                    m.chat.id.0 == services.config.telegram.moderation_group_id && conversation::is_ask_reply(&m)
                })
                .endpoint(conversation::on_ask_reply),
        )
        .branch(
            Update::filter_message()
                .filter(|m: Message, services: crate::services::Services| {
                    m.chat.id.0 == services.config.telegram.moderation_group_id
                })
                .endpoint(schedule::on_group_message),
        )
        .branch(Update::filter_callback_query().endpoint(group::on_callback))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    const _: () = assert!(DISPATCH_WORKERS.is_power_of_two());

    fn message_from(chat: i64) -> Update {
        let chat_json = if chat > 0 {
            serde_json::json!({"id": chat, "type": "private", "first_name": "A"})
        } else {
            serde_json::json!({"id": chat, "type": "supergroup", "title": "Mods"})
        };
        let message = serde_json::json!({
            "message_id": 1, "date": 1_700_000_000, "text": "hi", "chat": chat_json,
            "from": {"id": chat.abs(), "is_bot": false, "first_name": "A"}
        });
        // From text, as the Bot API delivers it (teloxide's `Update` does not read from a `Value`).
        serde_json::from_str(&serde_json::json!({"update_id": 1, "message": message}).to_string()).unwrap()
    }

    #[test]
    fn dispatch_keeps_a_chat_on_one_worker_and_spreads_chats_over_a_bounded_set() {
        let mut load: HashMap<u64, u32> = HashMap::new();
        // Consecutive ids (as the bench's users) and ids apart by a power of two.
        let chats: Vec<i64> = (10_000..12_000).chain((1..=500).map(|i| i << 20)).collect();
        for &chat in &chats {
            let key = dispatch_key(&message_from(chat)).unwrap();
            assert!(key < DISPATCH_WORKERS, "key {key} for chat {chat}");
            assert_eq!(dispatch_key(&message_from(chat)), Some(key), "a chat always gets the same worker");
            *load.entry(key).or_default() += 1;
        }
        assert_eq!(load.len() as u64, DISPATCH_WORKERS, "every worker gets chats");
        let fair = chats.len() as u64 / DISPATCH_WORKERS;
        let busiest = u64::from(*load.values().max().unwrap());
        assert!(busiest <= fair * 2, "no worker takes more than twice its share: {busiest} vs {fair}");
        assert!(dispatch_key(&message_from(-1_001_234_567_890)).is_some_and(|k| k < DISPATCH_WORKERS));
    }

    fn press(chat: i64, card: i32) -> Update {
        let message = serde_json::json!({
            "message_id": card, "date": 1_700_000_000, "text": "card",
            "chat": {"id": chat, "type": "supergroup", "title": "Mods"},
            "from": {"id": 1, "is_bot": true, "first_name": "Bot"}
        });
        let query = serde_json::json!({
            "id": format!("q{card}"), "from": {"id": 77, "is_bot": false, "first_name": "M"},
            "chat_instance": "ci", "data": "a:1:x", "message": message
        });
        serde_json::from_str(&serde_json::json!({"update_id": 3, "callback_query": query}).to_string()).unwrap()
    }

    #[test]
    fn presses_on_different_cards_spread_and_presses_on_one_card_keep_a_worker() {
        let group = -1_001_234_567_890;
        let keys: std::collections::HashSet<u64> =
            (1..=1_000).map(|card| dispatch_key(&press(group, card)).unwrap()).collect();
        assert!(keys.iter().all(|k| *k < DISPATCH_WORKERS));
        assert!(keys.len() as u64 > DISPATCH_WORKERS / 2, "1 000 cards use most workers: {}", keys.len());
        assert_eq!(dispatch_key(&press(group, 42)), dispatch_key(&press(group, 42)), "one card, one worker");
    }

    #[test]
    fn updates_without_a_chat_go_to_the_concurrent_default_worker() {
        let poll: Update = serde_json::from_str(
            r#"{"update_id": 2, "poll_answer": {"poll_id": "p", "user": {"id": 5, "is_bot": false, "first_name": "A"}, "option_ids": [0]}}"#,
        )
        .unwrap();
        assert!(!matches!(poll.kind, teloxide::types::UpdateKind::Error(_)), "{poll:?}");
        assert_eq!(dispatch_key(&poll), None);
    }
}

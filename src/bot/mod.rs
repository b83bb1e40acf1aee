//! The Telegram face: the handler tree ([`schema`]), built only from its injected
//! dependencies (`Services`, and the `Bot` the dispatcher adds), so tests can build it too.

pub mod callback;
pub mod extract;
mod group;
mod intake;
pub(crate) mod locale;
pub mod render;

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

/// The handler tree: private messages and edits (submissions, commands), callback queries
/// (moderation buttons in the group, language choice in private chats).
pub fn schema() -> UpdateHandler<BotError> {
    dptree::entry()
        .inspect(|services: crate::services::Services| {
            services.metrics.updates_handled.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        })
        .branch(Update::filter_message().filter(|m: Message| m.chat.is_private()).endpoint(intake::on_message))
        .branch(Update::filter_edited_message().filter(|m: Message| m.chat.is_private()).endpoint(intake::on_edit))
        .branch(Update::filter_callback_query().endpoint(group::on_callback))
}

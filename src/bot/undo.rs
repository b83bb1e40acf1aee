//! "↩️ Undo" under a decided post's card, for the moderator who decided it (anyone else is
//! told so): through the one write path, an approval goes back to the queue while nothing was
//! published, a rejection at any time.

use teloxide::prelude::*;
use teloxide::types::CallbackQuery;
use tracing::instrument;

use super::HandlerResult;
use super::group::answer;
use crate::domain::{ActionSource, PostId, UserId};
use crate::moderation::undo::{Undone, undo};
use crate::services::Services;

/// The undo button, pressed by a moderator (checked by the caller).
#[instrument(skip_all, fields(post_id = id.0))]
pub async fn on_button(
    bot: &Bot,
    q: &CallbackQuery,
    services: &Services,
    id: PostId,
    moderator: UserId,
) -> HandlerResult {
    let locale = services.i18n.default_locale();
    let (key, alert) = match undo(services, id, moderator, ActionSource::Telegram).await {
        Ok(Undone::Undone { .. }) => ("schedule-undone", false),
        Ok(Undone::NotYours) => ("schedule-undo-not-yours", true),
        Ok(Undone::TooLate | Undone::NotFound) => ("schedule-not-waiting", false),
        Err(e) => {
            tracing::error!(error = %e, "undo not saved");
            ("try-later", true)
        }
    };
    answer(bot, services, q, services.i18n.t(locale, key), alert).await
}

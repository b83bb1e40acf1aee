//! Who may press moderation buttons: a user in `MODERATOR_IDS`, or an administrator of the
//! moderation group *right now*.
//!
//! Group membership is asked of Telegram (`getChatMember`) on every press and never cached:
//! a list kept in Redis could be written by anyone who reaches the Redis server (a local user,
//! with Redis' default of no password) to make themselves a moderator, and a cached list would
//! let a demoted administrator keep deciding until it expired. One call per press is cheap next
//! to the decision it guards.

use teloxide::prelude::*;

use crate::domain::UserId;
use crate::services::Services;
use crate::telegram::with_flood_retry;

/// Whether `user` may moderate. Fails closed: when Telegram cannot be asked, the answer is no.
pub async fn is_moderator(bot: &Bot, services: &Services, user: UserId) -> bool {
    let telegram = &services.config.telegram;
    if telegram.moderator_ids.contains(&user.0) {
        return true;
    }
    let Ok(telegram_user) = u64::try_from(user.0) else { return false };
    let group = ChatId(telegram.moderation_group_id);
    match with_flood_retry("getChatMember", || {
        bot.get_chat_member(group, teloxide::types::UserId(telegram_user)).send()
    })
    .await
    {
        Ok(member) => member.is_privileged() && !member.user.is_bot,
        Err(e) => {
            tracing::warn!(error = %e, "cannot ask Telegram whether the presser administers the moderation group; refusing");
            false
        }
    }
}

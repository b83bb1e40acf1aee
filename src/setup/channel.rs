//! Step 3: the channel. Picked from the channels the bot was added to, or typed as a public
//! @username; then `getChat` says it is a channel and `getChatMember` that the bot may post
//! there — a missing right is named exactly.

use serde::Serialize;
use teloxide::prelude::Requester;
use teloxide::types::{ChatId, ChatMemberKind, Recipient, UserId};
use teloxide::{ApiError, Bot, RequestError};

use super::SetupError;
use crate::config::{ChannelRef, check_channel as check_reference};

/// Why the channel cannot be used yet.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChannelProblem {
    #[error("“{0}” is neither a channel id (such as -1001234567890) nor a public @username")]
    Malformed(String),
    #[error(
        "Telegram knows no channel {0} that the bot can see: check the @username, or add the bot to the channel first"
    )]
    NotFound(String),
    #[error("“{0}” is not a channel (it is a group or a private chat)")]
    NotAChannel(String),
    #[error("the bot is not an administrator of “{0}”: add it in the channel's settings → Administrators")]
    NotAdmin(String),
    #[error(
        "the bot is an administrator of “{0}” but lacks the right “Post messages”: turn it on in the bot's administrator rights"
    )]
    CannotPost(String),
}

impl ChannelProblem {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Malformed(_) => "channel_malformed",
            Self::NotFound(_) => "channel_not_found",
            Self::NotAChannel(_) => "not_a_channel",
            Self::NotAdmin(_) => "not_admin",
            Self::CannotPost(_) => "cannot_post",
        }
    }
}

/// A channel the bot may post to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChannelChecked {
    pub id: i64,
    pub title: String,
    pub username: Option<String>,
}

impl ChannelChecked {
    /// What `CHANNEL_ID` gets: the public @username when there is one (authors then get a link
    /// to their post), else the numeric id.
    pub fn reference(&self) -> String {
        self.username.as_ref().map_or_else(|| self.id.to_string(), |name| format!("@{name}"))
    }
}

/// Checks a channel id or @username for the bot `bot_id`.
pub async fn check_channel(bot: &Bot, bot_id: i64, raw: &str) -> Result<ChannelChecked, SetupError> {
    let raw = raw.trim();
    let recipient = match check_reference(raw) {
        Ok(ChannelRef::Id(id)) => Recipient::Id(ChatId(id)),
        Ok(ChannelRef::Username(name)) => Recipient::ChannelUsername(name),
        Err(_) => return Err(ChannelProblem::Malformed(raw.to_owned()).into()),
    };
    let url = bot.api_url();
    let chat = bot.get_chat(recipient).await.map_err(|e| match e {
        RequestError::Api(ApiError::ChatNotFound | ApiError::Unknown(_)) => {
            ChannelProblem::NotFound(raw.to_owned()).into()
        }
        other => SetupError::from_request(other, &url),
    })?;
    let title = chat.title().unwrap_or(raw).to_owned();
    if !chat.is_channel() {
        return Err(ChannelProblem::NotAChannel(title).into());
    }
    let me = UserId(u64::try_from(bot_id).unwrap_or_default());
    let member = bot.get_chat_member(chat.id, me).await.map_err(|e| match e {
        RequestError::Api(_) => ChannelProblem::NotAdmin(title.clone()).into(),
        other => SetupError::from_request(other, &url),
    })?;
    match member.kind {
        ChatMemberKind::Owner(_) => {}
        ChatMemberKind::Administrator(rights) if rights.can_post_messages => {}
        ChatMemberKind::Administrator(_) => return Err(ChannelProblem::CannotPost(title).into()),
        _ => return Err(ChannelProblem::NotAdmin(title).into()),
    }
    Ok(ChannelChecked { id: chat.id.0, title, username: chat.username().map(str::to_owned) })
}

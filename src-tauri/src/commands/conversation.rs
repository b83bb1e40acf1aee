//! The conversation with a post's author from the console (issue #17 part 1): ask for
//! changes, message the author, read the thread. Each goes through
//! `postgate::moderation::conversation` under the console moderator's id with source
//! `console`, exactly like the group's "Ask for changes"; the bot sends the messages, so
//! authors never see a moderator's account.

use postgate::domain::{ActionSource, PostId};
use postgate::moderation::conversation::{self, ConversationError, Outgoing};
use postgate::store::{ThreadMessage, ToAuthorOutcome};
use serde::Serialize;
use tauri::State;

use crate::error::{CommandError, ErrorCode};
use crate::state::AppState;

/// A post's thread, oldest first, and how long a moderator's text may be (UTF-16 units, the
/// bot's frame and quote counted in every language) as a request and as a free message.
#[derive(Debug, Serialize)]
pub struct Thread {
    pub messages: Vec<ThreadMessage>,
    pub request_limit: usize,
    pub message_limit: usize,
}

impl From<ConversationError> for CommandError {
    fn from(e: ConversationError) -> Self {
        match e {
            ConversationError::Store(e) => e.into(),
            refused @ (ConversationError::Empty | ConversationError::TooLong { .. }) => {
                Self::invalid(refused.to_string())
            }
        }
    }
}

async fn send(state: &AppState, id: i64, text: String, request: bool) -> Result<ToAuthorOutcome, CommandError> {
    let out = Outgoing {
        post: PostId(id),
        moderator: state.moderator()?,
        source: ActionSource::Console,
        body: text,
        request,
    };
    match conversation::send(&state.services, &out).await? {
        ToAuthorOutcome::NotFound => Err(CommandError::not_found(format!("post {id} does not exist"))),
        ToAuthorOutcome::NotOpen { status } => Err(CommandError::new(
            ErrorCode::Conflict,
            format!("post {id} is {status}: changes can be asked for only while it waits for a decision"),
        )),
        queued @ ToAuthorOutcome::Queued { .. } => Ok(queued),
    }
}

/// Asks the author for changes: the post becomes `changes_requested` (leaves the pending
/// count) and the bot sends the text to the author, quoting the submission.
#[tauri::command]
pub async fn post_request_changes(
    state: State<'_, AppState>,
    id: i64,
    text: String,
) -> Result<ToAuthorOutcome, CommandError> {
    send(&state, id, text, true).await
}

/// Sends a free message to the author of any post, through the bot.
#[tauri::command]
pub async fn post_message_author(
    state: State<'_, AppState>,
    id: i64,
    text: String,
) -> Result<ToAuthorOutcome, CommandError> {
    send(&state, id, text, false).await
}

/// The post's thread, oldest first, with the limits of a new message.
#[tauri::command]
pub async fn post_thread(state: State<'_, AppState>, id: i64) -> Result<Thread, CommandError> {
    let services = &state.services;
    let not_found = || CommandError::not_found(format!("post {id} does not exist"));
    let request_limit = conversation::limit_for(services, PostId(id), true).await?.ok_or_else(not_found)?;
    let message_limit = conversation::limit_for(services, PostId(id), false).await?.ok_or_else(not_found)?;
    let messages = services.store.thread(PostId(id)).await?;
    Ok(Thread { messages, request_limit, message_limit })
}

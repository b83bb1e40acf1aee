//! Deciding from the console: every decision goes through `postgate::moderation::decide`
//! under the console moderator's id with source `console`, exactly like a button in the group.
//! An approval names what the moderator saw: the version of the open post (`post_detail`), or,
//! in bulk from the list, posts their authors never edited.

use postgate::domain::{ActionSource, ContentVersion, PostId, RejectReason, Seen, UserId};
use postgate::moderation::Timing;
use postgate::moderation::undo::Undone;
use postgate::store::{BanRequest, ClaimOutcome, DecideOutcome, Decision, DecisionKind};
use serde::{Deserialize, Serialize};
use tauri::State;

use crate::error::CommandError;
use crate::state::AppState;

/// How long a console claim holds a post for one moderator.
const CLAIM_TTL_SECS: i64 = 300;
/// The most posts one bulk decision may touch.
const BULK_MAX: usize = 200;

/// A bulk decision's action.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BulkAction {
    Approve,
    Reject,
}

/// One post's outcome in a bulk decision.
#[derive(Debug, Serialize)]
pub struct BulkItem {
    pub id: i64,
    pub outcome: DecideOutcome,
}

/// All outcomes of a bulk decision, in the order asked.
#[derive(Debug, Serialize)]
pub struct BulkResult {
    pub results: Vec<BulkItem>,
}

/// A reason from the UI, validated as it is read (`RejectReason` can only be built valid): an
/// unknown template or an empty or oversized text is an `invalid` error naming what is wrong,
/// not a deserialization failure outside the contract.
fn reason_arg(value: serde_json::Value) -> Result<RejectReason, CommandError> {
    serde_json::from_value(value).map_err(|e| CommandError::invalid(format!("reason: {e}")))
}

/// Runs one console decision through the core.
pub async fn decide(state: &AppState, id: i64, kind: DecisionKind) -> Result<DecideOutcome, CommandError> {
    decide_when(state, id, kind, Timing::Plan).await
}

/// [`decide`], an approval published when `timing` says.
async fn decide_when(
    state: &AppState,
    id: i64,
    kind: DecisionKind,
    timing: Timing,
) -> Result<DecideOutcome, CommandError> {
    let decision = Decision { post_id: PostId(id), moderator: state.moderator()?, source: ActionSource::Console, kind };
    Ok(postgate::moderation::decide_when(&state.services, &decision, timing).await?)
}

#[tauri::command]
pub async fn post_claim(state: State<'_, AppState>, id: i64) -> Result<ClaimOutcome, CommandError> {
    let moderator = state.moderator()?;
    Ok(postgate::moderation::claim(&state.services, PostId(id), moderator, CLAIM_TTL_SECS).await?)
}

#[tauri::command]
pub async fn post_release(state: State<'_, AppState>, id: i64) -> Result<(), CommandError> {
    let moderator = state.moderator()?;
    Ok(postgate::moderation::release(&state.services, PostId(id), moderator).await?)
}

/// Approves the version of the post the moderator has open (`version` from `post_detail`);
/// the outcome is `changed` (with the version now) when the author edited it since.
#[tauri::command]
pub async fn post_approve(
    state: State<'_, AppState>,
    id: i64,
    version: Option<String>,
    edited_body: Option<String>,
    timing: Option<Timing>,
) -> Result<DecideOutcome, CommandError> {
    // Optional in the signature only so that a missing one is an `invalid` error of the contract.
    let version = version.ok_or_else(|| CommandError::invalid("version: required to approve"))?;
    let version = ContentVersion::parse(&version).map_err(|e| CommandError::invalid(format!("version: {e}")))?;
    let edited_body = edited_body.filter(|b| !b.trim().is_empty());
    let kind = DecisionKind::ApproveSeen { seen: Seen::Version(version), edited_body };
    decide_when(&state, id, kind, timing.unwrap_or_default()).await
}

#[tauri::command]
pub async fn post_reject(
    state: State<'_, AppState>,
    id: i64,
    reason: serde_json::Value,
    ban_author: Option<bool>,
) -> Result<DecideOutcome, CommandError> {
    let kind = DecisionKind::Reject { reason: reason_arg(reason)?, ban_author: ban_author.unwrap_or(false) };
    decide(&state, id, kind).await
}

/// Undoes the console moderator's own decision on a post (its toast's Undo): an approval
/// back to the queue while nothing was published, a rejection at any time (its author never
/// told while the undo window held the notice).
#[tauri::command]
pub async fn post_undo(state: State<'_, AppState>, id: i64) -> Result<Undone, CommandError> {
    let moderator = state.moderator()?;
    Ok(postgate::moderation::undo::undo(&state.services, PostId(id), moderator, ActionSource::Console).await?)
}

#[tauri::command]
pub async fn post_retry(state: State<'_, AppState>, id: i64) -> Result<DecideOutcome, CommandError> {
    decide(&state, id, DecisionKind::RetryPublish).await
}

/// Sends a post's card to the moderation group again after Telegram refused it; `false` when
/// the post's card had not failed (nothing is queued).
#[tauri::command]
pub async fn post_retry_card(state: State<'_, AppState>, id: i64) -> Result<bool, CommandError> {
    let moderator = state.moderator()?;
    Ok(postgate::moderation::retry_card(&state.services, PostId(id), moderator, ActionSource::Console).await?)
}

#[tauri::command]
pub async fn bulk_decide(
    state: State<'_, AppState>,
    ids: Vec<i64>,
    action: BulkAction,
    reason: Option<serde_json::Value>,
) -> Result<BulkResult, CommandError> {
    if ids.len() > BULK_MAX {
        return Err(CommandError::invalid(format!("at most {BULK_MAX} posts at once, got {}", ids.len())));
    }
    let kind = match action {
        // A list shows no post whole: only posts their authors never edited are approved, so an
        // edit made after the list was read comes back `changed`, to be looked at on its own.
        BulkAction::Approve => DecisionKind::ApproveSeen { seen: Seen::NeverEdited, edited_body: None },
        BulkAction::Reject => {
            let reason = reason.ok_or_else(|| CommandError::invalid("reason: required to reject"))?;
            DecisionKind::Reject { reason: reason_arg(reason)?, ban_author: false }
        }
    };
    let mut results = Vec::with_capacity(ids.len());
    for id in ids {
        results.push(BulkItem { id, outcome: decide(&state, id, kind.clone()).await? });
    }
    Ok(BulkResult { results })
}

#[tauri::command]
pub async fn author_ban(state: State<'_, AppState>, user_id: i64, reason: String) -> Result<(), CommandError> {
    let ban = BanRequest {
        user: UserId(user_id),
        moderator: state.moderator()?,
        source: ActionSource::Console,
        reason: reason.trim().to_owned(),
        post: None,
    };
    Ok(postgate::moderation::ban(&state.services, &ban).await?)
}

#[tauri::command]
pub async fn author_unban(state: State<'_, AppState>, user_id: i64) -> Result<bool, CommandError> {
    let moderator = state.moderator()?;
    Ok(postgate::moderation::unban(&state.services, UserId(user_id), moderator, ActionSource::Console).await?)
}

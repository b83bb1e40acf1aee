//! Reading the queue: lists, counts, one post with its author and log, the audit log.

use postgate::domain::{ContentVersion, PostId};
use postgate::store::{AuthorRecord, LogEntry, PostPage, PostQuery, PostRecord, QueueStats};
use serde::Serialize;
use tauri::State;

use crate::error::CommandError;
use crate::state::AppState;

/// Log entries shown with one post.
const DETAIL_LOG_LIMIT: i64 = 50;
/// Default and largest page of the audit log.
const AUDIT_DEFAULT: i64 = 100;
const AUDIT_MAX: i64 = 1000;

/// One post, its author and its moderation log, and the version of its content that an
/// approval from this view names (`post_approve`).
#[derive(Debug, Serialize)]
pub struct PostDetail {
    pub post: PostRecord,
    pub version: ContentVersion,
    pub author: Option<AuthorRecord>,
    pub log: Vec<LogEntry>,
}

#[tauri::command]
pub async fn queue_list(state: State<'_, AppState>, query: Option<PostQuery>) -> Result<PostPage, CommandError> {
    Ok(state.services.store.list_posts(&query.unwrap_or_default()).await?)
}

/// The header's counts, with the age past which a pending post counts as stale (the header
/// marks the oldest pending age past it; `None`: no reminder age configured).
#[derive(Debug, Serialize)]
pub struct HeaderStats {
    #[serde(flatten)]
    pub stats: QueueStats,
    pub stale_after_hours: Option<u32>,
}

#[tauri::command]
pub async fn queue_stats(state: State<'_, AppState>) -> Result<HeaderStats, CommandError> {
    let counts = state.services.store.stats().await?;
    Ok(HeaderStats { stats: counts, stale_after_hours: state.services.config.stale.reminder_hours })
}

#[tauri::command]
pub async fn post_detail(state: State<'_, AppState>, id: i64) -> Result<PostDetail, CommandError> {
    let store = &state.services.store;
    let post =
        store.post(PostId(id)).await?.ok_or_else(|| CommandError::not_found(format!("post {id} does not exist")))?;
    let author = store.author(post.author.id).await?;
    let log = store.moderation_log(Some(post.id), DETAIL_LOG_LIMIT).await?;
    Ok(PostDetail { version: post.content_version(), post, author, log })
}

#[tauri::command]
pub async fn audit_log(
    state: State<'_, AppState>,
    post_id: Option<i64>,
    limit: Option<i64>,
) -> Result<Vec<LogEntry>, CommandError> {
    let limit = limit.filter(|l| *l > 0).unwrap_or(AUDIT_DEFAULT).min(AUDIT_MAX);
    Ok(state.services.store.moderation_log(post_id.map(PostId), limit).await?)
}

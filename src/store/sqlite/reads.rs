//! Reads on SQLite: posts, the queue (filters, search, pages), counts, the moderation log,
//! moderators. PLACEHOLDER BODIES — being implemented; not selectable until done.

use super::Db;
use crate::domain::{PostId, UserId};
use crate::store::{LogEntry, ModeratorProfile, PostPage, PostQuery, PostRecord, PostSummary, QueueStats, StoreError};

fn todo_err(what: &str) -> StoreError {
    StoreError::Query(format!("sqlite: {what} is not implemented yet"))
}

pub async fn post(_db: &Db, _id: PostId) -> Result<Option<PostRecord>, StoreError> {
    Err(todo_err("post"))
}

pub async fn posts(_db: &Db, _ids: &[PostId]) -> Result<Vec<PostRecord>, StoreError> {
    Err(todo_err("posts"))
}

pub async fn list_posts(_db: &Db, _query: &PostQuery) -> Result<PostPage, StoreError> {
    Err(todo_err("list_posts"))
}

pub async fn recent_posts_of(_db: &Db, _author: UserId, _limit: i64) -> Result<Vec<PostSummary>, StoreError> {
    Err(todo_err("recent_posts_of"))
}

pub async fn stats(_db: &Db) -> Result<QueueStats, StoreError> {
    Err(todo_err("stats"))
}

pub async fn moderation_log(_db: &Db, _post: Option<PostId>, _limit: i64) -> Result<Vec<LogEntry>, StoreError> {
    Err(todo_err("moderation_log"))
}

pub async fn upsert_moderator(_db: &Db, _m: &ModeratorProfile) -> Result<(), StoreError> {
    Err(todo_err("upsert_moderator"))
}

pub async fn moderator_name(_db: &Db, _id: UserId) -> Result<Option<String>, StoreError> {
    Err(todo_err("moderator_name"))
}

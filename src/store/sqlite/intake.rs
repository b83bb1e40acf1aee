//! Intake on SQLite: authors, submissions (admission, albums, group commit), author edits,
//! media fingerprints. PLACEHOLDER BODIES — being implemented; not selectable until done.

use std::time::Duration;

use super::Db;
use crate::domain::{PostId, UserId};
use crate::store::{
    Admission, AuthorEdit, AuthorEditOutcome, AuthorProfile, AuthorRecord, NewPost, StoreError, SubmitOutcome,
};

fn todo_err(what: &str) -> StoreError {
    StoreError::Query(format!("sqlite: {what} is not implemented yet"))
}

/// Submissions queued together are written in one transaction on the writer.
#[derive(Clone, Debug, Default)]
pub struct IntakeBatcher;

pub async fn upsert_author(_db: &Db, _author: &AuthorProfile) -> Result<(), StoreError> {
    Err(todo_err("upsert_author"))
}

pub async fn author(_db: &Db, _id: UserId) -> Result<Option<AuthorRecord>, StoreError> {
    Err(todo_err("author"))
}

pub async fn authors(_db: &Db, _ids: &[UserId]) -> Result<Vec<AuthorRecord>, StoreError> {
    Err(todo_err("authors"))
}

pub async fn locale_override(_db: &Db, _id: UserId) -> Result<Option<String>, StoreError> {
    Err(todo_err("locale_override"))
}

pub async fn set_locale_override(_db: &Db, _id: UserId, _locale: Option<&str>) -> Result<(), StoreError> {
    Err(todo_err("set_locale_override"))
}

pub async fn submit(
    _db: &Db,
    _batcher: &IntakeBatcher,
    _post: &NewPost,
    _admission: Admission,
    _album_debounce: Duration,
) -> Result<SubmitOutcome, StoreError> {
    Err(todo_err("submit"))
}

pub async fn author_edit(_db: &Db, _edit: &AuthorEdit) -> Result<AuthorEditOutcome, StoreError> {
    Err(todo_err("author_edit"))
}

pub async fn pending_count_of(_db: &Db, _author: UserId) -> Result<i64, StoreError> {
    Err(todo_err("pending_count_of"))
}

pub async fn set_media_hash(
    _db: &Db,
    _id: PostId,
    _position: i16,
    _sha256: &str,
) -> Result<Option<PostId>, StoreError> {
    Err(todo_err("set_media_hash"))
}

//! Decisions, claims and bans on SQLite. PLACEHOLDER BODIES — being implemented; not
//! selectable until done.

use futures::stream::BoxStream;

use super::Db;
use crate::domain::{ActionSource, PostId, UserId};
use crate::store::{
    BanImportRow, BanRecord, BanRequest, ClaimOutcome, DecideOutcome, Decision, ImportCounts, StoreError,
};

fn todo_err(what: &str) -> StoreError {
    StoreError::Query(format!("sqlite: {what} is not implemented yet"))
}

pub async fn decide(_db: &Db, _d: &Decision) -> Result<DecideOutcome, StoreError> {
    Err(todo_err("decide"))
}

pub async fn claim(_db: &Db, _id: PostId, _moderator: UserId, _ttl_secs: i64) -> Result<ClaimOutcome, StoreError> {
    Err(todo_err("claim"))
}

pub async fn release(_db: &Db, _id: PostId, _moderator: UserId) -> Result<(), StoreError> {
    Err(todo_err("release"))
}

pub async fn ban(_db: &Db, _b: &BanRequest) -> Result<(), StoreError> {
    Err(todo_err("ban"))
}

pub async fn unban(_db: &Db, _user: UserId, _moderator: UserId, _source: ActionSource) -> Result<bool, StoreError> {
    Err(todo_err("unban"))
}

pub async fn ban_of(_db: &Db, _user: UserId) -> Result<Option<BanRecord>, StoreError> {
    Err(todo_err("ban_of"))
}

pub async fn import_bans(_db: &Db, _rows: BoxStream<'_, Vec<BanImportRow>>) -> Result<ImportCounts, StoreError> {
    Err(todo_err("import_bans"))
}

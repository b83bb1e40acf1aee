//! The outbox on SQLite: leases, completions with their effect on the post, retries,
//! progress of multi-part sends, resent cards. PLACEHOLDER BODIES — being implemented; not
//! selectable until done.

use super::Db;
use crate::domain::{ActionSource, PostId, UserId};
use crate::store::{OutboxJob, OutboxResult, StoreError};

fn todo_err(what: &str) -> StoreError {
    StoreError::Query(format!("sqlite: {what} is not implemented yet"))
}

pub async fn lease(_db: &Db, _limit: i64, _lease_secs: i64) -> Result<Vec<OutboxJob>, StoreError> {
    Err(todo_err("lease_outbox"))
}

pub async fn complete(_db: &Db, _job: &OutboxJob, _result: &OutboxResult) -> Result<(), StoreError> {
    Err(todo_err("complete_outbox"))
}

pub async fn record_progress(_db: &Db, _job: &OutboxJob, _sent: &[i32]) -> Result<(), StoreError> {
    Err(todo_err("record_outbox_progress"))
}

pub async fn retry_card(_db: &Db, _id: PostId, _moderator: UserId, _source: ActionSource) -> Result<bool, StoreError> {
    Err(todo_err("retry_card"))
}

pub async fn retry(_db: &Db, _job: &OutboxJob, _error: &str, _delay_secs: i64) -> Result<(), StoreError> {
    Err(todo_err("retry_outbox"))
}

pub async fn backlog(_db: &Db) -> Result<i64, StoreError> {
    Err(todo_err("outbox_backlog"))
}

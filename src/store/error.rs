//! Storage errors: typed, so callers can tell an outage from a bug from a conflict.

/// A storage failure. Returned only after it has been logged with context.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database cannot be reached (refused, pool timed out, pool closed).
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// A constraint rejected the write.
    #[error("constraint {constraint} violated: {message}")]
    Constraint { constraint: String, message: String },
    /// Anything else the database said.
    #[error("database error: {0}")]
    Query(String),
    /// Stored data that the domain does not accept (a bug or a hand edit).
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// Migrations could not be applied (e.g. an applied migration was edited).
    #[error("migrations failed: {0}")]
    Migrate(String),
    /// The SQLite file is another process's (one process per file).
    #[error(
        "{path} is in use by {holder}: a SQLite database serves one process at a time; several consoles \
         on one queue need PostgreSQL (set DATABASE_URL to a postgres:// URL)"
    )]
    InUse { path: String, holder: String },
    /// An import's counts did not add up.
    #[error("import count mismatch: sent {sent} rows, database received {received}")]
    CountMismatch { sent: u64, received: u64 },
}

impl StoreError {
    /// Whether retrying later may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Unavailable(_))
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) | sqlx::Error::Tls(_) => {
                Self::Unavailable(e.to_string())
            }
            // Class 08 (connection exception) and 57P (operator intervention: server shutting
            // down or restarting) mean the database went away, not that the query was wrong.
            sqlx::Error::Database(db) if db.code().is_some_and(|c| c.starts_with("08") || c.starts_with("57P")) => {
                Self::Unavailable(e.to_string())
            }
            // SQLite: busy or locked past the timeout, read-only, I/O error, disk full, cannot
            // open — the file is unusable for now, as a server would be unreachable.
            sqlx::Error::Database(db) if sqlite_outage(db.as_ref()) => Self::Unavailable(e.to_string()),
            sqlx::Error::Database(db) => match db.constraint() {
                Some(constraint) => {
                    Self::Constraint { constraint: constraint.to_owned(), message: db.message().to_owned() }
                }
                None => Self::Query(e.to_string()),
            },
            sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_) => Self::Corrupt(e.to_string()),
            _ => Self::Query(e.to_string()),
        }
    }
}

/// SQLite's primary result codes for a database that cannot be used right now.
fn sqlite_outage(db: &dyn sqlx::error::DatabaseError) -> bool {
    const BUSY: i64 = 5;
    const LOCKED: i64 = 6;
    const READONLY: i64 = 8;
    const IOERR: i64 = 10;
    const FULL: i64 = 13;
    const CANTOPEN: i64 = 14;
    db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some()
        && db
            .code()
            .and_then(|c| c.parse::<i64>().ok())
            .is_some_and(|c| matches!(c & 0xff, BUSY | LOCKED | READONLY | IOERR | FULL | CANTOPEN))
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        Self::Migrate(e.to_string())
    }
}

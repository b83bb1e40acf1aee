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

    /// Whether the database is away rather than the request wrong: a server that refused, reset
    /// or closed the connection or is shutting down, a pool that timed out, a SQLite file that
    /// is busy, locked, read-only, full or cannot be opened. Worth waiting out (a constraint
    /// violation, a bad query or a corrupt row is not: it would fail the same way again).
    pub fn is_outage(&self) -> bool {
        self.is_transient()
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
            sqlx::Error::Database(db) => {
                match db.constraint().map(str::to_owned).or_else(|| sqlite_constraint(db.as_ref())) {
                    Some(constraint) => Self::Constraint { constraint, message: db.message().to_owned() },
                    None => Self::Query(e.to_string()),
                }
            }
            sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_) => Self::Corrupt(e.to_string()),
            _ => Self::Query(e.to_string()),
        }
    }
}

/// The constraint a SQLite `SQLITE_CONSTRAINT` error names (`UNIQUE constraint failed:
/// posts.scheduled_at` → `posts.scheduled_at`): SQLite reports no constraint name of its own.
fn sqlite_constraint(db: &dyn sqlx::error::DatabaseError) -> Option<String> {
    const CONSTRAINT: i64 = 19;
    let code = db.code().and_then(|c| c.parse::<i64>().ok())?;
    if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_none() || code & 0xff != CONSTRAINT {
        return None;
    }
    let message = db.message();
    Some(message.split_once("failed: ").map_or(message, |(_, what)| what).to_owned())
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

#[cfg(test)]
mod tests {
    use super::StoreError;

    #[test]
    fn an_unreachable_database_is_an_outage_and_a_bad_request_is_not() {
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        let reset = std::io::Error::from(std::io::ErrorKind::ConnectionReset);
        for e in [sqlx::Error::PoolTimedOut, sqlx::Error::Io(refused), sqlx::Error::Io(reset)] {
            assert!(StoreError::from(e).is_outage());
        }
        for e in [sqlx::Error::RowNotFound, sqlx::Error::ColumnNotFound("x".into()), sqlx::Error::Protocol("x".into())]
        {
            assert!(!StoreError::from(e).is_outage());
        }
        let constraint = StoreError::Constraint { constraint: "posts_pkey".into(), message: "duplicate".into() };
        assert!(!constraint.is_outage());
    }

    #[tokio::test]
    async fn a_read_only_or_full_sqlite_file_is_an_outage_and_a_constraint_is_not() {
        use sqlx::Connection;
        let mut db = sqlx::SqliteConnection::connect("sqlite::memory:").await.unwrap();
        sqlx::query("CREATE TABLE t (id INTEGER PRIMARY KEY)").execute(&mut db).await.unwrap();
        sqlx::query("INSERT INTO t VALUES (1)").execute(&mut db).await.unwrap();
        let duplicate = sqlx::query("INSERT INTO t VALUES (1)").execute(&mut db).await.unwrap_err();
        let duplicate = StoreError::from(duplicate);
        assert!(!duplicate.is_outage());
        assert!(
            matches!(&duplicate, StoreError::Constraint { constraint, .. } if constraint == "t.id"),
            "{duplicate:?}"
        );
        sqlx::query("PRAGMA query_only = ON").execute(&mut db).await.unwrap();
        let read_only = sqlx::query("INSERT INTO t VALUES (2)").execute(&mut db).await.unwrap_err();
        assert!(StoreError::from(read_only).is_outage(), "SQLITE_READONLY");
        sqlx::query("PRAGMA query_only = OFF").execute(&mut db).await.unwrap();
        sqlx::query("PRAGMA max_page_count = 1").execute(&mut db).await.unwrap();
        let full = sqlx::query("CREATE TABLE u (x BLOB)").execute(&mut db).await;
        let full = match full {
            Err(e) => e,
            Ok(_) => sqlx::query("INSERT INTO u VALUES (zeroblob(100000))").execute(&mut db).await.unwrap_err(),
        };
        assert!(StoreError::from(full).is_outage(), "SQLITE_FULL");
    }
}

//! Moving a post's times into the past, for the statistics fixtures. The store stamps every
//! time itself (arrival in the process, decisions and publications by the database's clock),
//! so a fixture on given days — a day the clocks change — is written through the `Store` like
//! any other and then has its three times set here, in each backend's own terms (and, for the
//! statistics window test, a published status without a Bot API). Nothing else is written this
//! way, and nothing is ever read this way: the statistics are read through the trait.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use postgate::domain::PostId;
use sqlx::Connection;

/// Where a fixture's times are written.
pub enum Backdater {
    Postgres(sqlx::PgPool),
    Sqlite(PathBuf),
}

/// A post's arrival, decision and publication times.
pub struct Times {
    pub arrived: DateTime<Utc>,
    pub decided: Option<DateTime<Utc>>,
    pub published: Option<DateTime<Utc>>,
}

impl Backdater {
    /// Sets the times of `post` (its other columns as the store wrote them).
    pub async fn set(&self, post: PostId, t: &Times) {
        match self {
            Self::Postgres(pool) => {
                sqlx::query(
                    "UPDATE posts SET arrived_at = $2, created_at = $2, decided_at = $3, published_at = $4 \
                     WHERE id = $1",
                )
                .bind(post.0)
                .bind(t.arrived)
                .bind(t.decided)
                .bind(t.published)
                .execute(pool)
                .await
                .expect("backdate a post");
            }
            Self::Sqlite(path) => {
                let url = format!("sqlite://{}", path.display());
                let mut conn = sqlx::SqliteConnection::connect(&url).await.expect("open the store's file");
                // The formats the store writes: arrival with microseconds, the others with milliseconds.
                let micros = |t: DateTime<Utc>| t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string();
                let millis = |t: DateTime<Utc>| t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
                sqlx::query(
                    "UPDATE posts SET arrived_at = ?2, created_at = ?3, decided_at = ?4, published_at = ?5 \
                     WHERE id = ?1",
                )
                .bind(post.0)
                .bind(micros(t.arrived))
                .bind(millis(t.arrived))
                .bind(t.decided.map(millis))
                .bind(t.published.map(millis))
                .execute(&mut conn)
                .await
                .expect("backdate a post");
                conn.close().await.ok();
            }
        }
    }

    /// Sets the status of `post` (e.g. `published`: the statistics' fixtures skip the Bot API).
    #[allow(dead_code, reason = "the contract suite sets times only; the statistics window test sets the status too")]
    pub async fn set_status(&self, post: PostId, status: &str) {
        match self {
            Self::Postgres(pool) => {
                sqlx::query("UPDATE posts SET status = $2 WHERE id = $1")
                    .bind(post.0)
                    .bind(status)
                    .execute(pool)
                    .await
                    .expect("set a post's status");
            }
            Self::Sqlite(path) => {
                let url = format!("sqlite://{}", path.display());
                let mut conn = sqlx::SqliteConnection::connect(&url).await.expect("open the store's file");
                sqlx::query("UPDATE posts SET status = ?2 WHERE id = ?1")
                    .bind(post.0)
                    .bind(status)
                    .execute(&mut conn)
                    .await
                    .expect("set a post's status");
                conn.close().await.ok();
            }
        }
    }
}

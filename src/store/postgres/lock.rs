//! One poller per bot token across every process on this database: a session-level advisory
//! lock on a connection of its own (outside the pool), held while the bot runs. Who holds it
//! is read from `pg_stat_activity` (the holder names itself in `application_name`).

use async_trait::async_trait;
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection, PgConnection, PgPool};

use crate::store::{PollLock, PollLockGuard, StoreError};

/// Namespace of our advisory locks (`'POST'`), the bot key hashed beside it.
const LOCK_CLASS: i32 = 0x504F_5354;

struct Held(PgConnection);

#[async_trait]
impl PollLockGuard for Held {
    async fn release(self: Box<Self>) {
        let mut conn = self.0;
        let _ = sqlx::query("SELECT pg_advisory_unlock_all()").execute(&mut conn).await;
        let _ = conn.close().await;
    }
}

pub async fn try_poll_lock(pool: &PgPool, key: &str, holder: &str) -> Result<PollLock, StoreError> {
    let options: PgConnectOptions = (*pool.connect_options()).clone();
    let mut conn = options.application_name(holder).connect().await?;
    let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1, hashtext($2))")
        .bind(LOCK_CLASS)
        .bind(key)
        .fetch_one(&mut conn)
        .await?;
    if locked {
        return Ok(PollLock::Acquired(Box::new(Held(conn))));
    }
    let holder: Option<String> = sqlx::query_scalar(
        "SELECT a.application_name || coalesce(' at ' || a.client_addr::text, '') || ' since ' || \
         to_char(a.backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') \
         FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
         WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1::bigint::oid \
         AND l.objid = (hashtext($2)::bigint & 4294967295)::oid LIMIT 1",
    )
    .bind(LOCK_CLASS)
    .bind(key)
    .fetch_optional(&mut conn)
    .await?;
    let _ = conn.close().await;
    Ok(PollLock::HeldBy(holder.unwrap_or_else(|| "another instance".into())))
}

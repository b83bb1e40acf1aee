//! The cache behind a trait: Redis for shared setups, or in process ([`MemoryCache`]) when
//! `REDIS_URL` is unset.
//!
//! Every write takes a [`Ttl`], and there is no way to build a zero TTL, so no key can live
//! forever (production lesson 14). Callers treat a [`CacheError`] as a miss: when Redis is
//! down the program logs a warning and keeps working on the database alone.

use std::num::NonZeroU64;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use redis::AsyncCommands;

mod memory;
pub use memory::MemoryCache;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

/// A time to live of at least one second.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ttl(NonZeroU64);

impl Ttl {
    /// Rounds up to whole seconds; `None` for a zero duration.
    pub fn new(duration: Duration) -> Option<Self> {
        let secs = duration.as_secs() + u64::from(duration.subsec_nanos() > 0);
        NonZeroU64::new(secs).map(Self)
    }

    /// A TTL from a configured duration; config validation guarantees at least a second,
    /// and anything shorter is raised to one second rather than dropped.
    pub fn from_config(duration: Duration) -> Self {
        Self::new(duration).unwrap_or(Self(NonZeroU64::MIN))
    }

    pub fn secs(self) -> u64 {
        self.0.get()
    }
}

/// Cache failures. Callers log and fall back to the database.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("cache unavailable: {0}")]
    Unavailable(String),
    #[error("cache command failed: {0}")]
    Command(String),
}

impl From<redis::RedisError> for CacheError {
    fn from(e: redis::RedisError) -> Self {
        if e.is_connection_dropped() || e.is_connection_refusal() || e.is_timeout() || e.is_io_error() {
            Self::Unavailable(e.to_string())
        } else {
            Self::Command(e.to_string())
        }
    }
}

/// The operations `PostGate` needs from a cache. Keys are relative: the implementation adds the
/// configured prefix.
#[async_trait]
pub trait Cache: Send + Sync + 'static {
    async fn get(&self, key: &str) -> Result<Option<String>, CacheError>;
    async fn set(&self, key: &str, value: &str, ttl: Ttl) -> Result<(), CacheError>;
    async fn delete(&self, key: &str) -> Result<(), CacheError>;
    /// Increments a counter; the first increment of a window starts its TTL.
    /// Returns the new count and the seconds left in the window.
    async fn incr_window(&self, key: &str, ttl: Ttl) -> Result<(u64, u64), CacheError>;
    /// Appends to a list and (re)sets the list's TTL; returns the new length.
    async fn push(&self, key: &str, value: &str, ttl: Ttl) -> Result<u64, CacheError>;
    async fn list(&self, key: &str) -> Result<Vec<String>, CacheError>;
    async fn ping(&self) -> Result<(), CacheError>;
}

/// Redis through a lazily connecting, self-reconnecting [`ConnectionManager`].
#[derive(Clone)]
pub struct RedisCache {
    conn: ConnectionManager,
    prefix: Arc<str>,
    last_warning: Arc<AtomicU64>,
}

impl RedisCache {
    /// Builds the client without connecting; the first command connects. A bad URL is the
    /// only error here, so start-up never waits on Redis.
    pub fn new(url: &str, prefix: &str, timeout: Duration) -> Result<Self, CacheError> {
        let client = redis::Client::open(url).map_err(|e| CacheError::Command(format!("REDIS_URL: {e}")))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_secs(2));
        let conn = ConnectionManager::new_lazy_with_config(client, config)?;
        Ok(Self { conn, prefix: prefix.into(), last_warning: Arc::new(AtomicU64::new(0)) })
    }

    fn key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    /// Logs an unavailable cache at most every 30 s, so an outage does not flood the logs.
    fn observe<T>(&self, result: Result<T, redis::RedisError>) -> Result<T, CacheError> {
        result.map_err(|e| {
            let err = CacheError::from(e);
            let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
            let last = self.last_warning.load(Ordering::Relaxed);
            if now.saturating_sub(last) >= 30
                && self.last_warning.compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed).is_ok()
            {
                tracing::warn!(error = %err, "Redis is not answering; continuing on the database alone");
            }
            err
        })
    }
}

#[async_trait]
impl Cache for RedisCache {
    async fn get(&self, key: &str) -> Result<Option<String>, CacheError> {
        let mut c = self.conn.clone();
        self.observe(c.get(self.key(key)).await)
    }

    async fn set(&self, key: &str, value: &str, ttl: Ttl) -> Result<(), CacheError> {
        let mut c = self.conn.clone();
        self.observe(c.set_ex(self.key(key), value, ttl.secs()).await)
    }

    async fn delete(&self, key: &str) -> Result<(), CacheError> {
        let mut c = self.conn.clone();
        self.observe(c.del(self.key(key)).await)
    }

    async fn incr_window(&self, key: &str, ttl: Ttl) -> Result<(u64, u64), CacheError> {
        let key = self.key(key);
        let mut c = self.conn.clone();
        // SET NX starts the window with its TTL; INCR keeps the TTL; TTL reads what is left.
        let (_, count, left): (Option<String>, u64, i64) = self.observe(
            redis::pipe()
                .atomic()
                .cmd("SET")
                .arg(&key)
                .arg(0)
                .arg("EX")
                .arg(ttl.secs())
                .arg("NX")
                .incr(&key, 1)
                .ttl(&key)
                .query_async(&mut c)
                .await,
        )?;
        Ok((count, u64::try_from(left).unwrap_or(0)))
    }

    async fn push(&self, key: &str, value: &str, ttl: Ttl) -> Result<u64, CacheError> {
        let key = self.key(key);
        let mut c = self.conn.clone();
        let (len, _): (u64, bool) = self.observe(
            redis::pipe()
                .atomic()
                .rpush(&key, value)
                .expire(&key, i64::try_from(ttl.secs()).unwrap_or(i64::MAX))
                .query_async(&mut c)
                .await,
        )?;
        Ok(len)
    }

    async fn list(&self, key: &str) -> Result<Vec<String>, CacheError> {
        let mut c = self.conn.clone();
        self.observe(c.lrange(self.key(key), 0, -1).await)
    }

    async fn ping(&self) -> Result<(), CacheError> {
        let mut c = self.conn.clone();
        self.observe(redis::cmd("PING").query_async::<String>(&mut c).await).map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttl_is_never_zero() {
        assert_eq!(Ttl::new(Duration::ZERO), None);
        assert_eq!(Ttl::new(Duration::from_millis(1)).map(Ttl::secs), Some(1));
        assert_eq!(Ttl::new(Duration::from_millis(1500)).map(Ttl::secs), Some(2));
        assert_eq!(Ttl::from_config(Duration::ZERO).secs(), 1);
    }
}

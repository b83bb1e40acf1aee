//! The in-process cache, used when `REDIS_URL` is unset (the desktop default): a bounded
//! concurrent map (moka) where every entry carries its own expiry, so the TTL rule holds here
//! as in Redis — nothing is written without one.

use std::time::{Duration, Instant};

use async_trait::async_trait;
use moka::Expiry;
use moka::ops::compute::Op;
use moka::sync::Cache as Moka;

use super::{Cache, CacheError, Ttl};

/// Entries kept at most; the least recently used go first beyond it.
const MAX_ENTRIES: u64 = 100_000;

#[derive(Clone, Debug)]
enum Value {
    Text(String),
    Counter(u64),
    List(Vec<String>),
}

#[derive(Clone, Debug)]
struct Entry {
    value: Value,
    expires_at: Instant,
}

impl Entry {
    fn new(value: Value, ttl: Ttl) -> Self {
        Self { value, expires_at: Instant::now() + Duration::from_secs(ttl.secs()) }
    }
}

/// Every entry lives until its own `expires_at`, however it was written.
struct UntilExpiry;

impl Expiry<String, Entry> for UntilExpiry {
    fn expire_after_create(&self, _key: &String, entry: &Entry, created_at: Instant) -> Option<Duration> {
        Some(entry.expires_at.saturating_duration_since(created_at))
    }

    fn expire_after_update(
        &self,
        _key: &String,
        entry: &Entry,
        updated_at: Instant,
        _left: Option<Duration>,
    ) -> Option<Duration> {
        Some(entry.expires_at.saturating_duration_since(updated_at))
    }
}

/// A cache in this process's memory; cheap to clone (clones share the entries).
#[derive(Clone)]
pub struct MemoryCache {
    entries: Moka<String, Entry>,
}

impl Default for MemoryCache {
    fn default() -> Self {
        Self { entries: Moka::builder().max_capacity(MAX_ENTRIES).expire_after(UntilExpiry).build() }
    }
}

impl MemoryCache {
    /// Entries not yet expired, with the seconds each has left (for tests of the TTL rule).
    pub fn ttls(&self) -> Vec<(String, u64)> {
        let now = Instant::now();
        self.entries
            .iter()
            .filter(|(_, e)| e.expires_at > now)
            .map(|(k, e)| ((*k).clone(), e.expires_at.duration_since(now).as_secs()))
            .collect()
    }

    /// A live entry (moka may still hold an expired one until it is evicted).
    fn live(&self, key: &str) -> Option<Entry> {
        self.entries.get(key).filter(|e| e.expires_at > Instant::now())
    }
}

#[async_trait]
impl Cache for MemoryCache {
    async fn get(&self, key: &str) -> Result<Option<String>, CacheError> {
        Ok(match self.live(key).map(|e| e.value) {
            Some(Value::Text(text)) => Some(text),
            Some(Value::Counter(n)) => Some(n.to_string()),
            Some(Value::List(_)) => return Err(CacheError::Command(format!("{key} holds a list"))),
            None => None,
        })
    }

    async fn set(&self, key: &str, value: &str, ttl: Ttl) -> Result<(), CacheError> {
        self.entries.insert(key.to_owned(), Entry::new(Value::Text(value.to_owned()), ttl));
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<(), CacheError> {
        self.entries.invalidate(key);
        Ok(())
    }

    async fn incr_window(&self, key: &str, ttl: Ttl) -> Result<(u64, u64), CacheError> {
        let now = Instant::now();
        // Atomic per key: the first increment starts the window with its TTL, later ones keep it.
        let result = self.entries.entry(key.to_owned()).and_compute_with(|current| {
            let entry = match current.map(moka::Entry::into_value).filter(|e| e.expires_at > now) {
                Some(Entry { value: Value::Counter(n), expires_at }) => {
                    Entry { value: Value::Counter(n + 1), expires_at }
                }
                _ => Entry::new(Value::Counter(1), ttl),
            };
            Op::Put(entry)
        });
        let entry = result.into_entry().map(moka::Entry::into_value);
        match entry {
            Some(Entry { value: Value::Counter(n), expires_at }) => {
                Ok((n, expires_at.saturating_duration_since(now).as_secs()))
            }
            _ => Err(CacheError::Command(format!("{key}: counter not written"))),
        }
    }

    async fn push(&self, key: &str, value: &str, ttl: Ttl) -> Result<u64, CacheError> {
        let now = Instant::now();
        let result = self.entries.entry(key.to_owned()).and_compute_with(|current| {
            let mut list = match current.map(moka::Entry::into_value).filter(|e| e.expires_at > now) {
                Some(Entry { value: Value::List(items), .. }) => items,
                _ => Vec::new(),
            };
            list.push(value.to_owned());
            // Like Redis's EXPIRE after RPUSH: every push sets the list's TTL anew.
            Op::Put(Entry::new(Value::List(list), ttl))
        });
        match result.into_entry().map(|e| e.into_value().value) {
            Some(Value::List(items)) => Ok(items.len() as u64),
            _ => Err(CacheError::Command(format!("{key}: list not written"))),
        }
    }

    async fn list(&self, key: &str) -> Result<Vec<String>, CacheError> {
        Ok(match self.live(key).map(|e| e.value) {
            Some(Value::List(items)) => items,
            _ => Vec::new(),
        })
    }

    async fn ping(&self) -> Result<(), CacheError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ttl(secs: u64) -> Ttl {
        Ttl::new(Duration::from_secs(secs)).unwrap()
    }

    #[tokio::test]
    async fn values_counters_and_lists_behave_as_in_redis() {
        let cache = MemoryCache::default();
        cache.set("a", "1", ttl(60)).await.unwrap();
        assert_eq!(cache.get("a").await.unwrap().as_deref(), Some("1"));
        cache.delete("a").await.unwrap();
        assert_eq!(cache.get("a").await.unwrap(), None);

        assert_eq!(cache.incr_window("n", ttl(60)).await.unwrap().0, 1);
        let (count, left) = cache.incr_window("n", ttl(5)).await.unwrap();
        assert_eq!(count, 2);
        assert!(left > 5 && left <= 60, "the window keeps its first TTL: {left}");

        assert_eq!(cache.push("l", "x", ttl(60)).await.unwrap(), 1);
        assert_eq!(cache.push("l", "y", ttl(60)).await.unwrap(), 2);
        assert_eq!(cache.list("l").await.unwrap(), ["x", "y"]);
        assert!(cache.ttls().iter().all(|(_, left)| *left > 0 && *left <= 60), "every entry has a TTL");
    }

    #[tokio::test]
    async fn entries_expire_after_their_ttl() {
        let cache = MemoryCache::default();
        cache.set("short", "v", ttl(1)).await.unwrap();
        assert_eq!(cache.incr_window("w", ttl(1)).await.unwrap().0, 1);
        tokio::time::sleep(Duration::from_millis(1100)).await;
        assert_eq!(cache.get("short").await.unwrap(), None);
        assert_eq!(cache.incr_window("w", ttl(1)).await.unwrap().0, 1, "a new window starts");
    }
}

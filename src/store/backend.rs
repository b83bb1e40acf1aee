//! What a storage backend provides besides reads and writes: its kind, migrations, the
//! one-poller-per-bot lock, the stream of changes for consoles, and closing.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// Which backend a store runs on (shown by `check-config` and the settings screen).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BackendKind {
    Postgres,
    Sqlite,
}

impl BackendKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Postgres => "postgres",
            Self::Sqlite => "sqlite",
        }
    }
}

/// One change: what happened (`post_created`, `post_decided`, `post_claimed`, …) and to which
/// post. `resync` means changes may have been missed: refresh everything.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeEvent {
    pub event: String,
    pub post_id: Option<i64>,
}

/// The outcome of trying to become the one process that polls a bot token.
pub enum PollLock {
    /// This process holds the lock until the guard is released (or the process ends).
    Acquired(Box<dyn PollLockGuard>),
    /// Another process holds it; who, as far as the backend can tell.
    HeldBy(String),
}

/// A held polling lock.
#[async_trait]
pub trait PollLockGuard: Send + Sync {
    /// Gives the lock back (a process that dies loses it too).
    async fn release(self: Box<Self>);
}

/// How a process names itself to other processes that find its lock held:
/// `postgate HOST pid N`.
pub fn holder_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown-host".into());
    format!("postgate {host} pid {}", std::process::id())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_holder_is_named_by_this_machines_host_name_and_pid() {
        let name = holder_name();
        assert!(name.starts_with("postgate "), "{name}");
        assert!(name.ends_with(&format!(" pid {}", std::process::id())), "{name}");
        if let Ok(host) = std::fs::read_to_string("/proc/sys/kernel/hostname") {
            assert!(name.contains(host.trim()), "{name}");
        }
        assert!(!name.contains("unknown-host") || std::fs::metadata("/proc/sys/kernel/hostname").is_err());
    }
}

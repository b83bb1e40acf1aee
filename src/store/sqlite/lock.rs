//! One process per SQLite file: an OS lock on `<file>.lock`, taken when the store opens and
//! held until the process ends, with the holder's name written inside for whoever is refused.
//! Also the in-process change stream (a broadcast) the console listens to.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use async_trait::async_trait;
use futures::StreamExt;
use futures::stream::BoxStream;
use tokio::sync::broadcast;

use crate::store::{ChangeEvent, PollLockGuard, StoreError, holder_name};

/// The held lock; released when dropped (the OS releases it when the process dies, too).
#[derive(Debug)]
pub struct FileLock {
    _file: File,
}

impl FileLock {
    /// Takes the lock beside `db`, or says who holds it.
    pub fn take(db: &Path) -> Result<Self, StoreError> {
        let mut name = db.as_os_str().to_owned();
        name.push(".lock");
        let lock_path = Path::new(&name);
        let unavailable = |e: std::io::Error| StoreError::Unavailable(format!("{}: {e}", lock_path.display()));
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(lock_path)
            .map_err(unavailable)?;
        match file.try_lock() {
            Ok(()) => {
                let since = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ");
                file.set_len(0).map_err(unavailable)?;
                file.seek(SeekFrom::Start(0)).map_err(unavailable)?;
                write!(file, "{} since {since}", holder_name()).map_err(unavailable)?;
                file.flush().map_err(unavailable)?;
                Ok(Self { _file: file })
            }
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder =
                    if holder.trim().is_empty() { "another process".to_owned() } else { holder.trim().to_owned() };
                Err(StoreError::InUse { path: db.display().to_string(), holder })
            }
            Err(TryLockError::Error(e)) => Err(unavailable(e)),
        }
    }
}

/// The polling lock of a store whose file is already this process's alone.
pub struct Unlocked;

#[async_trait]
impl PollLockGuard for Unlocked {
    async fn release(self: Box<Self>) {}
}

/// The broadcast as a stream; a listener that fell behind is told to resync.
pub fn broadcast_stream(receiver: broadcast::Receiver<ChangeEvent>) -> BoxStream<'static, ChangeEvent> {
    futures::stream::unfold(receiver, |mut receiver| async move {
        match receiver.recv().await {
            Ok(event) => Some((event, receiver)),
            Err(broadcast::error::RecvError::Lagged(missed)) => {
                tracing::warn!(missed, "change listener fell behind; asking for a resync");
                Some((ChangeEvent { event: "resync".to_owned(), post_id: None }, receiver))
            }
            Err(broadcast::error::RecvError::Closed) => None,
        }
    })
    .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_opener_is_refused_with_the_holders_name() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("postgate.db");
        let held = FileLock::take(&db).unwrap();
        match FileLock::take(&db) {
            Err(StoreError::InUse { path, holder }) => {
                assert!(path.ends_with("postgate.db"), "{path}");
                assert!(holder.starts_with("postgate ") && holder.contains(" since "), "{holder}");
            }
            other => panic!("expected InUse, got {other:?}"),
        }
        drop(held);
        FileLock::take(&db).expect("free again once released");
    }
}

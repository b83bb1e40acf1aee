//! A bounded on-disk cache of media files for previews: each file is downloaded once (streamed
//! to a temporary file in the cache directory, then renamed into place), served from disk after
//! that, and the least recently used files are removed when the cache grows past its bound.
//! The folder is private (`private_fs`: 0700, ours, not a symlink) and a cached entry that is
//! anything but a plain file is not served: another local user cannot swap a preview.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use teloxide::Bot;

use crate::media::{MediaError, MediaFetcher};

/// Media previews on disk, at most `max_bytes` in total.
#[derive(Clone, Debug)]
pub struct MediaCache {
    fetcher: MediaFetcher,
    max_bytes: u64,
}

/// A file name derived from Telegram's `file_unique_id`, or `None` when it has characters a
/// file name must not carry (it comes from an API answer, so it is checked, not trusted).
fn file_name(file_unique_id: &str) -> Option<String> {
    let ok = !file_unique_id.is_empty()
        && file_unique_id.len() <= 128
        && file_unique_id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    ok.then(|| format!("m-{file_unique_id}"))
}

impl MediaCache {
    /// `dir` is created when missing; downloads larger than `max_file_bytes` are refused.
    pub fn new(dir: impl Into<PathBuf>, max_bytes: u64, max_file_bytes: u64) -> Self {
        Self { fetcher: MediaFetcher::new(dir, max_file_bytes), max_bytes }
    }

    pub fn dir(&self) -> &Path {
        self.fetcher.temp_dir()
    }

    /// The cached file for a media item, downloading it first when needed.
    pub async fn get(&self, bot: &Bot, file_unique_id: &str, file_id: &str) -> Result<PathBuf, MediaError> {
        let name = file_name(file_unique_id).ok_or_else(|| MediaError::Temp {
            dir: self.dir().display().to_string(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "unusable file_unique_id"),
        })?;
        let path = self.dir().join(name);
        let (hit, dir) = (path.clone(), self.dir().to_owned());
        let found = tokio::task::spawn_blocking(move || {
            crate::private_fs::ensure_private_dir(&dir)?;
            // A plain file only (never a link out of the folder); touched on use, so eviction
            // removes the least recently *used* files.
            let plain = std::fs::symlink_metadata(&hit).is_ok_and(|m| m.is_file());
            Ok::<_, MediaError>(
                plain
                    && std::fs::File::options()
                        .append(true)
                        .open(&hit)
                        .and_then(|f| f.set_modified(SystemTime::now()))
                        .is_ok(),
            )
        })
        .await
        .map_err(|e| MediaError::Join(e.to_string()))??;
        if found {
            return Ok(path);
        }
        let temp = self.fetcher.download(bot, file_id).await?;
        let (target, dir, max) = (path.clone(), self.dir().to_owned(), self.max_bytes);
        tokio::task::spawn_blocking(move || {
            temp.persist(&target).map_err(|e| e.error)?;
            evict(&dir, max, &target)
        })
        .await
        .map_err(|e| MediaError::Join(e.to_string()))?
        .map_err(|source| MediaError::Temp { dir: self.dir().display().to_string(), source })?;
        Ok(path)
    }
}

/// Removes the least recently used cached files until the total fits `max_bytes`, never
/// the file just added (blocking: run on the blocking pool).
fn evict(dir: &Path, max_bytes: u64, keep: &Path) -> std::io::Result<()> {
    let mut files: Vec<(SystemTime, u64, PathBuf)> = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let meta = entry.metadata()?;
        let cached = entry.file_name().to_string_lossy().starts_with("m-");
        if meta.is_file() && cached {
            files.push((meta.modified()?, meta.len(), entry.path()));
        }
    }
    let mut total: u64 = files.iter().map(|(_, len, _)| len).sum();
    files.sort_by_key(|(modified, _, _)| *modified);
    for (_, len, path) in files {
        if total <= max_bytes {
            break;
        }
        if path != keep {
            std::fs::remove_file(&path)?;
            total -= len;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_ids_become_file_names() {
        assert_eq!(file_name("AQADq_-9").as_deref(), Some("m-AQADq_-9"));
        for bad in ["", "../etc/passwd", "a/b", "a b", "ä"] {
            assert_eq!(file_name(bad), None, "{bad}");
        }
    }

    #[test]
    fn eviction_drops_the_oldest_until_the_bound_holds() {
        let dir = tempfile::tempdir().unwrap();
        let now = SystemTime::now();
        for (i, name) in ["m-a", "m-b", "m-c"].iter().enumerate() {
            let path = dir.path().join(name);
            std::fs::write(&path, vec![0u8; 100]).unwrap();
            let age = std::time::Duration::from_secs(100 - 10 * i as u64);
            std::fs::File::options().append(true).open(&path).unwrap().set_modified(now - age).unwrap();
        }
        std::fs::write(dir.path().join("other"), vec![0u8; 500]).unwrap();
        evict(dir.path(), 200, &dir.path().join("m-a")).unwrap();
        let left: Vec<String> = {
            let mut v: Vec<String> = std::fs::read_dir(dir.path())
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            v.sort();
            v
        };
        assert_eq!(left, ["m-a", "m-c", "other"], "oldest evicted except the one kept; foreign files untouched");
    }
}

//! Media files from Telegram: streamed to temporary files (never held in memory), hashed off
//! the async workers, and removed after use — also when anything fails on the way.
//!
//! Used to fingerprint submissions (SHA-256, to flag re-posted media to moderators) and, by
//! the console, to preview media.

use std::fmt::Write as _;
use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use teloxide::net::Download;
use teloxide::prelude::*;
use teloxide::types::FileId;
use teloxide::{Bot, RequestError};
use tokio::io::AsyncWriteExt;

/// Media failures.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    #[error("telegram: {0}")]
    Telegram(#[from] RequestError),
    #[error("download failed: {0}")]
    Download(#[from] teloxide::DownloadError),
    #[error("file is {size} bytes, over the {max}-byte limit")]
    TooLarge { size: u64, max: u64 },
    #[error("temporary file in {dir}: {source}")]
    Temp { dir: String, source: std::io::Error },
    #[error("hashing was interrupted: {0}")]
    Join(String),
    #[error("media folder: {0}")]
    Folder(#[from] crate::private_fs::PrivateFsError),
}

/// A file's SHA-256 (hex) and size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint {
    pub sha256: String,
    pub size: u64,
}

/// Downloads through the one shared client into a private temporary directory.
#[derive(Clone, Debug)]
pub struct MediaFetcher {
    temp_dir: PathBuf,
    max_bytes: u64,
}

impl MediaFetcher {
    /// `temp_dir` is created (0700) when missing and checked before every download (ours, not a
    /// symlink: another local user must not plant or swap files there); files larger than
    /// `max_bytes` are refused before downloading (the Bot API itself serves at most 20 MB).
    pub fn new(temp_dir: impl Into<PathBuf>, max_bytes: u64) -> Self {
        Self { temp_dir: temp_dir.into(), max_bytes }
    }

    pub fn temp_dir(&self) -> &Path {
        &self.temp_dir
    }

    fn temp_error(&self, source: std::io::Error) -> MediaError {
        MediaError::Temp { dir: self.temp_dir.display().to_string(), source }
    }

    /// Streams a file into a new temporary file, which is deleted when the returned handle
    /// drops (including when this function fails half-way).
    pub async fn download(&self, bot: &Bot, file_id: &str) -> Result<tempfile::NamedTempFile, MediaError> {
        let file = bot.get_file(FileId(file_id.to_owned())).await?;
        let size = u64::from(file.meta.size);
        if size > self.max_bytes {
            return Err(MediaError::TooLarge { size, max: self.max_bytes });
        }
        let dir = self.temp_dir.clone();
        let temp = tokio::task::spawn_blocking(move || {
            crate::private_fs::ensure_private_dir(&dir)?;
            Ok::<_, MediaError>(tempfile::Builder::new().prefix("media-").tempfile_in(&dir))
        })
        .await
        .map_err(|e| MediaError::Join(e.to_string()))??
        .map_err(|e| self.temp_error(e))?;
        let mut out = tokio::fs::File::from_std(temp.reopen().map_err(|e| self.temp_error(e))?);
        bot.download_file(&file.path, &mut out).await?;
        out.flush().await.map_err(|e| self.temp_error(e))?;
        Ok(temp)
    }

    /// Downloads a file and hashes it on the blocking pool; the temporary file is gone when
    /// this returns, whatever happened.
    pub async fn fingerprint(&self, bot: &Bot, file_id: &str) -> Result<Fingerprint, MediaError> {
        let temp = self.download(bot, file_id).await?;
        tokio::task::spawn_blocking(move || sha256_file(temp.path()))
            .await
            .map_err(|e| MediaError::Join(e.to_string()))?
            .map_err(|e| self.temp_error(e))
    }
}

/// SHA-256 of a file, read in 64 KiB blocks (blocking: call from the blocking pool).
pub fn sha256_file(path: &Path) -> std::io::Result<Fingerprint> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        size += n as u64;
    }
    let sha256 = hasher.finalize().iter().fold(String::with_capacity(64), |mut hex, b| {
        let _ = write!(hex, "{b:02x}");
        hex
    });
    Ok(Fingerprint { sha256, size })
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    #[test]
    fn hashes_match_the_known_digest() {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(b"abc").unwrap();
        let fp = sha256_file(f.path()).unwrap();
        assert_eq!(fp.sha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(fp.size, 3);
    }
}

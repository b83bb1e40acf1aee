//! The bot's switch: status, start, stop — the same `AppState` methods the tray menu calls —
//! and the database's health for the header.

use postgate::runtime::BotState;
use serde::Serialize;
use tauri::State;

use crate::error::CommandError;
use crate::state::AppState;

/// The bot's state, how much outbox work waits, updates handled, and the newest log lines.
#[derive(Debug, Serialize)]
pub struct BotStatus {
    pub state: BotState,
    pub outbox_backlog: i64,
    pub updates_handled: u64,
    /// The last lines of the newest log file in `LOG_DIR` (JSON lines), oldest first.
    pub log_tail: Vec<String>,
}

/// Lines of the log tail the panel shows.
const LOG_TAIL_LINES: usize = 30;
/// How far back from the end the tail reads at most: the panel asks every 30 s, and a day's
/// log can be hundreds of megabytes; 30 JSON lines fit many times over.
const LOG_TAIL_BYTES: u64 = 256 * 1024;
/// Read size while walking back from the end.
const LOG_TAIL_BLOCK: u64 = 16 * 1024;

#[tauri::command]
pub async fn bot_status(state: State<'_, AppState>) -> Result<BotStatus, CommandError> {
    let outbox_backlog = state.services.store.outbox_backlog().await?;
    let dir = state.services.config.log.dir.clone();
    let log_tail = tokio::task::spawn_blocking(move || log_tail(&dir, LOG_TAIL_LINES)).await.unwrap_or_default();
    Ok(BotStatus {
        state: state.runtime.status(),
        outbox_backlog,
        updates_handled: state.services.metrics.updates_handled.load(std::sync::atomic::Ordering::Relaxed),
        log_tail,
    })
}

/// The last `n` lines of the most recently modified `postgate*` log file (blocking).
fn log_tail(dir: &std::path::Path, n: usize) -> Vec<String> {
    let newest = std::fs::read_dir(dir).ok().and_then(|entries| {
        entries
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with("postgate"))
            .filter_map(|e| e.metadata().and_then(|m| m.modified()).ok().map(|t| (t, e.path())))
            .max_by_key(|(t, _)| *t)
    });
    let Some((_, path)) = newest else { return Vec::new() };
    std::fs::File::open(path).and_then(|file| tail_lines(file, n, LOG_TAIL_BYTES)).unwrap_or_default()
}

/// The last `n` lines of `file`, read backwards from its end in blocks, never more than
/// `max_bytes` (a first line cut by that bound is dropped).
fn tail_lines(mut file: std::fs::File, n: usize, max_bytes: u64) -> std::io::Result<Vec<String>> {
    use std::io::{Read, Seek, SeekFrom};
    let len = file.metadata()?.len();
    let floor = len.saturating_sub(max_bytes);
    let mut start = len;
    let mut buf: Vec<u8> = Vec::new();
    let mut newlines = 0;
    // n lines need n + 1 newlines before them (the file's last newline ends the last line).
    while start > floor && newlines <= n {
        let from = start.saturating_sub(LOG_TAIL_BLOCK).max(floor);
        let mut block = vec![0u8; usize::try_from(start - from).unwrap_or(0)];
        file.seek(SeekFrom::Start(from))?;
        file.read_exact(&mut block)?;
        newlines += count_newlines(&block);
        block.extend_from_slice(&buf);
        buf = block;
        start = from;
    }
    let text = String::from_utf8_lossy(&buf);
    let mut lines: Vec<&str> = text.lines().collect();
    if start > 0 && !lines.is_empty() {
        lines.remove(0); // begins mid-line
    }
    Ok(lines[lines.len().saturating_sub(n)..].iter().map(|l| (*l).to_owned()).collect())
}

/// Newlines in one block of at most 16 KiB, every 30 s: a plain count needs no extra crate.
#[allow(clippy::naive_bytecount)]
fn count_newlines(block: &[u8]) -> usize {
    block.iter().filter(|b| **b == b'\n').count()
}

#[cfg(test)]
mod tests {
    use super::{log_tail, tail_lines};

    #[test]
    fn the_tail_is_read_from_the_end_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("postgate.log");
        // 4 MB of log: far more than the tail may read.
        let mut text = "x".repeat(4 << 20);
        text.push('\n');
        text.extend((1..=40).map(|i| format!("line {i}\n")));
        std::fs::write(&path, &text).unwrap();
        let tail = tail_lines(std::fs::File::open(&path).unwrap(), 3, 64 * 1024).unwrap();
        assert_eq!(tail, ["line 38", "line 39", "line 40"]);
        let all = tail_lines(std::fs::File::open(&path).unwrap(), 100, 64 * 1024).unwrap();
        assert_eq!(all.len(), 40, "the cut first line is dropped, never a 64 KiB fragment");
        std::fs::write(&path, "a\nb").unwrap();
        assert_eq!(tail_lines(std::fs::File::open(&path).unwrap(), 5, 1024).unwrap(), ["a", "b"]);
    }

    #[test]
    fn the_tail_comes_from_the_newest_log_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("postgate.2026-11-27.log"), "old\n").unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        let lines = (1..=40).map(|i| format!("line {i}")).collect::<Vec<_>>().join("\n");
        std::fs::write(dir.path().join("postgate.2026-11-28.log"), lines).unwrap();
        std::fs::write(dir.path().join("unrelated.txt"), "x\n").unwrap();
        let tail = log_tail(dir.path(), 3);
        assert_eq!(tail, ["line 38", "line 39", "line 40"]);
        assert!(log_tail(&dir.path().join("missing"), 3).is_empty());
    }
}

/// Whether the database answers, as this process last found it (reads nothing from it, so it
/// answers during an outage).
#[tauri::command]
#[allow(clippy::needless_pass_by_value)] // Tauri hands command arguments over by value
pub fn database_health(state: State<'_, AppState>) -> postgate::health::DbHealth {
    state.services.health.current()
}

#[tauri::command]
pub async fn bot_start(state: State<'_, AppState>) -> Result<BotState, CommandError> {
    state.start_bot().await
}

#[tauri::command]
pub async fn bot_stop(state: State<'_, AppState>) -> Result<BotState, CommandError> {
    Ok(state.stop_bot().await)
}

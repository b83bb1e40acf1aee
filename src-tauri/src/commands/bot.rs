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
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].iter().map(|l| (*l).to_owned()).collect()
}

#[cfg(test)]
mod tests {
    use super::log_tail;

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

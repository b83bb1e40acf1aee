//! `postgate import bans FILE`: reads a ban list off the async workers and streams it to the
//! store in chunks; malformed lines are reported with their line numbers, never skipped silently.
//!
//! Format: one ban per line, `user_id` or `user_id,reason`; blank lines, `#` comments and a
//! `user_id,…` header are ignored. A line longer than [`MAX_LINE_BYTES`] is reported and skipped
//! without being held in memory; a line with a NUL byte (which `PostgreSQL` text cannot hold, so
//! it would roll the whole import back) is reported with its number and the rest imported.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::store::{BanImportRow, ImportCounts, Store, StoreError};

/// Rows per chunk sent to the database.
const CHUNK: usize = 10_000;
/// Longest accepted reason, in characters.
const MAX_REASON_CHARS: usize = 1000;
/// Longest line kept in memory: an id, a comma and the longest reason in 4-byte characters,
/// with room for quotes and spaces. Anything longer is reported, never buffered whole.
pub const MAX_LINE_BYTES: usize = 8 * 1024;

/// Import failures.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the file reader stopped unexpectedly: {0}")]
    Reader(String),
}

/// A line that could not be imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Malformed {
    pub line: u64,
    pub problem: String,
}

/// What an import did, with exact counts.
#[derive(Debug, Clone, Serialize)]
pub struct ImportReport {
    /// Data lines read (not counting blanks, comments and the header).
    pub data_lines: u64,
    pub valid: u64,
    pub malformed: Vec<Malformed>,
    pub counts: ImportCounts,
}

/// Parses one data line.
pub fn parse_ban_line(line: &str) -> Result<BanImportRow, String> {
    let (id, reason) = line.split_once(',').unwrap_or((line, ""));
    let user_id = match id.trim().parse::<i64>() {
        Ok(id) if id > 0 => id,
        _ => return Err(format!("{:?} is not a positive Telegram user id", id.trim())),
    };
    let reason = reason.trim().trim_matches('"').trim().to_owned();
    if reason.chars().count() > MAX_REASON_CHARS {
        return Err(format!("reason longer than {MAX_REASON_CHARS} characters"));
    }
    Ok(BanImportRow { user_id, reason })
}

struct ReadSummary {
    data_lines: u64,
    malformed: Vec<Malformed>,
}

/// What one call to [`read_line`] found.
enum Line {
    End,
    /// The line (with its newline) is in the buffer.
    Read,
    /// The line was longer than [`MAX_LINE_BYTES`]; the rest of it was skipped.
    TooLong,
}

/// Reads one line into `raw`, keeping at most `MAX_LINE_BYTES` of it: a longer line is read
/// to its end in the reader's own buffer and dropped.
fn read_line(reader: &mut impl BufRead, raw: &mut Vec<u8>) -> std::io::Result<Line> {
    let mut too_long = false;
    loop {
        let available = match reader.fill_buf() {
            Ok(buf) => buf,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            return Ok(if too_long {
                Line::TooLong
            } else if raw.is_empty() {
                Line::End
            } else {
                Line::Read
            });
        }
        let (used, done) = match available.iter().position(|b| *b == b'\n') {
            Some(i) => (i + 1, true),
            None => (available.len(), false),
        };
        if !too_long {
            if raw.len() + used > MAX_LINE_BYTES + 1 {
                too_long = true;
                raw.clear();
            } else {
                raw.extend_from_slice(&available[..used]);
            }
        }
        reader.consume(used);
        if done {
            return Ok(if too_long { Line::TooLong } else { Line::Read });
        }
    }
}

/// Reads the file on a blocking thread, sending chunks of valid rows.
fn read_file(path: &Path, tx: &tokio::sync::mpsc::Sender<Vec<BanImportRow>>) -> Result<ReadSummary, ImportError> {
    let read_err = |source| ImportError::Read { path: path.to_owned(), source };
    let mut reader = BufReader::new(File::open(path).map_err(read_err)?);
    let mut summary = ReadSummary { data_lines: 0, malformed: Vec::new() };
    let mut chunk = Vec::with_capacity(CHUNK);
    let mut raw = Vec::new();
    let mut line_no = 0u64;
    let mut seen_data = false;
    loop {
        raw.clear();
        let read = read_line(&mut reader, &mut raw).map_err(read_err)?;
        if matches!(read, Line::End) {
            break;
        }
        line_no += 1;
        let problem = if matches!(read, Line::TooLong) {
            Some(format!("line longer than {MAX_LINE_BYTES} bytes"))
        } else if raw.contains(&0) {
            Some("contains a NUL byte".to_owned())
        } else {
            None
        };
        if let Some(problem) = problem {
            seen_data = true;
            summary.data_lines += 1;
            summary.malformed.push(Malformed { line: line_no, problem });
            continue;
        }
        let Ok(line) = std::str::from_utf8(&raw) else {
            summary.data_lines += 1;
            summary.malformed.push(Malformed { line: line_no, problem: "not valid UTF-8".into() });
            continue;
        };
        // Spreadsheet exports start with a byte-order mark; it is not part of the header.
        let line = if line_no == 1 { line.trim_start_matches('\u{feff}') } else { line }.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if !seen_data && line.to_ascii_lowercase().starts_with("user_id") {
            seen_data = true;
            continue;
        }
        seen_data = true;
        summary.data_lines += 1;
        match parse_ban_line(line) {
            Ok(row) => chunk.push(row),
            Err(problem) => summary.malformed.push(Malformed { line: line_no, problem }),
        }
        if chunk.len() == CHUNK && tx.blocking_send(std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK))).is_err() {
            return Ok(summary); // the receiver failed; its error is reported instead
        }
    }
    if !chunk.is_empty() {
        let _ = tx.blocking_send(chunk);
    }
    Ok(summary)
}

/// Imports a ban list file. Reading and parsing run on a blocking thread; at most a few
/// chunks are in memory at once, whatever the file's size.
pub async fn import_bans_file(store: &dyn Store, path: &Path) -> Result<ImportReport, ImportError> {
    let (tx, rx) = tokio::sync::mpsc::channel::<Vec<BanImportRow>>(4);
    let owned = path.to_owned();
    let reader = tokio::task::spawn_blocking(move || read_file(&owned, &tx));
    let stream = futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|c| (c, rx)) });
    let stored = store.import_bans(Box::pin(stream)).await;
    let summary = reader.await.map_err(|e| ImportError::Reader(e.to_string()))??;
    let counts = stored?;
    let valid = summary.data_lines - summary.malformed.len() as u64;
    if counts.received != valid {
        return Err(StoreError::CountMismatch { sent: valid, received: counts.received }.into());
    }
    for m in summary.malformed.iter().take(20) {
        tracing::warn!(line = m.line, problem = %m.problem, "malformed line not imported");
    }
    Ok(ImportReport { data_lines: summary.data_lines, valid, malformed: summary.malformed, counts })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_are_cut_off_and_the_next_line_is_read_whole() {
        let long = format!("1,{}\n2,ok\n3", "x".repeat(3 * MAX_LINE_BYTES));
        // A tiny buffer: the long line arrives in many pieces.
        let mut reader = BufReader::with_capacity(16, long.as_bytes());
        let mut raw = Vec::new();
        assert!(matches!(read_line(&mut reader, &mut raw).unwrap(), Line::TooLong));
        assert!(raw.capacity() <= 2 * MAX_LINE_BYTES, "never held whole: {}", raw.capacity());
        raw.clear();
        assert!(matches!(read_line(&mut reader, &mut raw).unwrap(), Line::Read));
        assert_eq!(raw, b"2,ok\n");
        raw.clear();
        assert!(matches!(read_line(&mut reader, &mut raw).unwrap(), Line::Read));
        assert_eq!(raw, b"3");
        raw.clear();
        assert!(matches!(read_line(&mut reader, &mut raw).unwrap(), Line::End));
        let exact = format!("{}\n", "1".repeat(MAX_LINE_BYTES));
        assert!(matches!(read_line(&mut BufReader::new(exact.as_bytes()), &mut raw).unwrap(), Line::Read));
    }

    #[test]
    fn lines_parse_with_or_without_reason() {
        assert_eq!(parse_ban_line("42"), Ok(BanImportRow { user_id: 42, reason: String::new() }));
        assert_eq!(parse_ban_line(" 7 , spam, again "), Ok(BanImportRow { user_id: 7, reason: "spam, again".into() }));
        assert!(parse_ban_line("abc,spam").is_err());
        assert!(parse_ban_line("-5").is_err());
        assert!(parse_ban_line(&format!("1,{}", "x".repeat(1001))).is_err());
    }
}

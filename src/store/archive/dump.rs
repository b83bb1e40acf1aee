//! The `PostgreSQL` backup format, version 1 — the app's own tables, readable without `pg_dump`:
//!
//! ```text
//! PostGate backup
//! format 1
//! backend postgres
//! schema <latest migration applied>
//! taken <RFC 3339 UTC>
//! table <name> <rows> <last id given, or -> <column,column,…>
//! <rows in COPY's text format: one line each, tab-separated, \N for NULL>
//! \.
//! … one section per table, parents first …
//! end <SHA-256 of every byte before this line, hex>
//! ```
//!
//! Written from one `REPEATABLE READ` transaction (every table from the same snapshot), read
//! back whole before it is kept; a file cut short has no `end` line, a changed byte fails the
//! hash, and a file of another program fails on its first line.

use std::io::{BufRead, BufReader};
use std::path::Path;

use chrono::{DateTime, SecondsFormat, Utc};
use futures::TryStreamExt;
use sha2::{Digest, Sha256};
use sqlx::{AssertSqlSafe, Connection};
use tokio::io::AsyncWriteExt;

use super::{ArchiveError, BackupReport, TableCounts};
use crate::config::DatabaseConfig;
use crate::store::StoreError;
use crate::store::migrate_data::tables::TABLES;

/// The first line of every backup in this format.
pub(super) const MAGIC: &str = "PostGate backup\n";
const FORMAT: u32 = 1;
/// Row bytes handed to a restore's COPY at a time.
const CHUNK_BYTES: usize = 1 << 20;

/// One table's section.
#[derive(Debug, Clone)]
pub(super) struct Section {
    pub name: String,
    pub rows: u64,
    /// The last id its sequence gave (`None`: no sequence, or never used).
    pub last_id: Option<i64>,
    pub columns: Vec<String>,
}

/// What a whole, verified file holds.
#[derive(Debug, Clone)]
pub(super) struct Contents {
    pub sections: Vec<Section>,
}

impl Contents {
    pub fn counts(&self) -> TableCounts {
        TableCounts { tables: self.sections.iter().map(|s| (s.name.clone(), s.rows)).collect() }
    }
}

/// What a reader hands a restore as it goes; `End` only once the whole file checked out.
#[derive(Debug)]
pub(super) enum Piece {
    Table(Section),
    Rows(Vec<u8>),
    End,
}

/// The newest migration of this `PostGate`'s `PostgreSQL` schema.
pub(super) fn schema_version() -> i64 {
    crate::store::postgres::MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0)
}

/// Writes the backup to `temp` (created new) from one snapshot, then reads it back.
pub(super) async fn backup(config: &DatabaseConfig, temp: &Path) -> Result<BackupReport, ArchiveError> {
    let mut conn = super::pg::connect(config).await?;
    let mut tx = conn.begin().await.map_err(StoreError::from)?;
    for statement in [
        "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY",
        "SET LOCAL DateStyle = 'ISO, YMD'",
        "SET LOCAL TimeZone = 'UTC'",
    ] {
        sqlx::query(statement).execute(&mut *tx).await.map_err(StoreError::from)?;
    }
    super::pg::check_columns(&mut tx).await?;
    let taken_at = Utc::now();
    let write_err = |source| ArchiveError::Write { path: temp.to_owned(), source };
    let file = tokio::fs::OpenOptions::new().write(true).create_new(true).open(temp).await.map_err(write_err)?;
    let mut out = tokio::io::BufWriter::with_capacity(CHUNK_BYTES, file);
    let mut hash = Sha256::new();
    let head = format!(
        "{MAGIC}format {FORMAT}\nbackend postgres\nschema {}\ntaken {}\n",
        schema_version(),
        taken_at.to_rfc3339_opts(SecondsFormat::Micros, true)
    );
    hash.update(head.as_bytes());
    out.write_all(head.as_bytes()).await.map_err(write_err)?;
    let mut snapshot = TableCounts::default();
    for table in &TABLES {
        let rows: i64 = sqlx::query_scalar(AssertSqlSafe(format!("SELECT count(*) FROM {}", table.name)))
            .fetch_one(&mut *tx)
            .await
            .map_err(StoreError::from)?;
        let last_id: Option<i64> = if table.serial {
            sqlx::query_scalar("SELECT pg_sequence_last_value(pg_get_serial_sequence($1, 'id')::regclass)")
                .bind(table.name)
                .fetch_one(&mut *tx)
                .await
                .map_err(StoreError::from)?
        } else {
            None
        };
        let columns: Vec<&str> = table.columns.iter().map(|(name, _)| *name).collect();
        let line = format!(
            "table {} {rows} {} {}\n",
            table.name,
            last_id.map_or_else(|| "-".to_owned(), |v| v.to_string()),
            columns.join(",")
        );
        hash.update(line.as_bytes());
        out.write_all(line.as_bytes()).await.map_err(write_err)?;
        let copy = format!("COPY (SELECT {} FROM {} ORDER BY {}) TO STDOUT", columns.join(", "), table.name, table.key);
        let mut stream = tx.copy_out_raw(&copy).await.map_err(StoreError::from)?;
        let mut lines = 0u64;
        while let Some(chunk) = stream.try_next().await.map_err(StoreError::from)? {
            lines += count(&chunk, b'\n') as u64;
            hash.update(&chunk);
            out.write_all(&chunk).await.map_err(write_err)?;
        }
        drop(stream);
        if lines != rows.unsigned_abs() {
            return Err(ArchiveError::Verify(format!("{}: counted {rows} rows, copied {lines}", table.name)));
        }
        hash.update(b"\\.\n");
        out.write_all(b"\\.\n").await.map_err(write_err)?;
        snapshot.tables.push((table.name.to_owned(), lines));
    }
    out.write_all(format!("end {}\n", hex(&hash.finalize())).as_bytes()).await.map_err(write_err)?;
    out.flush().await.map_err(write_err)?;
    out.into_inner().sync_all().await.map_err(write_err)?;
    tx.rollback().await.map_err(StoreError::from)?;
    let _ = conn.close().await;
    let owned = temp.to_owned();
    let contents = tokio::task::spawn_blocking(move || read(&owned, None))
        .await
        .map_err(|e| ArchiveError::Verify(e.to_string()))?
        .map_err(|e| ArchiveError::Verify(e.to_string()))?;
    if contents.counts() != snapshot {
        return Err(ArchiveError::Verify(format!("read back {:?}, wrote {snapshot:?}", contents.counts())));
    }
    let bytes = std::fs::metadata(temp).map_err(|source| ArchiveError::Read { path: temp.to_owned(), source })?.len();
    Ok(BackupReport { path: temp.to_owned(), bytes, format: "postgres", counts: snapshot, taken_at })
}

/// How many times `byte` occurs (COPY's lines and fields; a byte never inside a UTF-8 sequence).
fn count(bytes: &[u8], byte: u8) -> usize {
    bytes.iter().fold(0, |n, b| n + usize::from(*b == byte))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// Reads a file whole and checks it: header, sections against this `PostGate`'s tables, rows
/// per section, the closing hash. With a `sink`, hands over each section and its rows as it
/// goes (a restore's COPY), and `End` only when everything checked out.
pub(super) fn read(path: &Path, sink: Option<&tokio::sync::mpsc::Sender<Piece>>) -> Result<Contents, ArchiveError> {
    let mut r = Reader::open(path)?;
    r.expect(MAGIC.trim_end(), "a PostGate backup's first line")?;
    let format = r.field("format")?;
    if format != FORMAT.to_string() {
        return Err(r.other_version(format!("format {format}"), format!("format {FORMAT}")));
    }
    r.expect("backend postgres", "the backend")?;
    let schema = r.field("schema")?;
    if schema != schema_version().to_string() {
        return Err(r.other_version(schema, schema_version().to_string()));
    }
    let taken = r.field("taken")?;
    DateTime::parse_from_rfc3339(&taken).map_err(|e| r.damaged(format!("taken {taken:?}: {e}")))?;
    let send = |piece| sink.is_none_or(|s| s.blocking_send(piece).is_ok());
    let mut sections = Vec::with_capacity(TABLES.len());
    for table in &TABLES {
        let section = r.section()?;
        let columns: Vec<&str> = table.columns.iter().map(|(name, _)| *name).collect();
        if section.name != table.name || section.columns != columns {
            let why =
                format!("section {} {:?} where {} {columns:?} belongs", section.name, section.columns, table.name);
            return Err(r.damaged(why));
        }
        if !send(Piece::Table(section.clone())) {
            return Err(ArchiveError::Verify("the restore stopped reading".into()));
        }
        let mut chunk = Vec::with_capacity(CHUNK_BYTES);
        let mut rows = 0u64;
        loop {
            let line = r.line()?.ok_or_else(|| r.truncated(format!("in table {} after {rows} rows", table.name)))?;
            if line == b"\\.\n" {
                break;
            }
            let fields = count(&line, b'\t') + 1;
            if fields != columns.len() {
                return Err(r.damaged(format!("table {} row {}: {fields} fields", table.name, rows + 1)));
            }
            rows += 1;
            if sink.is_some() {
                chunk.extend_from_slice(&line);
                if chunk.len() >= CHUNK_BYTES && !send(Piece::Rows(std::mem::take(&mut chunk))) {
                    return Err(ArchiveError::Verify("the restore stopped reading".into()));
                }
            }
        }
        if rows != section.rows {
            return Err(r.damaged(format!("table {}: {rows} rows, its header says {}", table.name, section.rows)));
        }
        if !chunk.is_empty() && !send(Piece::Rows(chunk)) {
            return Err(ArchiveError::Verify("the restore stopped reading".into()));
        }
        sections.push(section);
    }
    r.end()?;
    if !send(Piece::End) {
        return Err(ArchiveError::Verify("the restore stopped reading".into()));
    }
    Ok(Contents { sections })
}

/// Lines of a backup file, hashed as they are read.
struct Reader {
    path: std::path::PathBuf,
    input: BufReader<std::fs::File>,
    hash: Sha256,
}

impl Reader {
    fn open(path: &Path) -> Result<Self, ArchiveError> {
        let file = std::fs::File::open(path).map_err(|source| ArchiveError::Read { path: path.to_owned(), source })?;
        Ok(Self { path: path.to_owned(), input: BufReader::with_capacity(CHUNK_BYTES, file), hash: Sha256::new() })
    }

    fn truncated(&self, why: String) -> ArchiveError {
        ArchiveError::Truncated { path: self.path.clone(), why }
    }

    fn damaged(&self, why: String) -> ArchiveError {
        ArchiveError::Damaged { path: self.path.clone(), why }
    }

    fn other_version(&self, found: String, ours: String) -> ArchiveError {
        ArchiveError::OtherVersion { path: self.path.clone(), found, ours }
    }

    /// The next whole line with its newline, unhashed; `None` at the end of the file. A last
    /// line without a newline is a file cut short.
    fn raw_line(&mut self) -> Result<Option<Vec<u8>>, ArchiveError> {
        let mut line = Vec::new();
        let n = self
            .input
            .read_until(b'\n', &mut line)
            .map_err(|source| ArchiveError::Read { path: self.path.clone(), source })?;
        if n == 0 {
            return Ok(None);
        }
        if line.last() != Some(&b'\n') {
            return Err(self.truncated("its last line is cut off".into()));
        }
        Ok(Some(line))
    }

    fn line(&mut self) -> Result<Option<Vec<u8>>, ArchiveError> {
        let line = self.raw_line()?;
        if let Some(l) = &line {
            self.hash.update(l);
        }
        Ok(line)
    }

    fn text(&mut self, what: &str) -> Result<String, ArchiveError> {
        let line = self.line()?.ok_or_else(|| self.truncated(format!("no {what}")))?;
        String::from_utf8(line)
            .map(|mut s| {
                s.pop();
                s
            })
            .map_err(|_| self.damaged(format!("{what} is not text")))
    }

    fn expect(&mut self, wanted: &str, what: &str) -> Result<(), ArchiveError> {
        let got = self.text(what)?;
        if got == wanted {
            Ok(())
        } else if what.contains("first line") {
            Err(ArchiveError::NotABackup { path: self.path.clone(), why: format!("first line {got:?}") })
        } else {
            Err(self.damaged(format!("{what}: {got:?}")))
        }
    }

    /// `name value` → value.
    fn field(&mut self, name: &str) -> Result<String, ArchiveError> {
        let got = self.text(name)?;
        got.strip_prefix(name)
            .and_then(|v| v.strip_prefix(' '))
            .map(str::to_owned)
            .ok_or_else(|| self.damaged(format!("{name} expected, found {got:?}")))
    }

    fn section(&mut self) -> Result<Section, ArchiveError> {
        let value = self.field("table")?;
        let parts: Vec<&str> = value.split(' ').collect();
        let bad = || self.damaged(format!("table line {value:?}"));
        let [name, rows, last_id, columns] = parts.as_slice() else { return Err(bad()) };
        Ok(Section {
            name: (*name).to_owned(),
            rows: rows.parse().map_err(|_| bad())?,
            last_id: if *last_id == "-" { None } else { Some(last_id.parse().map_err(|_| bad())?) },
            columns: columns.split(',').map(str::to_owned).collect(),
        })
    }

    /// The `end` line: its hash must be that of everything before it, and nothing may follow.
    fn end(&mut self) -> Result<(), ArchiveError> {
        let computed = hex(&std::mem::take(&mut self.hash).finalize());
        let line = self.raw_line()?.ok_or_else(|| self.truncated("no end line".into()))?;
        let line = String::from_utf8_lossy(&line);
        let Some(found) = line.trim_end().strip_prefix("end ") else {
            return Err(self.damaged(format!("end expected, found {:?}", line.trim_end())));
        };
        if found != computed {
            return Err(self.damaged("its content does not match its checksum".into()));
        }
        if self.raw_line()?.is_some() {
            return Err(self.damaged("there is more after its end".into()));
        }
        Ok(())
    }
}

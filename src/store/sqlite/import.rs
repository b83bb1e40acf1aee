//! Bulk import of ban lists on `SQLite`: the rows go into `bans` in one transaction on the
//! writer, a whole batch per statement (the batch is bound as one JSON array, so there is no
//! parameter limit to hit and every batch reuses one prepared statement). `INSERT OR IGNORE`
//! skips users already banned and repeats (the first line wins), and counts what it wrote.

use futures::StreamExt;
use futures::stream::BoxStream;
use tracing::instrument;

use super::super::Db;
use crate::store::{BanImportRow, ImportCounts, StoreError};

/// Rows written per statement. Larger batches gain little (about 1 µs per row either way) and
/// hold more text in memory.
const BATCH_ROWS: usize = 8192;

const INSERT_BATCH: &str = "INSERT OR IGNORE INTO bans (user_id, reason) \
     SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?1) ORDER BY key";

/// Appends `[user_id,"reason"]` to a JSON array being built.
fn push_json(buf: &mut String, row: &BanImportRow) -> Result<(), StoreError> {
    buf.push(if buf.is_empty() { '[' } else { ',' });
    buf.push('[');
    buf.push_str(&row.user_id.to_string());
    buf.push(',');
    let reason = serde_json::to_string(&row.reason).map_err(|e| StoreError::Query(format!("ban reason: {e}")))?;
    buf.push_str(&reason);
    buf.push(']');
    Ok(())
}

#[instrument(skip_all, fields(received, inserted), err)]
pub async fn import_bans(db: &Db, mut rows: BoxStream<'_, Vec<BanImportRow>>) -> Result<ImportCounts, StoreError> {
    let mut tx = db.writer.begin().await?;
    let (mut received, mut inserted) = (0_u64, 0_u64);
    let mut batch = String::new();
    let mut batched = 0_usize;
    while let Some(chunk) = rows.next().await {
        received += chunk.len() as u64;
        for row in &chunk {
            push_json(&mut batch, row)?;
            batched += 1;
            if batched == BATCH_ROWS {
                inserted += write_batch(&mut tx, &mut batch).await?;
                batched = 0;
            }
        }
    }
    if batched > 0 {
        inserted += write_batch(&mut tx, &mut batch).await?;
    }
    tx.commit().await?;
    let span = tracing::Span::current();
    span.record("received", received);
    span.record("inserted", inserted);
    Ok(ImportCounts { received, inserted, skipped_existing: received - inserted })
}

/// Writes the rows gathered in `batch` (a JSON array missing its closing bracket) and empties
/// it; returns how many were new.
async fn write_batch(conn: &mut sqlx::SqliteConnection, batch: &mut String) -> Result<u64, StoreError> {
    batch.push(']');
    let written = sqlx::query(INSERT_BATCH).bind(batch.as_str()).execute(conn).await?.rows_affected();
    batch.clear();
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_become_a_json_array() {
        let mut buf = String::new();
        push_json(&mut buf, &BanImportRow { user_id: 42, reason: "said \"buy\", twice".into() }).unwrap();
        push_json(&mut buf, &BanImportRow { user_id: -7, reason: "четыре\n".into() }).unwrap();
        buf.push(']');
        let parsed: serde_json::Value = serde_json::from_str(&buf).unwrap();
        assert_eq!(parsed, serde_json::json!([[42, "said \"buy\", twice"], [-7, "четыре\n"]]));
    }
}

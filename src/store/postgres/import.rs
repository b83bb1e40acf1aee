//! Bulk import of ban lists: new rows streamed with COPY straight into `bans` inside one
//! transaction, so there is no parameter limit to hit and the counts are exact.

use std::collections::HashSet;

use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use sqlx::PgPool;
use tracing::instrument;

use crate::store::{BanImportRow, ImportCounts, StoreError};

/// Appends one row in `PostgreSQL`'s CSV format (the reason is always quoted).
fn push_csv(buf: &mut Vec<u8>, row: &BanImportRow) {
    buf.extend_from_slice(row.user_id.to_string().as_bytes());
    buf.extend_from_slice(b",\"");
    buf.extend_from_slice(row.reason.replace('"', "\"\"").as_bytes());
    buf.extend_from_slice(b"\"\n");
}

#[instrument(skip_all, fields(received, inserted), err)]
pub async fn import_bans(
    pool: &PgPool,
    mut rows: BoxStream<'_, Vec<BanImportRow>>,
) -> Result<ImportCounts, StoreError> {
    let mut tx = pool.begin().await?;
    // The rows are checked against the bans already stored, then copied straight into `bans`:
    // one write, no staging table. Bans added meanwhile would break that check, so they wait
    // for the import (the ban button waits; submissions only read bans and go on).
    sqlx::query("LOCK TABLE bans IN SHARE ROW EXCLUSIVE MODE").execute(&mut *tx).await?;
    let mut known: HashSet<i64> =
        sqlx::query_scalar::<_, i64>("SELECT user_id FROM bans").fetch(&mut *tx).try_collect().await?;
    let mut copy = tx.copy_in_raw("COPY bans (user_id, reason) FROM STDIN (FORMAT csv)").await?;
    let (mut received, mut sent): (u64, u64) = (0, 0);
    let mut buf = Vec::with_capacity(1 << 20);
    while let Some(chunk) = rows.next().await {
        buf.clear();
        received += chunk.len() as u64;
        // A user already banned, or repeated in the file (the first line wins), is skipped.
        for row in chunk.iter().filter(|row| known.insert(row.user_id)) {
            push_csv(&mut buf, row);
            sent += 1;
        }
        if buf.is_empty() {
            continue;
        }
        if let Err(e) = copy.send(buf.as_slice()).await {
            // Leave the connection usable; the transaction rolls back on drop.
            let _ = copy.abort("import aborted").await;
            return Err(e.into());
        }
    }
    let inserted = copy.finish().await?;
    if inserted != sent {
        return Err(StoreError::CountMismatch { sent, received: inserted });
    }
    tx.commit().await?;
    let span = tracing::Span::current();
    span.record("received", received);
    span.record("inserted", inserted);
    Ok(ImportCounts { received, inserted, skipped_existing: received - inserted })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_reasons() {
        let mut buf = Vec::new();
        push_csv(&mut buf, &BanImportRow { user_id: 42, reason: "said \"buy\", twice".into() });
        assert_eq!(String::from_utf8(buf).unwrap(), "42,\"said \"\"buy\"\", twice\"\n");
    }
}

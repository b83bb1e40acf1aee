//! Bulk import of ban lists: streamed with COPY into a staging table inside one transaction,
//! so there is no parameter limit to hit and the counts are exact.

use futures::StreamExt;
use futures::stream::BoxStream;
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
    sqlx::query("CREATE TEMP TABLE ban_import (user_id BIGINT NOT NULL, reason TEXT NOT NULL) ON COMMIT DROP")
        .execute(&mut *tx)
        .await?;
    let mut copy = tx.copy_in_raw("COPY ban_import (user_id, reason) FROM STDIN (FORMAT csv)").await?;
    let mut sent: u64 = 0;
    let mut buf = Vec::with_capacity(1 << 20);
    while let Some(chunk) = rows.next().await {
        buf.clear();
        for row in &chunk {
            push_csv(&mut buf, row);
        }
        sent += chunk.len() as u64;
        if let Err(e) = copy.send(buf.as_slice()).await {
            // Leave the connection usable; the transaction rolls back on drop.
            let _ = copy.abort("import aborted").await;
            return Err(e.into());
        }
    }
    let received = copy.finish().await?;
    if received != sent {
        return Err(StoreError::CountMismatch { sent, received });
    }
    let inserted = sqlx::query(
        "INSERT INTO bans (user_id, reason) SELECT DISTINCT ON (user_id) user_id, reason FROM ban_import \
         ORDER BY user_id ON CONFLICT (user_id) DO NOTHING",
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
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

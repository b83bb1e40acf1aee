//! The statistics charts on `PostgreSQL`: one query each, bounded by the range's UTC span
//! (`$2`, `$3`). Rows fall into the range's local days (or hours) by `width_bucket` over their
//! UTC starts (`$1`, a binary search per row), not by `AT TIME ZONE` and a text day: at 100 000
//! posts that conversion and the sort on its text cost 150–250 ms a chart, the bucket a few.

use chrono::{DateTime, Utc};
use sqlx::postgres::PgRow;
use sqlx::{PgPool, Row};
use tracing::instrument;

use crate::domain::{RejectReason, Span, StatsRange};
use crate::store::StoreError;
use crate::store::charts::{self, AuthorRow, Chart, ChartData, MIN_DECIDED_FOR_RATE, TOP_AUTHORS};

/// The local day (or hour) of a time column: its 1-based bucket among the starts in `$1`.
fn day(column: &str) -> String {
    format!("width_bucket(p.{column}, $1)")
}

/// The UTC starts of the buckets, then the end of the last.
fn thresholds(spans: impl Iterator<Item = Span>) -> Vec<DateTime<Utc>> {
    let mut out = Vec::new();
    let mut end = None;
    for span in spans {
        out.push(span.start);
        end = Some(span.end);
    }
    out.extend(end);
    out
}

/// Rows keyed by a day bucket, keyed by the day's text instead.
fn by_day<R>(range: &StatsRange, rows: Vec<(i32, R)>) -> Vec<(String, R)> {
    let days: Vec<String> = range.days().map(|d| d.to_string()).collect();
    rows.into_iter()
        .filter_map(|(b, r)| usize::try_from(b).ok().and_then(|b| days.get(b.wrapping_sub(1))).map(|d| (d.clone(), r)))
        .collect()
}

/// Whole seconds from arrival to `column`.
fn secs(column: &str) -> String {
    format!("round(extract(epoch FROM p.{column} - p.arrived_at))::bigint")
}

/// Nearest-rank percentiles (the ⌈p·n⌉-th smallest), as `percentile_disc` computes them and
/// as the SQLite side picks them by row number; 0.9 × n rounds to the right integer in floating
/// point for every n under 100 000 (checked), so both agree.
const MEDIAN: &str = "0.5";
const P90: &str = "0.9";

/// Count, median and p90 per day of `column`: one sort per day inside its group
/// (`row_number()` over all days sorted every row of the range at once).
fn times_sql(column: &str) -> String {
    format!(
        "SELECT {day}, count(*), percentile_disc({MEDIAN}) WITHIN GROUP (ORDER BY {secs}), \
           percentile_disc({P90}) WITHIN GROUP (ORDER BY {secs}) \
         FROM posts p WHERE p.{column} >= $2 AND p.{column} < $3 GROUP BY 1",
        day = day(column),
        secs = secs(column),
    )
}

const STATUSES: [&str; 5] = ["published", "approved", "publish_failed", "pending", "rejected"];

/// Posts per day bucket by status and by reject reason template, one group per day (grouped
/// by status and reason as well, the planner sorted 100 000 rows instead of hashing 90).
fn submissions_sql() -> String {
    use std::fmt::Write as _;
    let mut columns = String::new();
    for status in STATUSES {
        let _ = write!(columns, ", count(*) FILTER (WHERE p.status = '{status}')");
    }
    for template in RejectReason::TEMPLATES {
        let _ = write!(
            columns,
            ", count(*) FILTER (WHERE p.status = 'rejected' AND p.reject_reason = 'template:{template}')"
        );
    }
    format!(
        "SELECT width_bucket(p.arrived_at, $1){columns} FROM posts p \
         WHERE p.arrived_at >= $2 AND p.arrived_at < $3 GROUP BY 1"
    )
}

/// Posts of one status (and reject reason) in a day bucket.
type Outcome = (i32, (String, Option<String>, i64));

/// One day's row of [`submissions_sql`] as `(bucket, (status, reason, posts))` rows; rejections
/// under no template count as `custom`.
fn outcomes(row: &PgRow) -> Result<Vec<Outcome>, StoreError> {
    let bucket: i32 = row.try_get(0)?;
    let mut out = Vec::new();
    for (i, status) in STATUSES.iter().enumerate().take(4) {
        out.push((bucket, ((*status).to_owned(), None, row.try_get::<i64, _>(i + 1)?)));
    }
    let mut custom: i64 = row.try_get(STATUSES.len())?;
    for (i, template) in RejectReason::TEMPLATES.iter().enumerate() {
        let n: i64 = row.try_get(STATUSES.len() + 1 + i)?;
        custom -= n;
        out.push((bucket, ("rejected".to_owned(), Some((*template).to_owned()), n)));
    }
    out.push((bucket, ("rejected".to_owned(), Some("custom".to_owned()), custom)));
    out.retain(|(_, (_, _, n))| *n > 0);
    Ok(out)
}

/// Rows `(bucket, count, median, p90)` keyed by day.
fn times(
    range: &StatsRange,
    rows: Vec<(i32, i64, Option<i64>, Option<i64>)>,
) -> Vec<(String, i64, Option<i64>, Option<i64>)> {
    let rows = by_day(range, rows.into_iter().map(|(b, n, m, p)| (b, (n, m, p))).collect());
    rows.into_iter().map(|(d, (n, m, p))| (d, n, m, p)).collect()
}

/// Each author's submissions, decided and approved posts, ranked both ways; the top of each.
fn top_authors_sql() -> String {
    format!(
        "WITH a AS (SELECT p.author_id AS id, count(*) AS n, \
           count(*) FILTER (WHERE p.status <> 'pending') AS decided, \
           count(*) FILTER (WHERE p.status IN ('approved', 'published', 'publish_failed')) AS approved \
           FROM posts p WHERE p.arrived_at >= $2 AND p.arrived_at < $3 AND cardinality($1::timestamptz[]) > 0 \
           GROUP BY p.author_id), \
         r AS (SELECT a.*, row_number() OVER (ORDER BY n DESC, id) AS by_n, \
           row_number() OVER (ORDER BY decided >= {MIN_DECIDED_FOR_RATE} DESC, \
             approved::float8 / greatest(decided, 1) DESC, decided DESC, id) AS by_rate FROM a) \
         SELECT r.id, au.first_name, au.last_name, au.username, r.n, r.decided, r.approved, r.by_n, \
           CASE WHEN r.decided >= {MIN_DECIDED_FOR_RATE} THEN r.by_rate END \
         FROM r JOIN authors au ON au.id = r.id \
         WHERE r.by_n <= {TOP_AUTHORS} OR (r.by_rate <= {TOP_AUTHORS} AND r.decided >= {MIN_DECIDED_FOR_RATE})"
    )
}

#[instrument(skip_all, fields(chart = ?chart, from = %range.from(), to = %range.to(), tz = range.tz_name()), err)]
pub async fn chart(pool: &PgPool, range: &StatsRange, chart: Chart) -> Result<ChartData, StoreError> {
    let span = range.span();
    let buckets = if chart == Chart::Hours {
        thresholds(range.hour_spans().into_iter().map(|h| h.span))
    } else {
        thresholds(range.day_spans().into_iter().map(|(_, s)| s))
    };
    // The medians sort a day's times: 90 000 of them spill to disk with the default 4 MB.
    let mut tx = pool.begin().await?;
    sqlx::query("SET LOCAL work_mem = '32MB'").execute(&mut *tx).await?;
    macro_rules! rows {
        ($sql:expr) => {
            sqlx::query_as(sqlx::AssertSqlSafe($sql))
                .bind(&buckets)
                .bind(span.start)
                .bind(span.end)
                .fetch_all(&mut *tx)
                .await?
        };
    }
    let data = match chart {
        Chart::Submissions => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(submissions_sql()))
                .bind(&buckets)
                .bind(span.start)
                .bind(span.end)
                .fetch_all(&mut *tx)
                .await?;
            let mut out = Vec::new();
            for row in rows {
                out.extend(outcomes(&row)?);
            }
            charts::submissions(range, by_day(range, out).into_iter().map(|(d, (s, r, n))| (d, s, r, n)).collect())
        }
        Chart::Approval => {
            let sql = format!(
                "SELECT {day}, count(*), count(*) FILTER (WHERE p.status <> 'rejected') \
                 FROM posts p WHERE p.decided_at >= $2 AND p.decided_at < $3 GROUP BY 1",
                day = day("decided_at")
            );
            let rows: Vec<(i32, i64, i64)> = rows!(sql);
            let rows = by_day(range, rows.into_iter().map(|(b, n, a)| (b, (n, a))).collect());
            charts::approval(range, rows.into_iter().map(|(d, (n, a))| (d, n, a)).collect())
        }
        Chart::DecisionTime => {
            Ok(ChartData::DecisionTime(charts::times(range, times(range, rows!(times_sql("decided_at"))))?))
        }
        Chart::PublicationTime => {
            Ok(ChartData::PublicationTime(charts::times(range, times(range, rows!(times_sql("published_at"))))?))
        }
        Chart::Moderators => {
            let sql = format!(
                "WITH a AS (SELECT p.decided_by AS m, count(*) AS n, \
                   count(*) FILTER (WHERE p.status <> 'rejected') AS approved, \
                   percentile_disc({MEDIAN}) WITHIN GROUP (ORDER BY {secs}) AS median FROM posts p \
                   WHERE p.decided_at >= $2 AND p.decided_at < $3 AND cardinality($1::timestamptz[]) > 0 \
                   GROUP BY p.decided_by), \
                 ids AS (SELECT user_id AS m FROM moderators UNION SELECT m FROM a) \
                 SELECT ids.m, coalesce(mo.display_name, ''), coalesce(a.n, 0), coalesce(a.approved, 0), a.median \
                 FROM ids LEFT JOIN a ON a.m = ids.m LEFT JOIN moderators mo ON mo.user_id = ids.m \
                 ORDER BY coalesce(a.n, 0) DESC, ids.m",
                secs = secs("decided_at")
            );
            Ok(charts::moderators(rows!(sql)))
        }
        Chart::MediaMix => {
            // From `media` alone, for the posts in range (their ids from the arrival index): the
            // posts without media are the rest, rather than every post grouped with its media.
            let rows: Vec<(String, i64)> = rows!(
                "WITH ids AS (SELECT p.id FROM posts p WHERE p.arrived_at >= $2 AND p.arrived_at < $3 AND cardinality($1::timestamptz[]) > 0), \
                 m AS (SELECT m.post_id, count(*) AS n, min(m.kind) AS kind FROM media m \
                   WHERE m.post_id IN (SELECT id FROM ids) GROUP BY m.post_id) \
                 SELECT CASE WHEN n > 1 THEN 'album' ELSE kind END, count(*) FROM m GROUP BY 1 \
                 UNION ALL SELECT 'text', (SELECT count(*) FROM ids) - (SELECT count(*) FROM m)"
                    .to_owned()
            );
            Ok(charts::media_mix(&rows))
        }
        Chart::Hours => {
            let rows: Vec<(i32, i64)> = rows!(
                "SELECT width_bucket(p.arrived_at, $1), count(*) FROM posts p \
                 WHERE p.arrived_at >= $2 AND p.arrived_at < $3 GROUP BY 1"
                    .to_owned()
            );
            let hours = range.hour_spans();
            let cell = |b: i32| usize::try_from(b).ok().and_then(|b| hours.get(b.wrapping_sub(1)));
            charts::hours(
                rows.into_iter()
                    .filter_map(|(b, n)| cell(b).map(|h| (i64::from(h.weekday), i64::from(h.hour), n)))
                    .collect(),
            )
        }
        Chart::TopAuthors => {
            let sql = top_authors_sql();
            let rows: Vec<AuthorRow> = rows!(sql);
            Ok(charts::top_authors(rows))
        }
    };
    tx.commit().await?;
    data
}

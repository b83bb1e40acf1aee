//! The statistics charts on `PostgreSQL`: one query each, bounded by the range's UTC span
//! (`$2`, `$3`). `$1` holds the UTC starts of the range's local days (or hours), then the end of
//! the last. The daily charts compute each day in its own `LATERAL` subquery over a range of a
//! time index (`$1[i]` to `$1[i + 1]`): a day's few thousand rows are counted and sorted on
//! their own, where grouping the whole range by a computed day hashed or sorted 90 000 rows.

use chrono::{DateTime, Utc};
use sqlx::postgres::PgRow;
use sqlx::{PgPool, Row};
use tracing::instrument;

use crate::domain::{Span, StatsRange};
use crate::store::StoreError;
use crate::store::charts::{self, AuthorRow, Chart, ChartData, DECIDER_IDS_SQL, MIN_DECIDED_FOR_RATE, TOP_AUTHORS};

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

/// The nearest-rank `p` percentile of the wait from arrival to `column`, in whole seconds. The
/// rows are sorted by the interval itself and only the picked one is rounded: rounding keeps
/// the order, so this is the percentile of the rounded waits, without a `numeric` conversion
/// per row (a fifth of the chart's time at 90 000 rows).
fn wait_percentile(p: &str, column: &str) -> String {
    format!("round(extract(epoch FROM percentile_disc({p}) WITHIN GROUP (ORDER BY p.{column} - p.arrived_at)))::bigint")
}

/// Nearest-rank percentiles (the ⌈p·n⌉-th smallest), as `percentile_disc` computes them and
/// as the SQLite side picks them by row number; 0.9 × n rounds to the right integer in floating
/// point for every n under 100 000 (checked), so both agree.
const MEDIAN: &str = "0.5";
const P90: &str = "0.9";

/// The range's days (or hours) as `i`, each with its figures from `per_day`: a subquery over
/// posts `p` whose `column` falls in the day (`$1[i]` to `$1[i + 1]`).
fn daily(column: &str, per_day: &str) -> String {
    format!(
        "SELECT i, x.* FROM generate_series(1, cardinality($1::timestamptz[]) - 1) i, \
         LATERAL (SELECT {per_day} FROM posts p WHERE p.{column} >= $1[i] AND p.{column} < $1[i + 1]) x \
         WHERE $2::timestamptz IS NOT NULL AND $3::timestamptz IS NOT NULL"
    )
}

/// Count, median and p90 of the waits per day of `column`, each day sorted on its own.
fn times_sql(column: &str) -> String {
    daily(column, &format!("count(*), {}, {}", wait_percentile(MEDIAN, column), wait_percentile(P90, column)))
}

/// Posts of one status (and reject reason) in a day bucket.
type Outcome = (i32, charts::Outcome);

/// A day's counts by status and reject reason as `(bucket, (status, reason, posts))` rows.
fn outcomes(row: &PgRow) -> Result<Vec<Outcome>, StoreError> {
    let bucket: i32 = row.try_get(0)?;
    let counts = (1..row.len()).map(|i| row.try_get::<i64, _>(i)).collect::<Result<Vec<_>, _>>()?;
    Ok(charts::outcomes(&counts)?.into_iter().map(|o| (bucket, o)).collect())
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
    // A moderator's median sorts all their waits in the range at once: a busy moderator's year
    // would spill to disk with the default 4 MB.
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
            let rows = sqlx::query(sqlx::AssertSqlSafe(daily("arrived_at", &charts::outcome_counts_sql())))
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
            let sql = daily("decided_at", "count(*), count(*) FILTER (WHERE p.status <> 'rejected')");
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
            // Each moderator's decisions in range from the (decided_by, decided_at) index: the
            // known moderators and whoever else ever decided (a skip scan of that index), those
            // without decisions in range left out unless known.
            let sql = format!(
                "WITH RECURSIVE {DECIDER_IDS_SQL} \
                 SELECT ids.m, coalesce(mo.display_name, ''), a.n, a.approved, a.median FROM ids \
                 CROSS JOIN LATERAL (SELECT count(*) AS n, count(*) FILTER (WHERE p.status <> 'rejected') AS approved, \
                   {median} AS median FROM posts p \
                   WHERE p.decided_by = ids.m AND p.decided_at >= $2 AND p.decided_at < $3) a \
                 LEFT JOIN moderators mo ON mo.user_id = ids.m \
                 WHERE (a.n > 0 OR mo.user_id IS NOT NULL) AND cardinality($1::timestamptz[]) > 0 \
                 ORDER BY a.n DESC, ids.m",
                median = wait_percentile(MEDIAN, "decided_at")
            );
            Ok(charts::moderators(rows!(sql)))
        }
        Chart::MediaMix => {
            // Each post's kind as intake (album parts, revisions) wrote it, counted off the
            // arrival index alone.
            let sql = format!(
                "SELECT {} FROM posts p WHERE p.arrived_at >= $2 AND p.arrived_at < $3 \
                 AND cardinality($1::timestamptz[]) > 0",
                charts::media_mix_counts_sql()
            );
            let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(&buckets)
                .bind(span.start)
                .bind(span.end)
                .fetch_one(&mut *tx)
                .await?;
            let counts = (0..row.len()).map(|i| row.try_get::<i64, _>(i)).collect::<Result<Vec<_>, _>>()?;
            charts::media_mix(&counts)
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

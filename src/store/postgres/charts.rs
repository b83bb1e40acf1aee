//! The statistics charts on `PostgreSQL`: one query each, local days and hours by
//! `AT TIME ZONE` with the range's IANA zone, bounded by the range's UTC span (`$2`, `$3`).

use sqlx::PgPool;
use tracing::instrument;

use crate::domain::StatsRange;
use crate::store::StoreError;
use crate::store::charts::{self, AuthorRow, Chart, ChartData, MIN_DECIDED_FOR_RATE, REASON_KEY_SQL, TOP_AUTHORS};

/// A local day of a time column, as text.
fn day(column: &str) -> String {
    format!("to_char(p.{column} AT TIME ZONE $1, 'YYYY-MM-DD')")
}

/// Whole seconds from arrival to `column`.
fn secs(column: &str) -> String {
    format!("round(extract(epoch FROM p.{column} - p.arrived_at))::bigint")
}

/// Count, median and p90 per day of `column` (nearest rank: the ⌈p·n⌉-th smallest).
fn times_sql(column: &str) -> String {
    format!(
        "WITH d AS (SELECT {day} AS day, {secs} AS secs FROM posts p \
           WHERE p.{column} >= $2 AND p.{column} < $3), \
         r AS (SELECT day, secs, row_number() OVER (PARTITION BY day ORDER BY secs) AS rn, \
                 count(*) OVER (PARTITION BY day) AS n FROM d) \
         SELECT day, n, max(secs) FILTER (WHERE rn = (n + 1) / 2), max(secs) FILTER (WHERE rn = (9 * n + 9) / 10) \
         FROM r GROUP BY day, n",
        day = day(column),
        secs = secs(column),
    )
}

#[instrument(skip_all, fields(chart = ?chart, from = %range.from(), to = %range.to(), tz = range.tz_name()), err)]
pub async fn chart(pool: &PgPool, range: &StatsRange, chart: Chart) -> Result<ChartData, StoreError> {
    let span = range.span();
    macro_rules! rows {
        ($sql:expr) => {
            sqlx::query_as(sqlx::AssertSqlSafe($sql))
                .bind(range.tz_name())
                .bind(span.start)
                .bind(span.end)
                .fetch_all(pool)
                .await?
        };
    }
    match chart {
        Chart::Submissions => {
            let sql = format!(
                "SELECT {day}, p.status, CASE WHEN p.status = 'rejected' THEN {REASON_KEY_SQL} END, count(*) \
                 FROM posts p WHERE p.arrived_at >= $2 AND p.arrived_at < $3 GROUP BY 1, 2, 3",
                day = day("arrived_at")
            );
            charts::submissions(range, rows!(sql))
        }
        Chart::Approval => {
            let sql = format!(
                "SELECT {day}, count(*), count(*) FILTER (WHERE p.status <> 'rejected') \
                 FROM posts p WHERE p.decided_at >= $2 AND p.decided_at < $3 GROUP BY 1",
                day = day("decided_at")
            );
            charts::approval(range, rows!(sql))
        }
        Chart::DecisionTime => Ok(ChartData::DecisionTime(charts::times(range, rows!(times_sql("decided_at")))?)),
        Chart::PublicationTime => {
            Ok(ChartData::PublicationTime(charts::times(range, rows!(times_sql("published_at")))?))
        }
        Chart::Moderators => {
            let sql = format!(
                "WITH d AS (SELECT p.decided_by AS m, {secs} AS secs, p.status FROM posts p \
                   WHERE p.decided_at >= $2 AND p.decided_at < $3 AND $1::text IS NOT NULL), \
                 r AS (SELECT m, secs, status, row_number() OVER (PARTITION BY m ORDER BY secs) AS rn, \
                         count(*) OVER (PARTITION BY m) AS n FROM d), \
                 a AS (SELECT m, n, count(*) FILTER (WHERE status <> 'rejected') AS approved, \
                         max(secs) FILTER (WHERE rn = (n + 1) / 2) AS median FROM r GROUP BY m, n), \
                 ids AS (SELECT user_id AS m FROM moderators UNION SELECT m FROM a) \
                 SELECT ids.m, coalesce(mo.display_name, ''), coalesce(a.n, 0), coalesce(a.approved, 0), a.median \
                 FROM ids LEFT JOIN a ON a.m = ids.m LEFT JOIN moderators mo ON mo.user_id = ids.m \
                 ORDER BY coalesce(a.n, 0) DESC, ids.m",
                secs = secs("decided_at")
            );
            Ok(charts::moderators(rows!(sql)))
        }
        Chart::MediaMix => {
            let rows: Vec<(String, i64)> = rows!(
                "SELECT kind, count(*) FROM (SELECT CASE WHEN count(m.post_id) = 0 THEN 'text' \
                   WHEN count(m.post_id) > 1 THEN 'album' ELSE min(m.kind) END AS kind \
                   FROM posts p LEFT JOIN media m ON m.post_id = p.id \
                   WHERE p.arrived_at >= $2 AND p.arrived_at < $3 AND $1::text IS NOT NULL GROUP BY p.id) k \
                 GROUP BY kind"
                    .to_owned()
            );
            Ok(charts::media_mix(&rows))
        }
        Chart::Hours => charts::hours(rows!(
            "SELECT extract(isodow FROM p.arrived_at AT TIME ZONE $1)::bigint - 1, \
               extract(hour FROM p.arrived_at AT TIME ZONE $1)::bigint, count(*) \
             FROM posts p WHERE p.arrived_at >= $2 AND p.arrived_at < $3 GROUP BY 1, 2"
                .to_owned()
        )),
        Chart::TopAuthors => {
            let sql = format!(
                "WITH a AS (SELECT p.author_id AS id, count(*) AS n, \
                   count(*) FILTER (WHERE p.status <> 'pending') AS decided, \
                   count(*) FILTER (WHERE p.status IN ('approved', 'published', 'publish_failed')) AS approved \
                   FROM posts p WHERE p.arrived_at >= $2 AND p.arrived_at < $3 AND $1::text IS NOT NULL \
                   GROUP BY p.author_id), \
                 r AS (SELECT a.*, row_number() OVER (ORDER BY n DESC, id) AS by_n, \
                   row_number() OVER (ORDER BY decided >= {MIN_DECIDED_FOR_RATE} DESC, \
                     approved::float8 / greatest(decided, 1) DESC, decided DESC, id) AS by_rate FROM a) \
                 SELECT r.id, au.first_name, au.last_name, au.username, r.n, r.decided, r.approved, r.by_n, \
                   CASE WHEN r.decided >= {MIN_DECIDED_FOR_RATE} THEN r.by_rate END \
                 FROM r JOIN authors au ON au.id = r.id \
                 WHERE r.by_n <= {TOP_AUTHORS} OR (r.by_rate <= {TOP_AUTHORS} AND r.decided >= {MIN_DECIDED_FOR_RATE})"
            );
            let rows: Vec<AuthorRow> = rows!(sql);
            Ok(charts::top_authors(rows))
        }
    }
}

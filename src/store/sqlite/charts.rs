//! The statistics charts on SQLite: one query each. SQLite knows no time zones, so the range's
//! local days (and hours) come in as a JSON list of their UTC spans, and rows fall into them by
//! comparing stored times as text (RFC 3339, so text order is time order): no per-row date
//! parsing, and each day is one range scan of a time index.

use chrono::{DateTime, Utc};
use serde_json::json;
use tracing::instrument;

use super::Db;
use crate::domain::StatsRange;
use crate::store::StoreError;
use crate::store::charts::{self, AuthorRow, Chart, ChartData, MIN_DECIDED_FOR_RATE, REASON_KEY_SQL, TOP_AUTHORS};

/// A span bound as stored times compare with it: whole seconds, no zone letter, so that a
/// stored time at the same second (with its fraction and `Z`) sorts at or after it.
fn bound(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S").to_string()
}

/// `[{"d": day, "f": from, "t": to}, …]`: the range's local days.
fn days_json(range: &StatsRange) -> String {
    let days: Vec<_> = range
        .day_spans()
        .into_iter()
        .map(|(d, s)| json!({"d": d.to_string(), "f": bound(s.start), "t": bound(s.end)}))
        .collect();
    serde_json::Value::Array(days).to_string()
}

/// `[{"w": weekday, "h": hour, "f": from, "t": to}, …]`: the range's local hours (those the
/// clocks skip left out).
fn hours_json(range: &StatsRange) -> String {
    let hours: Vec<_> = range
        .hour_spans()
        .into_iter()
        .filter(|h| h.span.start < h.span.end)
        .map(|h| json!({"w": h.weekday, "h": h.hour, "f": bound(h.span.start), "t": bound(h.span.end)}))
        .collect();
    serde_json::Value::Array(hours).to_string()
}

const DAYS: &str = "days AS (SELECT value->>'d' AS d, value->>'f' AS f, value->>'t' AS t FROM json_each(?1))";

/// Whole seconds from arrival to `column`.
fn secs(column: &str) -> String {
    format!("CAST(round(unixepoch(p.{column}, 'subsec') - unixepoch(p.arrived_at, 'subsec')) AS INTEGER)")
}

/// Count, median and p90 per local day of `column` (nearest rank: the ⌈p·n⌉-th smallest).
fn times_sql(column: &str) -> String {
    format!(
        "WITH {DAYS}, \
         d AS (SELECT days.d AS day, {secs} AS secs FROM days CROSS JOIN posts p \
           WHERE p.{column} >= days.f AND p.{column} < days.t AND ?2 IS NOT NULL AND ?3 IS NOT NULL), \
         r AS (SELECT day, secs, row_number() OVER (PARTITION BY day ORDER BY secs) AS rn, \
                 count(*) OVER (PARTITION BY day) AS n FROM d) \
         SELECT day, n, max(secs) FILTER (WHERE rn = (n + 1) / 2), max(secs) FILTER (WHERE rn = (9 * n + 9) / 10) \
         FROM r GROUP BY day, n",
        secs = secs(column),
    )
}

#[instrument(skip_all, fields(chart = ?chart, from = %range.from(), to = %range.to(), tz = range.tz_name()), err)]
pub async fn chart(db: &Db, range: &StatsRange, chart: Chart) -> Result<ChartData, StoreError> {
    let span = range.span();
    let (from, to) = (bound(span.start), bound(span.end));
    let buckets = if chart == Chart::Hours { hours_json(range) } else { days_json(range) };
    macro_rules! rows {
        ($sql:expr) => {
            sqlx::query_as(sqlx::AssertSqlSafe($sql))
                .bind(buckets.as_str())
                .bind(from.as_str())
                .bind(to.as_str())
                .fetch_all(&db.reader)
                .await?
        };
    }
    match chart {
        Chart::Submissions => {
            let sql = format!(
                "WITH {DAYS} SELECT days.d, p.status, CASE WHEN p.status = 'rejected' THEN {REASON_KEY_SQL} END, \
                   count(*) FROM days CROSS JOIN posts p \
                 WHERE p.arrived_at >= days.f AND p.arrived_at < days.t AND ?2 IS NOT NULL AND ?3 IS NOT NULL \
                 GROUP BY 1, 2, 3"
            );
            charts::submissions(range, rows!(sql))
        }
        Chart::Approval => {
            let sql = format!(
                "WITH {DAYS} SELECT days.d, count(*), count(*) FILTER (WHERE p.status <> 'rejected') \
                 FROM days CROSS JOIN posts p \
                 WHERE p.decided_at >= days.f AND p.decided_at < days.t AND ?2 IS NOT NULL AND ?3 IS NOT NULL \
                 GROUP BY 1"
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
                   WHERE p.decided_at >= ?2 AND p.decided_at < ?3 AND ?1 IS NOT NULL), \
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
            // From `media` alone, for the posts in range (their ids from the arrival index): the
            // posts without media are the rest, rather than every post grouped with its media.
            let rows: Vec<(String, i64)> = rows!(
                "WITH ids AS (SELECT p.id FROM posts p WHERE p.arrived_at >= ?2 AND p.arrived_at < ?3 AND ?1 IS NOT NULL), \
                 m AS (SELECT m.post_id, count(*) AS n, min(m.kind) AS kind FROM media m \
                   WHERE m.post_id IN (SELECT id FROM ids) GROUP BY m.post_id) \
                 SELECT CASE WHEN n > 1 THEN 'album' ELSE kind END, count(*) FROM m GROUP BY 1 \
                 UNION ALL SELECT 'text', (SELECT count(*) FROM ids) - (SELECT count(*) FROM m)"
                    .to_owned()
            );
            Ok(charts::media_mix(&rows))
        }
        Chart::Hours => charts::hours(rows!(
            "WITH hours AS (SELECT value->>'w' AS w, value->>'h' AS h, value->>'f' AS f, value->>'t' AS t \
               FROM json_each(?1)) \
             SELECT hours.w, hours.h, count(*) FROM hours CROSS JOIN posts p \
             WHERE p.arrived_at >= hours.f AND p.arrived_at < hours.t AND ?2 IS NOT NULL AND ?3 IS NOT NULL \
             GROUP BY 1, 2"
                .to_owned()
        )),
        Chart::TopAuthors => {
            let sql = format!(
                "WITH a AS (SELECT p.author_id AS id, count(*) AS n, \
                   count(*) FILTER (WHERE p.status <> 'pending') AS decided, \
                   count(*) FILTER (WHERE p.status IN ('approved', 'published', 'publish_failed')) AS approved \
                   FROM posts p WHERE p.arrived_at >= ?2 AND p.arrived_at < ?3 AND ?1 IS NOT NULL \
                   GROUP BY p.author_id), \
                 r AS (SELECT a.*, row_number() OVER (ORDER BY n DESC, id) AS by_n, \
                   row_number() OVER (ORDER BY decided >= {MIN_DECIDED_FOR_RATE} DESC, \
                     CAST(approved AS REAL) / max(decided, 1) DESC, decided DESC, id) AS by_rate FROM a) \
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

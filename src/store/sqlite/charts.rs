//! The statistics charts on SQLite: one query each. SQLite knows no time zones, so the range's
//! local days (and hours) come in as a JSON list of their UTC spans, and rows fall into them by
//! comparing stored times as text (RFC 3339, so text order is time order): no per-row date
//! parsing. Each day (or hour) is its own correlated subquery over a range of a time index:
//! SQLite's `GROUP BY` and window functions sort every row of the range first, which cost 3–10
//! times the scan itself at 90 000 rows. Percentiles come from a day's waits gathered in order
//! (`json_group_array(… ORDER BY …)`) and picked by position.

use chrono::{DateTime, Utc};
use serde_json::json;
use tracing::instrument;

use super::Db;
use crate::domain::StatsRange;
use crate::store::StoreError;
use crate::store::charts::{self, AuthorRow, Chart, ChartData, DECIDER_IDS_SQL, MIN_DECIDED_FOR_RATE, TOP_AUTHORS};

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

/// The `rank`-th smallest (1-based) of the `n` waits in the sorted JSON array `a`: a nearest-rank
/// percentile when `rank` is ⌈p·n⌉.
fn pick(rank: &str) -> String {
    format!("CASE WHEN n > 0 THEN a ->> ({rank} - 1) END")
}

/// Count, median and p90 per local day of `column` (nearest rank: the ⌈p·n⌉-th smallest): each
/// day's waits, read from the time index that holds them, gathered in order.
fn times_sql(column: &str) -> String {
    format!(
        "WITH {DAYS}, w AS MATERIALIZED (SELECT days.d AS day, \
           (SELECT json_group_array(s ORDER BY s) FROM (SELECT {secs} AS s FROM posts p \
              WHERE p.{column} >= days.f AND p.{column} < days.t)) AS a \
           FROM days WHERE ?2 IS NOT NULL AND ?3 IS NOT NULL), \
         c AS (SELECT day, a, json_array_length(a) AS n FROM w) \
         SELECT day, n, {median}, {p90} FROM c",
        secs = secs(column),
        median = pick("(n + 1) / 2"),
        p90 = pick("(9 * n + 9) / 10"),
    )
}

/// Each moderator's decisions in range: the known moderators and whoever else ever decided (a
/// skip scan of the deciders' index), those without decisions in range left out unless known.
/// Counts come from the `(decided_by, decided_at, status)` index; the median from the
/// `(decided_by, wait, decided_at)` one, named because the planner would pick the other (its
/// range is tighter) and then sort every wait.
fn moderators_sql() -> String {
    format!(
        "WITH RECURSIVE {DECIDER_IDS_SQL}, \
         w AS MATERIALIZED (SELECT ids.m AS m, \
           (SELECT json_group_array(s ORDER BY s) FROM (SELECT {secs} AS s FROM posts p INDEXED BY posts_decided_by_wait \
              WHERE p.decided_by = ids.m AND p.decided_at >= ?2 AND p.decided_at < ?3)) AS a, \
           (SELECT count(*) FROM posts p WHERE p.decided_by = ids.m AND p.decided_at >= ?2 \
              AND p.decided_at < ?3 AND p.status <> 'rejected') AS approved \
           FROM ids WHERE ?1 IS NOT NULL), \
         c AS (SELECT m, a, approved, json_array_length(a) AS n FROM w) \
         SELECT c.m, coalesce(mo.display_name, ''), c.n, c.approved, {median} \
         FROM c LEFT JOIN moderators mo ON mo.user_id = c.m \
         WHERE c.n > 0 OR mo.user_id IS NOT NULL ORDER BY c.n DESC, c.m",
        secs = secs("decided_at"),
        median = pick("(n + 1) / 2"),
    )
}

/// A JSON array of counts, as a chart's subquery returns them.
fn counts(json: &str) -> Result<Vec<i64>, StoreError> {
    serde_json::from_str(json).map_err(|e| StoreError::Corrupt(format!("statistics counts {json:?}: {e}")))
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
                "WITH {DAYS} SELECT days.d, (SELECT json_array({counts}) FROM posts p \
                   WHERE p.arrived_at >= days.f AND p.arrived_at < days.t) \
                 FROM days WHERE ?2 IS NOT NULL AND ?3 IS NOT NULL",
                counts = charts::outcome_counts_sql()
            );
            let days: Vec<(String, String)> = rows!(sql);
            let mut rows = Vec::new();
            for (day, json) in days {
                rows.extend(charts::outcomes(&counts(&json)?)?.into_iter().map(|(s, r, n)| (day.clone(), s, r, n)));
            }
            charts::submissions(range, rows)
        }
        Chart::Approval => {
            let days: Vec<(String, String)> = rows!(format!(
                "WITH {DAYS} SELECT days.d, (SELECT json_array(count(*), count(*) FILTER (WHERE p.status <> 'rejected')) \
                   FROM posts p WHERE p.decided_at >= days.f AND p.decided_at < days.t) \
                 FROM days WHERE ?2 IS NOT NULL AND ?3 IS NOT NULL"
            ));
            let mut rows = Vec::new();
            for (day, json) in days {
                if let [decided, approved] = counts(&json)?[..] {
                    rows.push((day, decided, approved));
                } else {
                    return Err(StoreError::Corrupt(format!("approval chart counts {json:?}")));
                }
            }
            charts::approval(range, rows)
        }
        Chart::DecisionTime => Ok(ChartData::DecisionTime(charts::times(range, rows!(times_sql("decided_at")))?)),
        Chart::PublicationTime => {
            Ok(ChartData::PublicationTime(charts::times(range, rows!(times_sql("published_at")))?))
        }
        Chart::Moderators => {
            let sql = moderators_sql();
            Ok(charts::moderators(rows!(sql)))
        }
        Chart::MediaMix => {
            // Each post's kind as intake (album parts, revisions) wrote it, counted off the
            // arrival index alone.
            let rows: Vec<(String,)> = rows!(format!(
                "SELECT json_array({}) FROM posts p WHERE p.arrived_at >= ?2 AND p.arrived_at < ?3 AND ?1 IS NOT NULL",
                charts::media_mix_counts_sql()
            ));
            let json = rows.first().map_or("[]", |(j,)| j.as_str());
            charts::media_mix(&counts(json)?)
        }
        Chart::Hours => charts::hours(rows!(
            "WITH hours AS (SELECT value->>'w' AS w, value->>'h' AS h, value->>'f' AS f, value->>'t' AS t \
               FROM json_each(?1)) \
             SELECT hours.w, hours.h, sum((SELECT count(*) FROM posts p \
               WHERE p.arrived_at >= hours.f AND p.arrived_at < hours.t)) \
             FROM hours WHERE ?2 IS NOT NULL AND ?3 IS NOT NULL GROUP BY 1, 2"
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

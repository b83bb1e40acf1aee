//! The statistics charts: what each one holds, and how the rows a backend's one query returns
//! become it (every day of the range present, quiet days as zeros). Durations are whole
//! seconds; medians and p90s are nearest-rank (the ⌈p·n⌉-th smallest), on both backends.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use super::{Store, StoreError};
use crate::domain::{RangeLabel, RejectReason, StatsRange, UserId};

/// Fewest decided posts an author needs to be ranked by approval rate.
pub const MIN_DECIDED_FOR_RATE: i64 = 3;
/// How many authors each top list holds.
pub const TOP_AUTHORS: i64 = 10;
/// The media mix's kinds, in the order charts show them.
pub const MEDIA_MIX_KINDS: [&str; 8] = ["text", "photo", "video", "animation", "document", "audio", "voice", "album"];

/// One chart, computed by one query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Chart {
    Submissions,
    Approval,
    DecisionTime,
    PublicationTime,
    Moderators,
    MediaMix,
    Hours,
    TopAuthors,
}

impl Chart {
    pub const ALL: [Self; 8] = [
        Self::Submissions,
        Self::Approval,
        Self::DecisionTime,
        Self::PublicationTime,
        Self::Moderators,
        Self::MediaMix,
        Self::Hours,
        Self::TopAuthors,
    ];
}

/// Submissions that arrived on a day, by what became of them. There is no expiry: a post
/// nobody decided is still pending.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DayOutcomes {
    pub day: NaiveDate,
    pub published: i64,
    /// Approved, not yet published (scheduled or on its way).
    pub approved: i64,
    pub publish_failed: i64,
    pub pending: i64,
    /// Rejected, by reason template (`spam`, …; `custom` for a moderator's own words).
    pub rejected: BTreeMap<String, i64>,
}

/// Decisions taken on a day and how many approved.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DayApproval {
    pub day: NaiveDate,
    pub decided: i64,
    pub approved: i64,
}

/// How long the posts decided (or published) on a day had waited since they arrived.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DayTimes {
    pub day: NaiveDate,
    pub count: i64,
    pub median_secs: Option<i64>,
    pub p90_secs: Option<i64>,
}

/// A moderator's decisions in the range (every known moderator, with none too).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModeratorFigures {
    pub moderator: UserId,
    pub name: String,
    pub decisions: i64,
    pub approved: i64,
    /// Median time from arrival to their decision.
    pub median_secs: Option<i64>,
}

/// Posts of one kind: `text` (no media), a media kind, or `album` (several items).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MediaShare {
    pub kind: String,
    pub posts: i64,
}

/// An author's submissions in the range and what became of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuthorFigures {
    pub author: UserId,
    pub name: String,
    pub username: Option<String>,
    pub submissions: i64,
    pub decided: i64,
    pub approved: i64,
}

/// The most active authors, and those with the best approval rate (at least
/// [`MIN_DECIDED_FOR_RATE`] decided posts).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TopAuthors {
    pub by_submissions: Vec<AuthorFigures>,
    pub by_approval: Vec<AuthorFigures>,
}

/// One chart's figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "chart", content = "data", rename_all = "snake_case")]
pub enum ChartData {
    Submissions(Vec<DayOutcomes>),
    Approval(Vec<DayApproval>),
    DecisionTime(Vec<DayTimes>),
    PublicationTime(Vec<DayTimes>),
    Moderators(Vec<ModeratorFigures>),
    MediaMix(Vec<MediaShare>),
    /// Submissions by local weekday (0 = Monday) and hour.
    Hours(Box<[[i64; 24]; 7]>),
    TopAuthors(TopAuthors),
}

/// Every chart over one range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Statistics {
    pub range: RangeLabel,
    pub submissions: Vec<DayOutcomes>,
    pub approval: Vec<DayApproval>,
    pub decision_time: Vec<DayTimes>,
    pub publication_time: Vec<DayTimes>,
    pub moderators: Vec<ModeratorFigures>,
    pub media_mix: Vec<MediaShare>,
    pub hours: [[i64; 24]; 7],
    pub top_authors: TopAuthors,
}

/// Every chart over `range`, one query each.
pub async fn statistics(store: &dyn Store, range: &StatsRange) -> Result<Statistics, StoreError> {
    let mut out = Statistics {
        range: range.into(),
        submissions: Vec::new(),
        approval: Vec::new(),
        decision_time: Vec::new(),
        publication_time: Vec::new(),
        moderators: Vec::new(),
        media_mix: Vec::new(),
        hours: [[0; 24]; 7],
        top_authors: TopAuthors::default(),
    };
    for chart in Chart::ALL {
        match store.chart(range, chart).await? {
            ChartData::Submissions(v) => out.submissions = v,
            ChartData::Approval(v) => out.approval = v,
            ChartData::DecisionTime(v) => out.decision_time = v,
            ChartData::PublicationTime(v) => out.publication_time = v,
            ChartData::Moderators(v) => out.moderators = v,
            ChartData::MediaMix(v) => out.media_mix = v,
            ChartData::Hours(v) => out.hours = *v,
            ChartData::TopAuthors(v) => out.top_authors = v,
        }
    }
    Ok(out)
}

/// The moderators chart's rows: every known moderator and whoever else ever decided, found by a
/// skip scan of the `(decided_by, …)` index (one probe per decider, not a pass over the
/// decisions). `WITH RECURSIVE` items ending in `ids(m)`; the same SQL on both backends.
pub(crate) const DECIDER_IDS_SQL: &str = "d(m) AS ( \
       SELECT (SELECT decided_by FROM posts WHERE decided_by IS NOT NULL ORDER BY decided_by LIMIT 1) \
       UNION ALL SELECT (SELECT p.decided_by FROM posts p WHERE p.decided_by > d.m \
         ORDER BY p.decided_by LIMIT 1) FROM d WHERE d.m IS NOT NULL), \
     ids AS (SELECT user_id AS m FROM moderators UNION SELECT m FROM d WHERE m IS NOT NULL)";

/// The statuses the submissions chart counts, in the order of [`outcome_counts_sql`]'s columns.
const OUTCOME_STATUSES: [&str; 5] = ["published", "approved", "publish_failed", "pending", "rejected"];

/// The reject reason templates counted apart; other rejections count as `custom`.
fn counted_templates() -> impl Iterator<Item = &'static str> {
    RejectReason::TEMPLATES.iter().chain(RejectReason::SYSTEM_TEMPLATES.iter()).copied()
}

/// A day's posts (`p`) by status, then its rejections by reason template, as comma-separated
/// `count(*) FILTER (…)` columns in the order [`outcomes`] reads them: the same SQL on both
/// backends, computed in one pass over the day's rows.
pub(crate) fn outcome_counts_sql() -> String {
    let statuses = OUTCOME_STATUSES.iter().map(|s| format!("count(*) FILTER (WHERE p.status = '{s}')"));
    let reasons = counted_templates()
        .map(|t| format!("count(*) FILTER (WHERE p.status = 'rejected' AND p.reject_reason = 'template:{t}')"));
    statuses.chain(reasons).collect::<Vec<_>>().join(", ")
}

/// Posts of one status and, for rejections, one reason key: `(status, reason, posts)`.
pub(crate) type Outcome = (String, Option<String>, i64);

/// One day's [`outcome_counts_sql`] counts as [`Outcome`]s, without zeros; rejections under no
/// counted template are `custom`.
pub(crate) fn outcomes(counts: &[i64]) -> Result<Vec<Outcome>, StoreError> {
    let templates: Vec<&str> = counted_templates().collect();
    if counts.len() != OUTCOME_STATUSES.len() + templates.len() {
        return Err(StoreError::Corrupt(format!("submissions chart: {} counts for a day", counts.len())));
    }
    let (by_status, by_reason) = counts.split_at(OUTCOME_STATUSES.len());
    let mut out: Vec<_> = OUTCOME_STATUSES
        .iter()
        .zip(by_status)
        .filter(|(status, _)| **status != "rejected")
        .map(|(status, n)| ((*status).to_owned(), None, *n))
        .collect();
    let mut custom = by_status.last().copied().unwrap_or(0);
    for (template, n) in templates.iter().zip(by_reason) {
        custom -= n;
        out.push(("rejected".to_owned(), Some((*template).to_owned()), *n));
    }
    out.push(("rejected".to_owned(), Some("custom".to_owned()), custom));
    out.retain(|(_, _, n)| *n > 0);
    Ok(out)
}

fn day_of(s: &str) -> Result<NaiveDate, StoreError> {
    s.parse().map_err(|_| StoreError::Corrupt(format!("statistics day {s:?} is not a date")))
}

/// Every day of the range, each from `rows` (a `YYYY-MM-DD` day and its figures) or `empty`.
fn dense<R, T>(
    range: &StatsRange,
    rows: impl IntoIterator<Item = (String, R)>,
    mut put: impl FnMut(&mut T, R),
    empty: impl Fn(NaiveDate) -> T,
) -> Result<Vec<T>, StoreError> {
    let mut by_day: BTreeMap<NaiveDate, T> = range.days().map(|d| (d, empty(d))).collect();
    for (day, row) in rows {
        let day = day_of(&day)?;
        // A row outside the range would be a query bug: it is left out rather than shown.
        if let Some(slot) = by_day.get_mut(&day) {
            put(slot, row);
        }
    }
    Ok(by_day.into_values().collect())
}

/// Rows `(day, status, reject reason key, posts)`.
pub(crate) fn submissions(
    range: &StatsRange,
    rows: Vec<(String, String, Option<String>, i64)>,
) -> Result<ChartData, StoreError> {
    let days = dense(
        range,
        rows.into_iter().map(|(d, s, r, n)| (d, (s, r, n))),
        |day: &mut DayOutcomes, (status, reason, n)| match status.as_str() {
            "published" => day.published += n,
            "approved" => day.approved += n,
            "publish_failed" => day.publish_failed += n,
            "rejected" => *day.rejected.entry(reason.unwrap_or_else(|| "custom".into())).or_default() += n,
            _ => day.pending += n,
        },
        |day| DayOutcomes { day, ..DayOutcomes::default() },
    )?;
    Ok(ChartData::Submissions(days))
}

/// Rows `(day, decided, approved)`.
pub(crate) fn approval(range: &StatsRange, rows: Vec<(String, i64, i64)>) -> Result<ChartData, StoreError> {
    let days = dense(
        range,
        rows.into_iter().map(|(d, n, a)| (d, (n, a))),
        |day: &mut DayApproval, (n, a)| (day.decided, day.approved) = (n, a),
        |day| DayApproval { day, ..DayApproval::default() },
    )?;
    Ok(ChartData::Approval(days))
}

/// Rows `(day, count, median, p90)`.
pub(crate) fn times(
    range: &StatsRange,
    rows: Vec<(String, i64, Option<i64>, Option<i64>)>,
) -> Result<Vec<DayTimes>, StoreError> {
    dense(
        range,
        rows.into_iter().map(|(d, n, m, p)| (d, (n, m, p))),
        |day: &mut DayTimes, (n, m, p)| (day.count, day.median_secs, day.p90_secs) = (n, m, p),
        |day| DayTimes { day, ..DayTimes::default() },
    )
}

/// Rows `(moderator, name, decisions, approved, median)`, busiest first.
pub(crate) fn moderators(rows: Vec<(i64, String, i64, i64, Option<i64>)>) -> ChartData {
    ChartData::Moderators(
        rows.into_iter()
            .map(|(id, name, decisions, approved, median_secs)| ModeratorFigures {
                moderator: UserId(id),
                name,
                decisions,
                approved,
                median_secs,
            })
            .collect(),
    )
}

/// What `posts.media_kind` holds for a post with these media: nothing for a text, the kind of
/// its one medium, `album` for several (the media mix counts that column).
pub(crate) fn media_kind_of(media: &[super::NewMedia]) -> Option<&'static str> {
    match media {
        [] => None,
        [one] => Some(one.kind.as_str()),
        _ => Some("album"),
    }
}

/// SQL for `posts.media_kind` of the post `param` (`$1`, `?1`) from its stored media, set after
/// an album's later part or an author's new media (where intake's [`media_kind_of`] no longer
/// holds).
pub(crate) fn media_kind_sql(param: &str) -> String {
    format!("(SELECT CASE WHEN count(*) > 1 THEN 'album' ELSE min(m.kind) END FROM media m WHERE m.post_id = {param})")
}

/// The posts (`p`) of each kind of [`MEDIA_MIX_KINDS`], in its order, as comma-separated
/// `count(*) FILTER (…)` columns of `posts.media_kind`: one pass over the range's arrival index
/// and no sort, the same SQL on both backends.
pub(crate) fn media_mix_counts_sql() -> String {
    let count = |k: &str| match k {
        "text" => "count(*) FILTER (WHERE p.media_kind IS NULL)".to_owned(),
        k => format!("count(*) FILTER (WHERE p.media_kind = '{k}')"),
    };
    MEDIA_MIX_KINDS.iter().map(|k| count(k)).collect::<Vec<_>>().join(", ")
}

/// The [`media_mix_counts_sql`] counts as the chart.
pub(crate) fn media_mix(counts: &[i64]) -> Result<ChartData, StoreError> {
    if counts.len() != MEDIA_MIX_KINDS.len() {
        return Err(StoreError::Corrupt(format!("media mix: {} counts", counts.len())));
    }
    let shares = MEDIA_MIX_KINDS.iter().zip(counts).map(|(k, n)| MediaShare { kind: (*k).to_owned(), posts: *n });
    Ok(ChartData::MediaMix(shares.collect()))
}

/// Rows `(weekday, hour, posts)`.
pub(crate) fn hours(rows: Vec<(i64, i64, i64)>) -> Result<ChartData, StoreError> {
    let mut grid = [[0i64; 24]; 7];
    for (weekday, hour, n) in rows {
        let cell = usize::try_from(weekday)
            .ok()
            .zip(usize::try_from(hour).ok())
            .and_then(|(w, h)| grid.get_mut(w).and_then(|row| row.get_mut(h)))
            .ok_or_else(|| StoreError::Corrupt(format!("hour of the week {weekday}/{hour} out of range")))?;
        *cell += n;
    }
    Ok(ChartData::Hours(Box::new(grid)))
}

/// One author's row: `(author, first name, last name, username, submissions, decided, approved,
/// rank by submissions, rank by approval rate)`.
pub(crate) type AuthorRow = (i64, String, Option<String>, Option<String>, i64, i64, i64, i64, Option<i64>);

pub(crate) fn top_authors(rows: Vec<AuthorRow>) -> ChartData {
    let mut by_submissions = Vec::new();
    let mut by_approval = Vec::new();
    for (id, first, last, username, submissions, decided, approved, by_n, by_rate) in rows {
        let name = match last {
            Some(last) if !last.is_empty() => format!("{first} {last}"),
            _ => first,
        };
        let figures = AuthorFigures { author: UserId(id), name, username, submissions, decided, approved };
        if by_n <= TOP_AUTHORS {
            by_submissions.push((by_n, figures.clone()));
        }
        if let Some(rank) = by_rate.filter(|r| *r <= TOP_AUTHORS) {
            by_approval.push((rank, figures));
        }
    }
    by_submissions.sort_by_key(|(rank, _)| *rank);
    by_approval.sort_by_key(|(rank, _)| *rank);
    ChartData::TopAuthors(TopAuthors {
        by_submissions: by_submissions.into_iter().map(|(_, f)| f).collect(),
        by_approval: by_approval.into_iter().map(|(_, f)| f).collect(),
    })
}

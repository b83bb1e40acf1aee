//! Intake's fast path for a run of plain submissions (no album parts) in a batch: what
//! admission needs is read for the whole run in one query, the verdicts are worked out here in
//! arrival order (a repeat in the run is a duplicate, the posts admitted before count towards
//! the pending cap, the last admitted profile is the one stored), then each table gets one
//! multi-row statement. A round trip to SQLite's thread costs more than the row it carries, so
//! a run takes a handful of them instead of three or four per submission. Any error sends the
//! batch to the one-by-one path, which finds the submission at fault.

use std::collections::HashMap;

use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use super::super::super::rows::{NOW, fold};
use super::{Request, Stored};
use crate::domain::PostId;
use crate::flags::PostFlags;
use crate::store::charts::media_kind_of;
use crate::store::{AuthorProfile, Refusal, StoreError, SubmitOutcome};

/// Media rows per statement: 9 parameters each, far below SQLite's 32 766.
const MEDIA_CHUNK: usize = 1000;

/// What the database knows about each submission of the run, in order.
const KNOWN: &str = "SELECT \
     (SELECT id FROM posts WHERE source_chat_id = j.value ->> 0 AND source_message_id = j.value ->> 1) AS existing, \
     EXISTS (SELECT 1 FROM bans WHERE user_id = j.value ->> 2) AS banned, \
     (SELECT count(*) FROM posts WHERE author_id = j.value ->> 2 AND status = 'pending') AS pending, \
     CASE WHEN j.value ->> 7 THEN (SELECT count(*) FROM posts WHERE author_id = j.value ->> 2 \
       AND status IN ('approved', 'published', 'publish_failed', 'rejected', 'pending')) END AS earlier, \
     CASE WHEN j.value ->> 7 THEN (SELECT count(*) FROM posts WHERE author_id = j.value ->> 2 \
       AND status = 'rejected') END AS rejected, \
     EXISTS (SELECT 1 FROM authors a WHERE a.id = j.value ->> 2 AND a.username IS j.value ->> 3 \
       AND a.first_name = j.value ->> 4 AND a.last_name IS j.value ->> 5 AND a.language_code IS j.value ->> 6) \
       AS profile_stored \
     FROM json_each(?1) j ORDER BY j.key";

#[derive(sqlx::FromRow)]
struct Known {
    existing: Option<i64>,
    banned: bool,
    pending: i64,
    /// The author's earlier posts and rejections (asked only when there are flags to store).
    earlier: Option<i64>,
    rejected: Option<i64>,
    profile_stored: bool,
}

/// A verdict before the new posts have ids.
enum Verdict {
    Final(SubmitOutcome),
    /// Stored as the `n`-th new post of the batch.
    Create(usize),
    /// A repeat of the `n`-th new post of the batch.
    Repeat(usize),
}

/// Stores a run of plain submissions (no album parts) inside the caller's transaction; one
/// result per request, in order.
pub(super) async fn store_run(conn: &mut SqliteConnection, run: &[Request]) -> Result<Vec<Stored>, StoreError> {
    let known = known(conn, run).await?;
    let (verdicts, created, profiles, flags) = admit(run, known);
    upsert_authors(conn, &profiles).await?;
    let ids = insert_posts(conn, &created, &flags).await?;
    insert_media(conn, &created, &ids).await?;
    insert_jobs(conn, &created, &ids).await?;
    Ok(verdicts
        .into_iter()
        .map(|verdict| match verdict {
            Verdict::Final(outcome) => Stored { outcome, event: None },
            Verdict::Create(n) => Stored { outcome: SubmitOutcome::Created(ids[n]), event: Some("post_created") },
            Verdict::Repeat(n) => Stored { outcome: SubmitOutcome::Duplicate(ids[n]), event: None },
        })
        .collect())
}

async fn known(conn: &mut SqliteConnection, batch: &[Request]) -> Result<Vec<Known>, StoreError> {
    let keys: Vec<serde_json::Value> = batch
        .iter()
        .map(|r| {
            let (p, a) = (&r.post, &r.post.author);
            serde_json::json!([
                p.source_chat_id,
                p.source_message_id,
                a.id.0,
                a.username,
                a.first_name,
                a.last_name,
                a.language_code,
                r.flags.is_some()
            ])
        })
        .collect();
    let known: Vec<Known> =
        sqlx::query_as(KNOWN).bind(serde_json::Value::from(keys).to_string()).fetch_all(&mut *conn).await?;
    if known.len() == batch.len() {
        Ok(known)
    } else {
        Err(StoreError::Corrupt(format!("intake: {} answers for {} submissions", known.len(), batch.len())))
    }
}

type Admitted<'a> = (Vec<Verdict>, Vec<&'a Request>, Vec<&'a AuthorProfile>, Vec<Option<PostFlags>>);

/// The verdicts one-by-one admission would give, in arrival order; the requests to store; the
/// profiles to write, in order (only those that differ from what is stored by then); the flags
/// to store with each request stored (the author's history as one-by-one admission finds it).
fn admit(batch: &[Request], known: Vec<Known>) -> Admitted<'_> {
    let mut verdicts = Vec::with_capacity(batch.len());
    let mut created: Vec<&Request> = Vec::new();
    let mut profiles: Vec<&AuthorProfile> = Vec::new();
    let mut flags: Vec<Option<PostFlags>> = Vec::new();
    let mut new_posts: HashMap<(i64, i32), usize> = HashMap::new();
    let mut admitted: HashMap<i64, i64> = HashMap::new();
    let mut written: HashMap<i64, &AuthorProfile> = HashMap::new();
    for (request, known) in batch.iter().zip(known) {
        let (post, admission) = (&request.post, request.admission);
        let author = post.author.id.0;
        let pending = known.pending + admitted.get(&author).copied().unwrap_or(0);
        let verdict = if let Some(id) = known.existing {
            Verdict::Final(SubmitOutcome::Duplicate(PostId(id)))
        } else if let Some(&n) = new_posts.get(&(post.source_chat_id, post.source_message_id)) {
            Verdict::Repeat(n)
        } else if known.banned {
            Verdict::Final(SubmitOutcome::Refused(Refusal::Banned))
        } else if admission.rate_limited {
            Verdict::Final(SubmitOutcome::Refused(Refusal::RateLimited))
        } else if admission.max_pending.is_some_and(|max| pending >= max) {
            Verdict::Final(SubmitOutcome::Refused(Refusal::TooManyPending(pending)))
        } else {
            let stored_profile = written.get(&author).map_or(known.profile_stored, |p| **p == post.author);
            if !stored_profile {
                profiles.push(&post.author);
            }
            written.insert(author, &post.author);
            let before = admitted.entry(author).or_default();
            let earlier = known.earlier.unwrap_or(0) + *before;
            flags.push(request.flags.as_ref().map(|f| f.with_history(earlier, known.rejected.unwrap_or(0))));
            *before += 1;
            new_posts.insert((post.source_chat_id, post.source_message_id), created.len());
            created.push(request);
            Verdict::Create(created.len() - 1)
        };
        verdicts.push(verdict);
    }
    (verdicts, created, profiles, flags)
}

async fn upsert_authors(conn: &mut SqliteConnection, profiles: &[&AuthorProfile]) -> Result<(), StoreError> {
    if profiles.is_empty() {
        return Ok(());
    }
    let mut qb =
        QueryBuilder::<Sqlite>::new("INSERT INTO authors (id, username, first_name, last_name, language_code) ");
    qb.push_values(profiles, |mut b, a| {
        b.push_bind(a.id.0)
            .push_bind(a.username.as_deref())
            .push_bind(a.first_name.as_str())
            .push_bind(a.last_name.as_deref())
            .push_bind(a.language_code.as_deref());
    });
    qb.push(format_args!(
        " ON CONFLICT (id) DO UPDATE SET username = excluded.username, first_name = excluded.first_name, \
         last_name = excluded.last_name, language_code = excluded.language_code, updated_at = {NOW}"
    ));
    qb.build().persistent(false).execute(&mut *conn).await?;
    Ok(())
}

/// The new posts' ids, in the order of `created`.
async fn insert_posts(
    conn: &mut SqliteConnection,
    created: &[&Request],
    flags: &[Option<PostFlags>],
) -> Result<Vec<PostId>, StoreError> {
    if created.is_empty() {
        return Ok(Vec::new());
    }
    let stored: Vec<(Option<String>, i64)> = flags
        .iter()
        .map(|f| match f {
            Some(f) => Ok((Some(super::super::super::flags::flags_json(f)?), f.mask())),
            None => Ok((None, 0)),
        })
        .collect::<Result<_, StoreError>>()?;
    let mut qb = QueryBuilder::<Sqlite>::new(
        "INSERT INTO posts (author_id, source_chat_id, source_message_id, body, search_text, entities, arrived_at, \
         flags, flag_mask, media_kind) ",
    );
    qb.push_values(created.iter().zip(&stored), |mut b, (r, (json, mask))| {
        b.push_bind(r.post.author.id.0)
            .push_bind(r.post.source_chat_id)
            .push_bind(r.post.source_message_id)
            .push_bind(r.post.body.as_str())
            .push_bind(fold(&r.post.body))
            .push_bind(r.post.entities.to_string())
            .push_bind(super::arrival_text(r.arrived))
            .push_bind(json.as_deref())
            .push_bind(*mask)
            .push_bind(media_kind_of(&r.post.media));
    });
    // RETURNING gives rows in no promised order: match them by their source message.
    qb.push(" RETURNING id, source_chat_id, source_message_id");
    let rows: Vec<(i64, i64, i32)> = qb.build_query_as().persistent(false).fetch_all(&mut *conn).await?;
    let ids: HashMap<(i64, i32), i64> = rows.into_iter().map(|(id, chat, msg)| ((chat, msg), id)).collect();
    created
        .iter()
        .map(|r| {
            ids.get(&(r.post.source_chat_id, r.post.source_message_id))
                .map(|&id| PostId(id))
                .ok_or_else(|| StoreError::Corrupt("intake: a new post has no id".into()))
        })
        .collect()
}

async fn insert_media(conn: &mut SqliteConnection, created: &[&Request], ids: &[PostId]) -> Result<(), StoreError> {
    let rows: Vec<_> = created
        .iter()
        .zip(ids)
        .flat_map(|(r, id)| (0_i64..).zip(&r.post.media).map(move |(position, m)| (*id, position, m)))
        .collect();
    for chunk in rows.chunks(MEDIA_CHUNK) {
        let mut qb = QueryBuilder::<Sqlite>::new(
            "INSERT INTO media (post_id, position, kind, file_id, file_unique_id, source_message_id, file_name, \
             mime_type, file_size) ",
        );
        qb.push_values(chunk, |mut b, (id, position, m)| {
            b.push_bind(id.0)
                .push_bind(*position)
                .push_bind(m.kind.as_str())
                .push_bind(m.file_id.as_str())
                .push_bind(m.file_unique_id.as_str())
                .push_bind(m.source_message_id)
                .push_bind(m.file_name.as_deref())
                .push_bind(m.mime_type.as_deref())
                .push_bind(m.file_size);
        });
        qb.build().persistent(false).execute(&mut *conn).await?;
    }
    Ok(())
}

/// Fingerprint (when there are media) and announce, due now: these are not album parts, so
/// nothing is waited for, and no receipt is asked.
async fn insert_jobs(conn: &mut SqliteConnection, created: &[&Request], ids: &[PostId]) -> Result<(), StoreError> {
    let jobs: Vec<(PostId, &str, &str)> = created
        .iter()
        .zip(ids)
        .flat_map(|(r, id)| {
            let fingerprint = (!r.post.media.is_empty()).then_some((*id, "fingerprint", "{}"));
            fingerprint.into_iter().chain([(*id, "announce", r#"{"receipt":false}"#)])
        })
        .collect();
    if jobs.is_empty() {
        return Ok(());
    }
    let mut qb = QueryBuilder::<Sqlite>::new("INSERT INTO outbox (post_id, kind, payload) ");
    qb.push_values(jobs, |mut b, (id, kind, payload)| {
        b.push_bind(id.0).push_bind(kind).push_bind(payload);
    });
    qb.build().persistent(false).execute(&mut *conn).await?;
    Ok(())
}

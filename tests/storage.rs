//! Storage against a real `PostgreSQL`: the schema's time columns (seed 04), intake, author edits,
//! decisions, claims, list filters, and the bulk reads the outbox uses.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{CHAT, MOD_A, MOD_B, album_post, approve, count, outbox_kinds_since, outbox_mark, reject, text_post};
use postgate::domain::{MediaKind, PostStatus};
use postgate::store::postgres::PgStore;
use postgate::store::{
    Admission, AuthorEdit, AuthorEditOutcome, ClaimOutcome, DecideOutcome, PostQuery, Refusal, Store, SubmitOutcome,
};
use sqlx::PgPool;

#[sqlx::test(migrator = "postgate::store::postgres::MIGRATOR")]
async fn seed_04_every_time_column_is_timestamptz_with_now_default(pool: PgPool) {
    let columns: Vec<(String, String, String, String, Option<String>)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text, data_type::text, is_nullable::text, column_default::text \
         FROM information_schema.columns \
         WHERE table_schema = 'public' AND table_name <> '_sqlx_migrations' \
         AND (data_type LIKE 'timestamp%' OR data_type LIKE 'time%' OR data_type IN ('date', 'interval')) \
         ORDER BY table_name, column_name",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    // The schema has time columns in every table: an empty result means the query is wrong.
    assert!(columns.len() >= 15, "expected the schema's time columns, found {columns:?}");
    for table in ["authors", "moderators", "bans", "posts", "media", "moderation_log", "outbox"] {
        assert!(columns.iter().any(|c| c.0 == table && c.1 == "created_at"), "{table}.created_at missing");
    }
    for (table, column, data_type, nullable, default) in &columns {
        assert_eq!(data_type, "timestamp with time zone", "{table}.{column} is {data_type}");
        if nullable == "NO" {
            assert_eq!(default.as_deref(), Some("now()"), "{table}.{column} is NOT NULL without DEFAULT now()");
        }
    }
    // The database itself must run in UTC-agnostic timestamptz: a stored now() comes back as UTC.
    let (db_now, typ): (chrono::DateTime<chrono::Utc>, String) =
        sqlx::query_as("SELECT now(), pg_typeof(now())::text").fetch_one(&pool).await.unwrap();
    assert_eq!(typ, "timestamp with time zone");
    assert!((chrono::Utc::now() - db_now).num_seconds().abs() < 60, "database clock far from ours: {db_now}");
}

#[sqlx::test(migrator = "postgate::store::postgres::MIGRATOR")]
async fn submit_with_admits_or_refuses_in_the_same_statement(pool: PgPool) {
    let store = PgStore::from_pool(pool.clone());
    let capped = Admission { rate_limited: false, max_pending: Some(2) };
    assert!(matches!(store.submit_with(&text_post(7, 1, "one"), capped).await.unwrap(), SubmitOutcome::Created(_)));
    assert!(matches!(store.submit_with(&text_post(7, 2, "two"), capped).await.unwrap(), SubmitOutcome::Created(_)));
    let third = store.submit_with(&text_post(7, 3, "three"), capped).await.unwrap();
    assert_eq!(third, SubmitOutcome::Refused(Refusal::TooManyPending(2)));
    // A redelivered update at the cap is recognised, not refused.
    assert!(matches!(store.submit_with(&text_post(7, 1, "one"), capped).await.unwrap(), SubmitOutcome::Duplicate(_)));

    let limited = Admission { rate_limited: true, max_pending: None };
    assert_eq!(
        store.submit_with(&text_post(8, 11, "fast"), limited).await.unwrap(),
        SubmitOutcome::Refused(Refusal::RateLimited)
    );
    sqlx::query("INSERT INTO bans (user_id, reason) VALUES (9, 'spam')").execute(&pool).await.unwrap();
    // The ban is named first, whatever else applies.
    assert_eq!(
        store.submit_with(&text_post(9, 21, "banned"), limited).await.unwrap(),
        SubmitOutcome::Refused(Refusal::Banned)
    );
    assert_eq!(store.submit(&text_post(9, 22, "still banned")).await.unwrap(), SubmitOutcome::Refused(Refusal::Banned));

    // Refusals write nothing: no post, no author, no job.
    assert_eq!(count(&pool, "posts").await, 2);
    assert_eq!(count(&pool, "authors").await, 1);
    assert_eq!(count(&pool, "outbox").await, 2);

    // One medium (no album): post, media row and both jobs (fingerprint, then announce) at once.
    let photo = store.submit_with(&album_post(10, 20, "a photo", &[MediaKind::Photo]), capped).await.unwrap();
    let SubmitOutcome::Created(id) = photo else { panic!("photo not created: {photo:?}") };
    let stored = store.post(id).await.unwrap().unwrap();
    assert_eq!(stored.media.iter().map(|m| m.kind).collect::<Vec<_>>(), [MediaKind::Photo]);
    let kinds: Vec<String> = sqlx::query_scalar("SELECT kind FROM outbox WHERE post_id = $1 ORDER BY id")
        .bind(id.0)
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(kinds, ["fingerprint", "announce"]);
}

#[sqlx::test(migrator = "postgate::store::postgres::MIGRATOR")]
async fn submit_redelivery_returns_duplicate_and_writes_nothing(pool: PgPool) {
    let store = PgStore::from_pool(pool.clone());
    let post = album_post(1, 10, "альбом", &[MediaKind::Photo, MediaKind::Video]);
    let first = store.submit(&post).await.unwrap();
    let SubmitOutcome::Created(id) = first else { panic!("first delivery must create, got {first:?}") };
    let again = store.submit(&post).await.unwrap();
    assert_eq!(again, SubmitOutcome::Duplicate(id));
    assert_eq!(count(&pool, "posts").await, 1);
    assert_eq!(count(&pool, "media").await, 2);
    assert_eq!(count(&pool, "authors").await, 1);
    let stored = store.post(id).await.unwrap().expect("post exists");
    assert_eq!(stored.status, PostStatus::Pending);
    assert_eq!(stored.media.iter().map(|m| m.kind).collect::<Vec<_>>(), [MediaKind::Photo, MediaKind::Video]);
    assert_eq!(stored.media_group_id.as_deref(), Some("group-10"));
    assert_eq!(store.pending_count_of(post.author.id).await.unwrap(), 1);
}

#[sqlx::test(migrator = "postgate::store::postgres::MIGRATOR")]
async fn author_edit_applies_while_pending_and_is_too_late_after_a_decision(pool: PgPool) {
    let store = PgStore::from_pool(pool);
    let id = store
        .submit(&album_post(2, 20, "old caption", &[MediaKind::Photo, MediaKind::Photo]))
        .await
        .unwrap()
        .post_id()
        .unwrap();
    let edit = |message_id: i32, body: &str| AuthorEdit {
        source_chat_id: CHAT,
        source_message_id: message_id,
        body: body.into(),
        entities: serde_json::json!([]),
    };
    // The second message of the album belongs to the same submission.
    assert_eq!(store.author_edit(&edit(21, "new caption")).await.unwrap(), AuthorEditOutcome::Updated(id));
    let post = store.post(id).await.unwrap().unwrap();
    assert!(post.edited_by_author);
    assert_eq!(post.body, "new caption");
    assert_eq!(store.author_edit(&edit(999, "x")).await.unwrap(), AuthorEditOutcome::Unknown);

    assert!(matches!(store.decide(&approve(id, MOD_A)).await.unwrap(), DecideOutcome::Decided { .. }));
    assert_eq!(store.author_edit(&edit(20, "too late")).await.unwrap(), AuthorEditOutcome::TooLate(id));
    assert_eq!(store.post(id).await.unwrap().unwrap().body, "new caption");
}

#[sqlx::test(migrator = "postgate::store::postgres::MIGRATOR")]
async fn a_second_decision_is_already_decided(pool: PgPool) {
    let store = PgStore::from_pool(pool.clone());
    let id = store.submit(&text_post(3, 30, "hello")).await.unwrap().post_id().unwrap();
    let mark = outbox_mark(&pool).await;
    let DecideOutcome::Decided { post } = store.decide(&approve(id, MOD_A)).await.unwrap() else {
        panic!("first decision must apply")
    };
    assert_eq!(post.status, PostStatus::Approved);
    assert_eq!(post.decided_by, Some(MOD_A));
    assert!(post.decided_at.is_some());
    let second = store.decide(&reject(id, MOD_B)).await.unwrap();
    let DecideOutcome::AlreadyDecided { status, by } = second else { panic!("got {second:?}") };
    assert_eq!((status, by), (PostStatus::Approved, Some(MOD_A)));
    // Exactly one decision was recorded, with its outbox work.
    assert_eq!(count(&pool, "moderation_log").await, 1);
    assert_eq!(outbox_kinds_since(&pool, mark).await, ["publish", "update_card"]);
    assert_eq!(store.post(id).await.unwrap().unwrap().status, PostStatus::Approved);
}

#[sqlx::test(migrator = "postgate::store::postgres::MIGRATOR")]
async fn a_claim_keeps_other_moderators_out(pool: PgPool) {
    let store = PgStore::from_pool(pool.clone());
    let id = store.submit(&text_post(4, 40, "claim me")).await.unwrap().post_id().unwrap();
    let mark = outbox_mark(&pool).await;
    let ClaimOutcome::Claimed { until } = store.claim(id, MOD_A, 60).await.unwrap() else { panic!("A claims") };
    assert!(until > chrono::Utc::now());
    let held = store.claim(id, MOD_B, 60).await.unwrap();
    assert!(matches!(held, ClaimOutcome::HeldByOther { by, .. } if by == MOD_A), "got {held:?}");
    let blocked = store.decide(&reject(id, MOD_B)).await.unwrap();
    assert!(matches!(blocked, DecideOutcome::ClaimedByOther { by, .. } if by == MOD_A), "got {blocked:?}");
    assert_eq!(store.post(id).await.unwrap().unwrap().status, PostStatus::Pending);
    assert_eq!(count(&pool, "moderation_log").await, 0);
    assert!(outbox_kinds_since(&pool, mark).await.is_empty(), "a refused decision queues nothing");

    // The claim holder decides; the claim is cleared with the decision.
    let DecideOutcome::Decided { post } = store.decide(&approve(id, MOD_A)).await.unwrap() else { panic!() };
    assert_eq!((post.claimed_by, post.claim_expires_at), (None, None));
    assert_eq!(store.claim(id, MOD_B, 60).await.unwrap(), ClaimOutcome::NotPending);

    // An expired claim does not block anyone.
    let other = store.submit(&text_post(4, 41, "stale claim")).await.unwrap().post_id().unwrap();
    store.claim(other, MOD_A, 60).await.unwrap();
    sqlx::query("UPDATE posts SET claim_expires_at = now() - interval '1 second' WHERE id = $1")
        .bind(other.0)
        .execute(&pool)
        .await
        .unwrap();
    assert!(matches!(store.decide(&reject(other, MOD_B)).await.unwrap(), DecideOutcome::Decided { .. }));
}

#[sqlx::test(migrator = "postgate::store::postgres::MIGRATOR")]
async fn list_posts_filters_by_status_media_kind_and_literal_search(pool: PgPool) {
    let store = PgStore::from_pool(pool);
    let bodies = ["100% real", "100 real", "snake_case name", "snakeXcase name", "back\\slash", "Plain TEXT"];
    let mut ids = Vec::new();
    for (i, body) in (0..).zip(bodies) {
        ids.push(store.submit(&text_post(5, 50 + i, body)).await.unwrap().post_id().unwrap());
    }
    let video = store.submit(&album_post(6, 70, "a clip", &[MediaKind::Video])).await.unwrap().post_id().unwrap();
    let album = store.submit(&album_post(6, 80, "photos", &[MediaKind::Photo, MediaKind::Photo])).await.unwrap();
    store.decide(&approve(ids[0], MOD_A)).await.unwrap();
    store.decide(&reject(ids[1], MOD_A)).await.unwrap();

    let search = |s: &str| PostQuery { search: Some(s.into()), ..PostQuery::default() };
    let found = |page: postgate::store::PostPage| page.posts.iter().map(|p| p.excerpt.clone()).collect::<Vec<_>>();
    assert_eq!(found(store.list_posts(&search("100%")).await.unwrap()), ["100% real"]);
    assert_eq!(found(store.list_posts(&search("e_c")).await.unwrap()), ["snake_case name"]);
    assert_eq!(found(store.list_posts(&search("k\\s")).await.unwrap()), ["back\\slash"]);
    assert_eq!(found(store.list_posts(&search("plain text")).await.unwrap()), ["Plain TEXT"]);
    assert_eq!(store.list_posts(&search("%")).await.unwrap().total, 1);

    let pending =
        store.list_posts(&PostQuery { status: Some(PostStatus::Pending), ..PostQuery::default() }).await.unwrap();
    assert_eq!(pending.total, 6);
    assert!(pending.posts.iter().all(|p| p.status == PostStatus::Pending));
    let approved =
        store.list_posts(&PostQuery { status: Some(PostStatus::Approved), ..PostQuery::default() }).await.unwrap();
    assert_eq!(approved.posts.iter().map(|p| p.id).collect::<Vec<_>>(), [ids[0]]);

    let videos =
        store.list_posts(&PostQuery { media_kind: Some(MediaKind::Video), ..PostQuery::default() }).await.unwrap();
    assert_eq!(videos.posts.iter().map(|p| p.id).collect::<Vec<_>>(), [video]);
    let photos =
        store.list_posts(&PostQuery { media_kind: Some(MediaKind::Photo), ..PostQuery::default() }).await.unwrap();
    assert_eq!(photos.posts.len(), 1);
    assert_eq!(photos.posts[0].id, album.post_id().unwrap());
    assert_eq!(photos.posts[0].media_count, 2);
    assert_eq!(photos.posts[0].first_media_kind, Some(MediaKind::Photo));

    // Paging: total counts the whole filter, the page is bounded; newest first reverses.
    let page = store.list_posts(&PostQuery { limit: 3, offset: 1, ..PostQuery::default() }).await.unwrap();
    assert_eq!(page.total, 8);
    assert_eq!(page.posts.iter().map(|p| p.id).collect::<Vec<_>>(), ids[1..4]);
    let newest = store.list_posts(&PostQuery { limit: 1, newest_first: true, ..PostQuery::default() }).await.unwrap();
    assert_eq!(newest.posts[0].id, album.post_id().unwrap());
}

#[sqlx::test(migrator = "postgate::store::postgres::MIGRATOR")]
async fn edit_and_approve_replaces_the_text_drops_stale_formatting_and_logs_both_versions(pool: PgPool) {
    let store = PgStore::from_pool(pool);
    let mut post = text_post(5, 1, "Hello bold world");
    post.entities = serde_json::json!([{ "type": "bold", "offset": 6, "length": 4 }]);
    let id = store.submit(&post).await.unwrap().post_id().unwrap();
    let decision = postgate::store::Decision {
        post_id: id,
        moderator: MOD_A,
        source: postgate::domain::ActionSource::Console,
        kind: postgate::store::DecisionKind::Approve { edited_body: Some("Hello, world".into()) },
    };
    let DecideOutcome::Decided { post } = store.decide(&decision).await.unwrap() else { panic!("not decided") };
    assert_eq!(post.body, "Hello, world");
    assert_eq!(post.entities, serde_json::json!([]), "offsets of the old text would point at the wrong characters");
    assert!(post.edited_by_moderator);
    let log = store.moderation_log(Some(id), 10).await.unwrap();
    assert_eq!(log[0].action, "edit_approve");
    assert_eq!(log[0].details["previous_body"], "Hello bold world");
    assert_eq!(log[0].details["new_body"], "Hello, world");
}

#[sqlx::test(migrator = "postgate::store::postgres::MIGRATOR")]
async fn posts_and_authors_read_in_bulk_match_their_single_reads(pool: PgPool) {
    let store = PgStore::from_pool(pool.clone());
    let text = store.submit(&text_post(1, 1, "one")).await.unwrap().post_id().unwrap();
    let album = store
        .submit(&album_post(2, 10, "album", &[MediaKind::Photo, MediaKind::Video, MediaKind::Photo]))
        .await
        .unwrap()
        .post_id()
        .unwrap();
    let photo = store.submit(&album_post(1, 20, "photo", &[MediaKind::Photo])).await.unwrap().post_id().unwrap();
    assert!(matches!(store.decide(&approve(photo, MOD_A)).await.unwrap(), DecideOutcome::Decided { .. }));

    let missing = postgate::domain::PostId(999_999);
    let bulk = store.posts(&[album, missing, text, photo]).await.unwrap();
    assert_eq!(bulk.len(), 3, "a missing post is left out");
    for record in &bulk {
        let single = store.post(record.id).await.unwrap().unwrap();
        assert_eq!(serde_json::to_value(record).unwrap(), serde_json::to_value(&single).unwrap());
    }
    let album_record = bulk.iter().find(|p| p.id == album).unwrap();
    let kinds: Vec<MediaKind> = album_record.media.iter().map(|m| m.kind).collect();
    assert_eq!(kinds, [MediaKind::Photo, MediaKind::Video, MediaKind::Photo], "media stay in album order");
    assert!(bulk.iter().find(|p| p.id == text).unwrap().media.is_empty());

    let (one, two) = (postgate::domain::UserId(1), postgate::domain::UserId(2));
    let authors = store.authors(&[two, postgate::domain::UserId(404), one]).await.unwrap();
    assert_eq!(authors.len(), 2, "an unknown author is left out");
    for record in &authors {
        let single = store.author(record.profile.id).await.unwrap().unwrap();
        assert_eq!(serde_json::to_value(record).unwrap(), serde_json::to_value(&single).unwrap());
    }
    let first = authors.iter().find(|a| a.profile.id == one).unwrap();
    assert_eq!((first.pending, first.approved, first.rejected), (1, 1, 0), "counts are per author");

    assert_eq!(store.locale_override(one).await.unwrap(), None);
    store.set_locale_override(one, Some("en")).await.unwrap();
    assert_eq!(store.locale_override(one).await.unwrap().as_deref(), Some("en"));
    assert_eq!(store.locale_override(postgate::domain::UserId(404)).await.unwrap(), None, "unknown user");
}

/// Submissions that queue up together are written by one statement; each gets the verdict it
/// would get written one by one in arrival order (the pending cap counts the earlier ones of
/// the same author, the last admitted profile is kept, a redelivery is a duplicate).
#[sqlx::test(migrator = "postgate::store::postgres::MIGRATOR")]
async fn submissions_written_together_get_the_verdicts_they_would_get_one_by_one(pool: PgPool) {
    use postgate::domain::{ActionSource, UserId};
    use postgate::store::BanRequest;
    let store = PgStore::from_pool(pool.clone());
    let ban =
        BanRequest { user: UserId(7), moderator: MOD_A, source: ActionSource::Console, reason: "x".into(), post: None };
    store.ban(&ban).await.unwrap();
    let existing = store.submit(&text_post(9, 1, "first")).await.unwrap().post_id().unwrap();
    store.submit(&text_post(8, 100, "already pending")).await.unwrap();

    let cap = Admission { rate_limited: false, max_pending: Some(3) };
    let mut batch: Vec<(postgate::store::NewPost, Admission)> =
        (1..=5).map(|m| (text_post(8, 200 + m, "eight"), cap)).collect();
    batch.push((text_post(7, 300, "banned"), cap));
    batch.push((text_post(10, 400, "too fast"), Admission { rate_limited: true, ..cap }));
    batch.push((text_post(9, 1, "first"), cap));
    batch.push((album_post(11, 500, "photo", &[MediaKind::Photo]), cap));
    let mut renamed = text_post(11, 501, "renamed");
    renamed.author.first_name = "Renamed".into();
    batch.push((renamed, cap));
    batch.extend((0..40).map(|u| (text_post(2_000 + u, 1_000 + i32::try_from(u).unwrap(), "filler"), cap)));

    let outcomes: Vec<SubmitOutcome> =
        futures::future::join_all(batch.iter().map(|(post, admission)| store.submit_with(post, *admission)))
            .await
            .into_iter()
            .map(Result::unwrap)
            .collect();
    assert!(outcomes[..2].iter().all(|o| matches!(o, SubmitOutcome::Created(_))), "{outcomes:?}");
    assert!(outcomes[2..5].iter().all(|o| *o == SubmitOutcome::Refused(Refusal::TooManyPending(3))), "{outcomes:?}");
    assert_eq!(outcomes[5], SubmitOutcome::Refused(Refusal::Banned));
    assert_eq!(outcomes[6], SubmitOutcome::Refused(Refusal::RateLimited));
    assert_eq!(outcomes[7], SubmitOutcome::Duplicate(existing));
    assert!(outcomes[8..].iter().all(|o| matches!(o, SubmitOutcome::Created(_))), "{outcomes:?}");
    let ids: std::collections::HashSet<_> = outcomes.iter().filter_map(|o| o.post_id()).collect();
    assert_eq!(ids.len(), 2 + 1 + 2 + 40, "one distinct post per admitted submission (and the duplicate)");
    assert_eq!(count(&pool, "posts").await, 2 + 2 + 2 + 40);

    let photo = store.post(outcomes[8].post_id().unwrap()).await.unwrap().unwrap();
    assert_eq!(photo.media.len(), 1);
    let kinds = outbox_kinds_since(&pool, 0).await;
    assert_eq!(kinds.iter().filter(|k| *k == "fingerprint").count(), 1, "{kinds:?}");
    assert_eq!(kinds.iter().filter(|k| *k == "announce").count(), 2 + 2 + 2 + 40, "{kinds:?}");
    let name: String =
        sqlx::query_scalar("SELECT first_name FROM authors WHERE id = 11").fetch_one(&pool).await.unwrap();
    assert_eq!(name, "Renamed", "the last admitted profile is kept");
}

//! Contract: `list_posts` — filters (status, media kind, author, edited), a case-insensitive
//! literal text search (Cyrillic too), oldest- or newest-first paging with the filter's total,
//! and the summary fields a list row shows.

use std::sync::Arc;

use postgate::domain::{MediaKind, PostId, PostStatus, UserId};
use postgate::store::{NewPost, PostPage, PostQuery, Store};

use crate::common::{MOD_A, MOD_B, album_post, approve, text_post};
use crate::fixtures::{edit, reject_for, submit};

fn ids(page: &PostPage) -> Vec<PostId> {
    page.posts.iter().map(|p| p.id).collect()
}

async fn search(store: &dyn Store, text: &str) -> Vec<String> {
    let query = PostQuery { search: Some(text.into()), ..PostQuery::default() };
    let page = store.list_posts(&query).await.unwrap();
    assert_eq!(page.total, i64::try_from(page.posts.len()).unwrap());
    page.posts.iter().map(|p| p.excerpt.clone()).collect()
}

pub async fn list_posts_filters_by_status_media_kind_author_and_edited(store: Arc<dyn Store>) {
    let pending = submit(&*store, &text_post(1, 1, "pending")).await;
    let approved = submit(&*store, &text_post(1, 2, "approved")).await;
    let rejected = submit(&*store, &text_post(2, 3, "rejected")).await;
    let video = submit(&*store, &album_post(2, 10, "video", &[MediaKind::Video])).await;
    let album = submit(&*store, &album_post(3, 20, "mixed", &[MediaKind::Photo, MediaKind::Video])).await;
    store.decide(&approve(approved, MOD_A)).await.unwrap();
    store.decide(&reject_for(rejected, MOD_A, "no", false)).await.unwrap();
    store.author_edit(&edit(1, "pending, edited")).await.unwrap();

    let list = |q: PostQuery| {
        let store = Arc::clone(&store);
        async move { store.list_posts(&q).await.unwrap() }
    };
    let all = list(PostQuery::default()).await;
    assert_eq!((all.total, ids(&all)), (5, vec![pending, approved, rejected, video, album]));

    let by_status = list(PostQuery { status: Some(PostStatus::Pending), ..PostQuery::default() }).await;
    assert_eq!((by_status.total, ids(&by_status)), (3, vec![pending, video, album]));
    assert!(by_status.posts.iter().all(|p| p.status == PostStatus::Pending));
    let by_status = list(PostQuery { status: Some(PostStatus::Rejected), ..PostQuery::default() }).await;
    assert_eq!(ids(&by_status), [rejected]);
    let none = list(PostQuery { status: Some(PostStatus::Published), ..PostQuery::default() }).await;
    assert_eq!((none.total, none.posts.len()), (0, 0));

    // A kind matches a post with any item of that kind.
    let videos = list(PostQuery { media_kind: Some(MediaKind::Video), ..PostQuery::default() }).await;
    assert_eq!((videos.total, ids(&videos)), (2, vec![video, album]));
    let photos = list(PostQuery { media_kind: Some(MediaKind::Photo), ..PostQuery::default() }).await;
    assert_eq!(ids(&photos), [album]);

    let by_author = list(PostQuery { author: Some(UserId(2)), ..PostQuery::default() }).await;
    assert_eq!((by_author.total, ids(&by_author)), (2, vec![rejected, video]));
    let edited = list(PostQuery { edited: Some(true), ..PostQuery::default() }).await;
    assert_eq!(ids(&edited), [pending]);
    let unedited = list(PostQuery { edited: Some(false), ..PostQuery::default() }).await;
    assert_eq!(unedited.total, 4);

    // Filters combine.
    let combined = PostQuery {
        status: Some(PostStatus::Pending),
        author: Some(UserId(2)),
        media_kind: Some(MediaKind::Video),
        ..PostQuery::default()
    };
    let combined = list(combined).await;
    assert_eq!((combined.total, ids(&combined)), (1, vec![video]), "the total counts what the page lists");
}

pub async fn list_posts_search_is_case_insensitive_including_cyrillic(store: Arc<dyn Store>) {
    for (m, body) in (1..).zip(["Привет, МИР", "Ёлка и ёж", "Hello World", "нет совпадений", "Straße", "ÀÉÎÕÜ"])
    {
        submit(&*store, &text_post(1, m, body)).await;
    }
    assert_eq!(search(&*store, "мир").await, ["Привет, МИР"]);
    assert_eq!(search(&*store, "ПРИВЕТ").await, ["Привет, МИР"]);
    assert_eq!(search(&*store, "пРиВеТ, мИр").await, ["Привет, МИР"]);
    assert_eq!(search(&*store, "ЁЛКА").await, ["Ёлка и ёж"]);
    assert_eq!(search(&*store, "ЁЖ").await, ["Ёлка и ёж"]);
    assert_eq!(search(&*store, "hello world").await, ["Hello World"]);
    assert_eq!(search(&*store, "STRAßE").await, ["Straße"]);
    assert_eq!(search(&*store, "àéîõü").await, ["ÀÉÎÕÜ"]);
    assert_eq!(search(&*store, "ивет").await, ["Привет, МИР"], "inside a word");
    assert!(search(&*store, "привет мир").await.is_empty(), "the text as typed, not words in any order");
    assert!(search(&*store, "отсутствует").await.is_empty());
    // Surrounding blanks are not part of the search; a blank search is no filter.
    assert_eq!(search(&*store, "  мир ").await, ["Привет, МИР"]);
    assert_eq!(search(&*store, "   ").await.len(), 6);
}

pub async fn list_posts_search_takes_wildcards_literally(store: Arc<dyn Store>) {
    let bodies = ["100% real", "100 real", "snake_case", "snakeXcase", "back\\slash", "backslash"];
    for (m, body) in (1..).zip(bodies) {
        submit(&*store, &text_post(1, m, body)).await;
    }
    assert_eq!(search(&*store, "100%").await, ["100% real"]);
    assert_eq!(search(&*store, "%").await, ["100% real"]);
    assert_eq!(search(&*store, "e_c").await, ["snake_case"]);
    assert_eq!(search(&*store, "_").await, ["snake_case"]);
    assert_eq!(search(&*store, "k\\s").await, ["back\\slash"]);
    assert_eq!(search(&*store, "*").await, Vec::<String>::new());
}

pub async fn list_posts_pages_with_the_total_of_the_filter(store: Arc<dyn Store>) {
    let mut all = Vec::new();
    for m in 1..=7 {
        all.push(submit(&*store, &text_post(1 + i64::from(m % 2), m, &format!("post {m}"))).await);
    }
    let page =
        |offset: i64, limit: i64, newest_first: bool| PostQuery { offset, limit, newest_first, ..PostQuery::default() };

    let first = store.list_posts(&page(0, 3, false)).await.unwrap();
    assert_eq!((first.total, ids(&first)), (7, all[0..3].to_vec()));
    let second = store.list_posts(&page(3, 3, false)).await.unwrap();
    assert_eq!((second.total, ids(&second)), (7, all[3..6].to_vec()));
    let last = store.list_posts(&page(6, 3, false)).await.unwrap();
    assert_eq!((last.total, ids(&last)), (7, all[6..].to_vec()));
    let past = store.list_posts(&page(10, 3, false)).await.unwrap();
    assert_eq!((past.total, past.posts.len()), (7, 0), "past the end: no rows, the same total");

    let newest: Vec<PostId> = all.iter().rev().copied().collect();
    let first = store.list_posts(&page(0, 3, true)).await.unwrap();
    assert_eq!(ids(&first), newest[0..3]);
    let second = store.list_posts(&page(3, 3, true)).await.unwrap();
    assert_eq!(ids(&second), newest[3..6]);

    // The total counts the filter, not the page.
    let filtered = PostQuery { author: Some(UserId(1)), limit: 2, ..PostQuery::default() };
    let page = store.list_posts(&filtered).await.unwrap();
    assert_eq!((page.total, ids(&page)), (3, vec![all[1], all[3]]));
}

pub async fn list_posts_limit_defaults_to_fifty_and_stops_at_two_hundred(store: Arc<dyn Store>) {
    let posts: Vec<NewPost> = (1..=205).map(|m| text_post(1 + i64::from(m % 7), m, "many")).collect();
    for outcome in futures::future::join_all(posts.iter().map(|p| store.submit(p))).await {
        assert!(outcome.unwrap().post_id().is_some());
    }
    let default = store.list_posts(&PostQuery::default()).await.unwrap();
    assert_eq!((default.total, default.posts.len()), (205, 50), "0 means 50");
    let small = store.list_posts(&PostQuery { limit: 7, ..PostQuery::default() }).await.unwrap();
    assert_eq!(small.posts.len(), 7);
    let huge = store.list_posts(&PostQuery { limit: 10_000, ..PostQuery::default() }).await.unwrap();
    assert_eq!((huge.total, huge.posts.len()), (205, 200), "at most 200 a page");
    let negative = store.list_posts(&PostQuery { offset: -5, limit: 2, ..PostQuery::default() }).await.unwrap();
    assert_eq!(ids(&negative), ids(&small)[..2], "a negative offset starts at the beginning");
}

pub async fn list_posts_summaries_carry_what_a_row_shows(store: Arc<dyn Store>) {
    let long = "д".repeat(300);
    let text = submit(&*store, &text_post(1, 1, &long)).await;
    let mut anonymous = album_post(2, 10, "album", &[MediaKind::Video, MediaKind::Photo]);
    anonymous.author.last_name = None;
    anonymous.author.first_name = "Solo".into();
    let album = submit(&*store, &anonymous).await;
    store.author_edit(&edit(1, &long)).await.unwrap();
    store.claim(album, MOD_B, 60).await.unwrap();
    let decided = submit(&*store, &text_post(1, 20, "decided")).await;
    store.decide(&approve(decided, MOD_A)).await.unwrap();

    let page = store.list_posts(&PostQuery::default()).await.unwrap();
    let row = |id: PostId| page.posts.iter().find(|p| p.id == id).unwrap();
    let t = row(text);
    assert_eq!((t.author_id, t.author_name.as_str()), (UserId(1), "Иван Петров"));
    assert!(long.starts_with(&t.excerpt) && !t.excerpt.is_empty(), "an excerpt is the start of the text");
    assert!(t.excerpt.chars().count() <= 300);
    assert_eq!((t.media_count, t.first_media_kind), (0, None));
    assert!(t.edited_by_author);
    assert_eq!((t.claimed_by, t.claim_expires_at, t.decided_at), (None, None, None));

    let a = row(album);
    assert_eq!(a.author_name, "Solo");
    assert_eq!((a.media_count, a.first_media_kind), (2, Some(MediaKind::Video)));
    assert!(!a.edited_by_author);
    assert_eq!(a.claimed_by, Some(MOD_B));
    assert!(a.claim_expires_at.is_some_and(|until| until > chrono::Utc::now()));

    let d = row(decided);
    assert_eq!(d.status, PostStatus::Approved);
    assert!(d.decided_at.is_some());
    assert!(d.created_at <= d.decided_at.unwrap());
}

pub async fn list_posts_search_follows_every_change_of_the_text(store: Arc<dyn Store>) {
    let edited = submit(&*store, &text_post(1, 1, "первоначальный текст")).await;
    store.author_edit(&edit(1, "исправленный автором")).await.unwrap();
    let approved = submit(&*store, &text_post(1, 2, "черновик модератора")).await;
    let kind =
        postgate::store::DecisionKind::Approve { edited_body: Some("одобренный вариант".into()) };
    store.decide(&crate::fixtures::decision(approved, MOD_A, kind)).await.unwrap();
    // An album whose caption came with a later part.
    let mut first = album_post(2, 10, "", &[MediaKind::Photo]);
    first.media_group_id = Some("g".into());
    let album = submit(&*store, &first).await;
    let mut part = album_post(2, 11, "подпись альбома", &[MediaKind::Photo]);
    part.media_group_id = Some("g".into());
    submit(&*store, &part).await;

    let found = |text: &'static str| {
        let store = Arc::clone(&store);
        async move {
            let query = PostQuery { search: Some(text.into()), ..PostQuery::default() };
            ids(&store.list_posts(&query).await.unwrap())
        }
    };
    assert_eq!(found("исправленный").await, [edited]);
    assert!(found("первоначальный").await.is_empty(), "the old text is gone");
    assert_eq!(found("ОДОБРЕННЫЙ").await, [approved]);
    assert!(found("черновик").await.is_empty());
    assert_eq!(found("подпись").await, [album]);
}

/// A media kind held by many posts and one held by few (backends may walk the two
/// differently) give the same pages, in both orders, with exact totals.
pub async fn media_kind_pages_are_exact_for_common_and_rare_kinds(store: Arc<dyn Store>) {
    let mut photos = Vec::new();
    let mut video = None;
    for i in 0..120 {
        let id = match i {
            _ if i % 3 == 0 => {
                let id = submit(&*store, &album_post(1, 1_000 + i, "photo", &[MediaKind::Photo])).await;
                photos.push(id);
                id
            }
            77 => {
                let id = submit(&*store, &album_post(2, 1_000 + i, "video", &[MediaKind::Video])).await;
                video = Some(id);
                id
            }
            _ => submit(&*store, &text_post(3, 1_000 + i, "text")).await,
        };
        assert!(id.0 > 0);
    }
    let query = |kind, offset, newest_first| PostQuery {
        media_kind: Some(kind),
        limit: 15,
        offset,
        newest_first,
        ..PostQuery::default()
    };
    let page = store.list_posts(&query(MediaKind::Photo, 15, false)).await.unwrap();
    assert_eq!((page.total, ids(&page)), (40, photos[15..30].to_vec()), "a common kind, second page");
    let page = store.list_posts(&query(MediaKind::Photo, 0, true)).await.unwrap();
    let newest: Vec<PostId> = photos.iter().rev().take(15).copied().collect();
    assert_eq!((page.total, ids(&page)), (40, newest), "newest first");
    let page = store.list_posts(&query(MediaKind::Video, 0, false)).await.unwrap();
    assert_eq!((page.total, ids(&page)), (1, vec![video.unwrap()]), "a rare kind");
    let page = store.list_posts(&query(MediaKind::Audio, 0, false)).await.unwrap();
    assert_eq!((page.total, page.posts.len()), (0, 0), "a kind nobody sent");
}

//! Contract: flags for a second look — stored with the post and read back with it, filtered
//! in the queue by kind, near-duplicates found through the stored LSH bands (a small edit and
//! reordered sentences; not an unrelated text, not an old or rejected post), the author's
//! history, a failed computation stored as "not checked", and a card already out refreshed.

use std::sync::Arc;

use chrono::{Duration, Utc};
use postgate::config::FlagsConfig;
use postgate::domain::PostId;
use postgate::flags::minhash::{bands, shingles};
use postgate::flags::{FlagKind, PostFlags};
use postgate::moderation::flags::{FlagInput, check, check_with};
use postgate::store::{OutboxKind, PostQuery, Store, StoreError};

use crate::common::{MOD_A, text_post};
use crate::fixtures::{decided, kinds_for, lease_all, post, reject_for, submit};

const TEXT: &str = "Продаю велосипед Stels в хорошем состоянии. Пробег небольшой, все детали родные. \
                    Забирать в центре города, торг уместен.";

/// Submits a text by `author` and computes its flags as intake does.
async fn flagged(store: &dyn Store, author: i64, message_id: i32, body: &str) -> (PostId, PostFlags) {
    let id = submit(store, &text_post(author, message_id, body)).await;
    let input = FlagInput {
        author: postgate::domain::UserId(author),
        body: body.into(),
        entities: serde_json::json!([]),
        forwarded: None,
    };
    check(store, &FlagsConfig::default(), id, &input).await;
    (id, post(store, id).await.flags.expect("flags computed"))
}

fn only(kind: FlagKind) -> PostQuery {
    PostQuery { flags: Some(kind.bit()), ..PostQuery::default() }
}

pub async fn flags_are_stored_with_the_post_and_filtered_by_kind(store: Arc<dyn Store>) {
    let plain = submit(&*store, &text_post(1, 1, "просто текст")).await;
    let (linked, flags) = flagged(&*store, 2, 2, "смотри https://bit.ly/x и звони +7 916 123-45-67").await;
    assert!(flags.checked && flags.has(FlagKind::Links) && flags.has(FlagKind::Phones), "{flags:?}");
    assert_eq!(flags.domains, ["bit.ly"]);
    let (mentioned, _) = flagged(&*store, 3, 3, "пишите @seller_bot").await;
    assert_eq!(post(&*store, plain).await.flags, None, "not computed yet");

    let ids = |page: postgate::store::PostPage| page.posts.iter().map(|p| p.id).collect::<Vec<_>>();
    assert_eq!(ids(store.list_posts(&only(FlagKind::Links)).await.unwrap()), [linked]);
    assert_eq!(ids(store.list_posts(&only(FlagKind::Mentions)).await.unwrap()), [mentioned]);
    let any = PostQuery { flags: Some(FlagKind::Links.bit() | FlagKind::Mentions.bit()), ..PostQuery::default() };
    let page = store.list_posts(&any).await.unwrap();
    assert_eq!((ids(page.clone()), page.total), (vec![linked, mentioned], 2));
    let all = store.list_posts(&PostQuery::default()).await.unwrap();
    let mask = |id| all.posts.iter().find(|p| p.id == id).unwrap().flag_mask;
    assert_eq!(mask(plain), 0);
    assert_eq!(mask(linked), flags.mask());
}

pub async fn near_duplicates_are_found_through_their_bands(store: Arc<dyn Store>) {
    let (original, first) = flagged(&*store, 1, 1, TEXT).await;
    assert_eq!(first.duplicate, None);
    let (_, edited) = flagged(&*store, 2, 2, &TEXT.replace("хорошем", "отличном")).await;
    let found = edited.duplicate.expect("a small edit is a near-duplicate");
    assert_eq!(found.post_id, original);
    assert!((80..100).contains(&found.percent), "{found:?}");
    let reordered = "Забирать в центре города, торг уместен. Продаю велосипед Stels в хорошем состоянии. \
                     Пробег небольшой, все детали родные.";
    let (_, moved) = flagged(&*store, 3, 3, reordered).await;
    assert_eq!(moved.duplicate.map(|d| d.percent), Some(100), "reordered sentences: {moved:?}");
    let (_, other) = flagged(&*store, 4, 4, "Ищу попутчиков до Казани на выходные, выезд в субботу утром").await;
    assert_eq!(other.duplicate, None);

    // Only recent posts, never the post itself, never a rejected one.
    let b = bands(&shingles(TEXT));
    let recent = store.duplicate_candidates(&b, Utc::now() - Duration::days(1), PostId(0), 20).await.unwrap();
    assert!(recent.iter().any(|(id, body)| *id == original && body == TEXT), "{recent:?}");
    assert!(store.duplicate_candidates(&b, Utc::now() + Duration::days(1), PostId(0), 20).await.unwrap().is_empty());
    let except = store.duplicate_candidates(&b, Utc::now() - Duration::days(1), original, 20).await.unwrap();
    assert!(except.iter().all(|(id, _)| *id != original));
    decided(store.decide(&reject_for(original, MOD_A, "copy", false)).await.unwrap());
    let after = store.duplicate_candidates(&b, Utc::now() - Duration::days(1), PostId(0), 20).await.unwrap();
    assert!(after.iter().all(|(id, _)| *id != original), "a rejected post is no model: {after:?}");
    assert!(store.duplicate_candidates(&[], Utc::now() - Duration::days(1), PostId(0), 20).await.unwrap().is_empty());
}

pub async fn new_authors_and_earlier_rejections_are_flagged(store: Arc<dyn Store>) {
    let (first, flags) = flagged(&*store, 7, 1, "первая заявка автора").await;
    assert!(flags.new_author && flags.rejections == 0, "{flags:?}");
    decided(store.decide(&reject_for(first, MOD_A, "no", false)).await.unwrap());
    let (_, flags) = flagged(&*store, 7, 2, "вторая заявка автора").await;
    assert!(!flags.new_author && flags.rejections == 1, "{flags:?}");
    assert!(flags.has(FlagKind::Rejections));
}

pub async fn a_failed_computation_stores_the_post_as_not_checked(store: Arc<dyn Store>) {
    let id = submit(&*store, &text_post(1, 1, TEXT)).await;
    let input = FlagInput {
        author: postgate::domain::UserId(1),
        body: TEXT.into(),
        entities: serde_json::json!([]),
        forwarded: None,
    };
    check_with(&*store, &FlagsConfig::default(), id, &input, |_| async {
        Err::<Vec<(PostId, String)>, _>(StoreError::Unavailable("injected: the lookup failed".into()))
    })
    .await;
    let stored = post(&*store, id).await;
    assert_eq!(stored.status, postgate::domain::PostStatus::Pending, "the post is stored all the same");
    assert_eq!(stored.flags, Some(PostFlags::not_checked()));
    let page = store.list_posts(&only(FlagKind::NotChecked)).await.unwrap();
    assert_eq!(page.posts.iter().map(|p| p.id).collect::<Vec<_>>(), [id]);
    assert!(!store.set_flags(PostId(999_999), &PostFlags::not_checked(), &[]).await.unwrap(), "no such post");
}

pub async fn a_card_already_out_is_refreshed_with_its_flags(store: Arc<dyn Store>) {
    // Flags computed before the announcement is sent: the card goes out with them, no refresh.
    let (early, _) = flagged(&*store, 1, 1, "ссылка https://a.io").await;
    assert_eq!(kinds_for(&lease_all(&*store).await, early), [OutboxKind::Announce]);
    // The announcement being sent (leased) when the flags come: the card is refreshed.
    let late = submit(&*store, &text_post(2, 2, "ссылка https://b.io")).await;
    assert_eq!(kinds_for(&lease_all(&*store).await, late), [OutboxKind::Announce]);
    assert!(store.set_flags(late, &PostFlags { checked: true, links: 1, ..PostFlags::default() }, &[]).await.unwrap());
    assert_eq!(kinds_for(&lease_all(&*store).await, late), [OutboxKind::UpdateCard]);
}

pub async fn flag_writes_arriving_together_are_each_stored_and_answered(store: Arc<dyn Store>) {
    let mut ids = Vec::new();
    for i in 0..40 {
        ids.push(
            submit(&*store, &text_post(100 + i64::from(i), i + 1, &format!("текст номер {i} про котов и погоду")))
                .await,
        );
    }
    let writes = ids.iter().enumerate().map(|(i, id)| {
        let store = store.clone();
        let id = *id;
        tokio::spawn(async move {
            let flags = PostFlags { checked: true, rejections: i64::try_from(i).unwrap(), ..PostFlags::default() };
            let b = bands(&shingles(&format!("текст номер {i} про котов и погоду")));
            store.set_flags(id, &flags, &b).await.unwrap()
        })
    });
    for done in futures::future::join_all(writes).await {
        assert!(done.unwrap(), "every write answered as found");
    }
    for (i, id) in ids.iter().enumerate() {
        assert_eq!(post(&*store, *id).await.flags.unwrap().rejections, i64::try_from(i).unwrap());
    }
    let b = bands(&shingles("текст номер 7 про котов и погоду"));
    let found = store.duplicate_candidates(&b, Utc::now() - Duration::days(1), PostId(0), 20).await.unwrap();
    assert!(found.iter().any(|(id, _)| *id == ids[7]), "the bands were stored with the flags");
}

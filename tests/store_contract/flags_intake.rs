//! Contract: flags stored by intake's own write (`submit_flagged`: the text's flags with the
//! post, the author's history from admission, alone or many submissions at once, an album's
//! first part too; a redelivery changes nothing), the near-duplicate lookup of stored posts,
//! which stores their bands and finds the posts before each (`fingerprint_and_find_earlier`),
//! and what it found added to the stored flags (`set_duplicates`), a card already out
//! refreshed, a post edited meanwhile left alone; the posts whose lookup a crash may have lost
//! (`duplicate_rechecks`).

use std::sync::Arc;

use chrono::{Duration, Utc};
use postgate::domain::{DecisionKind, MediaKind, PostId};
use postgate::flags::minhash::{bands, shingles};
use postgate::flags::{Duplicate, DuplicateCheck, FlagKind, text_flags};
use postgate::store::{Admission, AuthorEditOutcome, IntakeFlags, OutboxKind, Store, SubmitOutcome};

use crate::common::{MOD_A, album_post, text_post};
use crate::fixtures::{decided, decision, edit, kinds_for, lease_all, post, reject_for, submit};

const TEXT: &str = "Продаю велосипед Stels в хорошем состоянии. Пробег небольшой, все детали родные. \
                    Забирать в центре города, торг уместен: https://bike.example";

/// The flags intake computes before the write.
fn intake_flags(body: &str) -> IntakeFlags {
    let rules = postgate::flags::rules::StopRules::default();
    IntakeFlags { flags: text_flags(&rules, body, &serde_json::json!([])) }
}

async fn submit_flagged(store: &dyn Store, author: i64, message_id: i32, body: &str) -> PostId {
    let (post, flags) = (text_post(author, message_id, body), intake_flags(body));
    match store.submit_flagged(&post, Admission::OPEN, &flags).await.unwrap() {
        SubmitOutcome::Created(id) => id,
        other => panic!("expected the submission to be stored, got {other:?}"),
    }
}

pub async fn intake_stores_the_flags_with_the_post_and_the_lookup_its_bands(store: Arc<dyn Store>) {
    let id = submit_flagged(&*store, 7, 1, TEXT).await;
    let flags = post(&*store, id).await.flags.expect("stored by the same write as the post");
    assert!(flags.checked && flags.links == 1 && flags.new_author && flags.rejections == 0, "{flags:?}");
    assert_eq!(flags.domains, ["bike.example"]);
    let listed = store.list_posts(&postgate::store::PostQuery::default()).await.unwrap();
    assert_eq!(listed.posts[0].flag_mask, FlagKind::Links.bit() | FlagKind::NewAuthor.bit());
    let b = bands(&shingles(TEXT));
    let since = Utc::now() - Duration::days(1);
    let found = || async { store.duplicate_candidates(&b, since, PostId(0), 20).await.unwrap() };
    assert!(found().await.is_empty(), "intake leaves the bands to the lookup");
    for _ in 0..2 {
        let earlier = store.fingerprint_and_find_earlier(&[(id, b.clone())], since, 20).await.unwrap();
        assert_eq!(earlier, [vec![]], "nothing before it");
        let ids: Vec<PostId> = found().await.iter().map(|(id, _)| *id).collect();
        assert_eq!(ids, [id], "the lookup stored its bands, once however often it runs");
    }

    // The author's history as admission finds it; a redelivery changes nothing.
    decided(store.decide(&reject_for(id, MOD_A, "no", false)).await.unwrap());
    let second = submit_flagged(&*store, 7, 2, "вторая заявка того же автора").await;
    let flags = post(&*store, second).await.flags.unwrap();
    assert!(!flags.new_author && flags.rejections == 1 && flags.has(FlagKind::Rejections), "{flags:?}");
    let (again, other) = (text_post(7, 2, "другой текст"), intake_flags("x y z w v"));
    assert_eq!(store.submit_flagged(&again, Admission::OPEN, &other).await.unwrap(), SubmitOutcome::Duplicate(second));
    assert_eq!(post(&*store, second).await.flags.unwrap(), flags);

    // An album's first part is stored with its flags; `submit` alone stores none.
    let album = album_post(8, 10, "альбом с подписью и ссылкой https://a.io", &[MediaKind::Photo, MediaKind::Photo]);
    let outcome = store.submit_flagged(&album, Admission::OPEN, &intake_flags(&album.body)).await.unwrap();
    let SubmitOutcome::Created(album_id) = outcome else { panic!("{outcome:?}") };
    assert!(post(&*store, album_id).await.flags.is_some_and(|f| f.links == 1 && f.new_author));
    let plain = submit(&*store, &text_post(9, 20, "без флагов")).await;
    assert_eq!(post(&*store, plain).await.flags, None);
}

pub async fn submissions_arriving_together_each_get_their_authors_history(store: Arc<dyn Store>) {
    let writes = (0..40_i32).map(|i| {
        let store = store.clone();
        tokio::spawn(async move {
            let body = format!("заявка номер {i} про котов и погоду");
            submit_flagged(&*store, 100 + i64::from(i % 8), i + 1, &body).await
        })
    });
    let ids: Vec<PostId> = futures::future::join_all(writes).await.into_iter().map(Result::unwrap).collect();
    for author in 0..8 {
        let mut own: Vec<PostId> = ids.iter().copied().skip(author).step_by(8).collect();
        own.sort();
        for (n, id) in own.iter().enumerate() {
            let flags = post(&*store, *id).await.flags.expect("stored with the post");
            assert_eq!(flags.new_author, n == 0, "author {author}, post {n}: only the first is new");
            assert!(flags.checked && flags.rejections == 0);
        }
    }
}

pub async fn earlier_candidates_are_only_posts_stored_before(store: Arc<dyn Store>) {
    let first = submit_flagged(&*store, 1, 1, TEXT).await;
    let second = submit_flagged(&*store, 2, 2, &TEXT.replace("хорошем", "отличном")).await;
    let other = submit_flagged(&*store, 3, 3, "Ищу попутчиков до Казани на выходные, выезд в субботу утром").await;
    let third = submit_flagged(&*store, 4, 4, TEXT).await;
    let b = |text: &str| bands(&shingles(text));
    let posts = vec![
        (first, b(TEXT)),
        (second, b(&TEXT.replace("хорошем", "отличном"))),
        (other, b("Ищу попутчиков до Казани на выходные, выезд в субботу утром")),
        (third, b(TEXT)),
    ];
    let since = Utc::now() - Duration::days(1);
    let found = store.fingerprint_and_find_earlier(&posts, since, 20).await.unwrap();
    let ids = |c: &Vec<(PostId, String)>| c.iter().map(|(id, _)| *id).collect::<Vec<_>>();
    assert_eq!(found.len(), 4, "one answer per post, in order");
    assert!(found[0].is_empty(), "nothing before the first: {:?}", ids(&found[0]));
    assert_eq!(ids(&found[1]), [first]);
    assert!(found[2].is_empty(), "an unrelated text: {:?}", ids(&found[2]));
    assert_eq!(ids(&found[3])[0], first, "the same text first: {:?}", ids(&found[3]));
    assert!(ids(&found[3]).contains(&second) && !ids(&found[3]).contains(&third));
    assert_eq!(found[3][0].1, TEXT);
    // Not too old, not rejected, and nothing asked: nothing found.
    let later = store.fingerprint_and_find_earlier(&posts[3..], Utc::now() + Duration::days(1), 20).await.unwrap();
    assert!(later[0].is_empty());
    decided(store.decide(&reject_for(first, MOD_A, "copy", false)).await.unwrap());
    let after = store.fingerprint_and_find_earlier(&posts[3..], since, 20).await.unwrap();
    assert_eq!(ids(&after[0]), [second]);
    assert!(store.fingerprint_and_find_earlier(&[], since, 20).await.unwrap().is_empty());
}

pub async fn duplicates_found_are_added_to_the_stored_flags(store: Arc<dyn Store>) {
    let original = submit_flagged(&*store, 1, 1, TEXT).await;
    // Its announcement is being sent when the lookup lands: the card is refreshed.
    let copy = submit_flagged(&*store, 2, 2, TEXT).await;
    assert_eq!(kinds_for(&lease_all(&*store).await, copy), [OutboxKind::Announce]);
    // Not announced yet: it goes out with the duplicate, no refresh.
    let waiting = submit_flagged(&*store, 3, 3, &TEXT.replace("хорошем", "отличном")).await;
    let failed = submit_flagged(&*store, 4, 4, "ещё одна заявка про велосипед и город").await;
    let unflagged = submit(&*store, &text_post(5, 5, TEXT)).await;
    let found = [
        (copy, DuplicateCheck::Found(Duplicate { post_id: original, percent: 100 })),
        (waiting, DuplicateCheck::Found(Duplicate { post_id: original, percent: 87 })),
        (failed, DuplicateCheck::Failed),
        (unflagged, DuplicateCheck::Found(Duplicate { post_id: original, percent: 100 })),
        (PostId(999_999), DuplicateCheck::Failed),
    ];
    assert_eq!(store.set_duplicates(&found).await.unwrap(), 3, "posts without stored flags are skipped");
    let flags = post(&*store, copy).await.flags.unwrap();
    assert_eq!(flags.duplicate, Some(Duplicate { post_id: original, percent: 100 }));
    assert!(flags.checked && flags.links == 1 && flags.new_author, "the other flags are kept: {flags:?}");
    assert_eq!(post(&*store, waiting).await.flags.unwrap().duplicate.map(|d| d.percent), Some(87));
    let not_checked = post(&*store, failed).await.flags.unwrap();
    assert!(!not_checked.checked && not_checked.new_author, "{not_checked:?}");
    assert_eq!(post(&*store, unflagged).await.flags, None);
    let listed = store.list_posts(&postgate::store::PostQuery::default()).await.unwrap();
    let mask = |id| listed.posts.iter().find(|p| p.id == id).unwrap().flag_mask;
    assert_eq!(mask(copy), FlagKind::Duplicate.bit() | FlagKind::Links.bit() | FlagKind::NewAuthor.bit());
    assert_ne!(mask(failed) & FlagKind::NotChecked.bit(), 0);
    let jobs = lease_all(&*store).await;
    assert_eq!(kinds_for(&jobs, copy), [OutboxKind::UpdateCard]);
    assert_eq!(kinds_for(&jobs, waiting), [OutboxKind::Announce]);
    assert_eq!(store.set_duplicates(&[]).await.unwrap(), 0);
}

/// A lookup of a post's first text that lands after its author edited it is dropped: the edit's
/// recheck computed the flags of the new text.
pub async fn a_late_lookup_of_an_edited_post_is_dropped(store: Arc<dyn Store>) {
    let original = submit_flagged(&*store, 1, 1, TEXT).await;
    let copy = submit_flagged(&*store, 2, 2, TEXT).await;
    let edited = store.author_edit(&edit(2, "совсем другой текст про другую вещь")).await.unwrap();
    assert_eq!(edited, AuthorEditOutcome::Updated(copy));
    let found = [(copy, DuplicateCheck::Found(Duplicate { post_id: original, percent: 100 }))];
    assert_eq!(store.set_duplicates(&found).await.unwrap(), 0);
    assert_eq!(post(&*store, copy).await.flags.unwrap().duplicate, None, "no stale duplicate on the new text");
    // Nor are the first text's bands stored for it: a later copy of that text is not "like" it.
    let (b, since) = (bands(&shingles(TEXT)), Utc::now() - Duration::days(1));
    store.fingerprint_and_find_earlier(&[(original, b.clone()), (copy, b.clone())], since, 20).await.unwrap();
    let like: Vec<PostId> =
        store.duplicate_candidates(&b, since, PostId(0), 20).await.unwrap().into_iter().map(|c| c.0).collect();
    assert_eq!(like, [original]);
}

/// The posts whose lookup a crash may have lost: recent, checked, not edited, and pending with
/// no duplicate yet or without their bands; newest first.
pub async fn duplicate_rechecks_are_the_recent_pending_posts_without_a_duplicate(store: Arc<dyn Store>) {
    let original = submit_flagged(&*store, 1, 1, TEXT).await;
    let copy = submit_flagged(&*store, 2, 2, TEXT).await;
    let other = submit_flagged(&*store, 3, 3, "ещё одна заявка про велосипед и город").await;
    let edited = submit_flagged(&*store, 4, 4, "заявка, которую автор потом исправит").await;
    store.author_edit(&edit(4, "исправленная заявка")).await.unwrap();
    let rejected = submit_flagged(&*store, 5, 5, "заявка, которую отклонят").await;
    decided(store.decide(&reject_for(rejected, MOD_A, "no", false)).await.unwrap());
    let unflagged = submit(&*store, &text_post(6, 6, TEXT)).await;
    let since = Utc::now() - Duration::hours(1);
    let b = |text: &str| bands(&shingles(text));
    let looked_up = [(original, b(TEXT)), (copy, b(TEXT)), (other, b("ещё одна заявка про велосипед и город"))];
    store.fingerprint_and_find_earlier(&looked_up, since, 20).await.unwrap();
    let found = [(copy, DuplicateCheck::Found(Duplicate { post_id: original, percent: 100 }))];
    store.set_duplicates(&found).await.unwrap();
    // Approved before its lookup ran: its bands are missing, so later copies would miss it.
    let approved_early = submit_flagged(&*store, 7, 7, "заявка, которую одобрили раньше поиска копий").await;
    decided(store.decide(&decision(approved_early, MOD_A, DecisionKind::Approve { edited_body: None })).await.unwrap());
    let approved_late = submit_flagged(&*store, 8, 8, "заявка, которую одобрили после поиска копий").await;
    store
        .fingerprint_and_find_earlier(&[(approved_late, b("заявка, которую одобрили после поиска копий"))], since, 20)
        .await
        .unwrap();
    decided(store.decide(&decision(approved_late, MOD_A, DecisionKind::Approve { edited_body: None })).await.unwrap());

    let rechecks = store.duplicate_rechecks(since, 10).await.unwrap();
    let ids: Vec<PostId> = rechecks.iter().map(|(id, _)| *id).collect();
    assert_eq!(
        ids,
        [approved_early, other, original],
        "not {approved_late:?}, {copy:?}, {edited:?}, {rejected:?}, {unflagged:?}"
    );
    assert_eq!(rechecks[2].1, TEXT, "with its text");
    assert_eq!(store.duplicate_rechecks(since, 1).await.unwrap().len(), 1, "at most the limit");
    assert!(store.duplicate_rechecks(Utc::now() + Duration::hours(1), 10).await.unwrap().is_empty());
}

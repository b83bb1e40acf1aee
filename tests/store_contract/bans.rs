//! Contract: `ban`, `unban`, `ban_of` (each change with its log row), `import_bans` with exact
//! counts, and moderator identities (`upsert_moderator`, `moderator_name`).

use std::sync::Arc;

use futures::StreamExt;
use postgate::domain::{ActionSource, UserId};
use postgate::store::{BanImportRow, ImportCounts, ModeratorProfile, Store};

use crate::common::{MOD_A, MOD_B, text_post};
use crate::fixtures::{actions, ban_request, submit};

fn rows(list: &[(i64, &str)]) -> Vec<BanImportRow> {
    list.iter().map(|(user_id, reason)| BanImportRow { user_id: *user_id, reason: (*reason).into() }).collect()
}

async fn import(store: &dyn Store, chunks: Vec<Vec<BanImportRow>>) -> ImportCounts {
    store.import_bans(futures::stream::iter(chunks).boxed()).await.unwrap()
}

pub async fn ban_is_recorded_and_logged(store: Arc<dyn Store>) {
    let user = UserId(5);
    assert!(store.ban_of(user).await.unwrap().is_none());
    let before = chrono::Utc::now();
    store.ban(&ban_request(user, MOD_A, "flood")).await.unwrap();
    let ban = store.ban_of(user).await.unwrap().expect("banned");
    assert_eq!((ban.user_id, ban.reason.as_str(), ban.banned_by), (user, "flood", Some(MOD_A)));
    assert!((ban.created_at - before).num_seconds().abs() < 60);
    assert!(store.ban_of(UserId(6)).await.unwrap().is_none(), "only that user");

    let log = store.moderation_log(None, 10).await.unwrap();
    assert_eq!(actions(&log), ["ban"]);
    let entry = &log[0];
    assert_eq!((entry.target_user_id, entry.moderator_id, entry.post_id), (Some(user), Some(MOD_A), None));
    assert_eq!((entry.reason.as_deref(), entry.source.as_str()), (Some("flood"), "console"));

    // A ban from a post's card names the post in the log.
    let id = submit(&*store, &text_post(7, 1, "spam")).await;
    let from_card = postgate::store::BanRequest {
        post: Some(id),
        source: ActionSource::Telegram,
        ..ban_request(UserId(7), MOD_B, "spam")
    };
    store.ban(&from_card).await.unwrap();
    let log = store.moderation_log(Some(id), 10).await.unwrap();
    assert_eq!(actions(&log), ["ban"]);
    assert_eq!((log[0].target_user_id, log[0].source.as_str()), (Some(UserId(7)), "telegram"));
}

pub async fn ban_is_idempotent(store: Arc<dyn Store>) {
    let user = UserId(5);
    store.ban(&ban_request(user, MOD_A, "flood")).await.unwrap();
    store.ban(&ban_request(user, MOD_B, "flood again")).await.unwrap();
    let ban = store.ban_of(user).await.unwrap().expect("still banned");
    assert_eq!(ban.user_id, user);
    // One ban, lifted by one unban.
    assert!(store.unban(user, MOD_A, ActionSource::Console).await.unwrap());
    assert!(store.ban_of(user).await.unwrap().is_none());
    let log = store.moderation_log(None, 10).await.unwrap();
    assert_eq!(log.iter().filter(|e| e.action == "ban").count(), 2, "each ban action is logged");
}

pub async fn unban_lifts_the_ban_once(store: Arc<dyn Store>) {
    let user = UserId(5);
    assert!(!store.unban(user, MOD_A, ActionSource::Console).await.unwrap(), "nothing to lift");
    assert!(store.moderation_log(None, 10).await.unwrap().is_empty(), "no change, no log row");

    store.ban(&ban_request(user, MOD_A, "flood")).await.unwrap();
    assert!(store.unban(user, MOD_B, ActionSource::Telegram).await.unwrap());
    assert!(store.ban_of(user).await.unwrap().is_none());
    let log = store.moderation_log(None, 10).await.unwrap();
    assert_eq!(actions(&log), ["unban", "ban"]);
    assert_eq!((log[0].target_user_id, log[0].moderator_id), (Some(user), Some(MOD_B)));
    assert_eq!(log[0].source, "telegram");

    assert!(!store.unban(user, MOD_B, ActionSource::Console).await.unwrap(), "already lifted");
    assert_eq!(store.moderation_log(None, 10).await.unwrap().len(), 2);
}

pub async fn import_bans_counts_exactly_and_skips_repeats(store: Arc<dyn Store>) {
    store.ban(&ban_request(UserId(1), MOD_A, "already")).await.unwrap();
    let chunks = vec![
        rows(&[(1, "from file"), (2, "two"), (3, "three, \"quoted\"")]),
        Vec::new(),
        rows(&[(3, "three again"), (4, "четыре")]),
    ];
    let counts = import(&*store, chunks).await;
    assert_eq!(counts, ImportCounts { received: 5, inserted: 3, skipped_existing: 2 });

    assert_eq!(
        store.ban_of(UserId(1)).await.unwrap().unwrap().reason,
        "already",
        "existing bans are left as they were"
    );
    assert_eq!(store.ban_of(UserId(2)).await.unwrap().unwrap().reason, "two");
    assert_eq!(store.ban_of(UserId(3)).await.unwrap().unwrap().reason, "three, \"quoted\"", "the first line wins");
    assert_eq!(store.ban_of(UserId(4)).await.unwrap().unwrap().reason, "четыре");
    assert!(store.ban_of(UserId(5)).await.unwrap().is_none());

    // The same file again: everything is already there.
    let again = import(&*store, vec![rows(&[(2, "two"), (3, "x"), (4, "y")])]).await;
    assert_eq!(again, ImportCounts { received: 3, inserted: 0, skipped_existing: 3 });
    // Imported bans refuse submissions like any other.
    let refused = store.submit(&text_post(4, 1, "hi")).await.unwrap();
    assert_eq!(refused, postgate::store::SubmitOutcome::Refused(postgate::store::Refusal::Banned));

    // A larger list, in chunks, is counted exactly.
    let many: Vec<Vec<BanImportRow>> = (0..5)
        .map(|c| (0..1000).map(|i| BanImportRow { user_id: 10_000 + c * 1000 + i, reason: "bulk".into() }).collect())
        .collect();
    let counts = import(&*store, many).await;
    assert_eq!(counts, ImportCounts { received: 5000, inserted: 5000, skipped_existing: 0 });
    assert!(store.ban_of(UserId(14_999)).await.unwrap().is_some());
}

pub async fn import_bans_of_nothing_is_zero(store: Arc<dyn Store>) {
    assert_eq!(import(&*store, Vec::new()).await, ImportCounts::default());
    assert_eq!(import(&*store, vec![Vec::new(), Vec::new()]).await, ImportCounts::default());
}

pub async fn moderator_names_are_recorded_and_refreshed(store: Arc<dyn Store>) {
    assert_eq!(store.moderator_name(MOD_A).await.unwrap(), None);
    let mut profile =
        ModeratorProfile {
            id: MOD_A, display_name: "Ольга".into(), username: Some("olga".into()), source: "config"
        };
    store.upsert_moderator(&profile).await.unwrap();
    assert_eq!(store.moderator_name(MOD_A).await.unwrap().as_deref(), Some("Ольга"));
    store.upsert_moderator(&profile).await.unwrap();
    assert_eq!(store.moderator_name(MOD_A).await.unwrap().as_deref(), Some("Ольга"));

    profile.display_name = "Ольга К.".into();
    profile.username = None;
    profile.source = "group_admin";
    store.upsert_moderator(&profile).await.unwrap();
    assert_eq!(store.moderator_name(MOD_A).await.unwrap().as_deref(), Some("Ольга К."));
    assert_eq!(store.moderator_name(MOD_B).await.unwrap(), None, "only that moderator");
}

pub async fn bans_and_unbans_arriving_together_apply_once(store: Arc<dyn Store>) {
    let user = UserId(5);
    let bans: Vec<_> = (0..6_i64)
        .map(|i| {
            let store = Arc::clone(&store);
            tokio::spawn(async move { store.ban(&ban_request(UserId(5), UserId(900_100 + i), "flood")).await.unwrap() })
        })
        .collect();
    for done in futures::future::join_all(bans).await {
        done.unwrap();
    }
    assert!(store.ban_of(user).await.unwrap().is_some());

    let unbans: Vec<_> = (0..6_i64)
        .map(|i| {
            let store = Arc::clone(&store);
            tokio::spawn(
                async move { store.unban(UserId(5), UserId(900_100 + i), ActionSource::Console).await.unwrap() },
            )
        })
        .collect();
    let lifted: Vec<bool> = futures::future::join_all(unbans).await.into_iter().map(Result::unwrap).collect();
    assert_eq!(lifted.iter().filter(|l| **l).count(), 1, "one unban lifts the ban: {lifted:?}");
    assert!(store.ban_of(user).await.unwrap().is_none());
    let log = store.moderation_log(None, 100).await.unwrap();
    assert_eq!(log.iter().filter(|e| e.action == "unban").count(), 1, "one log row for the one lift");
}

pub async fn imports_arriving_together_count_exactly(store: Arc<dyn Store>) {
    // Two overlapping lists imported at once: every user banned once, and the counts add up.
    let list = |from: i64| -> Vec<Vec<BanImportRow>> {
        vec![(from..from + 3000).map(|user_id| BanImportRow { user_id, reason: format!("list {from}") }).collect()]
    };
    let (a, b) = tokio::join!(
        {
            let store = Arc::clone(&store);
            tokio::spawn(async move { import(&*store, list(1)).await })
        },
        {
            let store = Arc::clone(&store);
            tokio::spawn(async move { import(&*store, list(2001)).await })
        }
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!((a.received, b.received), (3000, 3000));
    assert_eq!(a.inserted + b.inserted, 5000, "users 1..=5000, each once: {a:?} {b:?}");
    assert_eq!(a.skipped_existing + b.skipped_existing, 1000, "{a:?} {b:?}");
    assert!(store.ban_of(UserId(1)).await.unwrap().is_some());
    assert!(store.ban_of(UserId(5000)).await.unwrap().is_some());
    assert!(store.ban_of(UserId(5001)).await.unwrap().is_none());
}

pub async fn import_bans_keeps_every_reason_exactly(store: Arc<dyn Store>) {
    let reasons = [
        "",
        "spam, again",
        "said \"buy\", twice",
        "back\\slash \\N \\.",
        "\\.",
        "tab\there",
        "многострочная\nпричина",
        "line\n\\.\nafter the marker",
        "emoji 🚫 and ẞ",
    ];
    let list: Vec<BanImportRow> =
        (1..).zip(reasons).map(|(user_id, reason)| BanImportRow { user_id, reason: reason.into() }).collect();
    let counts = import(&*store, vec![list.clone()]).await;
    assert_eq!(counts, ImportCounts { received: 9, inserted: 9, skipped_existing: 0 });
    for row in &list {
        let ban = store.ban_of(UserId(row.user_id)).await.unwrap().expect("imported");
        assert_eq!(ban.reason, row.reason, "user {}", row.user_id);
        assert_eq!(ban.banned_by, None, "an imported ban names no moderator");
    }
}

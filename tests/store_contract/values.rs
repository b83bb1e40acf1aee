//! Contract: values come back exactly as written — Telegram's 64-bit ids, large files, texts in
//! any script with emoji and line breaks, and message entities as sent.

use std::sync::Arc;

use postgate::domain::{ActionSource, MediaKind, UserId};
use postgate::store::{BanImportRow, ModeratorProfile, NewPost, PostQuery, Store};

use crate::common::{approve, author, media};
use crate::fixtures::{ban_request, decided, post, submit};

/// Telegram user ids pass 2^32 (and chat ids of supergroups are below -10^12).
const BIG_USER: i64 = 7_123_456_789;
const BIG_MODERATOR: UserId = UserId(8_000_000_001);

pub async fn big_ids_and_sizes_round_trip(store: Arc<dyn Store>) {
    let mut new = NewPost {
        author: author(BIG_USER),
        source_chat_id: BIG_USER,
        source_message_id: i32::MAX - 1,
        media_group_id: Some("13579246801357924".into()),
        body: "big".into(),
        entities: serde_json::json!([]),
        media: vec![media(MediaKind::Video, i32::MAX - 1)],
    };
    new.media[0].file_size = Some(4_000_000_000);
    let id = submit(&*store, &new).await;
    let stored = post(&*store, id).await;
    assert_eq!((stored.author.id, stored.source_chat_id), (UserId(BIG_USER), BIG_USER));
    assert_eq!(stored.source_message_id, i32::MAX - 1);
    assert_eq!(stored.media_group_id.as_deref(), Some("13579246801357924"));
    assert_eq!(stored.media[0].file_size, Some(4_000_000_000));
    assert_eq!(store.pending_count_of(UserId(BIG_USER)).await.unwrap(), 1);
    let by_author = store.list_posts(&PostQuery { author: Some(UserId(BIG_USER)), ..PostQuery::default() }).await;
    assert_eq!(by_author.unwrap().total, 1);

    let moderator =
        ModeratorProfile { id: BIG_MODERATOR, display_name: "Big".into(), username: None, source: "console" };
    store.upsert_moderator(&moderator).await.unwrap();
    assert_eq!(store.moderator_name(BIG_MODERATOR).await.unwrap().as_deref(), Some("Big"));
    let approved = decided(store.decide(&approve(id, BIG_MODERATOR)).await.unwrap());
    assert_eq!(approved.decided_by, Some(BIG_MODERATOR));
    let log = store.moderation_log(Some(id), 1).await.unwrap();
    assert_eq!((log[0].moderator_id, log[0].target_user_id), (Some(BIG_MODERATOR), Some(UserId(BIG_USER))));

    store.ban(&ban_request(UserId(BIG_USER), BIG_MODERATOR, "big")).await.unwrap();
    assert_eq!(store.ban_of(UserId(BIG_USER)).await.unwrap().unwrap().banned_by, Some(BIG_MODERATOR));
    assert!(store.unban(UserId(BIG_USER), BIG_MODERATOR, ActionSource::Console).await.unwrap());
    let rows = vec![BanImportRow { user_id: i64::from(i32::MAX) + 1, reason: "just past i32".into() }];
    store.import_bans(futures::StreamExt::boxed(futures::stream::iter(vec![rows]))).await.unwrap();
    assert!(store.ban_of(UserId(i64::from(i32::MAX) + 1)).await.unwrap().is_some());
    assert!(store.ban_of(UserId(i64::from(i32::MAX) + 1 - (1 << 32))).await.unwrap().is_none(), "no truncation");
}

pub async fn texts_and_entities_round_trip_exactly(store: Arc<dyn Store>) {
    let mut new = crate::common::text_post(5, 1, "");
    new.author.first_name = "مرحبا 👋".into();
    new.author.last_name = Some("Ñandú-Ölçer".into());
    new.author.username = Some("user_5".into());
    new.body = "Line one\r\nLine two\ttabbed — «quotes» 👨‍👩‍👧‍👦 e\u{301} 中文 ∑ \\ ' \" %_".into();
    new.entities = serde_json::json!([
        { "type": "text_link", "offset": 0, "length": 4, "url": "https://example.com/?q=ü&x=1" },
        { "type": "custom_emoji", "offset": 31, "length": 11, "custom_emoji_id": "5368324170671202286" },
        { "type": "text_mention", "offset": 5, "length": 3,
          "user": { "id": BIG_USER, "is_bot": false, "first_name": "X", "language_code": "ru" } },
        { "type": "pre", "offset": 9, "length": 4, "language": "rust" }
    ]);
    let id = submit(&*store, &new).await;
    let stored = post(&*store, id).await;
    assert_eq!(stored.author, new.author);
    assert_eq!(stored.body, new.body);
    assert_eq!(stored.entities, new.entities);
    assert_eq!(store.author(new.author.id).await.unwrap().unwrap().profile, new.author);
    let summary = store.recent_posts_of(new.author.id, 1).await.unwrap();
    assert_eq!(summary[0].author_name, "مرحبا 👋 Ñandú-Ölçer");
    assert!(new.body.starts_with(&summary[0].excerpt), "the excerpt cuts on a character boundary");

    // An edit's and an edited approval's texts come back the same way.
    let text = "Ответ 🙂\nс переносом";
    let mut change = crate::fixtures::edit(1, text);
    change.entities = serde_json::json!([{ "type": "bold", "offset": 0, "length": 5 }]);
    store.author_edit(&change).await.unwrap();
    assert_eq!((post(&*store, id).await.body, post(&*store, id).await.entities), (text.to_owned(), change.entities));
}

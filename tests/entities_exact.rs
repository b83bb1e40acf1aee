//! Posts reach the channel as their authors sent them: the text, the caption and every entity
//! (text links with Cyrillic paths, IDN hosts, already-encoded URLs and raw query strings, a
//! text mention, offsets after emoji) in a text, a photo's caption, an album's caption and an
//! author's edit — the request's entities JSON is the update's, compared as raw text.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod app;
mod support;

use app::{App, Backend, CHANNEL, GROUP, MODERATOR, eventually, has_text, on_both_backends};
use postgate::domain::{PostId, PostStatus};
use postgate::store::PostQuery;
use serde_json::Value;
use support::fake_telegram::updates::{callback_query, edited_message, photo_message, text_message};
use support::fake_telegram::{Call, raw_fields, raw_items};

const AUTHOR: i64 = 3001;

/// Offsets are UTF-16 units: "👋🏽 " is 5 of them.
const TEXT: &str = "👋🏽 Санкт-Петербург, пример.рф, Санкт, поиск — Пётр";

/// The entities of [`TEXT`] as the fake Bot API serves them (`serde_json`: compact, keys
/// sorted): the bytes every request to the channel must carry.
const ENTITIES: &str = concat!(
    r#"[{"length":2,"offset":0,"type":"bold"},"#,
    r#"{"length":15,"offset":5,"type":"text_link","url":"https://ru.wikipedia.org/wiki/Санкт-Петербург"},"#,
    r#"{"length":9,"offset":22,"type":"text_link","url":"https://пример.рф/путь"},"#,
    r#"{"length":5,"offset":33,"type":"text_link","url":"https://ru.wikipedia.org/wiki/%D0%A1%D0%B0%D0%BD%D0%BA%D1%82"},"#,
    r#"{"length":5,"offset":40,"type":"text_link","url":"https://example.com/search?q=Санкт Петербург&lang=ru#раздел"},"#,
    r#"{"length":4,"offset":48,"type":"text_mention","#,
    r#""user":{"first_name":"Пётр","id":99,"is_bot":false,"username":"petr"}}]"#
);

fn entities() -> Value {
    serde_json::from_str(ENTITIES).unwrap()
}

/// `update`'s message (new or edited) with [`ENTITIES`] in `field`.
fn with_entities(mut update: Value, field: &str) -> Value {
    let key = if update.get("edited_message").is_some() { "edited_message" } else { "message" };
    update[key][field] = entities();
    update
}

/// The last request of `method` to `chat`.
fn last_to(app: &App, method: &str, chat: i64) -> Call {
    app.fake
        .calls_to(method)
        .into_iter()
        .rfind(|c| c.field_i64("chat_id") == Some(chat))
        .unwrap_or_else(|| panic!("no {method} to {chat}: {:?}", app.fake.methods()))
}

/// Waits until the post's stored body is `body` and its status `status`.
async fn wait_post(app: &App, post: i64, body: &str, status: PostStatus) {
    let store = &app.services.store;
    let mut seen = None;
    let probe = || async {
        let p = store.post(PostId(post)).await.unwrap()?;
        (p.body == body && p.status == status).then_some(())
    };
    eventually(&format!("post {post} {status:?}"), probe, &mut seen).await;
}

/// The id and card of the first post newer than `previous`, once its card was sent.
async fn next_card(app: &App, previous: i64) -> (i64, i32) {
    let store = &app.services.store;
    let mut found = None;
    let probe = || async {
        let query = PostQuery { newest_first: true, limit: 1, ..Default::default() };
        let newest = store.list_posts(&query).await.unwrap().posts.into_iter().next()?;
        let post = store.post(newest.id).await.unwrap().filter(|p| p.id.0 > previous)?;
        post.moderation_message_id.map(|card| (post.id.0, card))
    };
    eventually(&format!("card of the post after {previous}"), probe, &mut found).await;
    found.unwrap()
}

async fn approve(app: &App, post: i64, card: i32) {
    app.fake.push_update(callback_query(MODERATOR, &app.approve_data(post).await, GROUP, card));
    wait_post(app, post, TEXT, PostStatus::Published).await;
}

async fn text_caption_album_and_edit_keep_the_authors_entities(backend: Backend) {
    assert_eq!(entities().to_string(), ENTITIES, "the constant is what the fake serves");
    let app = App::start_on(backend, "entities_exact", &[]).await;

    // A text.
    app.fake.push_update(with_entities(text_message(AUTHOR, AUTHOR, 1, TEXT, Some("ru")), "entities"));
    let (post, card) = app.card_of_latest().await;
    assert!(has_text(&app.texts_to(GROUP), TEXT), "the card shows the text: {:?}", app.texts_to(GROUP));
    approve(&app, post, card).await;
    let sent = last_to(&app, "sendMessage", CHANNEL);
    assert_eq!(sent.raw_field("entities").as_deref(), Some(ENTITIES), "text entities");
    assert_eq!(sent.field_str("text").as_deref(), Some(TEXT));

    // A photo with a caption: the moderators' copy and the channel's.
    let photo = photo_message(AUTHOR, AUTHOR, 2, "ph-1", "uph-1", Some(TEXT), None);
    app.fake.push_update(with_entities(photo, "caption_entities"));
    let (post, card) = next_card(&app, post).await;
    let group = last_to(&app, "sendPhoto", GROUP);
    assert_eq!(group.raw_field("caption_entities").as_deref(), Some(ENTITIES), "the group's photo");
    approve(&app, post, card).await;
    let sent = last_to(&app, "sendPhoto", CHANNEL);
    assert_eq!(sent.raw_field("caption_entities").as_deref(), Some(ENTITIES), "caption entities");
    assert_eq!(sent.field_str("caption").as_deref(), Some(TEXT));

    // An album, its caption on the first part.
    let first = photo_message(AUTHOR, AUTHOR, 3, "al-1", "ual-1", Some(TEXT), Some("alb-9"));
    app.fake.push_update(with_entities(first, "caption_entities"));
    app.fake.push_update(photo_message(AUTHOR, AUTHOR, 4, "al-2", "ual-2", None, Some("alb-9")));
    let (post, card) = next_card(&app, post).await;
    approve(&app, post, card).await;
    let sent = last_to(&app, "sendMediaGroup", CHANNEL);
    let items = raw_items(&sent.raw_field("media").unwrap()).unwrap();
    assert_eq!(items.len(), 2);
    let first = raw_fields(&items[0]).unwrap();
    assert_eq!(first.get("caption_entities").map(String::as_str), Some(ENTITIES), "album caption entities");
    assert_eq!(serde_json::from_str::<String>(&first["caption"]).unwrap(), TEXT);

    // An author's edit of a pending post.
    app.fake.push_update(text_message(AUTHOR, AUTHOR, 5, "черновик", Some("ru")));
    let (post, card) = next_card(&app, post).await;
    app.fake.push_update(with_entities(edited_message(AUTHOR, AUTHOR, 5, TEXT, Some("ru")), "entities"));
    wait_post(&app, post, TEXT, PostStatus::Pending).await;
    approve(&app, post, card).await;
    let sent = last_to(&app, "sendMessage", CHANNEL);
    assert_eq!(sent.field_str("text").as_deref(), Some(TEXT), "the edited text");
    assert_eq!(sent.raw_field("entities").as_deref(), Some(ENTITIES), "the edit's entities");
    assert!(app.services.raw_entities.is_empty(), "every entry kept was taken by its handler");
    app.stop().await;
}

on_both_backends!(text_caption_album_and_edit_keep_the_authors_entities);

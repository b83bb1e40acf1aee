//! Flags for a second look end to end on the fake Bot API, on both backends and in both
//! languages: a near-duplicate's card says "looks like #N (87 %)" with the similarity intake
//! computed, and shows the badges of its stop word, link, phone, forwarded origin and new
//! author; a text without any shows none; an author's edit recomputes them; a lookup lost with
//! the process runs at the next start.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod app;
#[path = "common/mod.rs"]
mod common;
mod support;

use app::{App, Backend, GROUP, on_both_backends};
use postgate::domain::{PostId, UserId};
use postgate::flags::Duplicate;
use postgate::flags::minhash::{shingles, similarity};
use postgate::moderation::flags::FlagInput;
use postgate::store::Admission;
use serde_json::json;
use support::fake_telegram::updates::{edited_message, text_message};

const ORIGINAL: &str = "Продаю велосипед Stels в хорошем состоянии. Пробег небольшой, все детали родные. \
                        Забирать в центре города, торг уместен. Казино: www.bet-example.ru, +7 916 123-45-67";
const COPY: &str = "Забирать в центре города, торг уместен. Продаю велосипед Stels в отличном состоянии. \
                    Пробег небольшой, все детали родные. Казино: www.bet-example.ru, +7 916 123-45-67";

/// Every text the bot sent to, or edited in, the moderation group.
fn group_texts(app: &App) -> Vec<String> {
    let mut calls = app.fake.calls_to("sendMessage");
    calls.extend(app.fake.calls_to("editMessageText"));
    calls.into_iter().filter(|c| c.field_i64("chat_id") == Some(GROUP)).filter_map(|c| c.field_str("text")).collect()
}

async fn card_with(app: &App, what: &str, needles: &[&str]) -> String {
    let deadline = tokio::time::Instant::now() + app::WAIT;
    loop {
        let texts = group_texts(app);
        if let Some(card) = texts.iter().find(|t| needles.iter().all(|n| t.contains(n))) {
            return card.clone();
        }
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}: {needles:?} in {texts:#?}");
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
}

async fn flags_on_the_card(backend: Backend, lang: &str) {
    let stop = [("FLAG_STOP_WORDS", "казино*; /bet-\\w+/"), ("DEFAULT_LOCALE", lang)];
    let app = App::start_on(backend, &format!("flags_card_{lang}"), &stop).await;
    app.fake.push_update(text_message(4101, 4101, 1, ORIGINAL, Some(lang)));
    let (original, _) = app.card_of_latest().await;
    // The copy: sentences reordered, one word changed, and forwarded from a channel.
    let mut copy = text_message(4102, 4102, 1, COPY, Some(lang));
    copy["message"]["forward_origin"] = json!({ "type": "channel", "date": 1_700_000_000, "message_id": 3,
        "chat": { "id": -100_777, "type": "channel", "title": "Барахолка", "username": "baraholka_ch" } });
    app.fake.push_update(copy);
    let percent = similarity(&shingles(ORIGINAL), &shingles(COPY));
    assert!((80..100).contains(&percent), "{percent}");
    let (looks, badges): (String, Vec<&str>) = if lang == "en" {
        (
            format!("🔁 Looks like #{original} ({percent} %)"),
            vec![
                "🚫 Stop words: казино*, /bet-\\w+/",
                "🔗 Links (1): bet-example.ru",
                "☎️ Phones: +7 916 123-45-67",
                "↪️ Forwarded from @baraholka_ch",
                "🆕 New author",
            ],
        )
    } else {
        (
            format!("🔁 Похоже на №{original} ({percent} %)"),
            vec![
                "🚫 Стоп-слова: казино*, /bet-\\w+/",
                "🔗 Ссылки (1): bet-example.ru",
                "☎️ Телефоны: +7 916 123-45-67",
                "↪️ Переслано от @baraholka_ch",
                "🆕 Новый автор",
            ],
        )
    };
    let mut needles = vec![looks.as_str()];
    needles.extend(badges.iter().copied());
    let card = card_with(&app, "the copy's card with its flags", &needles).await;
    assert!(!card.contains("❔"), "computed: {card}");
    // Drawn after its lookup: the card went out showing the duplicate, not edited to show it.
    let sent: Vec<String> = app
        .fake
        .calls_to("sendMessage")
        .into_iter()
        .filter(|c| c.field_i64("chat_id") == Some(GROUP))
        .filter_map(|c| c.field_str("text"))
        .collect();
    assert!(sent.iter().any(|t| t.contains(&looks)), "the copy's card was sent showing its duplicate: {sent:#?}");
    // The flags are stored with the post too; the original's card looks like nothing before it.
    let copy_id = app
        .services
        .store
        .list_posts(&postgate::store::PostQuery { newest_first: true, limit: 1, ..Default::default() })
        .await
        .unwrap()
        .posts[0]
        .id;
    let stored = app.services.store.post(copy_id).await.unwrap().unwrap().flags.unwrap();
    assert_eq!(stored.duplicate.map(|d| (d.post_id, d.percent)), Some((PostId(original), percent)));
    let first = group_texts(&app)
        .into_iter()
        .find(|t| t.contains(&format!("#{original}\n")) || t.contains(&format!("№{original}\n")));
    assert!(first.is_some_and(|t| !t.contains("🔁") && !t.contains("↪️")), "the original's card");
    app.stop().await;
}

async fn an_edit_recomputes_the_flags(backend: Backend) {
    let app = App::start_on(backend, "flags_edit", &[("FLAG_STOP_WORDS", "казино*"), ("DEFAULT_LOCALE", "en")]).await;
    app.fake.push_update(text_message(4201, 4201, 7, "Продаю диван, самовывоз", Some("en")));
    let (post, _) = app.card_of_latest().await;
    app.fake.push_update(edited_message(4201, 4201, 7, "Продаю диван, самовывоз, казино тут: t.me/x", Some("en")));
    card_with(&app, "the edited card with its flags", &["🚫 Stop words: казино*", "🔗 Links (1): t.me"]).await;
    let flags = app.services.store.post(PostId(post)).await.unwrap().unwrap().flags.unwrap();
    assert_eq!(flags.stop_words, ["казино*"]);
    app.stop().await;
}

async fn flags_on_the_card_en(backend: Backend) {
    flags_on_the_card(backend, "en").await;
}

async fn flags_on_the_card_ru(backend: Backend) {
    flags_on_the_card(backend, "ru").await;
}

/// A lookup lost with the process — the posts stored with their flags, their lookups never run —
/// runs when the bot starts again: the copy is marked, the original is not.
async fn a_lookup_lost_in_a_crash_runs_at_the_next_start(backend: Backend) {
    let app = App::start_on(backend, "flags_resume", &[]).await;
    let mut ids = Vec::new();
    for (author, message) in [(9101, 1), (9102, 2)] {
        let body = ORIGINAL;
        let input = FlagInput { author: UserId(author), body: body.into(), entities: json!([]), forwarded: None };
        let prepared = postgate::moderation::flags::prepare(&app.services.config, &input).await;
        let post = common::text_post(author, message, body);
        let stored = app.services.store.submit_flagged(&post, Admission::OPEN, &prepared.flags).await.unwrap();
        ids.push(stored.post_id().unwrap());
    }
    let duplicate = |id| {
        let app = &app;
        async move { app.services.store.post(id).await.unwrap().unwrap().flags.unwrap().duplicate }
    };
    assert_eq!(duplicate(ids[1]).await, None, "never looked up");

    app.runtime.stop().await;
    app.runtime.start().await.unwrap();
    assert!(app.services.duplicates.settle(std::time::Duration::from_secs(15)).await, "the lookups ran");
    assert_eq!(duplicate(ids[1]).await, Some(Duplicate { post_id: ids[0], percent: 100 }));
    assert_eq!(duplicate(ids[0]).await, None, "the original is not a copy of a later post");
    app.stop().await;
}

on_both_backends!(
    flags_on_the_card_en,
    flags_on_the_card_ru,
    an_edit_recomputes_the_flags,
    a_lookup_lost_in_a_crash_runs_at_the_next_start
);

//! One user cannot stall everyone (issue #14, items 4–5), on both backends, under Telegram's
//! sending limits (the bot's limiter on, the stand-in refusing breaches with 429): a user who
//! forwards a hundred messages at once delays nobody else's receipt and gets one refusal, not
//! a hundred; an author's rapid edits make a handful of card edits, within the group's limit.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod app;
mod support;

use std::time::{Duration, Instant};

use app::{App, Backend, on_both_backends, wait_until};
use support::fake_telegram::SendLimits;
use support::fake_telegram::updates::{edited_message, text_message};

const FLOODER: i64 = 6_000;
const OTHERS: i64 = 20;
/// The others' chats: 7000..7020.
const FIRST_OTHER: i64 = 7_000;

/// Telegram's limits, kept by the bot and enforced by the stand-in.
const LIMITS: [(&str, &str); 4] = [
    ("TELEGRAM_RATE_LIMIT", "on"),
    ("TELEGRAM_MESSAGES_PER_SEC", "30"),
    ("TELEGRAM_CHAT_MESSAGES_PER_SEC", "1"),
    ("TELEGRAM_GROUP_MESSAGES_PER_MIN", "20"),
];

const TELEGRAM: SendLimits = SendLimits { per_sec: 30, private_chat_per_sec: 1, group_per_min: 20 };

fn is_receipt(text: &str) -> bool {
    text.contains("received")
}

async fn one_user_forwarding_100_messages_delays_nobody(backend: Backend) {
    let mut settings = LIMITS.to_vec();
    settings.extend([("RATE_LIMIT_MAX", "5"), ("MAX_PENDING_PER_USER", "100")]);
    let app = App::start_on(backend, "flood", &settings).await;
    app.fake.enforce_limits(Some(TELEGRAM));
    for i in 0..100 {
        app.fake.push_update(text_message(FLOODER, FLOODER, i + 1, &format!("forwarded {i}"), Some("en")));
    }
    // The flood is in the handlers (or dropped) before the others write.
    wait_until("the flood taken", || app.fake.pending_updates() == 0).await;
    let pushed = Instant::now();
    for user in FIRST_OTHER..FIRST_OTHER + OTHERS {
        app.fake.push_update(text_message(user, user, 1, "an ordinary post", Some("en")));
    }
    wait_until("a receipt for each of the others", || {
        (FIRST_OTHER..FIRST_OTHER + OTHERS).all(|u| app.texts_to(u).iter().any(|t| is_receipt(t)))
    })
    .await;
    let took = pushed.elapsed();
    assert!(took <= Duration::from_secs(2), "the others' receipts took {took:?} behind one user's flood");

    // The flooder: five stored (the rate limit), five receipts and one refusal, not 95 (a
    // second apart: the chat's own limit).
    wait_until("the flooder told of the limit", || {
        app.texts_to(FLOODER).iter().any(|t| t.contains("Too many at once"))
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await; // room for any further reply
    let texts = app.texts_to(FLOODER);
    let receipts = texts.iter().filter(|t| is_receipt(t)).count();
    let refusals = texts.iter().filter(|t| t.contains("Too many at once")).count();
    assert_eq!((receipts, refusals), (5, 1), "the flooder was told: {texts:?}");
    let flooder = postgate::domain::UserId(FLOODER);
    let stored = app.services.store.recent_posts_of(flooder, 200).await.unwrap().len();
    assert_eq!(stored, 5, "the rate limit held");
    let dropped = app.services.metrics.updates_dropped.load(std::sync::atomic::Ordering::Relaxed);
    assert!(dropped >= 1, "updates over the chat's share were dropped rather than queued");
    assert!(app.fake.wait_updates_confirmed(Duration::from_secs(10)).await, "every update confirmed, dropped ones too");
    let stats = app.fake.limit_stats();
    assert!(stats.refused <= 2, "Telegram's limits were kept: {stats:?}");
    app.stop().await;
}

async fn fifty_rapid_edits_make_a_handful_of_card_edits(backend: Backend) {
    const AUTHOR: i64 = 6_100;
    let app = App::start_on(backend, "edits", &LIMITS).await;
    app.fake.enforce_limits(Some(TELEGRAM));
    app.fake.push_update(text_message(AUTHOR, AUTHOR, 1, "version 0", Some("en")));
    let (post, card) = app.card_of_latest().await;
    for v in 1..=50 {
        app.fake.push_update(edited_message(AUTHOR, AUTHOR, 1, &format!("version {v}"), Some("en")));
    }
    let card_edits = || app.card_edits(card).into_iter().filter_map(|c| c.field_str("text")).collect::<Vec<_>>();
    // Ten edits a window are applied; the card ends on the last of them.
    wait_until("the card shows version 10", || card_edits().last().is_some_and(|t| t.contains("version 10"))).await;
    tokio::time::sleep(Duration::from_secs(4)).await; // room for any edit still queued
    let edits = card_edits();
    assert!(edits.len() <= 3, "{} card edits for 50 author edits: {edits:?}", edits.len());
    assert!(edits.last().unwrap().contains("version 10"));
    let stored = app.services.store.post(postgate::domain::PostId(post)).await.unwrap().unwrap();
    assert_eq!(stored.body, "version 10", "edits past the window's ten are not applied");
    // Ten acknowledgements a second apart (the chat's own limit), then the one notice.
    wait_until("the author told of the edit limit", || {
        app.texts_to(AUTHOR).iter().any(|t| t.contains("Too many edits"))
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await; // room for any further reply
    let texts = app.texts_to(AUTHOR);
    let told = texts.iter().filter(|t| t.contains("Too many edits")).count();
    assert_eq!(told, 1, "the author is told once that edits stopped being applied: {texts:?}");
    let stats = app.fake.limit_stats();
    assert_eq!(stats.refused, 0, "card edits go through the limiter: {stats:?}");
    app.stop().await;
}

on_both_backends!(one_user_forwarding_100_messages_delays_nobody, fifty_rapid_edits_make_a_handful_of_card_edits);

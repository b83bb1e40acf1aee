//! Whole flows of the bot against the fake Bot API: submit → card → decision → channel →
//! author, albums, reasons in the author's language, moderator checks, bans, rate limits, 429,
//! and cards giving way to a busy intake.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod app;
mod support;

use app::{App, Backend, CHANNEL, GROUP, MODERATOR, has_text, on_both_backends, wait_until};
use postgate::store::{BanRequest, PostQuery};
use support::fake_telegram::updates::{callback_query, photo_message, sticker_message, text_message};
use support::fake_telegram::{Fault, SendLimits};

const AUTHOR: i64 = 1001;

async fn text_is_carded_approved_published_and_author_told_in_russian(backend: Backend) {
    let app = App::start_on(backend, "flow_text", &[]).await;
    app.fake.push_update(text_message(AUTHOR, AUTHOR, 1, "Привет, канал!", Some("ru")));
    let (post, card) = app.card_of_latest().await;
    wait_until("receipt in Russian", || has_text(&app.texts_to(AUTHOR), &format!("Заявка №{post} принята"))).await;
    assert!(has_text(&app.texts_to(GROUP), "Привет, канал!"), "card shows the text: {:?}", app.texts_to(GROUP));

    app.fake.push_update(callback_query(MODERATOR, &app.approve_data(post).await, GROUP, card));
    wait_until("post in the channel", || has_text(&app.texts_to(CHANNEL), "Привет, канал!")).await;
    wait_until("author told", || has_text(&app.texts_to(AUTHOR), "опубликована")).await;
    assert_eq!(app.status_of(post).await, "published");
    assert_eq!(app.texts_to(CHANNEL).len(), 1, "published exactly once");
    wait_until("card edited to show the decision", || !app.fake.calls_to("editMessageText").is_empty()).await;
    app.stop().await;
}

async fn album_of_three_photos_is_one_album_in_group_and_channel(backend: Backend) {
    let app = App::start_on(backend, "flow_album", &[]).await;
    // Parts arrive out of order; the caption is on the first.
    for (mid, file) in [(12, "p2"), (11, "p1"), (13, "p3")] {
        let caption = (mid == 11).then_some("Три фото");
        app.fake.push_update(photo_message(AUTHOR, AUTHOR, mid, file, &format!("u{file}"), caption, Some("alb-1")));
    }
    let (post, card) = app.card_of_latest().await;
    let groups = app.fake.calls_to("sendMediaGroup");
    assert_eq!(groups.len(), 1, "one album in the group");
    let media = app::json_field(&groups[0], "media");
    let ids: Vec<&str> = media.as_array().unwrap().iter().map(|m| m["media"].as_str().unwrap()).collect();
    assert_eq!(ids, ["p1", "p2", "p3"], "album in message order");
    assert_eq!(post_count(&app).await, 1);
    wait_until("one receipt for the album", || {
        app.texts_to(AUTHOR).iter().filter(|t| t.contains(&post.to_string())).count() == 1
    })
    .await;

    app.fake.push_update(callback_query(MODERATOR, &app.approve_data(post).await, GROUP, card));
    wait_until("album in the channel", || app.fake.calls_to("sendMediaGroup").len() == 2).await;
    let channel = app.fake.calls_to("sendMediaGroup").pop().unwrap();
    assert_eq!(channel.field_i64("chat_id"), Some(CHANNEL));
    assert_eq!(app::json_field(&channel, "media").as_array().unwrap().len(), 3);
    app.stop().await;
}

async fn rejection_reason_reaches_an_english_author_in_english(backend: Backend) {
    let app = App::start_on(backend, "flow_reject", &[]).await;
    app.fake.push_update(text_message(AUTHOR, AUTHOR, 1, "Buy cheap watches", Some("en")));
    let (post, card) = app.card_of_latest().await;
    app.fake.push_update(callback_query(MODERATOR, &format!("rm:{post}:{}", app.version_of(post).await), GROUP, card));
    wait_until("reasons shown", || !app.fake.calls_to("editMessageReplyMarkup").is_empty()).await;
    app.fake.push_update(callback_query(MODERATOR, &format!("r:{post}:0"), GROUP, card));
    wait_until("author told why", || has_text(&app.texts_to(AUTHOR), "was rejected. Reason: spam or advertising"))
        .await;
    assert_eq!(app.status_of(post).await, "rejected");
    assert!(app.texts_to(CHANNEL).is_empty(), "nothing published");
    app.stop().await;
}

async fn non_moderator_press_changes_nothing_and_double_press_decides_once(backend: Backend) {
    let app = App::start_on(backend, "flow_press", &[]).await;
    app.fake.set_admins(&[]);
    app.fake.push_update(text_message(AUTHOR, AUTHOR, 1, "hello", Some("en")));
    let (post, card) = app.card_of_latest().await;
    app.fake.push_update(callback_query(555, &app.approve_data(post).await, GROUP, card));
    wait_until("stranger answered", || !app.fake.calls_to("answerCallbackQuery").is_empty()).await;
    let answer = app.fake.calls_to("answerCallbackQuery").pop().unwrap();
    assert_eq!(answer.field_str("show_alert").as_deref(), Some("true"));
    assert_eq!(app.status_of(post).await, "pending", "a non-moderator changes nothing");

    app.fake.push_update(callback_query(MODERATOR, &app.approve_data(post).await, GROUP, card));
    app.fake.push_update(callback_query(MODERATOR, &format!("r:{post}:1"), GROUP, card));
    wait_until("three answers", || app.fake.calls_to("answerCallbackQuery").len() == 3).await;
    let last = app.fake.calls_to("answerCallbackQuery").pop().unwrap();
    assert!(last.field_str("text").unwrap_or_default().contains("Уже решено"), "{:?}", last.body);
    wait_until("published", || app.texts_to(CHANNEL).len() == 1).await;
    let log = app.services.store.moderation_log(None, 100).await.unwrap();
    let decisions = log.iter().filter(|e| e.action == "approve" || e.action == "reject").count();
    assert_eq!(decisions, 1, "decided exactly once");
    app.stop().await;
}

async fn banned_users_are_refused_and_the_rate_limit_names_the_wait(backend: Backend) {
    let app =
        App::start_on(backend, "flow_limits", &[("RATE_LIMIT_MAX", "2"), ("RATE_LIMIT_WINDOW_SECS", "120")]).await;
    let ban = BanRequest {
        user: postgate::domain::UserId(2002),
        moderator: postgate::domain::UserId(MODERATOR),
        source: postgate::domain::ActionSource::Console,
        reason: "spam".into(),
        post: None,
    };
    app.services.store.ban(&ban).await.unwrap();
    app.fake.push_update(text_message(2002, 2002, 1, "let me in", Some("ru")));
    wait_until("ban refusal", || has_text(&app.texts_to(2002), "не можете предлагать")).await;

    for mid in 1..=3 {
        app.fake.push_update(text_message(AUTHOR, AUTHOR, mid, &format!("post {mid}"), Some("en")));
    }
    wait_until("rate limit answer", || has_text(&app.texts_to(AUTHOR), "Try again in")).await;
    let refusal = app.texts_to(AUTHOR).into_iter().find(|t| t.contains("Try again in")).unwrap();
    assert!(refusal.contains("seconds") || refusal.contains("second"), "{refusal}");
    assert_eq!(post_count(&app).await, 2, "the third was refused, the banned user's never stored");
    app.fake.push_update(sticker_message(3003, 3003, 1, "st", "ust"));
    wait_until("sticker refused politely", || has_text(&app.texts_to(3003), "can't take")).await;
    app.stop().await;
}

async fn publish_429_waits_retry_after_and_publishes_exactly_once(backend: Backend) {
    let app = App::start_on(backend, "flow_429", &[]).await;
    app.fake.push_update(text_message(AUTHOR, AUTHOR, 1, "flood me", Some("en")));
    let (post, card) = app.card_of_latest().await;
    wait_until("receipt sent", || has_text(&app.texts_to(AUTHOR), "received")).await;
    let before = app.fake.calls_to("sendMessage").len();
    app.fake.fail_next("sendMessage", 1, Fault::RetryAfter(1));
    let pressed = std::time::Instant::now();
    app.fake.push_update(callback_query(MODERATOR, &app.approve_data(post).await, GROUP, card));
    // The fake records the refused call too: one 429, then one accepted publication.
    wait_until("published after the wait", || app.texts_to(CHANNEL).len() == 2).await;
    let channel = app.sent_to(CHANNEL);
    let waited = channel[1].at.duration_since(channel[0].at);
    assert!(waited >= std::time::Duration::from_secs(1), "retry_after was obeyed: {waited:?}");
    assert!(pressed.elapsed() >= std::time::Duration::from_secs(1));
    wait_until("author told", || has_text(&app.texts_to(AUTHOR), "has been published")).await;
    assert!(app.fake.calls_to("sendMessage").len() > before + 2);
    assert_eq!(app.texts_to(CHANNEL).len(), 2, "no second publication after the accepted one");
    assert_eq!(app.status_of(post).await, "published");
    app.stop().await;
}

async fn media_telegram_refuses_still_leaves_a_card_for_the_moderators(backend: Backend) {
    let app = App::start_on(backend, "flow_badmedia", &[]).await;
    app.fake.fail_next(
        "sendPhoto",
        1,
        Fault::BadRequest("Bad Request: wrong file identifier/HTTP URL specified".into()),
    );
    app.fake.push_update(photo_message(AUTHOR, AUTHOR, 1, "gone", "ugone", Some("caption"), None));
    let (post, _card) = app.card_of_latest().await;
    assert_eq!(app.fake.calls_to("sendPhoto").len(), 1, "the refused photo is not retried");
    assert!(has_text(&app.texts_to(GROUP), &format!("№{post}")), "card sent: {:?}", app.texts_to(GROUP));
    app.stop().await;
}

/// Lesson: stay under Telegram's limits up front instead of collecting 429s. The fake refuses
/// what Telegram would; the bot limits itself to the same figures and nothing is refused.
async fn under_telegram_limits_a_burst_gets_through_without_429s(backend: Backend) {
    let limits = SendLimits { per_sec: 40, private_chat_per_sec: 1, group_per_min: 1200 };
    let app = App::start_on(
        backend,
        "flow_limits",
        &[
            ("TELEGRAM_RATE_LIMIT", "on"),
            ("TELEGRAM_MESSAGES_PER_SEC", "40"),
            ("TELEGRAM_CHAT_MESSAGES_PER_SEC", "1"),
            ("TELEGRAM_GROUP_MESSAGES_PER_MIN", "1200"),
            ("RATE_LIMIT_MAX", "100"),
            ("MAX_PENDING_PER_USER", "100"),
        ],
    )
    .await;
    app.fake.enforce_limits(Some(limits));
    let start = std::time::Instant::now();
    for user in 0..20 {
        for message in 1..=3 {
            app.fake.push_update(text_message(5000 + user, 5000 + user, message, "under limits", Some("en")));
        }
    }
    // 60 receipts and 60 cards: 120 messages at 40/s, each user's three receipts a second apart.
    wait_until("120 messages accepted", || app.fake.limit_stats().accepted >= 120).await;
    let took = start.elapsed();
    let stats = app.fake.limit_stats();
    // Without the limiter at least 40 would be refused (two of each user's three receipts);
    // a stray one is scheduling jitter on a loaded machine.
    assert!(stats.refused <= 2, "messages were refused with 429: {stats:?}");
    assert_eq!(stats.accepted, 120, "{stats:?}");
    assert!(took >= std::time::Duration::from_millis(2900), "the overall limit was kept: all sent in {took:?}");
    for user in 0..20 {
        // Distinct texts: a refused call and its retry carry the same receipt.
        let texts = app.texts_to(5000 + user);
        let receipts: std::collections::HashSet<&String> = texts.iter().filter(|t| t.contains("received")).collect();
        assert_eq!(receipts.len(), 3, "user {user} got every receipt");
    }
    app.stop().await;
}

/// Intake first: while a burst holds the intake slots, the outbox worker holds its next round
/// back (the receipts a user waits for come first), but never for longer than
/// `INTAKE_FIRST_MAX`, so a flood that never ends still gets its cards out.
async fn a_busy_intake_holds_cards_back_but_not_for_long(backend: Backend) {
    use postgate::store::{AuthorProfile, NewPost};
    let app = App::start_on(backend, "flow_intake_first", &[]).await;
    let slots = app.services.intake_slots.clone();
    let total = u32::try_from(slots.available_permits()).unwrap();
    let held = slots.acquire_many_owned(total).await.unwrap();
    assert!(app.services.intake_busy());

    let post = NewPost {
        author: AuthorProfile {
            id: postgate::domain::UserId(AUTHOR),
            username: None,
            first_name: "Ann".into(),
            last_name: None,
            language_code: Some("en".into()),
        },
        source_chat_id: AUTHOR,
        source_message_id: 1,
        media_group_id: None,
        body: "written while the intake is busy".into(),
        entities: serde_json::json!([]),
        media: Vec::new(),
    };
    app.services.store.submit(&post).await.unwrap();
    app.services.outbox_wake.notify_one();
    let start = std::time::Instant::now();
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    assert!(app.texts_to(GROUP).is_empty(), "the card waited for the intake: {:?}", app.texts_to(GROUP));

    wait_until("card sent though the intake stays busy", || has_text(&app.texts_to(GROUP), "while the intake")).await;
    assert!(
        start.elapsed() < postgate::publisher::INTAKE_FIRST_MAX * 3,
        "held back for at most about INTAKE_FIRST_MAX: {:?}",
        start.elapsed()
    );
    drop(held);
    assert!(!app.services.intake_busy());
    app.stop().await;
}

/// The card's "back" from the reasons restores its buttons and decides nothing.
async fn back_from_the_reasons_restores_the_cards_buttons(backend: Backend) {
    let app = App::start_on(backend, "flow_back", &[]).await;
    app.fake.push_update(text_message(AUTHOR, AUTHOR, 1, "think again", Some("en")));
    let (post, card) = app.card_of_latest().await;
    app.fake.push_update(callback_query(MODERATOR, &format!("rm:{post}:{}", app.version_of(post).await), GROUP, card));
    wait_until("reasons shown", || app.fake.calls_to("editMessageReplyMarkup").len() == 1).await;
    app.fake.push_update(callback_query(MODERATOR, &format!("bk:{post}:{}", app.version_of(post).await), GROUP, card));
    wait_until("buttons back", || app.fake.calls_to("editMessageReplyMarkup").len() == 2).await;
    let markup = app.fake.sent_message(GROUP, card).unwrap()["reply_markup"].to_string();
    assert!(markup.contains(&app.approve_data(post).await) && markup.contains(&format!("b:{post}")), "{markup}");
    assert!(!markup.contains(&format!("r:{post}:")), "the reasons are gone: {markup}");
    wait_until("both presses answered", || app.fake.calls_to("answerCallbackQuery").len() == 2).await;
    assert_eq!(app.status_of(post).await, "pending");
    app.stop().await;
}

async fn post_count(app: &App) -> i64 {
    app.services.store.list_posts(&PostQuery::default()).await.unwrap().total
}

on_both_backends!(
    back_from_the_reasons_restores_the_cards_buttons,
    text_is_carded_approved_published_and_author_told_in_russian,
    album_of_three_photos_is_one_album_in_group_and_channel,
    rejection_reason_reaches_an_english_author_in_english,
    non_moderator_press_changes_nothing_and_double_press_decides_once,
    banned_users_are_refused_and_the_rate_limit_names_the_wait,
    publish_429_waits_retry_after_and_publishes_exactly_once,
    media_telegram_refuses_still_leaves_a_card_for_the_moderators,
    under_telegram_limits_a_burst_gets_through_without_429s,
    a_busy_intake_holds_cards_back_but_not_for_long,
);

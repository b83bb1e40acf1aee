//! The console's two retries on their success paths, with the bot running against the strict
//! fake Bot API: Telegram refuses a publication (or a card) for good, the moderator fixes the
//! cause and retries from the console — the rows and log entry written, the job queued, the
//! change event consoles get, and then the bot's successful send.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use postgate::domain::{PostId, UserId};
use serde_json::json;
use support::{Console, MODERATOR, delivered, text_post, until};

/// The newest log entry of a post, written by the console moderator.
fn assert_logged(console: &Console, post: PostId, action: &str) {
    let entry = &console.log(Some(post))[0];
    assert_eq!(entry.action, action, "{entry:?}");
    assert_eq!((entry.source.as_str(), entry.moderator_id), ("console", Some(UserId(MODERATOR))), "{entry:?}");
}

#[test]
fn retry_queues_a_failed_publication_again_and_the_bot_publishes_it() {
    // A channel the fake does not know: Telegram answers "chat not found", as when the bot is
    // not (yet) an administrator of the channel.
    let channel = -100_999;
    let console = Console::start("retry", &[("CHANNEL_ID", &channel.to_string())]);
    let id = console.seed(&text_post(850, 50, "publish me, eventually"));
    console.ok("post_approve", json!({ "id": id.0, "version": console.version_of(id) }));
    console.ok("bot_start", json!({}));
    until("the publication fails", || console.status_of(id) == "publish_failed");
    until("the bot's follow-up work is done", || console.outbox_backlog() == 0);
    console.ok("bot_stop", json!({}));
    let failed = console.post(id);
    assert!(failed.publish_error.as_deref().is_some_and(|e| e.contains("chat not found")), "{failed:?}");
    assert!(delivered(&console.fake, channel).is_empty());

    // The channel is fixed; the moderator retries from the console.
    console.fake.add_chat(channel);
    let changes = console.changes();
    let out = console.ok("post_retry", json!({ "id": id.0 }));
    assert_eq!(out["outcome"], "decided", "{out}");
    let post = console.post(id);
    assert_eq!(post.status.to_string(), "approved");
    assert_eq!(post.publish_error, None);
    assert_eq!(post.decided_by, Some(UserId(MODERATOR)), "the original decision stands");
    assert_eq!(post.decided_at, failed.decided_at);
    assert_logged(&console, id, "retry_publish");
    assert_eq!(console.outbox_of(id), ["publish", "update_card"]);
    changes.expect("post_decided", Some(id.0));

    console.ok("bot_start", json!({}));
    until("the retried post is published", || console.status_of(id) == "published");
    let published = delivered(&console.fake, channel);
    assert_eq!(published.len(), 1, "{published:?}");
    assert_eq!(published[0]["text"], "publish me, eventually");
    assert_eq!(
        console.post(id).channel_message_id,
        published[0]["message_id"].as_i64().and_then(|i| i32::try_from(i).ok())
    );
    // A published post is not retried again.
    let again = console.ok("post_retry", json!({ "id": id.0 }));
    assert_eq!(again["outcome"], "already_decided", "{again}");
    console.stop();
}

#[test]
fn retry_card_sends_a_refused_card_again() {
    // A group the fake does not know: the card is refused for good ("chat not found"), as when
    // the bot was removed from the moderation group.
    let group = -100_555;
    let console = Console::start("retry_card", &[("MODERATION_GROUP_ID", &group.to_string())]);
    let id = console.seed(&text_post(860, 60, "a card nobody saw"));
    console.ok("bot_start", json!({}));
    until("the card fails", || console.post(id).card_error.is_some());
    until("the bot's work is done", || console.outbox_backlog() == 0);
    console.ok("bot_stop", json!({}));
    let failed = console.post(id);
    assert!(failed.card_error.as_deref().is_some_and(|e| e.contains("chat not found")), "{failed:?}");
    assert_eq!(failed.moderation_message_id, None);
    assert_eq!(console.status_of(id), "pending", "a failed card leaves the post waiting");

    // The bot is back in the group; the moderator resends the card from the console.
    console.fake.add_chat(group);
    let changes = console.changes();
    assert_eq!(console.ok("post_retry_card", json!({ "id": id.0 })), json!(true));
    assert_eq!(console.post(id).card_error, None);
    assert_logged(&console, id, "retry_card");
    assert_eq!(console.outbox_of(id), ["announce"]);
    changes.expect("card_retry", Some(id.0));
    // Nothing failed any more: a second press queues nothing and logs nothing.
    let entries = console.log(Some(id)).len();
    assert_eq!(console.ok("post_retry_card", json!({ "id": id.0 })), json!(false));
    assert_eq!((console.outbox_of(id).len(), console.log(Some(id)).len()), (1, entries));

    console.ok("bot_start", json!({}));
    until("the card reaches the group", || console.post(id).moderation_message_id.is_some());
    let card_id = console.post(id).moderation_message_id.unwrap();
    let card = console.fake.sent_message(group, card_id).expect("the fake accepted the card");
    assert!(card["text"].as_str().unwrap().contains("a card nobody saw"), "{card}");
    assert!(card["reply_markup"]["inline_keyboard"].as_array().is_some_and(|rows| !rows.is_empty()), "{card}");
    assert_eq!(delivered(&console.fake, group).len(), 1, "one card, sent once");
    console.stop();
}

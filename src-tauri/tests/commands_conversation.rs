//! The conversation's commands through Tauri IPC (mock runtime) against a real `PostgreSQL`
//! (issue #17 part 1): asking for changes makes the post `changes_requested` (its own filter,
//! out of the pending count), queues the message for the bot and reaches other consoles as a
//! change event; a free message to the author of a decided post; the thread with its limits;
//! a text too long for one Telegram message with the bot's frame, an empty one, a decided
//! post and a missing one are each refused with their code.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use serde_json::json;
use support::{Console, text_post};

#[test]
fn asking_for_changes_and_messaging_the_author_from_the_console() {
    let console = Console::start("conversation_cmds", &[]);
    let post = console.seed(&text_post(951, 10, "черновик"));
    let other = console.seed(&text_post(952, 20, "другой"));
    let changes = console.changes();

    let thread = console.ok("post_thread", json!({ "id": post.0 }));
    assert_eq!(thread["messages"], json!([]));
    let limit = thread["request_limit"].as_u64().unwrap();
    assert!(limit > 3000 && limit < 4096, "the frame and the quote are counted: {thread}");
    assert!(thread["message_limit"].as_u64().unwrap() >= limit, "{thread}");

    let asked = console.ok("post_request_changes", json!({ "id": post.0, "text": "Укажите источник" }));
    assert_eq!(asked["outcome"], "queued", "{asked}");
    assert_eq!(asked["post"]["status"], "changes_requested", "{asked}");
    changes.expect("changes_requested", Some(post.0));
    // The bot is not running here: the announcement waits too.
    assert_eq!(console.outbox_of(post), ["announce", "notify_author", "update_card"]);
    let stats = console.ok("queue_stats", json!({}));
    assert_eq!((&stats["pending"], &stats["changes_requested"]), (&json!(1), &json!(1)), "{stats}");
    let listed = console.ok("queue_list", json!({ "query": { "status": "changes_requested" } }));
    assert_eq!(listed["posts"][0]["id"], post.0, "{listed}");
    assert_eq!(listed["total"], 1);
    let pending = console.ok("queue_list", json!({ "query": { "status": "pending" } }));
    assert_eq!(pending["posts"][0]["id"], other.0, "{pending}");

    let thread = console.ok("post_thread", json!({ "id": post.0 }));
    let first = &thread["messages"][0];
    assert_eq!(
        (&first["direction"], &first["kind"], &first["delivery"]),
        (&json!("to_author"), &json!("request"), &json!("queued"))
    );
    assert_eq!(first["body"], "Укажите источник");
    assert!(first["created_at"].as_str().unwrap().ends_with('Z'), "RFC 3339 UTC: {first}");
    let log = console.log(Some(post));
    assert_eq!((log[0].action.as_str(), log[0].source.as_str()), ("request_changes", "console"));

    // Too long with the frame: refused whole, with both numbers; nothing stored.
    let too_long = "я".repeat(usize::try_from(limit).unwrap() + 1);
    let err = console.invoke("post_request_changes", json!({ "id": post.0, "text": too_long })).unwrap_err();
    assert_eq!(err["code"], "invalid", "{err}");
    assert!(err["message"].as_str().unwrap().contains(&limit.to_string()), "{err}");
    let err = console.invoke("post_message_author", json!({ "id": post.0, "text": "   " })).unwrap_err();
    assert_eq!(err["code"], "invalid", "{err}");
    assert_eq!(console.ok("post_thread", json!({ "id": post.0 }))["messages"].as_array().unwrap().len(), 1);

    // Decided posts take free messages, not requests; a missing post is not found.
    let out = console.ok("post_approve", json!({ "id": other.0, "version": console.version_of(other) }));
    assert_eq!(out["outcome"], "decided", "{out}");
    let err = console.invoke("post_request_changes", json!({ "id": other.0, "text": "поздно" })).unwrap_err();
    assert_eq!(err["code"], "conflict", "{err}");
    let sent = console.ok("post_message_author", json!({ "id": other.0, "text": "Спасибо!" }));
    assert_eq!(sent["outcome"], "queued", "{sent}");
    changes.expect("thread_message", Some(other.0));
    let err = console.invoke("post_thread", json!({ "id": 999_999 })).unwrap_err();
    assert_eq!(err["code"], "not_found", "{err}");
    let err = console.invoke("post_message_author", json!({ "id": 999_999, "text": "x" })).unwrap_err();
    assert_eq!(err["code"], "not_found", "{err}");

    // A post asked for changes can still be decided from the console.
    let out = console.ok("post_approve", json!({ "id": post.0, "version": console.version_of(post) }));
    assert_eq!(out["outcome"], "decided", "{out}");
    assert_eq!(console.post(post).changes_requested_at, None);
    console.stop();
}

//! Every moderation command on its success path, through Tauri IPC (mock runtime) against a
//! real `PostgreSQL`: what each writes (post, moderation log, bans), the outbox jobs it queues
//! for the bot, and the change event that reaches every console.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use chrono::{DateTime, Utc};
use postgate::domain::{ActionSource, PostId, RejectReason, UserId};
use postgate::store::{DecideOutcome, Decision, DecisionKind, LogEntry, Refusal, SubmitOutcome};
use serde_json::{Value, json};
use support::{Console, MODERATOR, block_on, text_post};

/// A moderator deciding from the Telegram group, not from this console.
const OTHER_MODERATOR: i64 = 777;

/// The one log entry a decision wrote: newest, about this post, by the console moderator.
fn assert_logged(entry: &LogEntry, post: PostId, action: &str, reason: Option<&str>) {
    assert_eq!(entry.post_id, Some(post), "{entry:?}");
    assert_eq!(entry.action, action, "{entry:?}");
    assert_eq!(entry.source, "console", "{entry:?}");
    assert_eq!(entry.moderator_id, Some(UserId(MODERATOR)), "{entry:?}");
    assert_eq!(entry.reason.as_deref(), reason, "{entry:?}");
}

fn outcome(v: &Value) -> &str {
    v["outcome"].as_str().unwrap_or_else(|| panic!("no outcome in {v}"))
}

#[test]
fn approve_and_edit_approve_queue_the_publication_and_tell_consoles() {
    let console = Console::start("approve_fx", &[]);
    let plain = console.seed(&text_post(801, 10, "approve me as is"));
    let edited = console.seed(&text_post(802, 11, "approve me with a tpyo"));
    assert_eq!(console.outbox_of(plain), ["announce"], "a submission waits only for its card");
    let changes = console.changes();

    let out = console.ok("post_approve", json!({ "id": plain.0, "version": console.version_of(plain) }));
    assert_eq!(outcome(&out), "decided", "{out}");
    let post = console.post(plain);
    assert_eq!(post.status.to_string(), "approved");
    assert_eq!(post.decided_by, Some(UserId(MODERATOR)));
    assert_eq!(post.body, "approve me as is");
    assert!(!post.edited_by_moderator);
    assert_logged(&console.log(Some(plain))[0], plain, "approve", None);
    let detail = console.ok("post_detail", json!({ "id": plain.0 }));
    assert_eq!(detail["post"]["status"], "approved", "{detail}");
    assert_eq!(detail["log"][0]["action"], "approve", "the detail shows the decision: {detail}");
    assert_eq!(console.outbox_of(plain), ["announce", "publish", "update_card"]);
    changes.expect("post_decided", Some(plain.0));

    let out = console.ok(
        "post_approve",
        json!({ "id": edited.0, "version": console.version_of(edited), "editedBody": "approve me with a typo" }),
    );
    assert_eq!(out["post"]["body"], "approve me with a typo", "{out}");
    let post = console.post(edited);
    assert_eq!(post.status.to_string(), "approved");
    assert_eq!(post.body, "approve me with a typo");
    assert!(post.edited_by_moderator);
    let log = console.log(Some(edited));
    assert_logged(&log[0], edited, "edit_approve", None);
    assert_eq!(
        log[0].details,
        json!({ "previous_body": "approve me with a tpyo", "new_body": "approve me with a typo" })
    );
    assert_eq!(console.outbox_of(edited), ["announce", "publish", "update_card"]);
    changes.expect("post_decided", Some(edited.0));
    console.stop();
}

#[test]
fn reject_queues_the_author_notice_and_reject_and_ban_bans_the_author() {
    let console = Console::start("reject_fx", &[]);
    let rejected = console.seed(&text_post(803, 12, "not for the channel"));
    let banned = console.seed(&text_post(804, 13, "buy cheap pills"));
    let changes = console.changes();

    let out =
        console.ok("post_reject", json!({ "id": rejected.0, "reason": { "kind": "custom", "value": "off topic" } }));
    assert_eq!(outcome(&out), "decided", "{out}");
    let post = console.post(rejected);
    assert_eq!(post.status.to_string(), "rejected");
    assert_eq!(post.reject_reason, Some(RejectReason::custom("off topic").unwrap()));
    assert_eq!(console.log(Some(rejected)).len(), 1, "one log row, no ban");
    assert_logged(&console.log(Some(rejected))[0], rejected, "reject", Some("custom:off topic"));
    assert_eq!(console.outbox_of(rejected), ["announce", "notify_author", "update_card"]);
    assert!(block_on(console.state.services.store.ban_of(UserId(803))).unwrap().is_none());
    changes.expect("post_decided", Some(rejected.0));

    let out = console.ok(
        "post_reject",
        json!({ "id": banned.0, "reason": { "kind": "template", "value": "spam" }, "banAuthor": true }),
    );
    assert_eq!(outcome(&out), "decided", "{out}");
    assert_eq!(console.status_of(banned), "rejected");
    let log = console.log(Some(banned));
    assert_eq!(log.len(), 2, "the rejection and the ban: {log:?}");
    assert_logged(&log[0], banned, "ban", Some("template:spam"));
    assert_eq!(log[0].target_user_id, Some(UserId(804)));
    assert_logged(&log[1], banned, "reject", Some("template:spam"));
    let ban = block_on(console.state.services.store.ban_of(UserId(804))).unwrap().expect("a ban row");
    assert_eq!(ban.reason, "template:spam");
    assert_eq!(ban.banned_by, Some(UserId(MODERATOR)));
    assert_eq!(console.outbox_of(banned), ["announce", "notify_author", "update_card"]);
    changes.expect("post_decided", Some(banned.0));
    // The ban holds: the author's next submission is refused.
    let next = block_on(console.state.services.store.submit(&text_post(804, 14, "again"))).unwrap();
    assert_eq!(next, SubmitOutcome::Refused(Refusal::Banned));
    console.stop();
}

#[test]
fn bulk_decide_applies_each_decision_and_reports_each_outcome() {
    let console = Console::start("bulk", &[]);
    let [first, second, later, earlier, unreasoned] =
        [20, 21, 22, 23, 24].map(|m| console.seed(&text_post(810 + i64::from(m), m, &format!("bulk post {m}"))));
    console.ok("post_approve", json!({ "id": earlier.0, "version": console.version_of(earlier) }));
    let earlier_jobs = console.outbox_of(earlier);
    let earlier_log = console.log(Some(earlier)).len();
    let changes = console.changes();

    let out = console.ok("bulk_decide", json!({ "ids": [first.0, second.0, earlier.0], "action": "approve" }));
    let results = out["results"].as_array().unwrap();
    let ids: Vec<&Value> = results.iter().map(|r| &r["id"]).collect();
    assert_eq!(ids, [&json!(first.0), &json!(second.0), &json!(earlier.0)], "in the order asked");
    assert_eq!(outcome(&results[0]["outcome"]), "decided");
    assert_eq!(outcome(&results[1]["outcome"]), "decided");
    assert_eq!(results[2]["outcome"], json!({ "outcome": "already_decided", "status": "approved", "by": MODERATOR }));
    for id in [first, second] {
        assert_eq!(console.status_of(id), "approved");
        assert_logged(&console.log(Some(id))[0], id, "approve", None);
        assert_eq!(console.outbox_of(id), ["announce", "publish", "update_card"]);
        changes.expect("post_decided", Some(id.0));
    }
    assert_eq!(console.outbox_of(earlier), earlier_jobs, "an already decided post gets no new jobs");
    assert_eq!(console.log(Some(earlier)).len(), earlier_log, "nor a log row");
    assert_eq!(console.status_of(later), "pending", "a post not asked about is left alone");

    let out = console.ok(
        "bulk_decide",
        json!({ "ids": [later.0], "action": "reject", "reason": { "kind": "template", "value": "duplicate" } }),
    );
    assert_eq!(outcome(&out["results"][0]["outcome"]), "decided", "{out}");
    assert_eq!(console.post(later).reject_reason, Some(RejectReason::template("duplicate").unwrap()));
    assert_logged(&console.log(Some(later))[0], later, "reject", Some("template:duplicate"));
    assert_eq!(console.outbox_of(later), ["announce", "notify_author", "update_card"]);
    changes.expect("post_decided", Some(later.0));

    // Rejecting needs a reason: refused before anything is written.
    let err = console.invoke("bulk_decide", json!({ "ids": [unreasoned.0], "action": "reject" })).unwrap_err();
    assert_eq!(err["code"], "invalid", "{err}");
    assert_eq!(console.status_of(unreasoned), "pending");
    assert_eq!(console.outbox_of(unreasoned), ["announce"]);

    let stats = console.ok("queue_stats", json!({}));
    assert_eq!(
        (stats["pending"].as_i64(), stats["approved"].as_i64(), stats["rejected"].as_i64()),
        (Some(1), Some(3), Some(1))
    );
    let approved = console.ok("queue_list", json!({ "query": { "status": "approved" } }));
    assert_eq!(approved["total"], 3, "{approved}");
    console.stop();
}

#[test]
fn claim_holds_a_post_for_the_console_until_released() {
    let console = Console::start("claim", &[]);
    let id = console.seed(&text_post(830, 30, "claim me"));
    let changes = console.changes();
    let by_telegram = Decision {
        post_id: id,
        moderator: UserId(OTHER_MODERATOR),
        source: ActionSource::Telegram,
        kind: DecisionKind::Approve { edited_body: None },
    };

    let asked = Utc::now();
    let out = console.ok("post_claim", json!({ "id": id.0 }));
    assert_eq!(outcome(&out), "claimed", "{out}");
    let until: DateTime<Utc> = out["until"].as_str().unwrap().parse().unwrap();
    let held = (until - asked).num_seconds();
    assert!((295..=305).contains(&held), "a console claim lasts 5 minutes, got {held} s");
    let post = console.post(id);
    assert_eq!(post.claimed_by, Some(UserId(MODERATOR)));
    assert_eq!(post.claim_expires_at, Some(until));
    changes.expect("post_claimed", Some(id.0));

    // While the console holds it, a moderator in the group cannot decide it.
    let refused = block_on(postgate::moderation::decide(&console.state.services, &by_telegram)).unwrap();
    assert!(matches!(refused, DecideOutcome::ClaimedByOther { by: UserId(MODERATOR), .. }), "{refused:?}");
    assert_eq!(console.status_of(id), "pending");

    assert_eq!(console.ok("post_release", json!({ "id": id.0 })), Value::Null);
    let post = console.post(id);
    assert_eq!((post.claimed_by, post.claim_expires_at), (None, None));
    changes.expect("post_released", Some(id.0));
    assert_eq!(console.outbox_of(id), ["announce"], "claims queue no Telegram work");

    let decided = block_on(postgate::moderation::decide(&console.state.services, &by_telegram)).unwrap();
    assert!(matches!(decided, DecideOutcome::Decided { .. }), "released, anyone may decide: {decided:?}");
    assert_eq!(console.ok("post_claim", json!({ "id": id.0 })), json!({ "outcome": "not_pending" }));
    console.stop();
}

#[test]
fn author_ban_and_unban_gate_submissions_and_are_logged() {
    let console = Console::start("ban", &[]);
    let author = 840;
    let store = &console.state.services.store;
    let backlog = console.outbox_backlog();
    let changes = console.changes();

    assert_eq!(console.ok("author_ban", json!({ "userId": author, "reason": "  flooding  " })), Value::Null);
    let ban = block_on(store.ban_of(UserId(author))).unwrap().expect("a ban row");
    assert_eq!(ban.reason, "flooding");
    assert_eq!(ban.banned_by, Some(UserId(MODERATOR)));
    let entry = &console.log(None)[0];
    assert_eq!((entry.action.as_str(), entry.source.as_str()), ("ban", "console"), "{entry:?}");
    assert_eq!((entry.target_user_id, entry.moderator_id), (Some(UserId(author)), Some(UserId(MODERATOR))));
    assert_eq!((entry.post_id, entry.reason.as_deref()), (None, Some("flooding")));
    let audit = console.ok("audit_log", json!({ "limit": 1 }));
    assert_eq!(audit.as_array().unwrap().len(), 1);
    assert_eq!(audit[0]["id"], entry.id, "the console's audit log shows the ban first");
    changes.expect("author_banned", None);
    assert_eq!(console.outbox_backlog(), backlog, "a ban queues no Telegram work");
    let refused = block_on(store.submit(&text_post(author, 40, "let me in"))).unwrap();
    assert_eq!(refused, SubmitOutcome::Refused(Refusal::Banned));

    assert_eq!(console.ok("author_unban", json!({ "userId": author })), json!(true));
    assert!(block_on(store.ban_of(UserId(author))).unwrap().is_none(), "the ban row is gone");
    let entry = &console.log(None)[0];
    assert_eq!((entry.action.as_str(), entry.target_user_id), ("unban", Some(UserId(author))), "{entry:?}");
    assert_eq!((entry.source.as_str(), entry.moderator_id), ("console", Some(UserId(MODERATOR))));
    changes.expect("author_unbanned", None);
    let admitted = block_on(store.submit(&text_post(author, 41, "let me in"))).unwrap();
    assert!(matches!(admitted, SubmitOutcome::Created(_)), "{admitted:?}");

    let entries = console.log(None).len();
    assert_eq!(console.ok("author_unban", json!({ "userId": author })), json!(false), "no ban left to lift");
    assert_eq!(console.log(None).len(), entries, "nothing to log");
    console.stop();
}

/// Bait and switch from the console: the moderator opened version 1, the author edits; the
/// approval of version 1 comes back `changed` with the version now, nothing is decided, and
/// the post's detail shows the new text and version. Bulk approval skips an edited post too.
#[test]
fn approving_a_version_the_author_changed_since_is_refused() {
    let console = Console::start("stale", &[]);
    let id = console.seed(&text_post(880, 60, "a harmless offer"));
    let untouched = console.seed(&text_post(881, 61, "never edited"));
    let opened = console.ok("post_detail", json!({ "id": id.0 }));
    let read = opened["version"].as_str().unwrap().to_owned();
    assert_eq!(read.len(), 16, "{opened}");

    let edit = postgate::store::AuthorEdit {
        source_chat_id: 880,
        source_message_id: 60,
        body: "a scam offer".into(),
        entities: json!([]),
    };
    block_on(console.state.services.store.author_edit(&edit)).unwrap();
    let now = console.version_of(id);
    assert_ne!(now, read);

    let out = console.ok("post_approve", json!({ "id": id.0, "version": read }));
    assert_eq!(out, json!({ "outcome": "changed", "version": now }));
    let edited = console.ok("post_approve", json!({ "id": id.0, "version": read, "editedBody": "my text" }));
    assert_eq!(outcome(&edited), "changed");
    assert_eq!(console.status_of(id), "pending");
    assert!(console.log(Some(id)).is_empty(), "nothing logged");
    let reopened = console.ok("post_detail", json!({ "id": id.0 }));
    assert_eq!((reopened["post"]["body"].as_str(), reopened["version"].as_str()), (Some("a scam offer"), Some(&*now)));

    // A version that is not one is the caller's mistake, not a refusal.
    let bad = console.invoke("post_approve", json!({ "id": id.0, "version": "latest" })).unwrap_err();
    assert_eq!(bad["code"], "invalid", "{bad}");
    let missing = console.invoke("post_approve", json!({ "id": id.0 })).unwrap_err();
    assert_eq!(missing["code"], "invalid", "an approval must name a version: {missing}");

    let bulk = console.ok("bulk_decide", json!({ "ids": [id.0, untouched.0], "action": "approve" }));
    assert_eq!(bulk["results"][0]["outcome"], json!({ "outcome": "changed", "version": now }), "{bulk}");
    assert_eq!(outcome(&bulk["results"][1]["outcome"]), "decided");

    let approved = console.ok("post_approve", json!({ "id": id.0, "version": now }));
    assert_eq!(outcome(&approved), "decided");
    assert_eq!(approved["post"]["body"], "a scam offer", "what was read is what is approved");
    console.stop();
}

#[test]
fn undo_takes_a_rejection_back_before_its_notice_and_only_for_its_moderator() {
    let console = Console::start("undo_reject", &[]);
    let mine = console.seed(&text_post(840, 40, "rejected by mistake"));
    let theirs = console.seed(&text_post(841, 41, "rejected in the group"));
    let reason = json!({ "kind": "template", "value": "spam" });
    let out = console.ok("post_reject", json!({ "id": mine.0, "reason": reason, "banAuthor": true }));
    assert_eq!(outcome(&out), "decided", "{out}");
    let changes = console.changes();

    // The notice waits out the undo window (10 s by default): undone now, it is withdrawn.
    let out = console.ok("post_undo", json!({ "id": mine.0 }));
    assert_eq!(out, json!({ "outcome": "undone", "author_told": false }));
    let post = console.post(mine);
    assert_eq!((post.status.to_string(), post.decided_by, post.reject_reason), ("pending".to_owned(), None, None));
    assert_eq!(console.outbox_of(mine), ["announce", "update_card"], "the notice withdrawn, the card redrawn");
    assert!(block_on(console.state.services.store.ban_of(UserId(840))).unwrap().is_none(), "its ban lifted");
    let log = console.log(Some(mine));
    assert_logged(&log[0], mine, "return_to_queue", None);
    changes.expect("post_decided", Some(mine.0));
    let again = console.ok("post_undo", json!({ "id": mine.0 }));
    assert_eq!(outcome(&again), "too_late", "nothing left to undo: {again}");

    let by_telegram = Decision {
        post_id: theirs,
        moderator: UserId(OTHER_MODERATOR),
        source: ActionSource::Telegram,
        kind: DecisionKind::Reject { reason: RejectReason::template("spam").unwrap(), ban_author: false },
    };
    block_on(postgate::moderation::decide(&console.state.services, &by_telegram)).unwrap();
    let out = console.ok("post_undo", json!({ "id": theirs.0 }));
    assert_eq!(outcome(&out), "not_yours", "{out}");
    assert_eq!(console.status_of(theirs), "rejected");
    console.stop();
}

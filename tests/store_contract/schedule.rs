//! Contract: the publishing schedule — an approval with a time waits for it (no publication
//! queued, its author told), two approved posts never hold one time, moves and swaps between
//! consoles (one wins, the other is told what the time is now), parking, publishing now,
//! returning to the queue, and queuing exactly the publications that fell due.

use std::sync::Arc;

use chrono::{DateTime, Duration, DurationRound, Utc};
use postgate::domain::{ActionSource, PostId, PostStatus};
use postgate::store::{DecisionKind, OutboxKind, Reschedule, ScheduleChange, ScheduleOutcome, Store, StoreError};

use crate::common::{MOD_A, MOD_B, text_post};
use crate::fixtures::{actions, decided, decision, kinds_for, lease_all, post, reject_for, submit};

/// A whole minute `minutes` from now (times are stored to the millisecond).
fn in_minutes(minutes: i64) -> DateTime<Utc> {
    (Utc::now() + Duration::minutes(minutes)).duration_trunc(Duration::minutes(1)).unwrap()
}

/// A pending post approved to publish at `at`.
async fn scheduled_post(store: &dyn Store, message_id: i32, at: DateTime<Utc>) -> PostId {
    let id = submit(store, &text_post(500 + i64::from(message_id), message_id, &format!("post {message_id}"))).await;
    lease_all(store).await; // its announcement
    let approve = decision(id, MOD_A, DecisionKind::Approve { edited_body: None });
    let post = decided(store.decide_at(&approve, Some(at)).await.unwrap());
    assert_eq!((post.status, post.scheduled_at), (PostStatus::Approved, Some(at)));
    id
}

fn change(post_id: PostId, seen: Option<DateTime<Utc>>, to: Reschedule) -> ScheduleChange {
    ScheduleChange { post_id, moderator: Some(MOD_A), source: ActionSource::Console, seen, to }
}

pub async fn an_approval_with_a_time_waits_for_it_and_tells_its_author(store: Arc<dyn Store>) {
    let at = in_minutes(60);
    let id = scheduled_post(&*store, 1, at).await;
    let jobs = lease_all(&*store).await;
    assert_eq!(kinds_for(&jobs, id), [OutboxKind::NotifyAuthor, OutboxKind::UpdateCard], "no publication yet");
    let listed = store.scheduled(at - Duration::hours(1), at + Duration::hours(1)).await.unwrap();
    assert_eq!(listed.iter().map(|p| (p.id, p.scheduled_at)).collect::<Vec<_>>(), [(id, Some(at))]);
    assert_eq!(listed[0].excerpt, "post 1");
    assert_eq!(store.scheduled_times(Utc::now()).await.unwrap(), [at]);
    let log = store.moderation_log(Some(id), 10).await.unwrap();
    assert_eq!(log[0].details["scheduled_at"], serde_json::json!(at), "{:?}", log[0].details);
}

pub async fn two_approved_posts_never_hold_one_time(store: Arc<dyn Store>) {
    let at = in_minutes(90);
    scheduled_post(&*store, 1, at).await;
    let second = submit(&*store, &text_post(777, 2, "second")).await;
    let approve = decision(second, MOD_B, DecisionKind::Approve { edited_body: None });
    let err = store.decide_at(&approve, Some(at)).await.unwrap_err();
    assert!(matches!(&err, StoreError::Constraint { .. }), "{err:?}");
    assert!(postgate::moderation::schedule::is_slot_taken(&err), "{err:?}");
    assert_eq!(post(&*store, second).await.status, PostStatus::Pending, "nothing changed");
    // A rejection takes no time: it is not held against the slot.
    decided(store.decide_at(&reject_for(second, MOD_B, "no", false), Some(at)).await.unwrap());
    assert_eq!(store.scheduled_times(Utc::now()).await.unwrap(), [at]);
}

pub async fn a_move_applies_once_and_the_slower_console_is_told(store: Arc<dyn Store>) {
    let (at, later, other) = (in_minutes(120), in_minutes(180), in_minutes(240));
    let id = scheduled_post(&*store, 1, at).await;
    let (to_later, to_other) = (
        change(id, Some(at), Reschedule::At { at: later, swap: false }),
        change(id, Some(at), Reschedule::At { at: other, swap: false }),
    );
    let (first, second) = tokio::join!(store.reschedule(&to_later), store.reschedule(&to_other));
    let outcomes = [first.unwrap(), second.unwrap()];
    let won: Vec<_> = outcomes.iter().filter(|o| matches!(o, ScheduleOutcome::Changed { .. })).collect();
    assert_eq!(won.len(), 1, "{outcomes:?}");
    let now_at = post(&*store, id).await.scheduled_at;
    assert!(now_at == Some(later) || now_at == Some(other));
    let told = outcomes.iter().find(|o| matches!(o, ScheduleOutcome::Stale { .. })).unwrap();
    assert_eq!(told, &ScheduleOutcome::Stale { scheduled_at: now_at }, "the loser learns the time now");
    let log = store.moderation_log(Some(id), 10).await.unwrap();
    assert_eq!(actions(&log).iter().filter(|a| **a == "reschedule").count(), 1);
}

pub async fn a_move_onto_a_taken_slot_is_refused_or_swaps(store: Arc<dyn Store>) {
    let (nine, one) = (in_minutes(300), in_minutes(360));
    let a = scheduled_post(&*store, 1, nine).await;
    let b = scheduled_post(&*store, 2, one).await;
    let refused = store.reschedule(&change(a, Some(nine), Reschedule::At { at: one, swap: false })).await.unwrap();
    assert_eq!(refused, ScheduleOutcome::SlotTaken { by: b });
    let swapped = store.reschedule(&change(a, Some(nine), Reschedule::At { at: one, swap: true })).await.unwrap();
    assert_eq!(swapped, ScheduleOutcome::Changed { scheduled_at: Some(one), swapped: Some(b) });
    assert_eq!(post(&*store, a).await.scheduled_at, Some(one));
    assert_eq!(post(&*store, b).await.scheduled_at, Some(nine));
    let both = store.scheduled(nine, one + Duration::minutes(1)).await.unwrap();
    assert_eq!(both.iter().map(|p| p.id).collect::<Vec<_>>(), [b, a], "reordered");
}

pub async fn park_publish_now_and_back_to_the_queue(store: Arc<dyn Store>) {
    let (t1, t2, t3) = (in_minutes(400), in_minutes(410), in_minutes(420));
    let (parked, now, back) = (
        scheduled_post(&*store, 1, t1).await,
        scheduled_post(&*store, 2, t2).await,
        scheduled_post(&*store, 3, t3).await,
    );
    lease_all(&*store).await;
    let changed = |at| ScheduleOutcome::Changed { scheduled_at: at, swapped: None };
    assert_eq!(store.reschedule(&change(parked, Some(t1), Reschedule::Park)).await.unwrap(), changed(None));
    assert_eq!(store.reschedule(&change(now, Some(t2), Reschedule::Now)).await.unwrap(), changed(None));
    assert_eq!(store.reschedule(&change(back, Some(t3), Reschedule::ToQueue)).await.unwrap(), changed(None));

    let p = post(&*store, parked).await;
    assert_eq!((p.status, p.scheduled_at, p.parked), (PostStatus::Approved, None, true), "approved, without a time");
    let waiting = store.parked(10).await.unwrap();
    assert_eq!(waiting.iter().map(|w| (w.id, w.scheduled_at)).collect::<Vec<_>>(), [(parked, None)]);
    assert!(!post(&*store, now).await.parked, "published at once is not parked");
    let b = post(&*store, back).await;
    assert_eq!((b.status, b.decided_by, b.scheduled_at), (PostStatus::Pending, None, None));
    let jobs = lease_all(&*store).await;
    assert_eq!(kinds_for(&jobs, now), [OutboxKind::Publish, OutboxKind::UpdateCard], "published at once");
    assert_eq!(kinds_for(&jobs, parked), [OutboxKind::UpdateCard]);
    assert_eq!(kinds_for(&jobs, back), [OutboxKind::UpdateCard]);
    assert!(store.scheduled_times(Utc::now()).await.unwrap().is_empty(), "all three slots free");
    let log = store.moderation_log(Some(back), 10).await.unwrap();
    assert_eq!(actions(&log)[0], "return_to_queue");
    // A post that is no longer waiting is not moved.
    let gone = store.reschedule(&change(back, None, Reschedule::Now)).await.unwrap();
    assert_eq!(gone, ScheduleOutcome::NotWaiting);
}

pub async fn the_posts_that_fell_due_are_queued_once_and_only_between_publications(store: Arc<dyn Store>) {
    let times: Vec<DateTime<Utc>> = (1..=5).map(|i| in_minutes(500 + i * 10)).collect();
    let mut ids = Vec::new();
    for (i, at) in times.iter().enumerate() {
        ids.push(scheduled_post(&*store, i32::try_from(i).unwrap() + 1, *at).await);
    }
    lease_all(&*store).await;
    assert!(store.release_due(times[0] - Duration::seconds(1), 50).await.unwrap().is_empty());
    assert_eq!(store.overdue(times[2] + Duration::seconds(1)).await.unwrap().len(), 3, "three missed");
    let released = store.release_due(times[2], 50).await.unwrap();
    assert_eq!(released, ids[..3], "earliest first, up to the time");
    assert!(store.release_due(times[2], 50).await.unwrap().is_empty(), "queued once");
    assert!(store.overdue(times[2] + Duration::seconds(1)).await.unwrap().is_empty(), "queued is not missed");
    let jobs = lease_all(&*store).await;
    for id in &ids[..3] {
        assert_eq!(kinds_for(&jobs, *id), [OutboxKind::Publish]);
    }
    assert!(store.release_due(times[4], 50).await.unwrap().is_empty(), "nothing while publications are queued");
}

pub async fn a_queued_publication_is_withdrawn_when_its_post_moves(store: Arc<dyn Store>) {
    let (at, later) = (in_minutes(700), in_minutes(800));
    let id = scheduled_post(&*store, 1, at).await;
    lease_all(&*store).await;
    assert_eq!(store.release_due(at, 50).await.unwrap(), [id]);
    // Queued, not yet taken by the worker: moving the post withdraws it.
    let moved = store.reschedule(&change(id, Some(at), Reschedule::At { at: later, swap: false })).await.unwrap();
    assert!(matches!(moved, ScheduleOutcome::Changed { .. }), "{moved:?}");
    assert_eq!(kinds_for(&lease_all(&*store).await, id), [OutboxKind::UpdateCard], "no publication left");
    // Once the worker holds it, it is too late.
    assert_eq!(store.release_due(later, 50).await.unwrap(), [id]);
    assert_eq!(kinds_for(&lease_all(&*store).await, id), [OutboxKind::Publish]);
    let late = store.reschedule(&change(id, Some(later), Reschedule::Park)).await.unwrap();
    assert_eq!(late, ScheduleOutcome::NotWaiting);
}

/// Top of the queue (issue #16): the approval takes the first time and the posts holding the
/// next ones move one slot later each, in one transaction; moves the caller saw wrong (another
/// console moved a post meanwhile) refuse the whole, and a taken time too.
pub async fn the_top_of_the_queue_moves_the_others_one_slot_later(store: Arc<dyn Store>) {
    let (t1, t2, t3, t4) = (in_minutes(60), in_minutes(120), in_minutes(180), in_minutes(240));
    let a = scheduled_post(&*store, 1, t1).await;
    let b = scheduled_post(&*store, 2, t2).await;
    let c = scheduled_post(&*store, 3, t4).await;
    let top = submit(&*store, &text_post(600, 10, "to the top")).await;
    lease_all(&*store).await;
    let approve = |id| decision(id, MOD_B, DecisionKind::Approve { edited_body: None });

    let post_top = decided(store.decide_top(&approve(top), t1, &[(a, t1, t2), (b, t2, t3)]).await.unwrap());
    assert_eq!((post_top.status, post_top.scheduled_at), (PostStatus::Approved, Some(t1)));
    for (id, at) in [(a, t2), (b, t3), (c, t4)] {
        assert_eq!(post(&*store, id).await.scheduled_at, Some(at), "{id:?}");
    }
    let listed = store.scheduled(t1, t4 + Duration::minutes(1)).await.unwrap();
    assert_eq!(listed.iter().map(|p| p.id).collect::<Vec<_>>(), [top, a, b, c]);
    for (id, from, to) in [(a, t1, t2), (b, t2, t3)] {
        let log = store.moderation_log(Some(id), 5).await.unwrap();
        assert_eq!((log[0].action.as_str(), log[0].moderator_id), ("reschedule", Some(MOD_B)), "{id:?}");
        assert_eq!(
            (&log[0].details["from"], &log[0].details["to"]),
            (&serde_json::json!(from), &serde_json::json!(to))
        );
    }
    assert_eq!(actions(&store.moderation_log(Some(c), 5).await.unwrap()), ["approve"], "c was not in the way");
    let jobs = lease_all(&*store).await;
    assert_eq!(kinds_for(&jobs, a), [OutboxKind::UpdateCard]);
    assert_eq!(kinds_for(&jobs, b), [OutboxKind::UpdateCard]);
    assert_eq!(kinds_for(&jobs, top), [OutboxKind::NotifyAuthor, OutboxKind::UpdateCard], "told when, no publication");

    // Another console saw the old times: nothing changes, the caller is told by the slot index.
    let late = submit(&*store, &text_post(601, 11, "late")).await;
    let err = store.decide_top(&approve(late), t1, &[(a, t1, t2), (top, t2, t3)]).await.unwrap_err();
    assert!(
        matches!(&err, StoreError::Constraint { constraint, .. } if constraint.contains("posts_scheduled_slot")),
        "{err}"
    );
    let err = store.decide_top(&approve(late), t1, &[]).await.unwrap_err();
    assert!(matches!(&err, StoreError::Constraint { .. }), "a taken time: {err}");
    assert_eq!(post(&*store, late).await.status, PostStatus::Pending);
    for (id, at) in [(top, t1), (a, t2), (b, t3), (c, t4)] {
        assert_eq!(post(&*store, id).await.scheduled_at, Some(at), "unchanged: {id:?}");
    }
    // A rejection moves nothing.
    let reject = reject_for(late, MOD_B, "no", false);
    decided(store.decide_top(&reject, t4, &[(c, t4, t4 + Duration::hours(1))]).await.unwrap());
    assert_eq!(post(&*store, c).await.scheduled_at, Some(t4));
}

//! Contract: `claim` and `release` — a claim keeps other moderators off a pending post until it
//! expires or its holder releases it; decided and missing posts cannot be claimed.

use std::sync::Arc;

use postgate::domain::{PostId, PostStatus, UserId};
use postgate::store::{ClaimOutcome, DecideOutcome, Store};

use crate::common::{MOD_A, MOD_B, approve, reject, text_post};
use crate::fixtures::{post, submit};
use crate::harness::{SHORT_SECS, wait_past_short};

pub async fn a_claim_holds_other_moderators_off(store: Arc<dyn Store>) {
    let id = submit(&*store, &text_post(1, 1, "claim me")).await;
    let before = chrono::Utc::now();
    let ClaimOutcome::Claimed { until } = store.claim(id, MOD_A, 60).await.unwrap() else { panic!("A claims") };
    let ttl = (until - before).num_seconds();
    assert!((55..=65).contains(&ttl), "the claim lasts its ttl: {ttl} s");
    let stored = post(&*store, id).await;
    assert_eq!((stored.claimed_by, stored.claim_expires_at), (Some(MOD_A), Some(until)));
    assert_eq!(stored.status, PostStatus::Pending, "a claim is not a decision");

    let held = store.claim(id, MOD_B, 60).await.unwrap();
    assert_eq!(held, ClaimOutcome::HeldByOther { by: MOD_A, until });
    assert_eq!(post(&*store, id).await.claimed_by, Some(MOD_A), "the other's attempt changes nothing");

    // The holder may renew.
    let ClaimOutcome::Claimed { until: renewed } = store.claim(id, MOD_A, 120).await.unwrap() else {
        panic!("the holder renews")
    };
    assert!(renewed > until);
}

pub async fn a_claim_expires(store: Arc<dyn Store>) {
    let id = submit(&*store, &text_post(1, 1, "claim me")).await;
    assert!(matches!(store.claim(id, MOD_A, SHORT_SECS).await.unwrap(), ClaimOutcome::Claimed { .. }));
    assert!(matches!(store.claim(id, MOD_B, 60).await.unwrap(), ClaimOutcome::HeldByOther { .. }));
    wait_past_short().await;
    let taken = store.claim(id, MOD_B, 60).await.unwrap();
    assert!(matches!(taken, ClaimOutcome::Claimed { .. }), "an expired claim can be taken: {taken:?}");
    assert_eq!(post(&*store, id).await.claimed_by, Some(MOD_B));
    // The first holder's time is up: now B's claim keeps A out.
    let late = store.decide(&approve(id, MOD_A)).await.unwrap();
    assert!(matches!(late, DecideOutcome::ClaimedByOther { by, .. } if by == MOD_B), "{late:?}");
}

pub async fn an_expired_claim_does_not_block_a_decision(store: Arc<dyn Store>) {
    let id = submit(&*store, &text_post(1, 1, "claim me")).await;
    store.claim(id, MOD_A, SHORT_SECS).await.unwrap();
    wait_past_short().await;
    let outcome = store.decide(&reject(id, MOD_B)).await.unwrap();
    let DecideOutcome::Decided { post } = outcome else { panic!("got {outcome:?}") };
    assert_eq!((post.status, post.decided_by), (PostStatus::Rejected, Some(MOD_B)));
    assert_eq!((post.claimed_by, post.claim_expires_at), (None, None));
}

pub async fn release_frees_only_the_holders_claim(store: Arc<dyn Store>) {
    let id = submit(&*store, &text_post(1, 1, "claim me")).await;
    store.claim(id, MOD_A, 60).await.unwrap();

    store.release(id, MOD_B).await.unwrap();
    assert_eq!(post(&*store, id).await.claimed_by, Some(MOD_A), "only the holder releases");
    store.release(id, MOD_A).await.unwrap();
    let stored = post(&*store, id).await;
    assert_eq!((stored.claimed_by, stored.claim_expires_at), (None, None));
    assert!(matches!(store.claim(id, MOD_B, 60).await.unwrap(), ClaimOutcome::Claimed { .. }));

    // Releasing what is not held, or a post that does not exist, is not an error.
    store.release(id, MOD_A).await.unwrap();
    store.release(PostId(id.0 + 1000), MOD_A).await.unwrap();
    assert_eq!(post(&*store, id).await.claimed_by, Some(MOD_B));
}

pub async fn claim_of_a_decided_post_is_not_pending(store: Arc<dyn Store>) {
    let id = submit(&*store, &text_post(1, 1, "decided")).await;
    store.decide(&approve(id, MOD_A)).await.unwrap();
    assert_eq!(store.claim(id, MOD_B, 60).await.unwrap(), ClaimOutcome::NotPending);
    assert_eq!(store.claim(id, MOD_A, 60).await.unwrap(), ClaimOutcome::NotPending);
    assert_eq!(post(&*store, id).await.claimed_by, None);
}

pub async fn claim_of_a_missing_post_is_not_found(store: Arc<dyn Store>) {
    assert_eq!(store.claim(PostId(4242), MOD_A, 60).await.unwrap(), ClaimOutcome::NotFound);
}

pub async fn concurrent_claims_are_won_by_one_moderator(store: Arc<dyn Store>) {
    let id = submit(&*store, &text_post(1, 1, "everyone wants it")).await;
    let tasks: Vec<_> = (0..8_i64)
        .map(|i| {
            let store = Arc::clone(&store);
            tokio::spawn(async move { (UserId(900_100 + i), store.claim(id, UserId(900_100 + i), 60).await.unwrap()) })
        })
        .collect();
    let outcomes: Vec<(UserId, ClaimOutcome)> =
        futures::future::join_all(tasks).await.into_iter().map(Result::unwrap).collect();
    let winners: Vec<UserId> =
        outcomes.iter().filter(|(_, o)| matches!(o, ClaimOutcome::Claimed { .. })).map(|(m, _)| *m).collect();
    assert_eq!(winners.len(), 1, "one claim wins: {outcomes:?}");
    let holder = post(&*store, id).await.claimed_by;
    assert_eq!(holder, Some(winners[0]));
    for (_, outcome) in &outcomes {
        match outcome {
            ClaimOutcome::Claimed { .. } => {}
            ClaimOutcome::HeldByOther { by, .. } => assert_eq!(Some(*by), holder),
            other => panic!("unexpected {other:?}"),
        }
    }
}

pub async fn a_claim_racing_a_decision_lets_only_one_through(store: Arc<dyn Store>) {
    // Whichever comes first wins: a claim taken first blocks the other moderator's decision;
    // a decision taken first leaves nothing to claim. Never both.
    for m in 1..=10 {
        let id = submit(&*store, &text_post(1, m, "contested")).await;
        let claiming = {
            let store = Arc::clone(&store);
            tokio::spawn(async move { store.claim(id, MOD_B, 60).await.unwrap() })
        };
        let deciding = {
            let store = Arc::clone(&store);
            tokio::spawn(async move { store.decide(&approve(id, MOD_A)).await.unwrap() })
        };
        let (claimed, decided) = (claiming.await.unwrap(), deciding.await.unwrap());
        let stored = post(&*store, id).await;
        match (&claimed, &decided) {
            (ClaimOutcome::Claimed { .. }, DecideOutcome::ClaimedByOther { by, .. }) => {
                assert_eq!(*by, MOD_B);
                assert_eq!((stored.status, stored.claimed_by), (PostStatus::Pending, Some(MOD_B)));
            }
            (ClaimOutcome::NotPending, DecideOutcome::Decided { .. }) => {
                assert_eq!((stored.status, stored.claimed_by), (PostStatus::Approved, None));
            }
            other => panic!("round {m}: not one winner: {other:?}"),
        }
    }
}

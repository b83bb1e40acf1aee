//! Contract: what a backend does besides reads and writes — it names its kind, migrating again
//! changes nothing, the polling lock is taken and given back, and a closed store says it is
//! unavailable (a transient error) instead of hanging.

use std::sync::Arc;

use postgate::domain::UserId;
use postgate::store::{PollLock, Store};

use crate::common::text_post;
use crate::fixtures::{post, submit};

pub async fn migrating_again_changes_nothing(store: Arc<dyn Store>) {
    assert!(["postgres", "sqlite"].contains(&store.backend().as_str()));
    let id = submit(&*store, &text_post(1, 1, "kept")).await;
    store.migrate().await.unwrap();
    store.migrate().await.unwrap();
    assert_eq!(post(&*store, id).await.body, "kept");
    store.ping().await.unwrap();
}

pub async fn the_poll_lock_is_taken_and_given_back(store: Arc<dyn Store>) {
    for round in 0..2 {
        match store.try_poll_lock("123:contract-token", "contract test").await.unwrap() {
            PollLock::Acquired(guard) => guard.release().await,
            PollLock::HeldBy(holder) => panic!("round {round}: nobody else polls, yet held by {holder}"),
        }
    }
}

pub async fn a_closed_store_is_unavailable(store: Arc<dyn Store>) {
    submit(&*store, &text_post(1, 1, "before")).await;
    store.close().await;
    let ping = tokio::time::timeout(std::time::Duration::from_secs(30), store.ping()).await.expect("no hang");
    let err = ping.expect_err("a closed store does not answer");
    assert!(err.is_transient(), "closed is an outage, not a bug: {err:?}");
    let read =
        tokio::time::timeout(std::time::Duration::from_secs(30), store.author(UserId(1))).await.expect("no hang");
    assert!(read.is_err_and(|e| e.is_transient()));
}

//! Contract: the trait's promise about failures — every error is logged at error level, once,
//! with the ids involved, before it is returned — and a failed write leaves nothing behind.

use std::sync::Arc;

use postgate::domain::{MediaKind, UserId};
use postgate::store::{PostQuery, Store};

use crate::common::{LogCapture, album_post};

pub async fn a_failed_call_is_logged_once_with_its_ids(store: Arc<dyn Store>) {
    let capture = LogCapture::default();
    // The test's future runs on this thread, so a thread-local subscriber sees the store's
    // events for it.
    let guard = tracing::subscriber::set_default(capture.subscriber());
    let too_many = album_post(4242, 77, "too many", &[MediaKind::Photo; 11]);
    let err = store.submit(&too_many).await.expect_err("an 11-item album is not stored");
    assert!(!err.is_transient(), "bad input is not an outage: {err:?}");

    let errors: Vec<serde_json::Value> = capture.lines().into_iter().filter(|l| l["level"] == "ERROR").collect();
    assert_eq!(errors.len(), 1, "exactly one error line per failure: {}", capture.text());
    let line = &errors[0];
    assert_eq!(line["span"]["user_id"], 4242, "{line}");
    assert_eq!(line["span"]["message_id"], 77, "{line}");
    assert_eq!(line["span"]["chat_id"], crate::common::CHAT, "{line}");
    drop(guard);

    // Nothing of the failed submission is left.
    assert_eq!(store.list_posts(&PostQuery::default()).await.unwrap().total, 0);
    assert!(store.author(UserId(4242)).await.unwrap().is_none());
}

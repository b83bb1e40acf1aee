//! The preview cache against the fake Bot API: one download per file, bounded size with the
//! least recently used files evicted, nothing left behind by a failed download.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use postgate::media_cache::MediaCache;
use support::fake_telegram::{FakeTelegram, Fault};

fn names(dir: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    v.sort();
    v
}

#[tokio::test]
async fn files_are_downloaded_once_kept_within_the_bound_and_failures_leave_nothing() {
    let fake = FakeTelegram::start().await;
    let bot = fake.bot();
    let dir = tempfile::tempdir().unwrap();
    let cache = MediaCache::new(dir.path(), 250, 1024 * 1024);
    for id in ["a", "b", "c"] {
        fake.set_file(id, vec![1u8; 100]);
    }

    let a = cache.get(&bot, "ua", "a").await.unwrap();
    assert_eq!(std::fs::read(&a).unwrap(), vec![1u8; 100]);
    cache.get(&bot, "ua", "a").await.unwrap();
    assert_eq!(fake.calls_to("download").len(), 1, "served from disk the second time");

    cache.get(&bot, "ub", "b").await.unwrap();
    cache.get(&bot, "ua", "a").await.unwrap(); // a is now more recently used than b
    cache.get(&bot, "uc", "c").await.unwrap();
    assert_eq!(names(dir.path()), ["m-ua", "m-uc"], "over 250 bytes: the least recently used (b) went");

    fake.fail_next("download", 1, Fault::ServerError);
    fake.set_file("d", vec![2u8; 10]);
    assert!(cache.get(&bot, "ud", "d").await.is_err());
    assert_eq!(names(dir.path()), ["m-ua", "m-uc"], "a failed download leaves no file behind");
    assert!(cache.get(&bot, "../x", "d").await.is_err(), "ids that are not plain names are refused");
    fake.shutdown().await;
}

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

/// Issue #14 (6): the preview folder is made 0700; a folder that is a symlink (planted by
/// another local user in a shared place) or belongs to someone else is refused, and a cached
/// entry that is a link out of the folder is not served.
#[tokio::test]
async fn the_folder_is_private_and_planted_links_are_refused() {
    use std::os::unix::fs::PermissionsExt;
    let fake = FakeTelegram::start().await;
    let bot = fake.bot();
    fake.set_file("a", vec![1u8; 10]);
    let root = tempfile::tempdir().unwrap();
    std::fs::set_permissions(root.path(), std::fs::Permissions::from_mode(0o777)).unwrap();

    let dir = root.path().join("media/previews");
    let cache = MediaCache::new(&dir, 1 << 20, 1 << 20);
    cache.get(&bot, "ua", "a").await.unwrap();
    for folder in [&dir, &root.path().join("media")] {
        assert_eq!(std::fs::metadata(folder).unwrap().permissions().mode() & 0o777, 0o700, "{}", folder.display());
    }

    // A cached entry swapped for a link (to /dev/zero, or another picture) is not served.
    let entry = dir.join("m-ub");
    std::os::unix::fs::symlink("/dev/zero", &entry).unwrap();
    fake.set_file("b", vec![2u8; 10]);
    let served = cache.get(&bot, "ub", "b").await.unwrap();
    assert!(!postgate::private_fs::is_symlink(&served), "the link was replaced by the real download");
    assert_eq!(std::fs::read(&served).unwrap(), vec![2u8; 10]);

    // A folder that is a symlink is refused; nothing is written where it points.
    let elsewhere = root.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    let planted = root.path().join("planted");
    std::os::unix::fs::symlink(&elsewhere, &planted).unwrap();
    let err = MediaCache::new(&planted, 1 << 20, 1 << 20).get(&bot, "ua", "a").await.unwrap_err();
    assert!(err.to_string().contains("symbolic link"), "{err}");
    assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 0);

    // A folder owned by another user (only checkable as root, who may hand one over).
    if postgate::private_fs::current_uid().unwrap() == 0 {
        let theirs = root.path().join("theirs");
        std::fs::create_dir(&theirs).unwrap();
        std::os::unix::fs::chown(&theirs, Some(65_534), None).unwrap();
        let err = MediaCache::new(&theirs, 1 << 20, 1 << 20).get(&bot, "ua", "a").await.unwrap_err();
        assert!(err.to_string().contains("belongs to user 65534"), "{err}");
    }
    fake.shutdown().await;
}

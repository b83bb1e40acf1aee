//! Media processing off the async workers: fingerprinting downloads each file to a temporary
//! file and hashes it on the blocking pool; temp files go away, also after errors; replies are
//! not delayed meanwhile; re-posted media are flagged.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_precision_loss
)]

mod app;
mod support;

use std::time::{Duration, Instant};

use app::{App, has_text};
use support::fake_telegram::Fault;
use support::fake_telegram::updates::{photo_message, text_message};

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, Iterator::count)
}

fn temp_files(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir).map_or(0, Iterator::count)
}

async fn hashed(app: &App) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM media WHERE sha256 IS NOT NULL").fetch_one(app.pg()).await.unwrap()
}

async fn wait_hashed(app: &App, n: i64, limit: Duration) {
    let deadline = Instant::now() + limit;
    while hashed(app).await < n {
        assert!(Instant::now() < deadline, "only {} of {n} media hashed in {limit:?}", hashed(app).await);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

const NO_LIMITS: [(&str, &str); 2] = [("RATE_LIMIT_MAX", "10000"), ("MAX_PENDING_PER_USER", "10000")];

/// Bytes this machine hashes in about `secs` seconds (measured, so the test means the same on
/// fast and slow machines), at most 1.5 GiB (the fake server holds the file in memory).
fn bytes_hashed_in(secs: f64) -> usize {
    const SAMPLE: usize = 32 * 1024 * 1024;
    let mut sample = tempfile::NamedTempFile::new().unwrap();
    std::io::Write::write_all(&mut sample, &vec![1u8; SAMPLE]).unwrap();
    let started = Instant::now();
    postgate::media::sha256_file(sample.path()).unwrap();
    let rate = SAMPLE as f64 / started.elapsed().as_secs_f64();
    ((rate * secs) as usize).clamp(SAMPLE, 1536 * 1024 * 1024)
}

/// The longest a reply to `/start` may take while a file is being hashed.
const REPLY_BOUND: Duration = Duration::from_millis(1500);

/// Polls (every 5 ms, bounded) until `cond` holds; returns when it was first seen to hold.
async fn seen_at(what: &str, limit: Duration, mut cond: impl FnMut() -> bool) -> Instant {
    let deadline = Instant::now() + limit;
    while !cond() {
        assert!(Instant::now() < deadline, "timed out after {limit:?} waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    Instant::now()
}

#[tokio::test(flavor = "current_thread")]
async fn seed_03_a_reply_is_not_delayed_while_a_large_file_is_hashed() {
    // Sized for about 5 s of hashing; the test then checks that hashing did take at least
    // twice the reply bound, so a fast machine cannot pass it without proving anything.
    let size = bytes_hashed_in(5.0);
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().display().to_string();
    let app = App::start("media_big", &[("MEDIA_TEMP_DIR", dir.as_str()), ("MEDIA_MAX_MB", "2000")]).await;
    // On this single-threaded runtime, hashing on the async thread would hold every reply
    // until it ends.
    app.fake.set_file("big", vec![7u8; size]);
    app.fake.push_update(photo_message(1, 1, 1, "big", "ubig", None, None));
    let full = || {
        std::fs::read_dir(temp.path()).is_ok_and(|mut entries| {
            entries.any(|e| e.is_ok_and(|e| e.metadata().is_ok_and(|m| m.len() == size as u64)))
        })
    };
    // Hashing starts when the download is complete and ends when its temp file is removed
    // (the file is dropped as the hashing closure returns).
    let hash_started = seen_at("large file fully downloaded", Duration::from_mins(2), full).await;

    let asked = Instant::now();
    app.fake.push_update(text_message(2, 2, 1, "/start", Some("en")));
    let replied = seen_at("reply to /start", Duration::from_mins(2), || has_text(&app.texts_to(2), "Hello")).await;
    let reply_latency = replied - asked;
    let hashed_at_reply = hashed(&app).await;
    let file_at_reply = temp_files(temp.path());
    let hash_ended =
        seen_at("temp file removed after hashing", Duration::from_mins(2), || temp_files(temp.path()) == 0).await;
    let hash_time = hash_ended - hash_started;
    wait_hashed(&app, 1, Duration::from_mins(2)).await;
    eprintln!(
        "seed_03: {} MiB hashed in {hash_time:?}; /start answered {reply_latency:?} after it was sent, \
         {:?} into the hashing",
        size / (1024 * 1024),
        replied - hash_started
    );
    assert_eq!(hashed_at_reply, 0, "the reply arrived while the file was still being hashed");
    assert_eq!(file_at_reply, 1, "the temp file was still being hashed when the reply arrived");
    assert!(reply_latency < REPLY_BOUND, "reply took {reply_latency:?} (hash took {hash_time:?})");
    assert!(
        hash_time >= REPLY_BOUND * 2,
        "hashing took only {hash_time:?}: too short to show that a reply is not held up by it \
         (needs at least {:?}; the file is sized from a measured rate)",
        REPLY_BOUND * 2
    );
    assert!(replied < hash_ended, "answered before the hashing ended");
    assert_eq!(temp_files(temp.path()), 0, "temp file removed after hashing");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_15_a_thousand_media_leave_no_temp_files_and_no_open_descriptors() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().display().to_string();
    let mut env = NO_LIMITS.to_vec();
    env.push(("MEDIA_TEMP_DIR", dir.as_str()));
    env.push(("DB_MAX_CONNECTIONS", "5"));
    let app = App::start("media_many", &env).await;
    let push = |from: i32, to: i32| {
        for i in from..to {
            let user = 10_000 + i64::from(i % 100);
            let file = format!("f{i}");
            app.fake.set_file(&file, format!("content of file {}", i % 900).into_bytes());
            app.fake.push_update(photo_message(user, user, i, &file, &format!("u{file}"), None, None));
        }
    };
    // Warm up the pools, then measure from a steady state.
    push(0, 100);
    wait_hashed(&app, 100, Duration::from_mins(2)).await;
    let baseline_fds = open_fds();
    // Downloads that break off half-way must not leave their temp files behind.
    app.fake.fail_next("download", 5, Fault::ServerError);
    push(100, 1000);
    wait_hashed(&app, 1000, Duration::from_mins(5)).await;

    assert_eq!(temp_files(temp.path()), 0, "temp dir empty after 1,000 files and 5 broken downloads");
    let after = open_fds();
    // The pools may still grow toward their bounds under load (the HTTP client keeps up to
    // `limiter::sockets` idle keep-alives: 16 for messages at Telegram's default limits, 100 for
    // callback answers; DB_MAX_CONNECTIONS=5, Redis); a descriptor kept per file would add 900.
    let pool_headroom = postgate::limiter::sockets(None) + 5 + 3;
    assert!(after <= baseline_fds + pool_headroom, "descriptors grew from {baseline_fds} to {after}");
    let flagged: i64 = sqlx::query_scalar("SELECT count(*) FROM posts WHERE duplicate_of IS NOT NULL")
        .fetch_one(app.pg())
        .await
        .unwrap();
    assert_eq!(flagged, 100, "files 900..999 repeat the contents of 0..99");
    app.stop().await;
}

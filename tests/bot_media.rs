//! Media processing off the async workers: fingerprinting downloads each file to a temporary
//! file and hashes it on the blocking pool; temp files go away, also after errors; replies are
//! not delayed meanwhile; re-posted media are flagged.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::cast_possible_truncation, clippy::cast_sign_loss)]

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
    sqlx::query_scalar("SELECT count(*) FROM media WHERE sha256 IS NOT NULL")
        .fetch_one(app.services.pg.pool())
        .await
        .unwrap()
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
/// fast and slow machines).
fn bytes_hashed_in(secs: f64) -> usize {
    let mut sample = tempfile::NamedTempFile::new().unwrap();
    std::io::Write::write_all(&mut sample, &vec![1u8; 16 * 1024 * 1024]).unwrap();
    let started = Instant::now();
    postgate::media::sha256_file(sample.path()).unwrap();
    let rate = 16.0 * 1024.0 * 1024.0 / started.elapsed().as_secs_f64();
    ((rate * secs) as usize).clamp(16 * 1024 * 1024, 768 * 1024 * 1024)
}

#[tokio::test(flavor = "current_thread")]
async fn seed_03_a_reply_is_not_delayed_while_a_large_file_is_hashed() {
    let size = bytes_hashed_in(3.0);
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().display().to_string();
    let app = App::start("media_big", &[("MEDIA_TEMP_DIR", dir.as_str()), ("MEDIA_MAX_MB", "1000")]).await;
    // On this single-threaded runtime, hashing on the async thread would hold every reply
    // for about three seconds.
    app.fake.set_file("big", vec![7u8; size]);
    app.fake.push_update(photo_message(1, 1, 1, "big", "ubig", None, None));
    let downloaded = || {
        std::fs::read_dir(temp.path()).is_ok_and(|mut entries| {
            entries.any(|e| e.is_ok_and(|e| e.metadata().is_ok_and(|m| m.len() == size as u64)))
        })
    };
    app::wait_until("large file fully downloaded", downloaded).await;

    let asked = Instant::now();
    app.fake.push_update(text_message(2, 2, 1, "/start", Some("en")));
    app::wait_until("reply to /start", || has_text(&app.texts_to(2), "Hello")).await;
    let reply_latency = asked.elapsed();
    let hashed_at_reply = hashed(&app).await;
    wait_hashed(&app, 1, Duration::from_mins(2)).await;
    let hash_time = asked.elapsed();
    assert_eq!(hashed_at_reply, 0, "the reply arrived while the file was still being hashed");
    assert!(reply_latency < Duration::from_millis(1500), "reply took {reply_latency:?} (hash took {hash_time:?})");
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
    // The pools may still grow toward their bounds under load (16 idle HTTP keep-alives,
    // DB_MAX_CONNECTIONS=5, Redis); a descriptor kept per file would add hundreds.
    let pool_headroom = 16 + 5 + 3;
    assert!(after <= baseline_fds + pool_headroom, "descriptors grew from {baseline_fds} to {after}");
    let flagged: i64 = sqlx::query_scalar("SELECT count(*) FROM posts WHERE duplicate_of IS NOT NULL")
        .fetch_one(app.services.pg.pool())
        .await
        .unwrap();
    assert_eq!(flagged, 100, "files 900..999 repeat the contents of 0..99");
    app.stop().await;
}

//! The Statistics view end to end, in the real window under Xvfb, on both storage backends: 140
//! posts seeded through the core over the last 35 days (their times then moved back in SQL), the
//! view opened from the navigation, the charts drawn (uPlot canvases, the heat map), the range
//! changed from 30 to 7 days (the figures follow), and the table view giving the same numbers.
//! The window's zone is UTC (`TZ`), so the expected counts are worked out here in UTC days.
//! Screenshot: `target/e2e/statistics.png` (copied to docs/screenshots/ for the README).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use chrono::{Duration as Days, Utc};
use postgate::domain::{ActionSource, PostStatus, RejectReason, UserId};
use postgate::services::Services;
use postgate::store::{Decision, DecisionKind, ModeratorProfile};
use support::backdate::{Backdater, Times};
use support::backend::{Backend, Db};
use support::driver::{LogsOnPanic, WAIT};

const POSTS: i64 = 140;
const SPREAD_DAYS: i64 = 35;

/// Post `i` arrived `i % 35` days ago (UTC); a fifth wait, the others are approved (half of
/// them published) or rejected (as spam or in own words) by one of two moderators.
async fn seed(services: &Services, db: &Db, fake: &support::fake_telegram::FakeTelegram) {
    for (id, name) in [(support::MODERATOR, "Anna"), (support::MODERATOR + 1, "Boris")] {
        let profile = ModeratorProfile { id: UserId(id), display_name: name.into(), username: None, source: "config" };
        services.store.upsert_moderator(&profile).await.unwrap();
    }
    let mut ids = Vec::new();
    for i in 0..POSTS {
        let message = i32::try_from(i * 10 + 1).unwrap();
        let author = 700 + i % 12;
        let post = match i % 9 {
            0 => support::album_post(author, message, "an album", 3),
            1 | 5 => support::album_post(author, message, "a photo", 1),
            _ => support::text_post(author, message, "a text post"),
        };
        support::known_to(fake, &post);
        let id = services.store.submit(&post).await.unwrap().post_id().unwrap();
        let moderator = UserId(support::MODERATOR + i % 2);
        // The outcome turns over with each round of the 35 days, so every day has a mix.
        let outcome = (i + i / SPREAD_DAYS) % 5;
        let kind = match outcome {
            0 => None,
            1 | 2 => Some(DecisionKind::Approve { edited_body: None }),
            3 => Some(DecisionKind::Reject { reason: RejectReason::template("spam").unwrap(), ban_author: false }),
            _ => Some(DecisionKind::Reject { reason: RejectReason::custom("not for us").unwrap(), ban_author: false }),
        };
        if let Some(kind) = kind {
            let decision = Decision { post_id: id, moderator, source: ActionSource::Console, kind };
            services.store.decide(&decision).await.unwrap();
        }
        ids.push((i, id, outcome == 1));
    }
    let url = db.env["DATABASE_URL"].clone();
    let backdater = match db.backend {
        Backend::Postgres => Backdater::Postgres(sqlx::PgPool::connect(&url).await.unwrap()),
        Backend::Sqlite => Backdater::Sqlite(url.trim_start_matches("sqlite://").into()),
    };
    let today = Utc::now().date_naive().and_hms_opt(0, 0, 0).unwrap().and_utc();
    for (i, id, published) in ids {
        let arrived = today - Days::days(i % SPREAD_DAYS) + Days::minutes(i * 37 % 600);
        let record = services.store.post(id).await.unwrap().unwrap();
        let decided = (record.status != PostStatus::Pending).then(|| arrived + Days::minutes(5 + i * 13 % 240));
        let published_at = decided.filter(|_| published).map(|t| t + Days::minutes(2));
        backdater.set(id, &Times { arrived, decided, published: published_at }).await;
        if published {
            backdater.set_status(id, "published").await;
        }
    }
}

/// Posts that arrived in the last `days` UTC days.
fn expected(days: i64) -> i64 {
    (0..POSTS).filter(|i| i % SPREAD_DAYS < days).count().try_into().unwrap()
}

/// What the view shows: its total, how many canvases and heat cells are drawn, and the sum
/// and row count of the submissions table; its caption and error, if any (for a failure's message).
const READ: &str = "
  const caption = document.querySelector('[data-testid=\"stats-caption\"]');
  const table = document.querySelector('[data-testid=\"stats-table-submissions\"] tbody');
  const rows = table ? [...table.rows] : [];
  const sum = rows.reduce((n, r) => n + [1, 2, 3, 4, 5].reduce((m, c) => m + Number(r.cells[c].textContent.replace(/\\D/g, '')), 0), 0);
  const error = document.querySelector('[data-testid=\"stats-error\"]');
  return { total: caption ? Number(caption.dataset.total) : null, canvases: document.querySelectorAll('.stats-grid canvas').length,
           cells: document.querySelectorAll('.heat-cell').length, rows: rows.length, sum,
           caption: caption ? caption.textContent : null, error: error ? error.textContent : null };";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statistics_draw_follow_the_range_and_match_their_tables_on_postgres() {
    statistics_in_the_window(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statistics_draw_follow_the_range_and_match_their_tables_on_sqlite() {
    statistics_in_the_window(Backend::Sqlite).await;
}

async fn statistics_in_the_window(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let _logs = LogsOnPanic(dir.path().to_owned());
    let fake = support::fake_api().await;
    let mut db = Db::fresh(backend, "e2e_stats", &fake.base_url(), dir.path()).await;
    db.env.insert("AUTOSTART_BOT".into(), "false".into());
    db.env.insert("TZ".into(), "UTC".into());
    db.env.insert("POSTGATE_SETTINGS_FILE".into(), dir.path().join("settings.json").display().to_string());
    let other = db.open().await;
    seed(&other, &db, &fake).await;
    // An SQLite file is the window's alone while it runs: the seed is written, the core closed.
    other.close().await;
    drop(other);

    let window = db.window(dir.path()).await;
    window.wait_for("[data-testid=\"queue\"]").await;
    window.click("[data-testid=\"nav-stats\"]").await;
    let read = || async { window.client.execute(READ, vec![]).await.unwrap() };
    // Polls the view until `done` holds of what it shows, failing with the last reading.
    let until_shown = |what: &'static str, done: fn(&serde_json::Value) -> bool| async move {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let m = read().await;
            if done(&m) {
                return;
            }
            assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}; the view shows {m}");
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    };

    // 30 days by default: five uPlot charts, 7 × 24 heat cells, the 30-day total.
    until_shown("the 30-day charts", |m| {
        m["total"] == expected(30) && m["canvases"].as_u64().unwrap_or(0) >= 5 && m["cells"] == 168
    })
    .await;
    let m = read().await;
    assert_eq!((m["rows"].as_i64(), m["sum"].as_i64()), (Some(30), Some(expected(30))), "the hidden tables agree: {m}");
    tokio::time::sleep(std::time::Duration::from_millis(500)).await; // one more frame before the picture
    window.screenshot("statistics").await;

    // 7 days: the figures follow.
    window.click("[data-testid=\"stats-range-7\"]").await;
    until_shown("the 7-day figures", |m| m["total"] == expected(7)).await;
    let m = read().await;
    assert!(m["canvases"].as_u64().unwrap_or(0) >= 5, "charts drawn again: {m}");
    assert_eq!((m["rows"].as_i64(), m["sum"].as_i64()), (Some(7), Some(expected(7))), "{m}");

    // The table view shows the same numbers, charts gone.
    window.click("[data-testid=\"stats-tables\"]").await;
    until_shown("the table view", |m| m["canvases"] == 0).await;
    let m = read().await;
    assert_eq!((m["rows"].as_i64(), m["sum"].as_i64()), (Some(7), Some(expected(7))), "{m}");
    // Rendered text: the table's headers and cells may be shown in capitals.
    let moderators = window.text_of("[data-testid=\"stats-table-moderators\"]").await.unwrap().to_lowercase();
    assert!(moderators.contains("anna") && moderators.contains("boris"), "{moderators}");

    window.close().await;
    fake.shutdown().await;
    db.drop().await;
}

//! A steady stream of submissions with an outage in the middle, and what the tests read back:
//! the authors' replies, the press answers, the captured JSON logs, the database's health.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use postgate::domain::{PostId, UserId};
use postgate::health::DbHealth;
use serde_json::Value;

use crate::app::App;
use crate::common;
use crate::support::fake_telegram::updates::text_message;

/// Every test of this binary logs into one process-wide JSON buffer; tests find their own
/// lines by the ids in the lines' spans.
pub fn logs() -> &'static common::LogCapture {
    common::LogCapture::global()
}

/// Ids in `field` (on the line or one of its spans) of lines at one of `levels` that mention
/// `needle`, among `ids`.
pub fn logged_for(levels: &[&str], needle: &str, field: &str, ids: &HashSet<i64>) -> HashSet<i64> {
    let field_of = |line: &Value| {
        let mut found: Vec<Value> = line.get(field).cloned().into_iter().collect();
        if let Some(spans) = line.get("spans").and_then(Value::as_array) {
            found.extend(spans.iter().filter_map(|s| s.get(field).cloned()));
        }
        found
    };
    logs()
        .lines()
        .iter()
        .filter(|l| l.get("level").and_then(Value::as_str).is_some_and(|lv| levels.contains(&lv)))
        .filter(|l| l.to_string().contains(needle))
        .flat_map(field_of)
        .filter_map(|v| v.as_i64())
        .filter(|id| ids.contains(id))
        .collect()
}

pub fn receipts(app: &App, user: i64) -> usize {
    app.texts_to(user).iter().filter(|t| t.contains("принята")).count()
}

pub fn try_laters(app: &App, user: i64) -> usize {
    app.texts_to(user).iter().filter(|t| t.contains("Попробуйте ещё раз")).count()
}

/// Press answers (`answerCallbackQuery`) whose text contains `needle`.
pub fn answers_containing(app: &App, needle: &str) -> usize {
    app.fake
        .calls_to("answerCallbackQuery")
        .iter()
        .filter(|c| c.field_str("text").is_some_and(|t| t.contains(needle)))
        .count()
}

/// Waits (bounded) until the database's health satisfies `ok`.
pub async fn wait_health(app: &App, ok: impl Fn(&DbHealth) -> bool, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !ok(&app.services.health.current()) {
        assert!(Instant::now() < deadline, "database health never {what}: {:?}", app.services.health.current());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits (bounded) until post `id` has `status`.
pub async fn wait_status(app: &App, id: i64, status: &str) {
    let deadline = Instant::now() + Duration::from_mins(1);
    loop {
        let now = app.services.store.post(PostId(id)).await.ok().flatten().map(|p| p.status.as_str().to_owned());
        if now.as_deref() == Some(status) {
            return;
        }
        assert!(Instant::now() < deadline, "post {id} never {status}: {now:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A stream of submissions, one new author every `every`, with the database away from
/// `before` on for `during`, then `after` more.
pub struct Outage {
    pub before: Duration,
    pub during: Duration,
    pub after: Duration,
    pub every: Duration,
}

impl Outage {
    /// Streams from author `first` on, calling `begin` and `end` (blocking) around the outage;
    /// returns the authors. Checks the outage was seen by the health signal; [`waited_out`]
    /// checks that submissions met it.
    pub async fn run(
        &self,
        app: &App,
        first: i64,
        begin: impl FnOnce() + Send + 'static,
        end: impl FnOnce() + Send + 'static,
    ) -> Vec<i64> {
        let (before, during) = (self.before, self.during);
        let faults = tokio::task::spawn_blocking(move || {
            std::thread::sleep(before);
            let outage_start = Instant::now();
            begin();
            std::thread::sleep(during.saturating_sub(outage_start.elapsed()));
            end();
            outage_start.elapsed()
        });
        let started = Instant::now();
        let (mut users, mut saw_down) = (Vec::new(), false);
        let mut user = first;
        while started.elapsed() < self.before + self.during + self.after {
            app.fake.push_update(text_message(user, user, 1, &format!("пост {user}"), Some("ru")));
            users.push(user);
            user += 1;
            saw_down |= app.services.health.is_down();
            tokio::time::sleep(self.every).await;
        }
        let lasted = faults.await.unwrap();
        assert!(saw_down, "the outage was never noticed: the database stayed reachable");
        eprintln!("outage of {lasted:?}: {} submissions", users.len());
        users
    }
}

/// Some of `users`' submissions met the outage and waited (logged with their ids): otherwise
/// the test tested nothing.
pub fn waited_out(users: &[i64]) {
    let ids: HashSet<i64> = users.iter().copied().collect();
    let waited = logged_for(&["WARN"], "waiting to try again", "user_id", &ids);
    eprintln!("{} of {} submissions waited the outage out", waited.len(), users.len());
    assert!(!waited.is_empty(), "no submission met the outage: it did not test anything");
}

/// Every author receipted exactly once and never asked to try again (bounded by `limit`).
pub async fn all_receipted_once(app: &App, users: &[i64], limit: Duration) {
    let deadline = Instant::now() + limit;
    loop {
        let missing: Vec<i64> = users.iter().copied().filter(|u| receipts(app, *u) == 0).collect();
        let told: Vec<i64> = users.iter().copied().filter(|u| try_laters(app, *u) > 0).collect();
        if !told.is_empty() {
            let why: Vec<String> = logs()
                .lines()
                .into_iter()
                .filter(|l| l["level"] == "ERROR" || l["level"] == "WARN")
                .map(|l| l.to_string())
                .filter(|l| told.iter().any(|u| l.contains(&u.to_string())))
                .collect();
            panic!("{} authors told to try again: {told:?}; their warnings and errors: {why:#?}", told.len());
        }
        if missing.is_empty() {
            break;
        }
        assert!(Instant::now() < deadline, "{} authors without a receipt after {limit:?}: {missing:?}", missing.len());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for u in users {
        assert_eq!(receipts(app, *u), 1, "author {u}: one receipt");
    }
    wait_health_reachable(app).await;
}

async fn wait_health_reachable(app: &App) {
    wait_health(app, |h| *h == DbHealth::Reachable, "reachable again").await;
    let ended = logs().lines().iter().any(|l| l.to_string().contains("database reachable again"));
    assert!(ended, "the end of the outage is logged");
}

/// On SQLite (no SQL access from the test): each author has exactly one stored post.
pub async fn sqlite_stored_once(app: &App, users: &[i64]) {
    for u in users {
        let posts = app.services.store.recent_posts_of(UserId(*u), 5).await.unwrap();
        assert_eq!(posts.len(), 1, "author {u}: one stored post, got {posts:?}");
    }
}

/// Waits (bounded, 20 s) until `cond` holds; on a timeout prints the newest log lines first.
pub async fn wait_or_dump(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !cond() {
        if Instant::now() >= deadline {
            let lines = logs().lines();
            for line in &lines[lines.len().saturating_sub(40)..] {
                eprintln!("{line}");
            }
            panic!("timed out waiting for: {what}");
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

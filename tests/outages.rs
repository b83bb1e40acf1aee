//! Outages while the bot works: Redis going away during intake, and the database's
//! connections killed (`pg_terminate_backend`) in the middle of decisions and of a burst of
//! submissions. Nothing may be lost or half-written, every failure is logged and told, and
//! the bot keeps working afterwards. Here outages are not waited out (`DB_OUTAGE_WAIT_SECS=0`
//! where it matters); `tests/outage_waits` tests the wait. Loopback only; every loop is bounded.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod app;
mod common;
mod support;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use app::{App, GROUP, MODERATOR, WAIT, has_text, wait_until};
use postgate::domain::{ActionSource, PostId, RejectReason, UserId};
use postgate::store::{DecideOutcome, Decision, DecisionKind, SubmitOutcome};
use serde_json::Value;
use support::fake_telegram::Fault;
use support::fake_telegram::updates::{callback_query, text_message};
use tokio::task::JoinHandle;

const NO_LIMITS: [(&str, &str); 2] = [("RATE_LIMIT_MAX", "10000"), ("MAX_PENDING_PER_USER", "10000")];

// ---- logs ----

/// Every test of this binary logs into one process-wide JSON buffer (`App` does not install
/// a subscriber); tests find their own lines by the ids in the lines' spans.
fn logs() -> &'static common::LogCapture {
    common::LogCapture::global()
}

/// A log line's value for `field`: on the event itself or on one of its spans.
fn field_of(line: &Value, field: &str) -> Vec<Value> {
    let mut found: Vec<Value> = line.get(field).cloned().into_iter().collect();
    if let Some(spans) = line.get("spans").and_then(Value::as_array) {
        found.extend(spans.iter().filter_map(|s| s.get(field).cloned()));
    }
    found
}

/// Lines at one of `levels` that mention `needle` and carry `field` = one of `ids`, by id.
fn logged_for(levels: &[&str], needle: &str, field: &str, ids: &HashSet<i64>) -> HashSet<i64> {
    logs()
        .lines()
        .iter()
        .filter(|l| l.get("level").and_then(Value::as_str).is_some_and(|lv| levels.contains(&lv)))
        .filter(|l| l.to_string().contains(needle))
        .flat_map(|l| field_of(l, field))
        .filter_map(|v| v.as_i64())
        .filter(|id| ids.contains(id))
        .collect()
}

// ---- helpers ----

/// A loopback port nobody listens on (bound, read, released).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A private Redis on `port` (no persistence), killed when dropped.
async fn start_redis(port: u16) -> tokio::process::Child {
    let child = tokio::process::Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
        .args(["--daemonize", "no"])
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("redis-server is installed (scripts/ensure-system.sh)");
    let deadline = Instant::now() + Duration::from_secs(10);
    while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
        assert!(Instant::now() < deadline, "redis-server did not listen on {port}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child
}

fn receipts(app: &App, user: i64) -> usize {
    app.texts_to(user).iter().filter(|t| t.contains("принята")).count()
}

fn try_laters(app: &App, user: i64) -> usize {
    app.texts_to(user).iter().filter(|t| t.contains("Попробуйте ещё раз")).count()
}

async fn count(app: &App, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(app.pg()).await.unwrap()
}

async fn wait_outbox_empty(app: &App, limit: Duration) {
    let deadline = Instant::now() + limit;
    loop {
        // The pool may still be replacing killed connections: a failed read is a "not yet".
        if app.services.store.outbox_backlog().await.is_ok_and(|n| n == 0) {
            return;
        }
        assert!(Instant::now() < deadline, "outbox not drained in {limit:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Kills the app pool's connections to `db` from an admin connection, every `every`, until
/// stopped (at most `max_rounds`). The runtime's polling-lock connection (named `postgate …`)
/// is spared: only the shared pool is under test.
struct Killer {
    stop: Arc<AtomicBool>,
    /// Backends ended, and how many of them were inside a transaction then.
    killed: Arc<(AtomicU64, AtomicU64)>,
    task: JoinHandle<()>,
}

impl Killer {
    fn start(db: &str, every: Duration, max_rounds: u32) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let killed = Arc::new((AtomicU64::new(0), AtomicU64::new(0)));
        let (stop2, killed2, db) = (Arc::clone(&stop), Arc::clone(&killed), db.to_owned());
        let task = tokio::spawn(async move {
            let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(&app::admin_url()).await.unwrap();
            for _ in 0..max_rounds {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                let (all, in_tx): (i64, i64) = sqlx::query_as(
                    "SELECT count(*), count(*) FILTER (WHERE xact_start IS NOT NULL) FROM \
                     (SELECT xact_start, pg_terminate_backend(pid) FROM pg_stat_activity \
                      WHERE datname = $1 AND backend_type = 'client backend' \
                      AND application_name NOT LIKE 'postgate %') AS ended",
                )
                .bind(&db)
                .fetch_one(&mut admin)
                .await
                .unwrap();
                killed2.0.fetch_add(u64::try_from(all).unwrap(), Ordering::SeqCst);
                killed2.1.fetch_add(u64::try_from(in_tx).unwrap(), Ordering::SeqCst);
                tokio::time::sleep(every).await;
            }
        });
        Self { stop, killed, task }
    }

    /// Stops; returns the backends ended, and those of them that were inside a transaction.
    async fn stop(self) -> (u64, u64) {
        self.stop.store(true, Ordering::SeqCst);
        tokio::time::timeout(Duration::from_secs(10), self.task).await.unwrap().unwrap();
        (self.killed.0.load(Ordering::SeqCst), self.killed.1.load(Ordering::SeqCst))
    }
}

// ---- Redis ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_killed_during_intake_loses_no_submission_and_is_logged() {
    const FIRST: i64 = 71_000;
    const SECOND: i64 = 72_000;
    const USERS: i64 = 20;
    logs();
    let port = free_port();
    let mut redis = start_redis(port).await;
    let url = format!("redis://127.0.0.1:{port}/0");
    let mut env = NO_LIMITS.to_vec();
    env.push(("REDIS_URL", url.as_str()));
    let app = App::start("out_redis", &env).await;

    for u in FIRST..FIRST + USERS {
        app.fake.push_update(text_message(u, u, 1, &format!("до сбоя {u}"), Some("ru")));
    }
    wait_until("receipts before the outage", || (FIRST..FIRST + USERS).all(|u| receipts(&app, u) == 1)).await;
    let counted = app.services.cache.get(&format!("rate:{FIRST}")).await.unwrap();
    assert_eq!(counted.as_deref(), Some("1"), "Redis counted the first submissions");

    redis.kill().await.unwrap();
    let killed_at = Instant::now();
    // New authors, and the first ones again, while Redis is gone.
    for u in (SECOND..SECOND + USERS).chain(FIRST..FIRST + USERS) {
        app.fake.push_update(text_message(u, u, 2, &format!("во время сбоя {u}"), Some("ru")));
    }
    wait_until("receipts during the outage", || {
        (SECOND..SECOND + USERS).all(|u| receipts(&app, u) == 1)
            && (FIRST..FIRST + USERS).all(|u| receipts(&app, u) == 2)
    })
    .await;
    eprintln!("redis outage: {} submissions receipted {:?} after the kill", 2 * USERS, killed_at.elapsed());
    let all: Vec<i64> = (FIRST..FIRST + USERS).chain(SECOND..SECOND + USERS).collect();
    for u in &all {
        assert_eq!(try_laters(&app, *u), 0, "user {u} was never asked to try again");
    }
    assert_eq!(count(&app, "SELECT count(*) FROM posts").await, 3 * USERS, "every submission stored");
    wait_outbox_empty(&app, WAIT).await;
    let carded = count(&app, "SELECT count(*) FROM posts WHERE moderation_message_id IS NOT NULL").await;
    assert_eq!(carded, 3 * USERS, "every submission carded in the group");
    let ids: HashSet<i64> = all.iter().copied().collect();
    let warned = logged_for(&["WARN", "ERROR"], "Redis", "user_id", &ids);
    assert!(!warned.is_empty(), "the Redis failure is logged with the user it hit");

    // Redis back on the same address: the cache is used again.
    let _redis = start_redis(port).await;
    let back = SECOND + USERS;
    let deadline = Instant::now() + WAIT;
    let mut m = 1;
    loop {
        app.fake.push_update(text_message(back, back, m, &format!("после сбоя {m}"), Some("ru")));
        wait_until("receipt after the outage", || receipts(&app, back) == usize::try_from(m).unwrap()).await;
        if app.services.cache.get(&format!("rate:{back}")).await.is_ok_and(|v| v.is_some()) {
            break;
        }
        assert!(Instant::now() < deadline, "the cache did not come back with Redis");
        m += 1;
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    eprintln!("redis outage: the cache was used again after {m} submission(s)");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_unreachable_from_the_start_still_takes_submissions() {
    const FIRST: i64 = 73_000;
    const USERS: i64 = 10;
    logs();
    let port = free_port();
    let url = format!("redis://127.0.0.1:{port}/0");
    let mut env = NO_LIMITS.to_vec();
    env.push(("REDIS_URL", url.as_str()));
    let app = App::start("out_noredis", &env).await;
    for u in FIRST..FIRST + USERS {
        app.fake.push_update(text_message(u, u, 1, &format!("без кэша {u}"), Some("ru")));
    }
    wait_until("receipts without Redis", || (FIRST..FIRST + USERS).all(|u| receipts(&app, u) == 1)).await;
    assert!((FIRST..FIRST + USERS).all(|u| try_laters(&app, u) == 0), "nobody asked to try again");
    assert_eq!(count(&app, "SELECT count(*) FROM posts").await, USERS);
    wait_outbox_empty(&app, WAIT).await;
    let needle = format!("127.0.0.1:{port}");
    let started_warning = logs()
        .lines()
        .iter()
        .any(|l| l.get("level").and_then(Value::as_str) == Some("WARN") && l.to_string().contains(&needle));
    assert!(started_warning, "start-up says Redis at {needle} is not reachable");
    app.stop().await;
}

// ---- the database ----

/// What one moderator's press came to.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Press {
    Decided,
    AlreadyDecided,
    Failed,
}

/// A post's rows: status, decider, decision log rows (`approve`/`reject`), and the decision's
/// jobs (`publish` / `notify_author` / `update_card`).
async fn rows_of(app: &App, post: i64) -> (String, Option<i64>, Vec<i64>, HashMap<String, i64>) {
    let pool = app.pg();
    let (status, decided_by): (String, Option<i64>) =
        sqlx::query_as("SELECT status, decided_by FROM posts WHERE id = $1").bind(post).fetch_one(pool).await.unwrap();
    let log: Vec<i64> = sqlx::query_scalar(
        "SELECT moderator_id FROM moderation_log WHERE post_id = $1 AND action IN ('approve', 'reject') ORDER BY id",
    )
    .bind(post)
    .fetch_all(pool)
    .await
    .unwrap();
    let jobs: Vec<(String, i64)> =
        sqlx::query_as("SELECT kind, count(*) FROM outbox WHERE post_id = $1 AND kind <> 'announce' GROUP BY kind")
            .bind(post)
            .fetch_all(pool)
            .await
            .unwrap();
    (status, decided_by, log, jobs.into_iter().collect())
}

/// Each post decided at most once, its status, log and jobs agreeing, and every failed press
/// logged at error level with its post id. Returns the posts still pending.
async fn check_decisions(
    app: &App,
    all_posts: &[i64],
    presses: &HashMap<i64, Vec<(i64, Press)>>,
    failed: &HashSet<i64>,
) -> Vec<i64> {
    let (mut decided, mut pending) = (0, Vec::new());
    for post in all_posts {
        let (status, decided_by, log, jobs) = rows_of(app, *post).await;
        let won: Vec<i64> = presses[post].iter().filter(|(_, p)| *p == Press::Decided).map(|(m, _)| *m).collect();
        assert!(won.len() <= 1, "post {post} decided by several presses: {won:?}");
        if status == "pending" {
            assert!(
                won.is_empty() && log.is_empty() && jobs.is_empty(),
                "post {post}: pending but {won:?} {log:?} {jobs:?}"
            );
            assert_eq!(decided_by, None);
            pending.push(*post);
            continue;
        }
        decided += 1;
        assert_eq!(log.len(), 1, "post {post} ({status}): one decision row, got {log:?}");
        assert_eq!(decided_by, Some(log[0]), "post {post}: the log names the decider");
        if let Some(winner) = won.first() {
            assert_eq!(decided_by, Some(*winner), "post {post}: the press told Decided is the one recorded");
        }
        let first_job = if status == "rejected" { "notify_author" } else { "publish" };
        assert_eq!(jobs.get(first_job), Some(&1), "post {post} ({status}): its {first_job} job, got {jobs:?}");
        assert_eq!(jobs.get("update_card"), Some(&1), "post {post} ({status}): its card update, got {jobs:?}");
    }
    let logged = logged_for(&["ERROR"], r#""name":"decide""#, "post_id", failed);
    let unlogged: Vec<&i64> = failed.difference(&logged).collect();
    assert!(unlogged.is_empty(), "failed decisions logged at error level with their post id; missing: {unlogged:?}");
    eprintln!("decisions: {decided} decided, {} still pending, {} failed presses logged", pending.len(), logged.len());
    let errors: Vec<String> = logs()
        .lines()
        .iter()
        .filter(|l| {
            l.get("level").and_then(Value::as_str) == Some("ERROR") && l.to_string().contains(r#""name":"decide""#)
        })
        .filter_map(|l| l.get("error").and_then(Value::as_str).map(str::to_owned))
        .collect();
    let mut kinds: HashMap<String, usize> = HashMap::new();
    for e in errors {
        *kinds.entry(e.chars().take(90).collect()).or_default() += 1;
    }
    eprintln!("decisions: errors {kinds:#?}");

    pending
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn db_connections_killed_mid_decision_leave_each_post_decided_once_or_pending() {
    const POSTS: i32 = 40;
    const MODERATORS: i64 = 3;
    logs();
    // DB_OUTAGE_WAIT_SECS=0: a killed connection fails the press at once, so kills land inside
    // decisions (waiting outages out is tests/outage_waits).
    let app = App::start("out_decide", &[("DB_MAX_CONNECTIONS", "8"), ("DB_OUTAGE_WAIT_SECS", "0")]).await;
    app.fake.add_chat(common::CHAT); // the authors' chat, for their notices
    let (mut failed, mut round, mut all_posts, mut in_tx) = (HashSet::new(), 0, Vec::new(), 0);
    let mut presses: HashMap<i64, Vec<(i64, Press)>> = HashMap::new();
    // Rounds until a kill has landed inside a decision's transaction (bounded).
    while (failed.is_empty() || in_tx == 0) && round < 5 {
        round += 1;
        let mut posts = Vec::new();
        for i in 0..POSTS {
            let post = common::text_post(80_000 + i64::from(i), round * 100 + i, &format!("round {round} post {i}"));
            let SubmitOutcome::Created(id) = app.services.store.submit(&post).await.unwrap() else { panic!() };
            posts.push(id.0);
        }
        // The cards are out before the outage (jobs whose completion a kill lost come back
        // after their 30 s lease).
        wait_outbox_empty(&app, Duration::from_mins(2)).await;
        let killer = Killer::start(&app.db_name, Duration::from_millis(50), 5_000);
        let mut tasks = tokio::task::JoinSet::new();
        for m in 0..MODERATORS {
            let (services, posts) = (app.services.clone(), posts.clone());
            tasks.spawn(async move {
                let moderator = UserId(900_200 + m);
                let mut out = Vec::new();
                for k in 0..posts.len() {
                    // Each moderator walks the posts from its own start: they meet on some.
                    let post = posts[(k + usize::try_from(m).unwrap() * 13) % posts.len()];
                    let kind = if (k + usize::try_from(m).unwrap()) % 2 == 0 {
                        DecisionKind::Approve { edited_body: None }
                    } else {
                        DecisionKind::Reject { reason: RejectReason::template("spam").unwrap(), ban_author: false }
                    };
                    let decision = Decision { post_id: PostId(post), moderator, source: ActionSource::Console, kind };
                    let press = match postgate::moderation::decide(&services, &decision).await {
                        Ok(DecideOutcome::Decided { .. }) => Press::Decided,
                        Ok(DecideOutcome::AlreadyDecided { .. }) => Press::AlreadyDecided,
                        Ok(other) => panic!("post {post}: unexpected {other:?}"),
                        Err(_) => Press::Failed,
                    };
                    out.push((post, moderator.0, press));
                }
                out
            });
        }
        let done = tokio::time::timeout(Duration::from_mins(2), tasks.join_all()).await.expect("decisions in time");
        let (ended, ended_in_tx) = killer.stop().await;
        in_tx += ended_in_tx;
        for (post, moderator, press) in done.into_iter().flatten() {
            if press == Press::Failed {
                failed.insert(post);
            }
            presses.entry(post).or_default().push((moderator, press));
        }
        eprintln!(
            "decisions, round {round}: {ended} backends killed ({ended_in_tx} inside a transaction), \
             {} posts with a failed press",
            failed.len()
        );
        all_posts.extend(posts);
    }
    assert!(!failed.is_empty() && in_tx > 0, "no kill landed inside a decision in {round} rounds");

    let pending = check_decisions(&app, &all_posts, &presses, &failed).await;

    // The app keeps working: the pending posts are decided now, once, and everything drains.
    for post in &pending {
        let decision = common::approve(PostId(*post), UserId(900_299));
        let outcome = postgate::moderation::decide(&app.services, &decision).await.unwrap();
        assert!(matches!(outcome, DecideOutcome::Decided { .. }), "post {post}: {outcome:?}");
    }
    wait_outbox_empty(&app, Duration::from_mins(2)).await;
    let left = count(&app, "SELECT count(*) FROM posts WHERE status IN ('pending', 'approved')").await;
    assert_eq!(left, 0, "every post decided, every approved one published");
    let published = count(&app, "SELECT count(*) FROM posts WHERE status = 'published'").await;
    let channel = app.sent_to(app::CHANNEL).len();
    eprintln!("decisions: {published} published, {channel} messages in the channel");
    // And a press in the group works again.
    app.fake.push_update(text_message(81_000, 81_000, 1, "после сбоя", Some("ru")));
    let mut found = None;
    app::eventually(
        "the new submission carded",
        || async {
            sqlx::query_as::<_, (i64, Option<i32>)>(
                "SELECT id, moderation_message_id FROM posts WHERE author_id = 81000",
            )
            .fetch_optional(app.pg())
            .await
            .unwrap()
            .and_then(|(id, card)| card.map(|c| (id, c)))
        },
        &mut found,
    )
    .await;
    let (post, card) = found.unwrap();
    app.fake.push_update(callback_query(MODERATOR, &app.approve_data(post).await, GROUP, card));
    let deadline = Instant::now() + WAIT;
    while !has_text(&app.texts_to(app::CHANNEL), "после сбоя") {
        let answers: Vec<Value> = app.fake.calls_to("answerCallbackQuery").into_iter().map(|c| c.body).collect();
        assert!(
            Instant::now() < deadline,
            "not published after the outage: post {post} is {}; answers {answers:?}",
            app.status_of(post).await
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn db_connections_killed_mid_submission_burst_store_or_say_try_again() {
    const FIRST: i64 = 90_000;
    const USERS: i64 = 200;
    logs();
    let mut env = NO_LIMITS.to_vec();
    env.push(("DB_MAX_CONNECTIONS", "6"));
    // No waiting: a killed connection fails the submission at once (tests/outage_waits has the wait).
    env.push(("DB_OUTAGE_WAIT_SECS", "0"));
    let app = App::start("out_submit", &env).await;
    let (mut round, mut users, mut in_tx) = (0, Vec::new(), 0);
    let mut told_later: Vec<i64> = Vec::new();
    // Bursts until a kill inside a transaction has failed a submission (bounded).
    while (told_later.is_empty() || in_tx == 0) && round < 4 {
        let burst: Vec<i64> = (FIRST + round * USERS..FIRST + (round + 1) * USERS).collect();
        round += 1;
        let killer = Killer::start(&app.db_name, Duration::from_millis(40), 5_000);
        for u in &burst {
            app.fake.push_update(text_message(*u, *u, 1, &format!("пост {u}"), Some("ru")));
        }
        // Handlers wait for connections (up to DB_ACQUIRE_TIMEOUT_SECS = 5 s) while they are killed.
        let deadline = Instant::now() + Duration::from_mins(1);
        while !burst.iter().all(|u| receipts(&app, *u) + try_laters(&app, *u) >= 1) {
            assert!(Instant::now() < deadline, "not every author was answered within a minute");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let (ended, ended_in_tx) = killer.stop().await;
        in_tx += ended_in_tx;
        told_later.extend(burst.iter().filter(|u| try_laters(&app, **u) > 0));
        eprintln!(
            "burst {round}: {ended} backends killed ({ended_in_tx} inside a transaction), \
             {} authors asked to try again",
            told_later.len()
        );
        users.extend(burst);
    }
    assert!(!told_later.is_empty() && in_tx > 0, "no kill landed inside a submission in {round} bursts");
    wait_outbox_empty(&app, Duration::from_mins(2)).await;

    // Nothing half-written: every stored post has its announcement (done: the card is out).
    let pool = app.pg();
    let orphans = count(
        &app,
        "SELECT count(*) FROM posts p WHERE NOT EXISTS \
         (SELECT 1 FROM outbox o WHERE o.post_id = p.id AND o.kind = 'announce' AND o.done_at IS NOT NULL)",
    )
    .await;
    assert_eq!(orphans, 0, "every stored post was announced");
    let stored: HashMap<i64, i64> =
        sqlx::query_as::<_, (i64, i64)>("SELECT author_id, count(*) FROM posts GROUP BY author_id")
            .fetch_all(pool)
            .await
            .unwrap()
            .into_iter()
            .collect();
    let mut ambiguous = 0;
    for u in &users {
        let (posts, receipt, later) = (stored.get(u).copied().unwrap_or(0), receipts(&app, *u), try_laters(&app, *u));
        assert!(posts <= 1, "user {u}: one message, {posts} posts");
        match (posts, receipt, later) {
            (1, 1, 0) | (0, 0, 1) => {}
            // The commit went through but its answer was lost with the connection: the author
            // was asked to try again, and the post is there (a retry is a new post).
            (1, 0, 1) => ambiguous += 1,
            other => panic!("user {u}: (posts, receipts, try-again) = {other:?}"),
        }
    }
    eprintln!(
        "bursts: {} authors, {} stored, {} asked to try again ({ambiguous} of them stored all the same)",
        users.len(),
        stored.len(),
        told_later.len()
    );
    let ids: HashSet<i64> = told_later.iter().copied().collect();
    let logged = logged_for(&["ERROR"], "not stored", "user_id", &ids);
    let unlogged: Vec<&i64> = ids.difference(&logged).collect();
    assert!(unlogged.is_empty(), "each failed submission logged at error level with its user; missing: {unlogged:?}");

    // The app keeps working: those asked to try again do, and are stored and receipted.
    for u in told_later.iter().take(10) {
        app.fake.push_update(text_message(*u, *u, 2, "ещё раз", Some("ru")));
    }
    wait_until("retries receipted", || told_later.iter().take(10).all(|u| receipts(&app, *u) >= 1)).await;
    wait_outbox_empty(&app, WAIT).await;
    app.stop().await;
}

/// A publication Telegram accepted, whose recording the database lost (the connection ended
/// inside the completing transaction, the database fine again a moment later), is not sent
/// to the channel a second time when the job comes back after its lease.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn db_connection_lost_while_recording_a_publication_does_not_publish_twice() {
    const AUTHOR: i64 = 95_000;
    logs();
    // HTTP_TIMEOUT_SECS=2: outbox leases last 2 × 4 + 10 = 18 s.
    let app = App::start("out_publish", &[("HTTP_TIMEOUT_SECS", "2")]).await;
    app.fake.push_update(text_message(AUTHOR, AUTHOR, 1, "опубликуй меня один раз", Some("ru")));
    let (post, card) = app.card_of_latest().await;

    // The channel answers after 1.5 s; meanwhile the outbox table is locked, so the job's
    // completion waits on the lock, and its connection is ended there.
    app.fake.fail_next("sendMessage", 1, Fault::Delay(Duration::from_millis(1500)));
    app.fake.push_update(callback_query(MODERATOR, &app.approve_data(post).await, GROUP, card));
    wait_until("publication sent", || !app.sent_to(app::CHANNEL).is_empty()).await;
    let mut locker = <sqlx::PgConnection as sqlx::Connection>::connect(&app.db_url).await.unwrap();
    sqlx::query("BEGIN").execute(&mut locker).await.unwrap();
    sqlx::query("LOCK TABLE outbox IN EXCLUSIVE MODE").execute(&mut locker).await.unwrap();
    let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(&app::admin_url()).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let ended: i64 = sqlx::query_scalar(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
             WHERE datname = $1 AND wait_event_type = 'Lock' AND query ILIKE 'UPDATE outbox%'",
        )
        .bind(&app.db_name)
        .fetch_one(&mut admin)
        .await
        .unwrap();
        if ended > 0 {
            break;
        }
        assert!(Instant::now() < deadline, "the publication's completion never waited on the lock");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    sqlx::query("ROLLBACK").execute(&mut locker).await.unwrap();
    drop(locker);
    // The app hears of the ended connection a moment later: wait for its log line.
    wait_until("the lost write is logged with the post id", || {
        logged_for(&["WARN", "ERROR"], "could not record", "post_id", &HashSet::from([post])).contains(&post)
    })
    .await;

    // Past the lease (18 s) and the retry: the post is published, once.
    let (settled, deadline) = (Instant::now() + Duration::from_secs(22), Instant::now() + Duration::from_secs(30));
    while app.status_of(post).await != "published" || Instant::now() < settled {
        assert!(Instant::now() < deadline, "post {post} not published: {}", app.status_of(post).await);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    wait_outbox_empty(&app, WAIT).await;
    let channel = app.texts_to(app::CHANNEL);
    assert_eq!(channel.len(), 1, "published once, not again after the lease: {channel:?}");
    app.stop().await;
}

//! Seed scenarios for the bot core: concurrent decisions, injected dependencies, bounded sockets,
//! and a hanging Telegram call (seed 09, SIGTERM with queued updates, is in `tests/shutdown.rs`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod app;
mod common;
mod support;

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use app::{App, CHANNEL, GROUP, MODERATOR, fresh_database};
use postgate::config::Config;
use postgate::domain::{ActionSource, PostId, RejectReason, UserId};
use postgate::services::Services;
use postgate::store::{DecideOutcome, Decision, DecisionKind, SubmitOutcome};
use support::fake_telegram::updates::text_message;
use support::fake_telegram::{Call, FakeTelegram, Fault, TEST_TOKEN};
use teloxide::dispatching::Dispatcher;
use teloxide::dptree;
use teloxide::update_listeners::Polling;

/// The settings `App::start` uses, for a database, a fake API URL and a log directory.
fn base_env(db_url: &str, db_name: &str, api_url: &str, logs: &Path, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let redis = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/0".into());
    let mut env: HashMap<String, String> = [
        ("BOT_TOKEN", TEST_TOKEN.to_owned()),
        ("MODERATION_GROUP_ID", GROUP.to_string()),
        ("CHANNEL_ID", CHANNEL.to_string()),
        ("MODERATOR_IDS", MODERATOR.to_string()),
        ("DATABASE_URL", db_url.to_owned()),
        ("REDIS_URL", redis),
        ("REDIS_KEY_PREFIX", format!("postgate-it:{db_name}:")),
        ("HTTP_TIMEOUT_SECS", "5".to_owned()),
        ("LOG_DIR", logs.display().to_string()),
        ("TELEGRAM_API_URL", api_url.to_owned()),
        // Thousands of messages in seconds: Telegram's sending limits are tested on their own.
        ("TELEGRAM_RATE_LIMIT", "off".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    env.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    env.into_iter().collect()
}

fn config(db_url: &str, db_name: &str, api_url: &str, logs: &Path, extra: &[(&str, &str)]) -> Config {
    Config::from_map(&base_env(db_url, db_name, api_url, logs, extra).into_iter().collect()).unwrap()
}

/// Polls `cond` every 10 ms until it holds; panics after `limit`.
async fn wait_for(what: &str, limit: Duration, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !cond() {
        assert!(Instant::now() < deadline, "timed out after {limit:?} waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn scalar(pool: &sqlx::PgPool, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

fn is_receipt(call: &Call) -> bool {
    call.method == "sendmessage"
        && call.field_str("text").is_some_and(|t| t.contains("принята") || t.contains("received"))
}

/// Tests of this binary that hold sockets to the database or Redis take this lock shared;
/// `seed_02` takes it alone, since it counts the whole process's sockets (`cargo test` runs a
/// binary's tests as threads of one process; nextest runs each in its own).
static PROCESS_SOCKETS: tokio::sync::RwLock<()> = tokio::sync::RwLock::const_new(());

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn seed_01_eight_moderators_decide_500_posts_once() {
    const MODERATORS: usize = 8;
    const POSTS: usize = 500;
    let _sockets = PROCESS_SOCKETS.read().await;
    let (db_name, db_url) = fresh_database("seed01").await;
    let logs = tempfile::tempdir().unwrap();
    let config = config(&db_url, &db_name, "http://127.0.0.1:9/", logs.path(), &[("DB_MAX_CONNECTIONS", "16")]);
    let services = Services::build(config).await.unwrap();
    let mut ids: Vec<PostId> = Vec::new();
    for i in 0..u32::try_from(POSTS).unwrap() {
        let post = common::text_post(10_000 + i64::from(i % 50), i32::try_from(i).unwrap() + 1, &format!("post {i}"));
        match services.store.submit(&post).await.unwrap() {
            SubmitOutcome::Created(id) => ids.push(id),
            other => panic!("message {i} was not stored as a new post: {other:?}"),
        }
    }
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), POSTS, "500 distinct posts");

    // All eight press the same post at the same moment (the barrier releases them together),
    // half approving and half rejecting; then all move on to the next post.
    let barrier = Arc::new(tokio::sync::Barrier::new(MODERATORS));
    let mut tasks = tokio::task::JoinSet::new();
    for t in 0..MODERATORS {
        let (services, ids, barrier) = (services.clone(), ids.clone(), Arc::clone(&barrier));
        tasks.spawn(async move {
            let moderator = UserId(900_100 + i64::try_from(t).unwrap());
            let mut won = Vec::new();
            let mut presses = Vec::with_capacity(ids.len());
            for (k, id) in ids.iter().enumerate() {
                let kind = if (k + t) % 2 == 0 {
                    DecisionKind::Approve { edited_body: None }
                } else {
                    DecisionKind::Reject { reason: RejectReason::template("spam").unwrap(), ban_author: false }
                };
                let decision = Decision { post_id: *id, moderator, source: ActionSource::Console, kind };
                barrier.wait().await;
                let press_started = Instant::now();
                match postgate::moderation::decide(&services, &decision).await {
                    Ok(DecideOutcome::Decided { post }) => won.push((post.id, moderator)),
                    Ok(DecideOutcome::AlreadyDecided { .. }) => {}
                    Ok(other) => panic!("moderator {t}, post {id:?}: unexpected {other:?}"),
                    Err(e) => panic!("moderator {t}, post {id:?}: error {e}"),
                }
                presses.push((press_started, Instant::now()));
            }
            (won, presses)
        });
    }
    let mut winners: HashMap<i64, i64> = HashMap::new();
    let mut decided = 0;
    let mut presses_by_post: Vec<Vec<(Instant, Instant)>> = vec![Vec::new(); POSTS];
    let joined = tokio::time::timeout(Duration::from_mins(3), async {
        while let Some(done) = tasks.join_next().await {
            let (won, presses) = done.unwrap();
            for (post, moderator) in won {
                decided += 1;
                assert!(winners.insert(post.0, moderator.0).is_none(), "post {post:?} decided twice");
            }
            for (k, press) in presses.into_iter().enumerate() {
                presses_by_post[k].push(press);
            }
        }
    })
    .await;
    assert!(joined.is_ok(), "the moderators did not get through 500 posts in 3 minutes");
    assert_eq!(decided, POSTS, "exactly one Decided per post across the 8 moderators");
    // The presses really were simultaneous: for a post, every press started before the first
    // one ended (all eight in flight at once), or at least two overlapped.
    let (mut all_at_once, mut overlapped) = (0, 0);
    for presses in &presses_by_post {
        assert_eq!(presses.len(), MODERATORS);
        let last_start = presses.iter().map(|p| p.0).max().unwrap();
        let first_end = presses.iter().map(|p| p.1).min().unwrap();
        all_at_once += usize::from(last_start < first_end);
        let mut sorted = presses.clone();
        sorted.sort_by_key(|p| p.0);
        overlapped += usize::from(sorted.windows(2).any(|w| w[1].0 < w[0].1));
    }
    eprintln!("seed_01: {all_at_once} of {POSTS} posts had all 8 presses in flight at once, {overlapped} at least two");
    assert!(overlapped * 10 >= POSTS * 9, "presses overlapped on only {overlapped} of {POSTS} posts");

    let pool = &sqlx::PgPool::connect(&db_url).await.unwrap();
    let log: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT post_id, moderator_id FROM moderation_log WHERE action IN ('approve', 'reject') ORDER BY post_id",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert_eq!(log.len(), POSTS, "one decision row per post");
    assert_eq!(log.iter().map(|(p, _)| p).collect::<HashSet<_>>().len(), POSTS);
    for (post, moderator) in &log {
        assert_eq!(winners.get(post), Some(moderator), "the log names the moderator whose decision won");
    }
    let pending = scalar(pool, "SELECT count(*) FROM posts WHERE status = 'pending'").await;
    assert_eq!(pending, 0);
    // Each decision queued its own jobs once: two per post (publish or notify, and the card).
    let jobs = scalar(pool, "SELECT count(*) FROM outbox WHERE kind <> 'announce'").await;
    assert_eq!(jobs, 2 * i64::try_from(POSTS).unwrap(), "two jobs per decided post, none from a losing press");
    services.close().await;
    app::drop_database(&db_name).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn seed_06_schema_takes_its_dependencies_by_injection() {
    let _sockets = PROCESS_SOCKETS.read().await;
    let logs = tempfile::tempdir().unwrap();
    let mut bots = Vec::new();
    for locale in ["en", "ru"] {
        let fake = FakeTelegram::start().await;
        fake.add_chats(&[GROUP, CHANNEL]);
        let (db_name, db_url) = fresh_database(&format!("seed06{locale}")).await;
        let config = config(&db_url, &db_name, &fake.base_url(), logs.path(), &[("DEFAULT_LOCALE", locale)]);
        let services = Services::build(config).await.unwrap();
        let http = postgate::telegram::http_client(&services.config.telegram).unwrap();
        let bot = postgate::telegram::bot(&services.config.telegram, http);
        let listener = Polling::builder(bot.clone()).timeout(Duration::from_secs(1)).build();
        let mut dispatcher =
            Dispatcher::builder(bot, postgate::bot::schema()).dependencies(dptree::deps![services.clone()]).build();
        let shutdown = dispatcher.shutdown_token();
        let task = tokio::spawn(async move {
            dispatcher.dispatch_with_listener(listener, teloxide::error_handlers::LoggingErrorHandler::new()).await;
        });
        bots.push((fake, services, db_name, shutdown, task));
    }
    // The same user, without a language code, writes /start to both bots at once.
    for (fake, ..) in &bots {
        fake.push_update(text_message(6001, 6001, 1, "/start", None));
    }
    let mut replies = Vec::new();
    for (fake, ..) in &bots {
        let calls = fake.wait_for("sendMessage", 1, Duration::from_secs(20)).await;
        assert_eq!(calls[0].field_i64("chat_id"), Some(6001));
        replies.push(calls[0].field_str("text").unwrap());
    }
    assert!(replies[0].starts_with("Hello, User6001!"), "DEFAULT_LOCALE=en answers in English: {}", replies[0]);
    assert!(replies[1].starts_with("Здравствуйте, User6001!"), "DEFAULT_LOCALE=ru answers in Russian: {}", replies[1]);
    for (fake, services, db_name, shutdown, task) in bots {
        // Wait for the task, not for teloxide's `shutdown()` future: that future registers for
        // the "done" notification only when first polled, so it can miss a fast shutdown.
        let _ = shutdown.shutdown().is_ok();
        tokio::time::timeout(Duration::from_secs(10), task).await.unwrap().unwrap();
        services.close().await;
        fake.shutdown().await;
        app::drop_database(&db_name).await;
    }
}

/// `PostgreSQL` and Redis ports (the services the tests use on loopback).
const PG_PORT: u16 = 5432;
const REDIS_PORT: u16 = 6379;

/// This process's established TCP connections, by remote port: the sockets among
/// `/proc/self/fd` matched by inode against `/proc/self/net/tcp` and `tcp6`.
fn established_by_remote_port() -> HashMap<u16, usize> {
    let ours: HashSet<u64> = std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
        .filter_map(|target| {
            let target = target.to_str()?.to_owned();
            target.strip_prefix("socket:[")?.strip_suffix(']')?.parse().ok()
        })
        .collect();
    let mut by_port = HashMap::new();
    for table in ["/proc/self/net/tcp", "/proc/self/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else { continue };
        for line in text.lines().skip(1) {
            // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (Some(remote), Some(&"01"), Some(inode)) = (fields.get(2), fields.get(3), fields.get(9)) else {
                continue; // 01 = ESTABLISHED
            };
            let Some(port) = remote.rsplit_once(':').and_then(|(_, p)| u16::from_str_radix(p, 16).ok()) else {
                continue;
            };
            if inode.parse().is_ok_and(|i: u64| ours.contains(&i)) {
                *by_port.entry(port).or_default() += 1;
            }
        }
    }
    by_port
}

fn sockets_to(port: u16) -> usize {
    established_by_remote_port().get(&port).copied().unwrap_or(0)
}

/// Waits (at most 5 s) for `count` to reach zero; returns the last count.
async fn settle(count: impl Fn() -> usize) -> usize {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let n = count();
        if n == 0 || Instant::now() >= deadline {
            return n;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn seed_02_sockets_stay_bounded_and_close_on_shutdown() {
    const USERS: i64 = 200;
    const PER_USER: i32 = 5;
    const DB_MAX: usize = 6;
    // Alone in this process, so the database and Redis sockets counted are the app's.
    let _sockets = PROCESS_SOCKETS.write().await;
    let before = established_by_remote_port();
    let db_max = DB_MAX.to_string();
    let app = App::start(
        "seed02",
        &[("RATE_LIMIT_MAX", "10000"), ("MAX_PENDING_PER_USER", "10000"), ("DB_MAX_CONNECTIONS", db_max.as_str())],
    )
    .await;
    for m in 1..=PER_USER {
        for u in 0..USERS {
            app.fake.push_update(text_message(30_000 + u, 30_000 + u, m, &format!("post {u}/{m}"), Some("ru")));
        }
    }
    let total = usize::try_from(USERS).unwrap() * usize::try_from(PER_USER).unwrap();
    let started = Instant::now();
    let deadline = started + Duration::from_mins(2);
    let (mut max_open, mut samples, mut next_check) = (0, 0_u64, Instant::now());
    let (mut max_db, mut max_redis) = (0, 0);
    loop {
        max_open = max_open.max(app.fake.open_connections());
        samples += 1;
        if Instant::now() >= next_check {
            next_check = Instant::now() + Duration::from_millis(100);
            let sockets = established_by_remote_port();
            max_db = max_db.max(sockets.get(&PG_PORT).copied().unwrap_or(0));
            max_redis = max_redis.max(sockets.get(&REDIS_PORT).copied().unwrap_or(0));
            let calls = app.fake.calls_to("sendMessage");
            let receipts = calls.iter().filter(|c| is_receipt(c)).count();
            let cards = calls.iter().filter(|c| c.field_i64("chat_id") == Some(GROUP)).count();
            if receipts >= total && cards >= total {
                break;
            }
            assert!(Instant::now() < deadline, "only {receipts} receipts and {cards} cards of {total} in time");
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let load_time = started.elapsed();
    let receipts = app.fake.calls_to("sendMessage").iter().filter(|c| is_receipt(c)).count();
    assert_eq!(receipts, total, "one receipt per submission");
    let accepted = app.fake.accepted_connections();
    eprintln!(
        "seed_02: {total} updates in {load_time:?}; max open connections {max_open} \
         ({samples} samples), {accepted} accepted in all; database sockets at most {max_db}, Redis {max_redis} \
         (before the app: {before:?})"
    );
    assert!(max_open <= 32, "open connections stay bounded: max {max_open}");
    // The pool (DB_MAX_CONNECTIONS) and the polling lock's own connection; one Redis client.
    assert!((1..=DB_MAX + 1).contains(&max_db), "database sockets stay within the pool: max {max_db}");
    assert!((1..=2).contains(&max_redis), "one Redis connection (at most two while reconnecting): max {max_redis}");

    let stop = Instant::now();
    app.runtime.shutdown().await;
    // The pool is closed by the shutdown itself; the Redis client goes with the services.
    let db = settle(|| sockets_to(PG_PORT)).await;
    let App { fake, services, runtime, db_name, .. } = app;
    drop(runtime);
    drop(services);
    let open = fake.wait_open_connections_at_most(0, Duration::from_secs(5)).await;
    let redis = settle(|| sockets_to(REDIS_PORT)).await;
    eprintln!("seed_02: shutdown and socket close took {:?}", stop.elapsed());
    assert_eq!(open, 0, "every socket to the API closed after shutdown");
    assert_eq!(db, 0, "every database socket closed by the shutdown");
    assert_eq!(redis, 0, "the Redis socket closed once the services were dropped");
    fake.shutdown().await;
    app::drop_database(&db_name).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn seed_12_hanging_call_fails_within_timeout_and_bot_keeps_answering() {
    const A: i64 = 5001;
    const B: i64 = 5002;
    let _sockets = PROCESS_SOCKETS.read().await;
    let app = App::start("seed12", &[("HTTP_TIMEOUT_SECS", "2")]).await;
    app.fake.fail_next("sendMessage", 1, Fault::Hang);
    app.fake.push_update(text_message(A, A, 1, "/start", Some("en")));
    wait_for("A's reply attempted (and hanging)", Duration::from_secs(20), || app.sent_to(A).len() == 1).await;
    let hung_at = app.sent_to(A)[0].at;
    app.fake.push_update(text_message(B, B, 1, "/start", Some("en")));
    // Queued behind A's hanging handler: it runs only once that call has ended.
    app.fake.push_update(text_message(A, A, 2, "/start", Some("en")));

    wait_for("B answered", Duration::from_secs(20), || app.sent_to(B).len() == 1).await;
    let b_after = app.sent_to(B)[0].at.duration_since(hung_at);
    assert!(b_after < Duration::from_millis(1500), "B was answered while A's call hung: {b_after:?}");

    wait_for("A's second /start answered", Duration::from_secs(20), || app.sent_to(A).len() == 2).await;
    let a_after = app.sent_to(A)[1].at.duration_since(hung_at);
    eprintln!("seed_12: B answered {b_after:?} after the hang began; A's next update ran after {a_after:?}");
    assert!(
        a_after >= Duration::from_millis(1900) && a_after <= Duration::from_secs(4),
        "the hung call failed after the 2 s timeout: {a_after:?}"
    );
    assert!(app.texts_to(A)[1].starts_with("Hello, User5001!"));

    tokio::time::sleep(Duration::from_millis(500)).await;
    app.fake.push_update(text_message(A, A, 3, "/start", Some("en")));
    wait_for("A answered again later", Duration::from_secs(10), || app.sent_to(A).len() == 3).await;
    assert!(matches!(app.runtime.status(), postgate::runtime::BotState::Running { .. }), "the bot keeps running");
    app.stop().await;
}

//! Row 3c, publishing: `postgate serve` with sending limits off, 1 000 posts announced (at no
//! round trip), then the moderator presses Approve on every card at once, with the fake Bot API
//! answering after the round trip. Each approval is four calls: the channel post, the card
//! update, the author's notice and the press's callback answer. Measured: approvals per second
//! until all four kinds are done, push → channel post p50/p99, press → callback answer p99,
//! and the connection pool's ceiling (the messages' connections ÷ round trip ÷ the three
//! messages per approval; callback answers have connections of their own).

use std::collections::HashSet;
use std::time::{Duration, Instant};

use serde_json::Value;
use sqlx::PgPool;

use crate::common::{self, Row, Table, percentile_ms};
use crate::intake::submission;
use crate::serve::Serve;
use crate::support::fake_telegram::{Call, FakeTelegram, updates};

/// The messages of one approval (channel post, card update, notice); its callback answer goes
/// on the answers' own connections.
const MESSAGES_PER_APPROVAL: f64 = 3.0;
const WAIT: Duration = Duration::from_mins(5);
/// The Python bot's figures on a slower stand-in (issue #18): what the zero-round-trip row beats.
const PYTHON_POSTS_PER_SEC: f64 = 71.0;
const TARGET_SHARE_OF_CEILING: f64 = 0.8;
const ANSWER_WITHIN: Duration = Duration::from_secs(1);

/// Approvals per run (`BENCH_APPROVALS`, default 1 000, at most 2 000: one post per user).
fn approvals() -> i64 {
    std::env::var("BENCH_APPROVALS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000).clamp(10, 2_000)
}

pub async fn run(table: &mut Table) {
    for rtt in common::round_trips() {
        run_at(table, rtt).await;
    }
}

async fn scalar(pool: &PgPool, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

fn to_chat(c: &Call, keep: impl Fn(i64) -> bool) -> bool {
    c.field_i64("chat_id").is_some_and(keep)
}

/// The card's message id and its Approve button's data.
fn approve_button(card: &Value) -> Option<(i32, String)> {
    let id = i32::try_from(card.get("message_id")?.as_i64()?).ok()?;
    let rows = card.pointer("/reply_markup/inline_keyboard")?.as_array()?;
    let data = rows
        .iter()
        .filter_map(Value::as_array)
        .flatten()
        .filter_map(|b| b.get("callback_data")?.as_str())
        .find(|d| d.starts_with("a:") && d.matches(':').count() == 2)?;
    Some((id, data.to_owned()))
}

/// Every post carded (its card's id saved, so the approval can edit it).
async fn seed(fake: &FakeTelegram, pool: &PgPool, n: i64) -> Vec<(i32, String)> {
    for i in 0..n {
        fake.push_update(submission(i));
    }
    let deadline = Instant::now() + WAIT;
    let receipts = || i64::try_from(fake.count_calls("sendMessage", |c| to_chat(c, |id| id > 0))).unwrap();
    while receipts() < n || scalar(pool, "SELECT count(*) FROM posts WHERE moderation_message_id IS NOT NULL").await < n
    {
        assert!(Instant::now() < deadline, "publish: the seed's cards did not all go out");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    fake.delivered_to(common::GROUP).iter().filter_map(approve_button).collect()
}

/// What one run saw after the presses.
struct Done {
    all: bool,
    took: Duration,
    peak_connections: usize,
}

/// Waits until `n` channel posts, card edits, author notices and callback answers went out.
async fn wait_done(fake: &FakeTelegram, n: usize, start: Instant) -> Done {
    let mut peak_connections = 0;
    loop {
        peak_connections = peak_connections.max(fake.open_connections());
        let posts = fake.count_calls("sendMessage", |c| to_chat(c, |id| id == common::CHANNEL));
        let notices = fake.count_calls("sendMessage", |c| to_chat(c, |id| id > 0));
        let edits = fake.count_calls("editMessageText", |_| true);
        let answers = fake.count_calls("answerCallbackQuery", |_| true);
        if posts >= n && notices >= n && edits >= n && answers >= n {
            return Done { all: true, took: start.elapsed(), peak_connections };
        }
        if start.elapsed() > WAIT {
            println!("publish: timed out: {posts} posts, {notices} notices, {edits} edits, {answers} answers");
            return Done { all: false, took: start.elapsed(), peak_connections };
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn run_at(table: &mut Table, rtt: Duration) {
    let section = common::section_at("3c publish", None, rtt);
    let n = approvals();
    let fake = FakeTelegram::start().await;
    fake.add_chats(&[common::GROUP, common::CHANNEL]);
    let logs = tempfile::tempdir().unwrap();
    let (db_name, db_url) = common::fresh_database("publish").await;
    let mut env = common::bot_env(&db_url, fake.url().as_str(), logs.path(), &db_name);
    env.extend([("RATE_LIMIT_MAX", "10000"), ("MAX_PENDING_PER_USER", "10000")].map(|(k, v)| (k.into(), v.into())));
    let serve = Serve::start(&env);
    let pool = PgPool::connect(&db_url).await.unwrap();
    let cards = seed(&fake, &pool, n).await;
    assert_eq!(cards.len(), usize::try_from(n).unwrap(), "publish: an Approve button on every card");
    fake.clear_calls();
    fake.set_round_trip(rtt);
    println!("publish: {n} approvals pressed at once, round trip {rtt:?}");
    let start = Instant::now();
    for (card, data) in &cards {
        fake.push_update(updates::callback_query(common::MODERATOR, data, common::GROUP, *card));
    }
    let count = usize::try_from(n).unwrap();
    let done = wait_done(&fake, count, start).await;
    let since = |calls: Vec<Call>| calls.iter().map(|c| c.at.duration_since(start)).collect::<Vec<_>>();
    let mut posted =
        since(fake.calls_to("sendMessage").into_iter().filter(|c| to_chat(c, |id| id == common::CHANNEL)).collect());
    let mut answered = since(fake.calls_to("answerCallbackQuery"));
    let published = scalar(&pool, "SELECT count(*) FROM posts WHERE status = 'published'").await;
    let distinct: HashSet<String> = fake
        .calls_to("sendMessage")
        .iter()
        .filter(|c| to_chat(c, |id| id == common::CHANNEL))
        .filter_map(|c| c.field_str("text"))
        .collect();
    let rate = n as f64 / done.took.as_secs_f64();
    push_rows(table, section, rtt, &done, rate);
    table.push(Row {
        section,
        name: "publish: push → channel post".into(),
        value: format!("p50 {:.0} ms, p99 {:.0} ms", percentile_ms(&mut posted, 50), percentile_ms(&mut posted, 99)),
        baseline: "Python bot, slower stand-in: p99 10–14 s".into(),
        ratio: "-".into(),
        target: "-".into(),
        met: None,
    });
    let answer_p99 = percentile_ms(&mut answered, 99);
    table.push(Row {
        section,
        name: format!("publish: press → callback answer ({} answered)", answered.len()),
        value: format!("p99 {answer_p99:.0} ms (max {:.0} ms)", percentile_ms(&mut answered, 100)),
        baseline: format!("round trip {} ms", rtt.as_millis()),
        ratio: "-".into(),
        target: "< 1 s".into(),
        met: Some(answered.len() == count && answer_p99 < common::ms(ANSWER_WITHIN)),
    });
    table.push(Row {
        section,
        name: "publish: published exactly once".into(),
        value: format!("{published} published, {} channel posts ({} distinct)", posted.len(), distinct.len()),
        baseline: format!("{n} approved"),
        ratio: "-".into(),
        target: format!("exactly {n} each"),
        met: Some(published == n && posted.len() == count && distinct.len() == count),
    });
    let clean = serve.stop();
    println!("publish: serve stopped {}", if clean { "cleanly (exit 0)" } else { "NOT cleanly" });
    pool.close().await;
    fake.shutdown().await;
    common::drop_database(&db_name).await;
}

/// The rate row: against the Python bot at no round trip, against the pool's ceiling at one.
fn push_rows(table: &mut Table, section: &'static str, rtt: Duration, done: &Done, rate: f64) {
    let name = format!(
        "publish: {} approvals (post, card update, notice, callback answer), limits off; peak {} connections",
        approvals(),
        done.peak_connections
    );
    let value =
        if done.all { format!("{:.1} s, {rate:.0} posts/s", done.took.as_secs_f64()) } else { "timed out".into() };
    if rtt.is_zero() {
        table.push(Row {
            section,
            name,
            value,
            baseline: "Python bot (aiogram), slower stand-in: 71–96 posts/s".into(),
            ratio: format!("{:.2}×", rate / PYTHON_POSTS_PER_SEC),
            target: "≥ 71 posts/s".into(),
            met: Some(done.all && rate >= PYTHON_POSTS_PER_SEC),
        });
        return;
    }
    let pool = postgate::limiter::messages_in_flight(None) as f64;
    let ceiling = pool / rtt.as_secs_f64() / MESSAGES_PER_APPROVAL;
    table.push(Row {
        section,
        name,
        value,
        baseline: format!(
            "pool ceiling: {pool:.0} connections ÷ {} ms ÷ {MESSAGES_PER_APPROVAL:.0} messages = {ceiling:.0} posts/s \
             (answers: {} connections of their own)",
            rtt.as_millis(),
            postgate::limiter::ANSWERS_IN_FLIGHT
        ),
        ratio: format!("{:.0}%", rate / ceiling * 100.0),
        target: "≥ 80% of the ceiling".into(),
        met: Some(done.all && rate >= ceiling * TARGET_SHARE_OF_CEILING),
    });
}

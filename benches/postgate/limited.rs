//! Row 3b, burst intake under Telegram's sending limits: the same 10 000 submissions, with
//! the fake Bot API refusing (429) anything over its limits and `postgate serve` limiting
//! itself to the same figures. Measured: the outbound message rate against the allowed rate,
//! 429s received, and that every post, receipt and card went out (the outbox drained).

use std::collections::HashSet;
use std::time::{Duration, Instant};

use sqlx::PgPool;

use crate::common::{self, Row, Table};
use crate::intake::submission;
use crate::serve::Serve;
use crate::support::fake_telegram::{FakeTelegram, SendLimits};

/// Telegram's overall limit is 30/s; ×10 keeps the drain (20 000 messages) near a minute.
/// Private chats keep Telegram's 1/s. The group's 20/min would make 10 000 cards take 8 h,
/// so it is raised far enough not to bind: the overall rate is the bottleneck.
const LIMITS: SendLimits = SendLimits { per_sec: 300, private_chat_per_sec: 1, group_per_min: 12_000 };
const DRAIN_WAIT: Duration = Duration::from_mins(5);
const TARGET_SHARE: f64 = 0.95;

async fn scalar(pool: &PgPool, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

/// The limited burst at each of [`common::round_trips`].
pub async fn run(table: &mut Table) {
    for rtt in common::round_trips() {
        run_at(table, rtt).await;
    }
}

/// Waits until every submission is stored, carded and receipted and the outbox is empty.
async fn wait_drained(fake: &FakeTelegram, pool: &PgPool, deadline: Instant) -> bool {
    let receipts_sent = || {
        let private = |c: &crate::support::fake_telegram::Call| c.field_i64("chat_id").is_some_and(|id| id > 0);
        i64::try_from(fake.count_calls("sendMessage", private)).unwrap()
            - i64::try_from(fake.limit_stats().refused).unwrap()
    };
    loop {
        let stored = scalar(pool, "SELECT count(*) FROM posts").await;
        let carded = scalar(pool, "SELECT count(*) FROM posts WHERE moderation_message_id IS NOT NULL").await;
        let backlog = scalar(pool, "SELECT count(*) FROM outbox WHERE done_at IS NULL").await;
        if stored == common::submissions()
            && carded == common::submissions()
            && backlog == 0
            && receipts_sent() >= common::submissions()
        {
            return true;
        }
        if Instant::now() >= deadline {
            println!("limited: timed out: {stored} stored, {carded} cards, {backlog} jobs left");
            return false;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn run_at(table: &mut Table, rtt: Duration) {
    let section = common::section_at("3b limited", None, rtt);
    let fake = FakeTelegram::start().await;
    fake.add_chats(&[common::GROUP, common::CHANNEL]);
    fake.set_round_trip(rtt);
    fake.enforce_limits(Some(LIMITS));
    let logs = tempfile::tempdir().unwrap();
    let (db_name, db_url) = common::fresh_database("limited").await;
    let mut env = common::bot_env(&db_url, fake.url().as_str(), logs.path(), &db_name);
    env.retain(|(k, _)| k != "TELEGRAM_RATE_LIMIT");
    for (k, v) in [
        ("RATE_LIMIT_MAX", "10000".to_owned()),
        ("MAX_PENDING_PER_USER", "10000".to_owned()),
        ("TELEGRAM_RATE_LIMIT", "on".to_owned()),
        ("TELEGRAM_MESSAGES_PER_SEC", LIMITS.per_sec.to_string()),
        ("TELEGRAM_CHAT_MESSAGES_PER_SEC", LIMITS.private_chat_per_sec.to_string()),
        ("TELEGRAM_GROUP_MESSAGES_PER_MIN", LIMITS.group_per_min.to_string()),
    ] {
        env.push((k.into(), v));
    }
    let serve = Serve::start(&env);
    let pool = PgPool::connect(&db_url).await.unwrap();
    println!("limited: {} submissions under {LIMITS:?}, round trip {rtt:?}", common::submissions());
    let start = Instant::now();
    for i in 0..common::submissions() {
        fake.push_update(submission(i));
    }
    let drained = wait_drained(&fake, &pool, start + DRAIN_WAIT).await;
    let took = start.elapsed();
    let stats = fake.limit_stats();
    let receipts: HashSet<(i64, String)> = fake
        .calls_to("sendMessage")
        .iter()
        .filter_map(|c| Some((c.field_i64("chat_id").filter(|id| *id > 0)?, c.field_str("text")?)))
        .collect();
    // When the last receipt (private chats) and the last card (the group) went out.
    let sends = fake.calls_to("sendMessage");
    let last_at = |private: bool| {
        sends
            .iter()
            .filter(|c| c.field_i64("chat_id").is_some_and(|id| (id > 0) == private))
            .map(|c| c.at.duration_since(start).as_secs_f64())
            .fold(0.0, f64::max)
    };
    println!("limited: last receipt at {:.1} s, last card at {:.1} s", last_at(true), last_at(false));
    let span = match (stats.first, stats.last) {
        (Some(first), Some(last)) if last > first => last - first,
        _ => took,
    };
    let rate = stats.accepted as f64 / span.as_secs_f64();
    let share = rate / f64::from(LIMITS.per_sec);
    table.push(Row {
        section,
        name: format!(
            "burst under limits: {} messages sent (receipts + cards), {} refused with 429",
            stats.accepted, stats.refused
        ),
        value: format!("{rate:.0} messages/s over {:.1} s", span.as_secs_f64()),
        baseline: format!("allowed: {}/s overall", LIMITS.per_sec),
        ratio: format!("{:.1}%", share * 100.0),
        target: "≥ 95% of the allowed rate".into(),
        met: Some(drained && share >= TARGET_SHARE),
    });
    table.push(Row {
        section,
        name: "burst under limits: queue drained".into(),
        value: format!(
            "{} in {:.1} s: {} distinct receipts",
            if drained { "drained" } else { "NOT drained" },
            took.as_secs_f64(),
            receipts.len()
        ),
        baseline: format!("{} pushed", common::submissions()),
        ratio: "-".into(),
        target: "all stored, receipted, announced".into(),
        met: Some(drained && receipts.len() == usize::try_from(common::submissions()).unwrap()),
    });
    let clean = serve.stop();
    println!("limited: serve stopped {}", if clean { "cleanly (exit 0)" } else { "NOT cleanly" });
    pool.close().await;
    fake.shutdown().await;
    common::drop_database(&db_name).await;
}

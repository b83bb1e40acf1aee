//! `kill -9` of the real `postgate serve` process at chosen points of a burst, then a restart
//! on the same database, on both backends: nothing stored is lost, every author gets a
//! receipt (exactly one unless theirs was in flight at the kill), every post at least one
//! card, and a card repeated by the restart is one that was in flight and is flagged on its
//! post. The stand-in Bot API decides where the kill lands: a receipt whose
//! request hangs (stored, receipt not out), a card carried out but answered late (sent, its
//! id not saved), or a plain burst killed once the first cards are out.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod app;
mod support;

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use app::{CHANNEL, GROUP, drop_database, fresh_database};
use postgate::config::DatabaseConfig;
use postgate::domain::PostStatus;
use postgate::store::{PostQuery, PostRecord, Store};
use serde_json::Value;
use support::fake_telegram::updates::text_message;
use support::fake_telegram::{FakeTelegram, Fault, TEST_TOKEN};

/// Authors of a burst have ids from here on; each writes from their own chat.
const FIRST_AUTHOR: i64 = 5_000;
const WAIT: Duration = Duration::from_secs(40);
/// Posts the outbox worker works on at once (one per message on the wire): at most one job each
/// may have been sending at the kill.
const IN_FLIGHT: usize = postgate::limiter::IN_FLIGHT;

#[derive(Clone, Copy, Debug)]
enum Backend {
    Postgres,
    Sqlite,
}

/// A stand-in Telegram, a database, and the `postgate serve` processes run on them.
struct Setup {
    fake: FakeTelegram,
    db_url: String,
    pg_name: Option<String>,
    home: tempfile::TempDir,
}

impl Setup {
    async fn new(backend: Backend, tag: &str) -> Self {
        let fake = FakeTelegram::start().await;
        fake.add_chats(&[GROUP, CHANNEL]);
        let home = tempfile::tempdir().unwrap();
        let (db_url, pg_name) = match backend {
            Backend::Postgres => {
                let (name, url) = fresh_database(tag).await;
                (url, Some(name))
            }
            Backend::Sqlite => (format!("sqlite://{}", home.path().join("postgate.db").display()), None),
        };
        Self { fake, db_url, pg_name, home }
    }

    /// `postgate serve` on this setup (its logs in the home's `logs/`).
    fn serve(&self) -> Child {
        Command::new(env!("CARGO_BIN_EXE_postgate"))
            .arg("serve")
            .current_dir(self.home.path())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.home.path())
            .env("LOG_DIR", self.home.path().join("logs"))
            .env("BOT_TOKEN", TEST_TOKEN)
            .env("MODERATION_GROUP_ID", GROUP.to_string())
            .env("CHANNEL_ID", CHANNEL.to_string())
            .env("DATABASE_URL", &self.db_url)
            .env("TELEGRAM_API_URL", self.fake.url().to_string())
            .env("TELEGRAM_RATE_LIMIT", "off")
            .env("HTTP_TIMEOUT_SECS", "5")
            .env("MAX_PENDING_PER_USER", "100")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    }

    /// One submission from each of `count` authors, in one go.
    fn burst(&self, count: i64) {
        for i in 0..count {
            let author = FIRST_AUTHOR + i;
            self.fake.push_update(text_message(author, author, 1, &format!("post of author {author}"), Some("en")));
        }
    }

    fn receipts_of(&self, author: i64) -> usize {
        self.fake.delivered_to(author).iter().filter(|m| text_of(m).contains('#')).count()
    }

    /// The cards in the moderation group, by the author whose post they show.
    fn cards(&self) -> HashMap<i64, usize> {
        let mut cards = HashMap::new();
        for message in self.fake.delivered_to(GROUP) {
            if let Some(author) = text_of(&message).split("post of author ").nth(1).and_then(|s| s.get(..4)) {
                *cards.entry(author.parse::<i64>().unwrap()).or_insert(0) += 1;
            }
        }
        cards
    }

    /// Waits (bounded) until `cond` holds.
    async fn until(&self, what: &str, mut cond: impl FnMut(&Self) -> bool) {
        let deadline = tokio::time::Instant::now() + WAIT;
        while !cond(self) {
            assert!(tokio::time::Instant::now() < deadline, "timed out waiting for: {what}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The store, opened once the processes are gone.
    async fn store(&self) -> Arc<dyn Store> {
        let config = DatabaseConfig::from_url(&self.db_url).unwrap();
        postgate::store::open(&config, Duration::ZERO).await.unwrap()
    }

    async fn posts(&self, store: &dyn Store) -> Vec<PostRecord> {
        let page = store.list_posts(&PostQuery { limit: 500, ..PostQuery::default() }).await.unwrap();
        let ids: Vec<_> = page.posts.iter().map(|p| p.id).collect();
        store.posts(&ids).await.unwrap()
    }

    async fn dispose(self) {
        if let Some(name) = &self.pg_name {
            drop_database(name).await;
        }
    }
}

fn text_of(message: &Value) -> &str {
    message.get("text").and_then(Value::as_str).unwrap_or_default()
}

/// SIGKILL: no handler runs, nothing is flushed.
fn kill_9(child: &mut Child) {
    child.kill().unwrap();
    child.wait().unwrap();
}

/// What a kill may repeat: a message is "in flight" from its request until its record is
/// committed, and Telegram has no idempotency key to tell a repeat.
struct Repeats {
    cards: usize,
    receipts: usize,
    /// The authors who got their receipt twice.
    receipted_twice: Vec<i64>,
}

/// After the restart settles: every author receipted (twice only if that receipt was in
/// flight at the kill), every post carded and receipted in the database, and a post with two
/// cards flagged as such. Counts the repeats.
async fn settle_and_check(setup: &Setup, authors: i64, mut second: Child) -> Repeats {
    setup.until("a receipt for every author", |s| (0..authors).all(|i| s.receipts_of(FIRST_AUTHOR + i) >= 1)).await;
    setup.until("a card for every post", |s| s.cards().len() == usize::try_from(authors).unwrap()).await;
    // Room for a late duplicate to show up before counting.
    tokio::time::sleep(Duration::from_secs(2)).await;
    kill_9(&mut second);
    let mut receipted_twice = Vec::new();
    for i in 0..authors {
        let author = FIRST_AUTHOR + i;
        let got = setup.receipts_of(author);
        assert!((1..=2).contains(&got), "author {author}: {:?}", setup.fake.delivered_to(author));
        if got == 2 {
            receipted_twice.push(author);
        }
    }
    let receipts = receipted_twice.len();
    let store = setup.store().await;
    let posts = setup.posts(&*store).await;
    assert_eq!(posts.len(), usize::try_from(authors).unwrap(), "every submission stored once");
    let cards = setup.cards();
    let mut repeated = 0;
    for post in &posts {
        let shown = cards.get(&post.author.id.0).copied().unwrap_or(0);
        assert!(post.receipt_sent_at.is_some(), "post {} receipt recorded", post.id.0);
        assert!(post.moderation_message_id.is_some(), "post {} card recorded", post.id.0);
        assert_eq!(post.status, PostStatus::Pending);
        assert!((1..=2).contains(&shown), "post {}: {shown} cards", post.id.0);
        if shown == 2 {
            repeated += 1;
            assert!(post.maybe_twice.card, "post {} shows two cards and says so", post.id.0);
        }
    }
    store.close().await;
    Repeats { cards: repeated, receipts, receipted_twice }
}

/// Killed once every receipt request is out but none answered: the submissions are stored,
/// the receipts never arrived, and the restart sends each exactly once.
async fn killed_after_the_commit_before_the_receipts(backend: Backend) {
    const AUTHORS: i64 = 12;
    let setup = Setup::new(backend, "crash_receipt").await;
    for i in 0..AUTHORS {
        setup.fake.fail_next_to("sendMessage", FIRST_AUTHOR + i, 1, Fault::Hang);
    }
    let mut first = setup.serve();
    setup.burst(AUTHORS);
    setup
        .until("every receipt requested", |s| {
            (0..AUTHORS).all(|i| {
                s.fake.calls_to("sendMessage").iter().any(|c| c.field_i64("chat_id") == Some(FIRST_AUTHOR + i))
            })
        })
        .await;
    kill_9(&mut first);
    assert!((0..AUTHORS).all(|i| setup.receipts_of(FIRST_AUTHOR + i) == 0), "no receipt arrived before the kill");

    let second = setup.serve();
    let repeats = settle_and_check(&setup, AUTHORS, second).await;
    assert_eq!(repeats.receipts, 0, "no receipt was out at the kill: each author gets exactly one");
    assert!(repeats.cards <= IN_FLIGHT, "cards repeat only for jobs in flight: {}", repeats.cards);
    setup.dispose().await;
}

/// Killed while the first cards were carried out but not answered: those cards show twice
/// in the group, flagged on their posts; every other post has one card.
async fn killed_after_the_card_send_before_its_id_is_saved(backend: Backend) {
    const AUTHORS: i64 = 10;
    const LATE: usize = 3;
    let setup = Setup::new(backend, "crash_card").await;
    setup.fake.fail_next_to("sendMessage", GROUP, LATE, Fault::AnswerLate(Duration::from_mins(1)));
    let mut first = setup.serve();
    setup.burst(AUTHORS);
    setup.until("the late cards sent", |s| s.fake.delivered_to(GROUP).len() >= LATE).await;
    setup.until("every receipt", |s| (0..AUTHORS).all(|i| s.receipts_of(FIRST_AUTHOR + i) == 1)).await;
    // Let the receipts' records reach the database (batched right after the sends).
    tokio::time::sleep(Duration::from_millis(500)).await;
    kill_9(&mut first);

    let second = setup.serve();
    let repeats = settle_and_check(&setup, AUTHORS, second).await;
    assert_eq!(repeats.receipts, 0, "every receipt was recorded before the kill");
    assert!(repeats.cards >= 1, "a card answered late is sent again after the restart");
    assert!(repeats.cards <= LATE, "only the cards in flight repeat: {}", repeats.cards);
    setup.dispose().await;
}

/// Killed in the middle of a plain burst: once the first receipts are out (most submissions
/// not stored yet: their updates must come back), or once the first cards are.
async fn killed_in_the_middle_of_a_burst(backend: Backend) {
    for cards_out in [false, true] {
        burst_killed(backend, cards_out).await;
    }
}

async fn burst_killed(backend: Backend, cards_out: bool) {
    const AUTHORS: i64 = 120;
    let setup = Setup::new(backend, "crash_burst").await;
    let mut first = setup.serve();
    setup.burst(AUTHORS);
    if cards_out {
        setup.until("the first cards", |s| s.fake.delivered_to(GROUP).len() >= 5).await;
    } else {
        setup.until("the first receipts", |s| (0..AUTHORS).any(|i| s.receipts_of(FIRST_AUTHOR + i) > 0)).await;
    }
    kill_9(&mut first);
    // In flight at the kill: receipts delivered whose record was not written yet (the record
    // gathers 100 ms of them and waits for the writer while the burst is stored).
    let in_flight: Vec<i64> = {
        let store = setup.store().await;
        let posts = setup.posts(&*store).await;
        store.close().await;
        posts
            .iter()
            .filter(|p| p.receipt_sent_at.is_none() && setup.receipts_of(p.author.id.0) > 0)
            .map(|p| p.author.id.0)
            .collect()
    };

    let second = setup.serve();
    let repeats = settle_and_check(&setup, AUTHORS, second).await;
    // Up to one job per post being worked on may repeat, and exactly the receipts that were in
    // flight may; none recorded before the kill is sent again.
    assert!(repeats.cards <= IN_FLIGHT, "cards repeat only for the jobs in flight: {}", repeats.cards);
    for author in &repeats.receipted_twice {
        assert!(in_flight.contains(author), "author {author}: a receipt recorded before the kill was sent again");
    }
    eprintln!(
        "repeated after the kill (cards out: {cards_out}): {} cards, {} receipts ({} were in flight)",
        repeats.cards,
        repeats.receipts,
        in_flight.len()
    );
    setup.dispose().await;
}

macro_rules! on_both_backends {
    ($($test:ident),* $(,)?) => {
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    super::$test(super::Backend::Postgres).await;
                }
            )*
        }
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    super::$test(super::Backend::Sqlite).await;
                }
            )*
        }
    };
}

on_both_backends!(
    killed_after_the_commit_before_the_receipts,
    killed_after_the_card_send_before_its_id_is_saved,
    killed_in_the_middle_of_a_burst,
);

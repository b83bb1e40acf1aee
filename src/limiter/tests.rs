//! The limiter under paused Tokio time: rates overall, per private chat and per group; chats
//! do not hold each other up; callers that give up use no slot.

use std::sync::{Arc, Mutex};

use super::*;

const LIMITS: SendLimits = SendLimits { per_sec: 30, private_chat_per_sec: 1, group_per_min: 20 };

/// Starts one acquire per chat in `chats` (in order) and returns each grant's time after start.
async fn grants(limiter: &Limiter, chats: Vec<ChatKey>) -> Vec<Duration> {
    let start = Instant::now();
    let times = Arc::new(Mutex::new(vec![Duration::ZERO; chats.len()]));
    let mut tasks = Vec::new();
    for (i, chat) in chats.into_iter().enumerate() {
        let (limiter, times) = (limiter.clone(), Arc::clone(&times));
        tasks.push(tokio::spawn(async move {
            drop(limiter.acquire(chat, 1).await);
            times.lock().unwrap()[i] = start.elapsed();
        }));
        tokio::task::yield_now().await; // keep arrival order
    }
    for t in tasks {
        t.await.unwrap();
    }
    Arc::try_unwrap(times).unwrap().into_inner().unwrap()
}

#[tokio::test(start_paused = true)]
async fn the_overall_rate_holds_across_many_chats() {
    let limiter = Limiter::new(LIMITS);
    let times = grants(&limiter, (1..=90).map(ChatKey::Id).collect()).await;
    let mut sorted = times.clone();
    sorted.sort();
    // 90 messages at 30/s: the last one goes out after ~3 s, never sooner.
    let last = *sorted.last().unwrap();
    assert!(last >= Duration::from_millis(2900) && last <= Duration::from_millis(3100), "last grant at {last:?}");
    for pair in sorted.windows(2) {
        assert!(pair[1].saturating_sub(pair[0]) >= Duration::from_millis(33), "grants too close: {pair:?}");
    }
}

#[tokio::test(start_paused = true)]
async fn a_private_chat_gets_one_message_a_second_without_holding_up_others() {
    let limiter = Limiter::new(LIMITS);
    let chats = vec![ChatKey::Id(7), ChatKey::Id(7), ChatKey::Id(7), ChatKey::Id(8)];
    let times = grants(&limiter, chats).await;
    assert!(times[0] < Duration::from_millis(50), "first at once: {times:?}");
    assert!(times[1] >= Duration::from_secs(1) && times[2] >= Duration::from_secs(2), "spaced: {times:?}");
    assert!(times[3] < Duration::from_millis(200), "another chat is not held up: {times:?}");
}

#[tokio::test(start_paused = true)]
async fn a_chat_held_back_by_the_overall_rate_waits_a_whole_second_from_its_late_message() {
    let limits = SendLimits { per_sec: 2, private_chat_per_sec: 1, group_per_min: 20 };
    let limiter = Limiter::new(limits);
    // A's second message is due after a second but the overall rate (2/s) holds it back
    // behind 8's and 9's; its third must still come a whole second after the second.
    let chats = [7, 7, 7, 8, 9].map(ChatKey::Id).to_vec();
    let times = grants(&limiter, chats).await;
    assert!(times[1] > Duration::from_millis(1100), "the second was held back by the overall rate: {times:?}");
    assert!(times[2].saturating_sub(times[1]) >= Duration::from_secs(1), "a chat's messages a second apart: {times:?}");
}

#[tokio::test(start_paused = true)]
async fn groups_and_channels_get_twenty_a_minute() {
    let limiter = Limiter::new(LIMITS);
    let group = ChatKey::Id(-100_123);
    let channel = ChatKey::Channel("news".into());
    let times = grants(&limiter, vec![group.clone(), group.clone(), channel.clone(), channel]).await;
    assert!(times[1].saturating_sub(times[0]) >= Duration::from_secs(3), "group spaced by 3 s: {times:?}");
    assert!(times[3].saturating_sub(times[2]) >= Duration::from_secs(3), "channel spaced by 3 s: {times:?}");
    assert!(times[2] < Duration::from_millis(200), "the channel is not held up by the group: {times:?}");
}

#[tokio::test(start_paused = true)]
async fn an_album_counts_every_item() {
    let limiter = Limiter::new(LIMITS);
    let start = Instant::now();
    drop(limiter.acquire(ChatKey::Id(5), 10).await);
    drop(limiter.acquire(ChatKey::Id(6), 1).await);
    // Ten items use ten overall slots (10 × 33 ms) before anything else may go.
    assert!(start.elapsed() >= Duration::from_millis(330), "after {:?}", start.elapsed());
}

#[tokio::test(start_paused = true)]
async fn a_caller_that_gives_up_uses_no_slot() {
    let limiter = Limiter::new(LIMITS);
    drop(limiter.acquire(ChatKey::Id(9), 1).await);
    // The chat's next slot is a second away; this caller leaves before it.
    let gave_up = tokio::time::timeout(Duration::from_millis(100), limiter.acquire(ChatKey::Id(9), 1)).await;
    assert!(gave_up.is_err());
    let start = Instant::now();
    drop(limiter.acquire(ChatKey::Id(9), 1).await);
    let waited = start.elapsed();
    assert!(waited < Duration::from_secs(1), "the abandoned slot was reused, waited {waited:?}");
}

#[tokio::test(start_paused = true)]
async fn off_grants_everything_at_once() {
    let limiter = Limiter::off();
    let start = Instant::now();
    for _ in 0..1000 {
        drop(limiter.acquire(ChatKey::Id(1), 1).await);
    }
    assert_eq!(start.elapsed(), Duration::ZERO);
}

#[tokio::test(start_paused = true)]
async fn a_busy_group_keeps_its_rate_among_many_private_chats() {
    // 200/s overall, the group 100/s: its 100 cards must take about a second even while 300
    // private chats queue up behind them, not one turn per round of all of them (~2.6 s).
    let limiter = Limiter::new(SendLimits { per_sec: 200, private_chat_per_sec: 1, group_per_min: 6000 });
    let mut chats: Vec<ChatKey> = std::iter::repeat_n(ChatKey::Id(-100), 100).collect();
    chats.extend((1..=300).map(ChatKey::Id));
    let times = grants(&limiter, chats).await;
    let last_card = times[..100].iter().max().copied().unwrap();
    assert!(last_card <= Duration::from_millis(1300), "the group fell behind: last card at {last_card:?}");
}

#[tokio::test(start_paused = true)]
async fn messages_on_the_wire_are_bounded_by_what_the_rate_needs_limits_on_or_off() {
    let raised = SendLimits { per_sec: 300, private_chat_per_sec: 1, group_per_min: 1_000_000 };
    assert_eq!(messages_in_flight(None), IN_FLIGHT);
    assert_eq!(messages_in_flight(Some(LIMITS)), IN_FLIGHT, "Telegram's 30/s needs 6 at 200 ms: the floor holds");
    assert_eq!(messages_in_flight(Some(raised)), 60, "300/s for 200 ms each");
    assert_eq!(sockets(Some(raised)), 60 + ANSWERS_IN_FLIGHT);
    for (limiter, bound) in [(Limiter::new(LIMITS), IN_FLIGHT), (Limiter::off(), IN_FLIGHT), (Limiter::new(raised), 60)]
    {
        let mut held = Vec::new();
        for chat in 0..i64::try_from(bound).unwrap() {
            held.push(limiter.acquire(ChatKey::Id(chat + 1), 1).await);
        }
        // The rate's next slot is at most 33 ms away: only the bound holds the next one back.
        let next = tokio::time::timeout(Duration::from_millis(100), limiter.acquire(ChatKey::Id(-99), 1)).await;
        assert!(next.is_err(), "message {} went out while {bound} were on the wire", bound + 1);
        held.pop();
        let next = tokio::time::timeout(Duration::from_millis(100), limiter.acquire(ChatKey::Id(-99), 1)).await;
        assert!(next.is_ok(), "a permit given back lets the next message go");
    }
}

#[tokio::test(start_paused = true)]
async fn callback_answers_wait_neither_for_messages_nor_for_the_rate() {
    let limiter = Limiter::new(LIMITS);
    let mut messages = Vec::new();
    for chat in 0..i64::try_from(IN_FLIGHT).unwrap() {
        messages.push(limiter.acquire(ChatKey::Id(chat + 1), 1).await);
    }
    let start = Instant::now();
    let mut answers = Vec::new();
    for _ in 0..ANSWERS_IN_FLIGHT {
        answers.push(limiter.acquire_answer().await);
    }
    assert_eq!(start.elapsed(), Duration::ZERO, "answers took no rate slot and did not wait for the messages");
    let next = tokio::time::timeout(Duration::from_secs(1), limiter.acquire_answer()).await;
    assert!(next.is_err(), "answer {} went out while {ANSWERS_IN_FLIGHT} were on the wire", ANSWERS_IN_FLIGHT + 1);
    answers.pop();
    let next = tokio::time::timeout(Duration::from_millis(1), limiter.acquire_answer()).await;
    assert!(next.is_ok(), "an answer given back lets the next one go");
    drop(messages);
}

//! Telegram's sending limits, enforced by the fake when asked ([`super::FakeTelegram::enforce_limits`]):
//! messages over the overall, per-private-chat or per-group rate get HTTP 429, as Telegram does.
//! Every sending and editing method counts, and callback answers count against the overall rate.
//! Windows are shortened by 10% so jitter between a client's slot and the request's arrival
//! (tens of milliseconds on a loaded machine) is not counted as a breach (Telegram's own limits
//! are approximate too).

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Limits to enforce: messages per second overall, per second in one private chat, per minute
/// in one group or channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SendLimits {
    pub per_sec: u32,
    pub private_chat_per_sec: u32,
    pub group_per_min: u32,
}

/// What the enforcement saw.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LimitStats {
    /// Messages accepted (an album counts each item).
    pub accepted: u64,
    /// Requests refused with 429.
    pub refused: u64,
    /// First and last accepted message.
    pub first: Option<Instant>,
    pub last: Option<Instant>,
}

#[derive(Default)]
pub struct Enforcer {
    limits: Option<SendLimits>,
    overall: VecDeque<Instant>,
    chats: HashMap<i64, VecDeque<Instant>>,
    pub stats: LimitStats,
}

const SLACK: f64 = 0.90;

/// Messages a sending method carries, or `None` for methods that are not limited.
fn weight(method: &str, body: &Value) -> Option<u32> {
    match method {
        "sendmessage"
        | "sendphoto"
        | "sendvideo"
        | "sendanimation"
        | "senddocument"
        | "sendaudio"
        | "sendvoice"
        | "copymessage"
        | "forwardmessage"
        | "editmessagetext"
        | "editmessagecaption"
        | "editmessagereplymarkup"
        | "editmessagemedia"
        | "answercallbackquery" => Some(1),
        "sendmediagroup" => Some(match body.get("media") {
            Some(Value::Array(items)) => u32::try_from(items.len()).unwrap_or(1),
            Some(Value::String(s)) => {
                serde_json::from_str::<Vec<Value>>(s).map_or(1, |v| u32::try_from(v.len()).unwrap_or(1))
            }
            _ => 1,
        }),
        _ => None,
    }
}

fn count_since(times: &mut VecDeque<Instant>, since: Instant) -> usize {
    while times.front().is_some_and(|t| *t <= since) {
        times.pop_front();
    }
    times.len()
}

impl Enforcer {
    pub fn set(&mut self, limits: Option<SendLimits>) {
        *self = Self { limits, ..Self::default() };
    }

    /// `Some(retry_after_secs)` when this request breaks a limit; otherwise records it.
    pub fn check(&mut self, method: &str, body: &Value, chat: i64, now: Instant) -> Option<u32> {
        let limits = self.limits?;
        let weight = weight(method, body)?;
        let window = |d: Duration| now.checked_sub(d.mul_f64(SLACK)).unwrap_or(now);
        let overall = count_since(&mut self.overall, window(Duration::from_secs(1)));
        let (chat_window, chat_max, retry) = if chat > 0 {
            (Duration::from_secs(1), limits.private_chat_per_sec, 1)
        } else {
            (Duration::from_mins(1), limits.group_per_min, 3)
        };
        // A callback answer has no chat: it counts against the overall rate only.
        let chat_scoped = method != "answercallbackquery";
        let in_chat =
            if chat_scoped { count_since(self.chats.entry(chat).or_default(), window(chat_window)) } else { 0 };
        let w = weight as usize;
        if overall + w > limits.per_sec as usize || in_chat + w > chat_max.max(weight) as usize {
            eprintln!(
                "fake Telegram: 429 for {method} to chat {chat}: {overall} messages in the overall window, {in_chat} in the chat's"
            );
            self.stats.refused += 1;
            return Some(retry);
        }
        for _ in 0..weight {
            self.overall.push_back(now);
            if chat_scoped {
                self.chats.entry(chat).or_default().push_back(now);
            }
        }
        self.stats.accepted += u64::from(weight);
        self.stats.first.get_or_insert(now);
        self.stats.last = Some(now);
        None
    }
}

//! Step 2's one-time code: six random digits, valid ten minutes, given up after a few wrong
//! guesses (a new code is then shown), so a stranger who adds the bot to a group cannot guess it.

use std::time::{Duration, Instant};

/// How long a code is valid.
pub const VALID_FOR: Duration = Duration::from_mins(10);
/// Wrong codes accepted before this code is replaced by a new one.
pub const MAX_WRONG: u32 = 5;

/// The outcome of a `/setup` attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeCheck {
    Accepted,
    Wrong,
    Expired,
}

/// A one-time code and its deadline.
#[derive(Debug, Clone)]
pub struct SetupCode {
    digits: String,
    expires_at: Instant,
    wrong: u32,
}

impl SetupCode {
    /// A fresh code from the operating system's random source.
    pub fn generate(now: Instant) -> Self {
        let mut bytes = [0u8; 8];
        // Without the OS's randomness the clock's nanoseconds are the fallback: still one code in
        // a million, and it expires after MAX_WRONG guesses.
        let seed = match getrandom::fill(&mut bytes) {
            Ok(()) => u64::from_le_bytes(bytes),
            Err(_) => u64::from(
                std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().subsec_nanos(),
            ),
        };
        Self::from_digits(format!("{:06}", seed % 1_000_000), now)
    }

    /// A given code (tests).
    pub fn from_digits(digits: String, now: Instant) -> Self {
        Self { digits, expires_at: now + VALID_FOR, wrong: 0 }
    }

    pub fn digits(&self) -> &str {
        &self.digits
    }

    /// Seconds until it expires (0 once expired).
    pub fn remaining(&self, now: Instant) -> Duration {
        self.expires_at.saturating_duration_since(now)
    }

    pub fn is_expired(&self, now: Instant) -> bool {
        now >= self.expires_at || self.wrong >= MAX_WRONG
    }

    /// Checks what a moderator sent (spaces ignored); a wrong guess counts against the code.
    pub fn check(&mut self, sent: &str, now: Instant) -> CodeCheck {
        if self.is_expired(now) {
            return CodeCheck::Expired;
        }
        let sent: String = sent.chars().filter(|c| !c.is_whitespace()).collect();
        // Compared without an early exit, so the time taken says nothing about the digits.
        let same = sent.len() == self.digits.len()
            && sent.bytes().zip(self.digits.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0;
        if same {
            CodeCheck::Accepted
        } else {
            self.wrong += 1;
            CodeCheck::Wrong
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_is_six_digits_and_codes_differ() {
        let now = Instant::now();
        let codes: Vec<String> = (0..20).map(|_| SetupCode::generate(now).digits().to_owned()).collect();
        assert!(codes.iter().all(|c| c.len() == 6 && c.bytes().all(|b| b.is_ascii_digit())), "{codes:?}");
        let mut unique = codes.clone();
        unique.sort();
        unique.dedup();
        assert!(unique.len() > 15, "20 codes, only {} different", unique.len());
    }

    #[test]
    fn the_right_code_is_accepted_until_it_expires() {
        let now = Instant::now();
        let mut code = SetupCode::from_digits("042917".into(), now);
        assert_eq!(code.check(" 042 917", now), CodeCheck::Accepted);
        assert_eq!(code.check("042917", now + VALID_FOR), CodeCheck::Expired);
    }

    #[test]
    fn wrong_guesses_use_the_code_up() {
        let now = Instant::now();
        let mut code = SetupCode::from_digits("111111".into(), now);
        for _ in 0..MAX_WRONG {
            assert_eq!(code.check("222222", now), CodeCheck::Wrong);
        }
        assert_eq!(code.check("111111", now), CodeCheck::Expired, "after {MAX_WRONG} wrong guesses the code is gone");
    }
}

//! What the conversation with an author looks like in Telegram: a moderator's message framed
//! in the author's language ("Moderators ask you to change submission #12: …", quoting the
//! submission), the Withdraw button under a request, and the card's line about the request.
//! Authors never see who wrote: the bot sends it.

use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

use super::callback::Action;
use crate::domain::PostId;
use crate::domain::text::{MAX_TEXT, utf16_len};
use crate::i18n::{AVAILABLE, I18n, num, text};
use crate::store::{PostRecord, ThreadKind, ThreadMessage};

/// How much of the submission a message to its author quotes, in characters.
const QUOTE_CHARS: usize = 200;

/// The start of the post's text as the message to its author quotes it (media without text
/// are named by their kinds).
pub fn quote_of(post: &PostRecord) -> String {
    let body = post.body.trim();
    if body.is_empty() {
        let kinds: Vec<&str> = post.media.iter().map(|m| m.kind.as_str()).collect();
        return format!("📎 {}", kinds.join(", "));
    }
    let mut quote: String = body.chars().take(QUOTE_CHARS).collect();
    if body.chars().count() > QUOTE_CHARS {
        quote.push('…');
    }
    quote
}

/// A moderator's message as its author reads it.
pub fn to_author_text(i18n: &I18n, locale: &str, post: PostId, kind: ThreadKind, quote: &str, body: &str) -> String {
    let key = if kind == ThreadKind::Request { "thread-request" } else { "thread-message" };
    i18n.t_args(locale, key, &[("id", num(post.0)), ("quote", text(quote)), ("text", text(body))])
}

/// The most UTF-16 units a moderator's text may take so that the framed message fits one
/// Telegram message in every language (the frame and the quote counted).
pub fn text_limit(i18n: &I18n, post: PostId, kind: ThreadKind, quote: &str) -> usize {
    let frame = AVAILABLE.iter().map(|l| utf16_len(&to_author_text(i18n, l, post, kind, quote, ""))).max();
    MAX_TEXT.saturating_sub(frame.unwrap_or(0))
}

/// The Withdraw button under a request for changes.
pub fn withdraw_keyboard(i18n: &I18n, locale: &str, post: PostId) -> InlineKeyboardMarkup {
    let label = i18n.t(locale, "button-withdraw");
    InlineKeyboardMarkup::new(vec![vec![InlineKeyboardButton::callback(label, Action::Withdraw(post).encode())]])
}

/// The card's line about the conversation: the open request (who asked, when, what), or the
/// author's latest answer; `None` when there is nothing to say.
pub fn card_line(i18n: &I18n, locale: &str, post: &PostRecord, thread: &[ThreadMessage]) -> Option<String> {
    let last = thread.iter().rev().find(|m| matches!(m.kind, ThreadKind::Request | ThreadKind::Answer))?;
    let time = text(last.created_at.format("%Y-%m-%d %H:%M UTC").to_string());
    match last.kind {
        ThreadKind::Request if post.changes_requested_at.is_some() => {
            let name = last.moderator_name.clone().or_else(|| last.moderator_id.map(|m| m.to_string()));
            let args = [("moderator", text(name.unwrap_or_default())), ("time", time), ("text", text(&last.body))];
            Some(i18n.t_args(locale, "card-changes-requested", &args))
        }
        ThreadKind::Answer => {
            Some(i18n.t_args(locale, "card-author-answered", &[("time", time), ("text", text(&last.body))]))
        }
        _ => None,
    }
}

//! The moderation card: plain text (never parsed as markup) that shows every hidden link
//! target, says when the text is cut, and buttons that name the version of the content the
//! card shows — so a press approves only what its moderator could read. A cut card offers
//! "Show all" instead of "Approve"; the whole text comes as replies, then "Approve".

use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

use super::callback::{Action, View};
use super::links::hidden_links;
use super::reason_text;
use crate::domain::text::{MAX_TEXT, prefix_utf16, utf16_len};
use crate::domain::{PostStatus, RejectReason};
use crate::i18n::{I18n, num, text};
use crate::store::{AuthorRecord, PostRecord};

#[cfg(test)]
#[path = "card_tests.rs"]
mod tests;

/// What a card gives a post's text and its links together. The rest of Telegram's 4,096 units
/// is its head — title, the author's name (≤ 2 × 64 + a 32-character username), history,
/// flags (≤ 200, `render::flags`), media kinds: under 650 units — and a decided card's verdict lines.
const BODY_BUDGET: usize = 3_400;
/// The most the list of links takes of [`BODY_BUDGET`] when text and links do not both fit.
const LINKS_BUDGET: usize = 1_200;

/// Who decided, as shown on a card.
pub struct Decider {
    pub name: String,
}

/// The moderation card for a post.
pub fn card_text(
    i18n: &I18n,
    locale: &str,
    post: &PostRecord,
    author: Option<&AuthorRecord>,
    decider: Option<&Decider>,
    plan: &crate::schedule::Plan,
    options: &crate::options::PostOptions,
) -> String {
    let mut lines = vec![i18n.t_args(locale, "card-title", &[("id", num(post.id.0))])];
    let username = post.author.username.as_deref().map(|u| format!("@{u}")).unwrap_or_default();
    lines.push(i18n.t_args(
        locale,
        "card-author",
        &[("name", text(post.author.display_name())), ("username", text(username)), ("user_id", num(post.author.id.0))],
    ));
    if let Some(a) = author {
        lines.push(i18n.t_args(
            locale,
            "card-history",
            &[("approved", num(a.approved)), ("rejected", num(a.rejected))],
        ));
    }
    // Signed or anonymous, as it is (or was) published: the author's choice, else the default.
    if post.status != PostStatus::Rejected {
        let key = if options.is_signed(post.signed) { "card-signed" } else { "card-anonymous" };
        lines.push(i18n.t(locale, key));
    }
    if post.edited_by_author {
        lines.push(i18n.t(locale, "card-edited"));
    }
    if let Some(original) = post.duplicate_of {
        lines.push(i18n.t_args(locale, "card-duplicate", &[("id", num(original.0))]));
    }
    lines.extend(super::flags::flag_lines(i18n, locale, post.flags.as_ref()));
    if !post.media.is_empty() {
        let kinds: Vec<&str> = post.media.iter().map(|m| m.kind.as_str()).collect();
        lines.push(format!("📎 {}", kinds.join(", ")));
    }
    let head = lines.join("\n");
    let mut lines = Vec::new();
    let moderator = text(decider_name(decider));
    let time = text(decided_time(post));
    let verdict = match post.status {
        PostStatus::Pending | PostStatus::ChangesRequested => None,
        PostStatus::Rejected => {
            let reason = post.reject_reason.as_ref().map(|r| reason_text(i18n, locale, r)).unwrap_or_default();
            Some(i18n.t_args(
                locale,
                "card-decided-rejected",
                &[("moderator", moderator), ("time", time), ("reason", text(reason))],
            ))
        }
        PostStatus::Approved | PostStatus::Published | PostStatus::PublishFailed => {
            Some(i18n.t_args(locale, "card-decided-approved", &[("moderator", moderator), ("time", time)]))
        }
    };
    if let Some(line) = verdict {
        lines.push(String::new());
        lines.push(line);
    }
    // A rejection that banned the author says so: the card is refreshed right after it.
    if post.status == PostStatus::Rejected && author.is_some_and(|a| a.banned) {
        let (moderator, time) = (text(decider_name(decider)), text(decided_time(post)));
        lines.push(i18n.t_args(locale, "card-decided-banned", &[("moderator", moderator), ("time", time)]));
    }
    if let (PostStatus::Approved, Some(at)) = (post.status, post.scheduled_at) {
        let when = super::when_text(i18n, locale, plan, at);
        lines.push(i18n.t_args(locale, "card-scheduled", &[("when", text(when))]));
    }
    if post.status == PostStatus::Approved && post.parked {
        lines.push(i18n.t(locale, "card-parked"));
    }
    if post.status == PostStatus::PublishFailed {
        let error = post.publish_error.clone().unwrap_or_default();
        lines.push(i18n.t_args(locale, "card-publish-failed", &[("error", text(error))]));
    }
    let tail: String = lines.iter().flat_map(|l| ["\n", l.as_str()]).collect();
    let body = card_body(i18n, locale, post).text;
    let card = if body.is_empty() { format!("{head}{tail}") } else { format!("{head}\n\n{body}{tail}") };
    // Only a decided card's verdict (a long custom reason or error) can overflow: cut its end.
    prefix_utf16(&card, MAX_TEXT).to_owned()
}

fn decider_name(decider: Option<&Decider>) -> String {
    decider.map_or_else(|| "?".to_owned(), |d| d.name.clone())
}

fn decided_time(post: &PostRecord) -> String {
    post.decided_at.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()).unwrap_or_default()
}

/// The text and link list a card shows, and whether anything was left out.
struct CardBody {
    text: String,
    cut: bool,
}

/// The lines listing a post's hidden link targets (none when it has none).
fn link_lines(i18n: &I18n, locale: &str, post: &PostRecord) -> Vec<String> {
    let links = hidden_links(&post.body, &post.entities);
    if links.is_empty() {
        return Vec::new();
    }
    let mut out = vec![i18n.t(locale, "card-links")];
    out.extend(
        links
            .into_iter()
            .map(|l| i18n.t_args(locale, "card-link", &[("name", text(l.anchor)), ("link", text(l.target))])),
    );
    out
}

/// A post's text and the targets of its links within [`BODY_BUDGET`]: when both do not fit,
/// the links take up to [`LINKS_BUDGET`] (a line says how many more there are) and the text is
/// cut at a character boundary, with a line saying how much of it is shown.
fn card_body(i18n: &I18n, locale: &str, post: &PostRecord) -> CardBody {
    let body = post.body.as_str();
    let links = link_lines(i18n, locale, post);
    let all_links = links.join("\n");
    let gap = |a: &str, b: &str| if a.is_empty() || b.is_empty() { "" } else { "\n\n" };
    if utf16_len(body) + 2 + utf16_len(&all_links) <= BODY_BUDGET {
        return CardBody { text: format!("{body}{}{all_links}", gap(body, &all_links)), cut: false };
    }
    let count = |n: usize| num(i64::try_from(n).unwrap_or(i64::MAX));
    let more_line = |n: usize| i18n.t_args(locale, "card-links-more", &[("count", count(n))]);
    let mut shown_links = String::new();
    let mut listed = 0;
    if let Some((header, lines)) = links.split_first() {
        shown_links.push_str(header);
        // Room is kept for the "… and N more" line, measured with the widest N.
        let room = LINKS_BUDGET.saturating_sub(utf16_len(&more_line(links.len())) + 1);
        for line in lines {
            if utf16_len(&shown_links) + 1 + utf16_len(line) > room {
                break;
            }
            shown_links.push('\n');
            shown_links.push_str(line);
            listed += 1;
        }
        if listed < lines.len() {
            shown_links.push('\n');
            shown_links.push_str(&more_line(lines.len() - listed));
        }
    }
    let links_cut = listed + 1 < links.len();
    let total = body.chars().count();
    let cut_line = |shown: usize| i18n.t_args(locale, "card-cut", &[("shown", count(shown)), ("total", count(total))]);
    let frame = utf16_len(&shown_links) + 2;
    if utf16_len(body) + frame <= BODY_BUDGET {
        return CardBody { text: format!("{body}{}{shown_links}", gap(body, &shown_links)), cut: links_cut };
    }
    // Measured with the widest number the line can hold, so the real line is never longer.
    let room = BODY_BUDGET.saturating_sub(frame + utf16_len(&cut_line(total)) + "…\n\n".len());
    let shown_body = prefix_utf16(body, room);
    let cut = cut_line(shown_body.chars().count());
    CardBody { text: format!("{shown_body}…\n\n{cut}{}{shown_links}", gap(&cut, &shown_links)), cut: true }
}

/// Whether a post's card leaves part of its text or of its links out: it is then approved only
/// after "Show all" (or from the console).
pub fn card_is_cut(i18n: &I18n, locale: &str, post: &PostRecord) -> bool {
    card_body(i18n, locale, post).cut
}

/// The whole text of a post and all its link targets, in messages within Telegram's limit,
/// for "Show all" (plain text, like the card).
pub fn whole_text(i18n: &I18n, locale: &str, post: &PostRecord) -> Vec<String> {
    let total = num(i64::try_from(post.body.chars().count()).unwrap_or(i64::MAX));
    let mut whole = i18n.t_args(locale, "card-whole", &[("id", num(post.id.0)), ("total", total)]);
    for part in [post.body.clone(), link_lines(i18n, locale, post).join("\n")] {
        if !part.is_empty() {
            whole.push_str("\n\n");
            whole.push_str(&part);
        }
    }
    let mut rest = whole.as_str();
    let mut messages = Vec::new();
    while !rest.is_empty() {
        let piece = prefix_utf16(rest, MAX_TEXT);
        messages.push(piece.to_owned());
        rest = &rest[piece.len()..];
    }
    messages
}

fn button(i18n: &I18n, locale: &str, key: &str, action: &Action) -> InlineKeyboardButton {
    InlineKeyboardButton::callback(i18n.t(locale, key), action.encode())
}

/// The buttons a card shows in its current state (none once decided for good). A pending
/// card's buttons name the version it shows; a cut card has "Show all" in place of "Approve".
pub fn card_keyboard(i18n: &I18n, locale: &str, post: &PostRecord) -> InlineKeyboardMarkup {
    review_keyboard(i18n, locale, post, View::Card)
}

/// [`card_keyboard`], or after the whole text was shown ([`View::Whole`]) with "Approve" even
/// on a cut card.
pub fn review_keyboard(i18n: &I18n, locale: &str, post: &PostRecord, view: View) -> InlineKeyboardMarkup {
    let id = post.id;
    match post.status {
        // Asked for changes, the post can still be decided (the answer may come another way).
        PostStatus::Pending | PostStatus::ChangesRequested => {
            let version = post.content_version();
            let first = if view == View::Card && card_is_cut(i18n, locale, post) {
                button(i18n, locale, "button-show-all", &Action::ShowAll(id, version.clone()))
            } else {
                button(i18n, locale, "button-approve", &Action::Approve(id, version.clone(), view))
            };
            InlineKeyboardMarkup::new(vec![
                vec![first, button(i18n, locale, "button-reject", &Action::RejectMenu(id, version, view))],
                vec![
                    button(i18n, locale, "button-ban", &Action::Ban(id)),
                    button(i18n, locale, "button-ask-changes", &Action::AskChanges(id)),
                ],
            ])
        }
        PostStatus::PublishFailed => {
            InlineKeyboardMarkup::new(vec![vec![button(i18n, locale, "button-retry", &Action::RetryPublish(id))]])
        }
        // Waiting for its time (once queued, the buttons only answer that it is too late).
        PostStatus::Approved => {
            let undo = vec![button(i18n, locale, "button-undo", &Action::Undo(id))];
            match post.scheduled_at {
                Some(at) => InlineKeyboardMarkup::new(vec![
                    vec![
                        button(i18n, locale, "button-publish-now", &Action::PublishNow(id, at.timestamp())),
                        button(i18n, locale, "button-unschedule", &Action::Unschedule(id, at.timestamp())),
                    ],
                    undo,
                ]),
                None if post.parked => InlineKeyboardMarkup::new(vec![
                    vec![button(i18n, locale, "button-next-slot", &Action::NextSlot(id))],
                    undo,
                ]),
                None => InlineKeyboardMarkup::new(Vec::<Vec<InlineKeyboardButton>>::new()),
            }
        }
        // A rejection can be taken back by who made it (see `moderation::undo`).
        PostStatus::Rejected => {
            InlineKeyboardMarkup::new(vec![vec![button(i18n, locale, "button-undo", &Action::Undo(id))]])
        }
        PostStatus::Published => InlineKeyboardMarkup::new(Vec::<Vec<InlineKeyboardButton>>::new()),
    }
}

/// The reason templates, one per row, and a way back to the buttons of the same version.
pub fn reasons_keyboard(i18n: &I18n, locale: &str, post: &PostRecord, view: View) -> InlineKeyboardMarkup {
    let mut rows: Vec<Vec<InlineKeyboardButton>> = RejectReason::TEMPLATES
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let label = i18n.t(locale, &format!("reject-reason-{name}"));
            vec![InlineKeyboardButton::callback(label, Action::Reject(post.id, i).encode())]
        })
        .collect();
    rows.push(vec![button(i18n, locale, "button-back", &Action::Back(post.id, post.content_version(), view))]);
    InlineKeyboardMarkup::new(rows)
}

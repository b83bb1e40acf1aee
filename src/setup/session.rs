//! The setup-only bot: while the setup screen (or `postgate setup`) waits, it polls Telegram
//! for `/setup CODE` in a group and for channels the bot is added to, and nothing else. It
//! answers in the group, records what it found, and confirms every update it read when stopped,
//! so the real bot never sees the setup's messages.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use serde::Serialize;
use teloxide::prelude::Requester;
use teloxide::types::{AllowedUpdate, ChatMemberKind, ChatMemberUpdated, Message, Update, UpdateKind, User};
use teloxide::{Bot, payloads::GetUpdatesSetters};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::code::{CodeCheck, SetupCode};
use super::{BotIdentity, SetupError, bot_for};
use crate::config::{Endpoint, Secret};
use crate::i18n::I18n;

/// Notices kept for the screen (oldest dropped).
const NOTICES_KEPT: usize = 20;
/// Pause after a failed poll before the next one.
const RETRY_AFTER: Duration = Duration::from_secs(2);
/// Telegram's id of the "Group" sender an anonymous administrator writes as.
const ANONYMOUS_ADMIN_BOT: u64 = 1_087_968_824;

/// Who sent the code: offered as the console's moderator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Moderator {
    pub id: i64,
    pub name: String,
    pub username: Option<String>,
}

/// The moderation group the code arrived from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupFound {
    pub id: i64,
    pub title: String,
    /// `None` when the code came from an anonymous administrator.
    pub moderator: Option<Moderator>,
}

/// A channel the bot was added to while the setup ran.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChannelSeen {
    pub id: i64,
    pub title: String,
    pub username: Option<String>,
    /// Whether the bot was made an administrator allowed to post.
    pub can_post: bool,
}

/// Something the moderator should know, in the order it happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Notice {
    /// A wrong code was sent in a group.
    WrongCode { seq: u64, chat: String },
    /// The code had expired (or was used up by wrong guesses); a new one is shown.
    ExpiredCode { seq: u64, chat: String },
    /// `/setup` in a private chat: it belongs in the group.
    PrivateChat { seq: u64 },
    /// `/setup` posted in a channel: it belongs in the group.
    InChannel { seq: u64, chat: String },
    /// The group became a supergroup: its id changed and was followed.
    Migrated { seq: u64, from: i64, to: i64 },
    /// The code came from an anonymous administrator: no moderator can be offered.
    AnonymousSender { seq: u64 },
    /// The bot was removed from the group found before.
    GroupLeft { seq: u64, chat: String },
    /// Polling failed (shown until a poll succeeds again).
    Polling { seq: u64, error: String },
}

impl Notice {
    /// Its place in the order notices happened (1, 2, …).
    pub fn seq(&self) -> u64 {
        match self {
            Self::WrongCode { seq, .. }
            | Self::ExpiredCode { seq, .. }
            | Self::PrivateChat { seq }
            | Self::InChannel { seq, .. }
            | Self::Migrated { seq, .. }
            | Self::AnonymousSender { seq }
            | Self::GroupLeft { seq, .. }
            | Self::Polling { seq, .. } => *seq,
        }
    }
}

/// Everything the screen shows.
#[derive(Debug, Clone, Serialize)]
pub struct Progress {
    pub bot: BotIdentity,
    pub code: String,
    pub code_expires_in_secs: u64,
    pub group: Option<GroupFound>,
    pub channels: Vec<ChannelSeen>,
    pub notices: Vec<Notice>,
    /// The last polling error, while it lasts.
    pub polling_error: Option<String>,
}

struct Shared {
    code: SetupCode,
    group: Option<GroupFound>,
    channels: Vec<ChannelSeen>,
    notices: Vec<Notice>,
    seq: u64,
    polling_error: Option<String>,
}

impl Shared {
    fn notice(&mut self, make: impl FnOnce(u64) -> Notice) {
        self.seq += 1;
        self.notices.push(make(self.seq));
        if self.notices.len() > NOTICES_KEPT {
            self.notices.remove(0);
        }
    }
}

/// A running setup-only bot. Cheap to clone; [`SetupSession::stop`] ends it.
#[derive(Clone)]
pub struct SetupSession {
    bot: Bot,
    identity: BotIdentity,
    token: Secret,
    shared: Arc<Mutex<Shared>>,
    changed: watch::Sender<u64>,
    cancel: CancellationToken,
    task: Arc<Mutex<Option<JoinHandle<i32>>>>,
}

impl SetupSession {
    /// Starts polling with a verified token; the code is fresh.
    pub fn start(endpoint: &Endpoint, token: Secret, identity: BotIdentity, i18n: I18n) -> Result<Self, SetupError> {
        let bot = bot_for(endpoint, &token)?;
        let shared = Shared {
            code: SetupCode::generate(Instant::now()),
            group: None,
            channels: Vec::new(),
            notices: Vec::new(),
            seq: 0,
            polling_error: None,
        };
        let (changed, _) = watch::channel(0);
        let session = Self {
            bot,
            identity,
            token,
            shared: Arc::new(Mutex::new(shared)),
            changed,
            cancel: CancellationToken::new(),
            task: Arc::new(Mutex::new(None)),
        };
        let poll_secs = u32::try_from(
            (endpoint.request_timeout / 2).clamp(Duration::from_secs(1), Duration::from_secs(25)).as_secs(),
        )
        .unwrap_or(10);
        let task = tokio::spawn(poll(session.clone(), i18n, poll_secs));
        *lock(&session.task) = Some(task);
        Ok(session)
    }

    pub fn identity(&self) -> &BotIdentity {
        &self.identity
    }

    pub fn token(&self) -> &Secret {
        &self.token
    }

    pub fn bot(&self) -> &Bot {
        &self.bot
    }

    /// Wakes on every change of [`SetupSession::progress`].
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }

    /// What was found so far. An expired code is replaced here, so the screen always shows one
    /// that works.
    pub fn progress(&self) -> Progress {
        let now = Instant::now();
        let mut shared = lock(&self.shared);
        if shared.code.is_expired(now) {
            shared.code = SetupCode::generate(now);
        }
        Progress {
            bot: self.identity.clone(),
            code: shared.code.digits().to_owned(),
            code_expires_in_secs: shared.code.remaining(now).as_secs(),
            group: shared.group.clone(),
            channels: shared.channels.clone(),
            notices: shared.notices.clone(),
            polling_error: shared.polling_error.clone(),
        }
    }

    /// Replaces the code (the screen's "new code").
    pub fn new_code(&self) {
        lock(&self.shared).code = SetupCode::generate(Instant::now());
        self.bump();
    }

    /// Stops polling and confirms the updates read, so the real bot starts after them.
    pub async fn stop(&self) {
        self.cancel.cancel();
        let task = lock(&self.task).take();
        let Some(task) = task else { return };
        let Ok(offset) = task.await else { return };
        if offset > 0 {
            let confirm = self.bot.get_updates().offset(offset).timeout(0).limit(1);
            if let Err(e) = tokio::time::timeout(Duration::from_secs(5), confirm).await.unwrap_or(Ok(Vec::new())) {
                tracing::warn!(error = %e, "setup: could not confirm the updates read; the bot may see them once");
            }
        }
    }

    fn bump(&self) {
        self.changed.send_modify(|n| *n += 1);
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The poll loop; returns the offset that confirms everything it read.
async fn poll(session: SetupSession, i18n: I18n, poll_secs: u32) -> i32 {
    let mut offset = 0;
    let allowed = [AllowedUpdate::Message, AllowedUpdate::ChannelPost, AllowedUpdate::MyChatMember];
    loop {
        let request = session.bot.get_updates().offset(offset).timeout(poll_secs).allowed_updates(allowed);
        let result = tokio::select! {
            () = session.cancel.cancelled() => return offset,
            r = request => r,
        };
        match result {
            Ok(updates) => {
                if lock(&session.shared).polling_error.take().is_some() {
                    session.bump();
                }
                for update in updates {
                    offset = offset.max(i32::try_from(update.id.0).unwrap_or(i32::MAX).saturating_add(1));
                    handle(&session, &i18n, update).await;
                }
            }
            Err(e) => {
                let error = SetupError::from_request(e, &session.bot.api_url()).to_string();
                tracing::warn!(error = %error, "setup: polling Telegram failed; retrying");
                {
                    let mut shared = lock(&session.shared);
                    if shared.polling_error.as_deref() != Some(error.as_str()) {
                        shared.notice(|seq| Notice::Polling { seq, error: error.clone() });
                        shared.polling_error = Some(error);
                    }
                }
                session.bump();
                tokio::select! {
                    () = session.cancel.cancelled() => return offset,
                    () = tokio::time::sleep(RETRY_AFTER) => {}
                }
            }
        }
    }
}

async fn handle(session: &SetupSession, i18n: &I18n, update: Update) {
    match update.kind {
        UpdateKind::Message(message) => on_message(session, i18n, &message).await,
        UpdateKind::ChannelPost(post) if setup_argument(post.text(), &session.identity.username).is_some() => {
            let chat = post.chat.title().unwrap_or_default().to_owned();
            lock(&session.shared).notice(|seq| Notice::InChannel { seq, chat });
            session.bump();
        }
        UpdateKind::MyChatMember(change) => on_membership(session, &change),
        _ => {}
    }
}

/// The code after `/setup` or `/setup@thisbot` (empty when none was given).
fn setup_argument<'a>(text: Option<&'a str>, bot_username: &str) -> Option<&'a str> {
    let text = text?.trim_start();
    let (command, rest) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
    let target = command.strip_prefix("/setup")?;
    let ours =
        target.is_empty() || target.strip_prefix('@').is_some_and(|name| name.eq_ignore_ascii_case(bot_username));
    ours.then(|| rest.trim())
}

async fn on_message(session: &SetupSession, i18n: &I18n, message: &Message) {
    if let Some(to) = message.migrate_to_chat_id() {
        follow_migration(session, message.chat.id.0, to.0);
        return;
    }
    if let Some(from) = message.migrate_from_chat_id() {
        follow_migration(session, from.0, message.chat.id.0);
        return;
    }
    let Some(code) = setup_argument(message.text(), &session.identity.username) else { return };
    let sender = message.from.as_ref();
    let locale = i18n.negotiate(sender.and_then(|u| u.language_code.as_deref()));
    let chat = message.chat.title().unwrap_or_default().to_owned();
    let reply_key = if message.chat.is_private() {
        lock(&session.shared).notice(|seq| Notice::PrivateChat { seq });
        "setup-in-private-chat"
    } else if !(message.chat.is_group() || message.chat.is_supergroup()) {
        return;
    } else if code.is_empty() {
        "setup-code-missing"
    } else {
        let mut shared = lock(&session.shared);
        match shared.code.check(code, Instant::now()) {
            CodeCheck::Accepted => {
                let moderator = sender.filter(|u| !is_anonymous(u, message)).map(moderator_of);
                if moderator.is_none() {
                    shared.notice(|seq| Notice::AnonymousSender { seq });
                }
                shared.group = Some(GroupFound { id: message.chat.id.0, title: chat, moderator });
                "setup-group-accepted"
            }
            CodeCheck::Wrong => {
                shared.notice(|seq| Notice::WrongCode { seq, chat });
                "setup-code-wrong"
            }
            CodeCheck::Expired => {
                shared.notice(|seq| Notice::ExpiredCode { seq, chat });
                shared.code = SetupCode::generate(Instant::now());
                "setup-code-expired"
            }
        }
    };
    session.bump();
    let text = i18n.t(locale, reply_key);
    if let Err(e) = session.bot.send_message(message.chat.id, text).await {
        tracing::warn!(error = %e, chat_id = message.chat.id.0, "setup: could not answer in the chat");
    }
}

fn is_anonymous(user: &User, message: &Message) -> bool {
    user.id.0 == ANONYMOUS_ADMIN_BOT || message.sender_chat.as_ref().is_some_and(|c| c.id == message.chat.id)
}

fn moderator_of(user: &User) -> Moderator {
    Moderator {
        id: i64::try_from(user.id.0).unwrap_or_default(),
        name: user.full_name(),
        username: user.username.clone(),
    }
}

/// A basic group that became a supergroup has a new id; the group found follows it.
fn follow_migration(session: &SetupSession, from: i64, to: i64) {
    let mut shared = lock(&session.shared);
    let Some(group) = shared.group.as_mut().filter(|g| g.id == from) else { return };
    group.id = to;
    shared.notice(|seq| Notice::Migrated { seq, from, to });
    drop(shared);
    session.bump();
}

fn on_membership(session: &SetupSession, change: &ChatMemberUpdated) {
    let chat = &change.chat;
    let present = change.new_chat_member.is_present();
    let mut shared = lock(&session.shared);
    if chat.is_channel() {
        shared.channels.retain(|c| c.id != chat.id.0);
        if present {
            let can_post = matches!(&change.new_chat_member.kind, ChatMemberKind::Administrator(a) if a.can_post_messages)
                || matches!(change.new_chat_member.kind, ChatMemberKind::Owner(_));
            shared.channels.push(ChannelSeen {
                id: chat.id.0,
                title: chat.title().unwrap_or_default().to_owned(),
                username: chat.username().map(str::to_owned),
                can_post,
            });
        }
    } else if !present && shared.group.as_ref().is_some_and(|g| g.id == chat.id.0) {
        let title = shared.group.take().map(|g| g.title).unwrap_or_default();
        shared.notice(|seq| Notice::GroupLeft { seq, chat: title });
    } else {
        return;
    }
    drop(shared);
    session.bump();
}

#[cfg(test)]
mod tests {
    use super::setup_argument;

    #[test]
    fn the_code_follows_setup_or_setup_at_this_bot() {
        assert_eq!(setup_argument(Some("/setup 123456"), "pg_bot"), Some("123456"));
        assert_eq!(setup_argument(Some("/setup@PG_bot  123 456 "), "pg_bot"), Some("123 456"));
        assert_eq!(setup_argument(Some("/setup"), "pg_bot"), Some(""));
        assert_eq!(setup_argument(Some("/setup@other_bot 123456"), "pg_bot"), None);
        assert_eq!(setup_argument(Some("/setupx 1"), "pg_bot"), None);
        assert_eq!(setup_argument(Some("hello"), "pg_bot"), None);
        assert_eq!(setup_argument(None, "pg_bot"), None);
    }
}

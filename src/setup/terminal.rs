//! `postgate setup`: the setup screen's steps in a terminal. The token is read with the echo
//! off when the input is a terminal; the code to send, the notices and the channels the bot is
//! added to are printed as they come; the answers are merged into a `.env` (0600).

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::{Command, Stdio};

use tokio::io::{AsyncBufReadExt, BufReader, Lines, Stdin};

use super::session::{Notice, Progress};
use super::{SetupError, SetupOutcome, SetupSession, check_channel, outcome, token};
use crate::config::Endpoint;
use crate::i18n::I18n;

/// Why the terminal setup stopped without saving.
#[derive(Debug, thiserror::Error)]
pub enum TerminalError {
    #[error("the input ended before the setup was finished; nothing was saved")]
    InputClosed,
    #[error("cannot read the input: {0}")]
    Input(#[from] std::io::Error),
    #[error("{0}")]
    Setup(#[from] SetupError),
    #[error("cannot write {path}: {source}")]
    Save { path: String, source: std::io::Error },
}

type Input = Lines<BufReader<Stdin>>;

/// Runs the three steps and writes `out`.
pub async fn run(endpoint: &Endpoint, i18n: I18n, out: &Path) -> Result<(), TerminalError> {
    let mut input = BufReader::new(tokio::io::stdin()).lines();
    let (token, identity) = ask_token(endpoint, &mut input).await?;
    println!("✓ The bot: {} (@{})", identity.name, identity.username);
    let session = SetupSession::start(endpoint, token, identity, i18n)?;
    let result = steps(&session, &mut input, out).await;
    session.stop().await;
    result
}

async fn steps(session: &SetupSession, input: &mut Input, out: &Path) -> Result<(), TerminalError> {
    let mut printed = Printed::default();
    let group = wait_for_group(session, &mut printed).await;
    let moderator = group.moderator.clone();
    match &moderator {
        Some(m) => println!(
            "✓ Moderation group: {} ({}); the console's moderator: {} ({})",
            group.title, group.id, m.name, m.id
        ),
        None => println!("✓ Moderation group: {} ({})", group.title, group.id),
    }
    let channel = ask_channel(session, input, &mut printed).await?;
    println!("✓ Channel: {} ({})", channel.title, channel.reference());
    // The group id as it is now: a migration to a supergroup may have followed the code.
    let group_id = session.progress().group.map_or(group.id, |g| g.id);
    let outcome = SetupOutcome { token: session.token().clone(), group_id, channel, moderator };
    outcome::write_env(out, &outcome.variables())
        .map_err(|source| TerminalError::Save { path: out.display().to_string(), source })?;
    println!("Saved to {} (readable by you only). Start the bot with: postgate serve", out.display());
    Ok(())
}

async fn read_line(input: &mut Input) -> Result<String, TerminalError> {
    input.next_line().await?.ok_or(TerminalError::InputClosed)
}

async fn ask_token(
    endpoint: &Endpoint,
    input: &mut Input,
) -> Result<(crate::config::Secret, super::BotIdentity), TerminalError> {
    let hide = std::io::stdin().is_terminal();
    loop {
        print!("Bot token from @BotFather{}: ", if hide { " (the input is hidden)" } else { "" });
        let _ = std::io::stdout().flush();
        if hide {
            stty("-echo");
        }
        let line = read_line(input).await;
        if hide {
            stty("echo");
            println!();
        }
        let token = match token::parse_token(&line?) {
            Ok(t) => t,
            Err(e) => {
                println!("✗ {e}");
                continue;
            }
        };
        match token::verify_token(endpoint, &token).await {
            Ok(identity) => return Ok((token, identity)),
            Err(e) => println!("✗ {e}"),
        }
    }
}

/// Turns the terminal's echo off or on (`stty` on the inherited terminal).
fn stty(mode: &str) {
    let _ = Command::new("stty").arg(mode).stdin(Stdio::inherit()).status();
}

/// Prints the code and every notice until a group sent it.
async fn wait_for_group(session: &SetupSession, printed: &mut Printed) -> super::GroupFound {
    let mut changes = session.subscribe();
    loop {
        let progress = session.progress();
        printed.notices(&progress);
        printed.code(&progress);
        if let Some(group) = progress.group {
            return group;
        }
        if changes.changed().await.is_err() {
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        }
    }
}

async fn ask_channel(
    session: &SetupSession,
    input: &mut Input,
    printed: &mut Printed,
) -> Result<super::ChannelChecked, TerminalError> {
    let bot = &session.progress().bot;
    println!(
        "Add @{} to your channel as an administrator with “Post messages”. The channels it is added to are listed here: type the number of one, or the channel's public @username.",
        bot.username
    );
    let mut changes = session.subscribe();
    let mut listed = 0;
    loop {
        let progress = session.progress();
        printed.notices(&progress);
        for (i, c) in progress.channels.iter().enumerate().skip(listed) {
            let right = if c.can_post { "" } else { " — cannot post yet" };
            let name = c.username.as_ref().map(|u| format!(" @{u}")).unwrap_or_default();
            println!("  {}. {}{name}{right}", i + 1, c.title);
        }
        listed = listed.max(progress.channels.len());
        tokio::select! {
            r = changes.changed() => { if r.is_err() { listed = 0; } }
            line = read_line(input) => {
                let line = line?;
                let line = line.trim();
                if line.is_empty() { continue; }
                let raw = match line.parse::<usize>() {
                    Ok(n) if (1..=progress.channels.len()).contains(&n) => progress.channels[n - 1].id.to_string(),
                    _ => line.to_owned(),
                };
                match check_channel(session.bot(), bot.id, &raw).await {
                    Ok(channel) => return Ok(channel),
                    Err(e) => println!("✗ {e}"),
                }
            }
        }
    }
}

/// What was already printed, so each code and notice is printed once.
#[derive(Default)]
struct Printed {
    code: String,
    seq: u64,
}

impl Printed {
    fn notices(&mut self, progress: &Progress) {
        for notice in &progress.notices {
            if notice.seq() > self.seq {
                self.seq = notice.seq();
                println!("! {}", describe(notice));
            }
        }
    }

    fn code(&mut self, progress: &Progress) {
        if progress.code != self.code {
            self.code.clone_from(&progress.code);
            println!(
                "Add @{} to your moderation group, then send this message there (valid {} minutes):\n\n    /setup {}\n",
                progress.bot.username,
                progress.code_expires_in_secs.div_ceil(60),
                progress.code
            );
        }
    }
}

/// A notice in words.
pub fn describe(notice: &Notice) -> String {
    match notice {
        Notice::WrongCode { chat, .. } => format!("a wrong code was sent in “{chat}”: check the digits"),
        Notice::ExpiredCode { chat, .. } => format!("the code sent in “{chat}” had expired: send the new one"),
        Notice::PrivateChat { .. } => "/setup was sent in a private chat with the bot: send it in the moderation group".to_owned(),
        Notice::InChannel { chat, .. } => format!("/setup was posted in the channel “{chat}”: send it in the moderation group"),
        Notice::Migrated { from, to, .. } => format!("the group became a supergroup: its id changed from {from} to {to}, followed"),
        Notice::AnonymousSender { .. } => {
            "the code came from an anonymous administrator: the group is set; send /setup CODE again from your own account to be the console's moderator".to_owned()
        }
        Notice::GroupLeft { chat, .. } => format!("the bot was removed from “{chat}”: add it again and send the code"),
        Notice::Polling { error, .. } => format!("polling Telegram failed: {error}"),
    }
}

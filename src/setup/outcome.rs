//! What a finished setup produces: the bot's variables, saved to the console's settings file or,
//! by `postgate setup`, merged into a `.env` (other lines kept, the file 0600, written atomically).

use std::io;
use std::path::Path;

use super::channel::ChannelChecked;
use super::session::Moderator;
use crate::config::Secret;
use crate::private_fs;

/// The answers of a finished setup.
#[derive(Debug, Clone)]
pub struct SetupOutcome {
    pub token: Secret,
    pub group_id: i64,
    pub channel: ChannelChecked,
    /// The console's moderator, when the moderator accepted the one offered.
    pub moderator: Option<Moderator>,
}

impl SetupOutcome {
    /// The variables to save, in `.env` order.
    pub fn variables(&self) -> Vec<(&'static str, String)> {
        let mut vars = vec![
            ("BOT_TOKEN", self.token.expose().to_owned()),
            ("MODERATION_GROUP_ID", self.group_id.to_string()),
            ("CHANNEL_ID", self.channel.reference()),
        ];
        if let Some(m) = &self.moderator {
            vars.push(("CONSOLE_MODERATOR_ID", m.id.to_string()));
            vars.push(("CONSOLE_MODERATOR_NAME", m.name.clone()));
        }
        vars
    }
}

/// Sets `variables` in the `.env` at `path`: a line `KEY=…` already there is replaced in place,
/// the others are appended; comments and every other line stay as they were.
pub fn write_env(path: &Path, variables: &[(&'static str, String)]) -> io::Result<()> {
    let existing = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(e),
    };
    let mut pending: Vec<&(&str, String)> = variables.iter().collect();
    let mut out = String::with_capacity(existing.len() + 256);
    for line in existing.lines() {
        let key = line
            .trim_start()
            .strip_prefix("export ")
            .unwrap_or(line.trim_start())
            .split('=')
            .next()
            .unwrap_or("")
            .trim();
        if let Some(i) = pending.iter().position(|(k, _)| *k == key) {
            let (k, v) = pending.remove(i);
            out.push_str(&env_line(k, v));
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    if !pending.is_empty() && !existing.is_empty() {
        out.push_str("# written by `postgate setup`\n");
    }
    for (k, v) in pending {
        out.push_str(&env_line(k, v));
        out.push('\n');
    }
    private_fs::write_private_atomic(path, out.as_bytes())
}

/// `KEY=value`, quoted when the value has spaces or quotes (a display name may).
fn env_line(key: &str, value: &str) -> String {
    if value.chars().all(|c| c.is_ascii_alphanumeric() || "-_:@.+/".contains(c)) {
        format!("{key}={value}")
    } else {
        format!("{key}=\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', " "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn existing_lines_are_kept_and_ours_replaced_or_added() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".env");
        std::fs::write(&path, "# mine\nLOG_LEVEL=debug\nBOT_TOKEN=1:old\n").unwrap();
        let vars = [("BOT_TOKEN", "2:new".to_owned()), ("CONSOLE_MODERATOR_NAME", "Анна \"Ann\" Lee".to_owned())];
        write_env(&path, &vars).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            text,
            "# mine\nLOG_LEVEL=debug\nBOT_TOKEN=2:new\n# written by `postgate setup`\nCONSOLE_MODERATOR_NAME=\"Анна \\\"Ann\\\" Lee\"\n"
        );
        // dotenvy reads back what was written.
        let read: Vec<(String, String)> = dotenvy::from_path_iter(&path).unwrap().map(Result::unwrap).collect();
        assert!(read.contains(&("CONSOLE_MODERATOR_NAME".to_owned(), "Анна \"Ann\" Lee".to_owned())), "{read:?}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
    }
}

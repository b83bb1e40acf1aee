//! The console's settings file: a JSON object of the same variables `.env` holds
//! (`{"BOT_TOKEN": "...", ...}`), kept in the app config directory. At start it overlays the
//! environment (the file wins), so what the Settings screen saved is what the app runs with.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use postgate::config::{Config, ConfigError};
use postgate::private_fs;

/// The app's identifier (as in `tauri.conf.json`): the config directory's name.
pub const APP_ID: &str = "app.postgate.console";
/// Overrides where the settings file lives (tests, portable setups).
pub const PATH_VAR: &str = "POSTGATE_SETTINGS_FILE";

/// Variable name → value.
pub type Overlay = BTreeMap<String, String>;

/// Where the settings file is: `$POSTGATE_SETTINGS_FILE`, else
/// `$XDG_CONFIG_HOME/app.postgate.console/settings.json` (Tauri's app config directory).
pub fn default_path() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(PATH_VAR).filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path));
    }
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".config")))?;
    Some(base.join(APP_ID).join("settings.json"))
}

/// Where the desktop app logs when `LOG_DIR` is not set: `$XDG_STATE_HOME/app.postgate.console/logs`
/// (else `~/.local/state/...`), not a `logs` folder in whatever directory it was started from.
pub fn default_log_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_STATE_HOME")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".local/state")))?;
    Some(base.join(APP_ID).join("logs"))
}

/// Reads the file; a missing file is an empty overlay.
pub fn load(path: &Path) -> io::Result<Overlay> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Overlay::new()),
        Err(e) => Err(e),
    }
}

/// Writes the file atomically and privately (`private_fs::write_private_atomic`: the folder
/// 0700 and ours, the file created 0600, never through a symlink planted at the temporary path).
pub fn save(path: &Path, overlay: &Overlay) -> io::Result<()> {
    let json = serde_json::to_vec_pretty(overlay).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
    private_fs::write_private_atomic(path, &json)
}

/// A variable's value: the overlay first, then the process environment (after `.env`).
pub fn lookup(overlay: &Overlay, var: &str) -> Option<String> {
    overlay.get(var).filter(|v| !v.trim().is_empty()).cloned().or_else(|| std::env::var(var).ok())
}

/// The configuration the overlay and the environment give.
pub fn config(overlay: &Overlay) -> Result<Config, ConfigError> {
    Config::from_lookup(|var| lookup(overlay, var))
}

/// Whether to start the bot with the app (`AUTOSTART_BOT`, default true).
pub fn autostart(overlay: &Overlay) -> bool {
    lookup(overlay, "AUTOSTART_BOT")
        .is_none_or(|v| !matches!(v.trim().to_ascii_lowercase().as_str(), "0" | "false" | "no" | "off"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_missing_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/settings.json");
        assert!(load(&path).unwrap().is_empty());
        let overlay: Overlay = [("CHANNEL_ID".to_owned(), "@news_channel".to_owned())].into();
        save(&path, &overlay).unwrap();
        assert_eq!(load(&path).unwrap(), overlay);
        assert_eq!(lookup(&overlay, "CHANNEL_ID").as_deref(), Some("@news_channel"));
    }

    /// Issue #14 (7): the folder is 0700, the file 0600 from its creation, and a symlink planted
    /// at the temporary path is refused, the file it points to untouched.
    #[cfg(unix)]
    #[test]
    fn the_file_is_private_and_a_planted_symlink_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let root = tempfile::tempdir().unwrap();
        let path = root.path().join("app.postgate.console/settings.json");
        let overlay: Overlay = [("BOT_TOKEN".to_owned(), "1:secret".to_owned())].into();
        save(&path, &overlay).unwrap();
        assert_eq!((mode(path.parent().unwrap()), mode(&path)), (0o700, 0o600));

        std::fs::set_permissions(path.parent().unwrap(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let victim = root.path().join("victim");
        std::fs::write(&victim, b"keep").unwrap();
        std::os::unix::fs::symlink(&victim, path.with_extension("json.tmp")).unwrap();
        let err = save(&path, &overlay).unwrap_err();
        assert!(err.to_string().contains("symbolic link"), "{err}");
        assert_eq!(std::fs::read(&victim).unwrap(), b"keep");
        assert_eq!(mode(path.parent().unwrap()), 0o700, "an existing open folder is tightened");

        std::fs::remove_file(path.with_extension("json.tmp")).unwrap();
        std::fs::write(path.with_extension("json.tmp"), b"stale").unwrap();
        save(&path, &overlay).unwrap();
        assert_eq!(load(&path).unwrap(), overlay, "a stale temporary file from a crash is replaced");
        assert_eq!(mode(&path), 0o600);
    }

    #[test]
    fn autostart_defaults_to_true() {
        assert!(autostart(&Overlay::new()) || std::env::var("AUTOSTART_BOT").is_ok());
        let off: Overlay = [("AUTOSTART_BOT".to_owned(), "false".to_owned())].into();
        assert!(!autostart(&off));
    }
}

//! Tray-app habits from Tauri's official plugins: one console per settings file (a second
//! launch shows the first one's window and exits 0), desktop notifications, start at login
//! (with [`HIDDEN_ARG`]: straight to the tray), and the window's size and position remembered
//! beside the settings file. Registered by `run()` only: tests on the mock runtime go without.

use std::path::{Path, PathBuf};

use tauri::plugin::TauriPlugin;
use tauri::{AppHandle, Builder, Manager, RunEvent, Runtime, WindowEvent};
use tauri_plugin_window_state::StateFlags;

use crate::MAIN_WINDOW;
use crate::notifier::Notifier;
use crate::settings_file::APP_ID;

/// The argument the login entry starts the console with: no window, only the tray.
pub const HIDDEN_ARG: &str = "--hidden";
/// The window-state plugin's file, kept beside the settings file.
pub const WINDOW_STATE_FILE: &str = "window-state.json";

/// The single-instance id: the app id and a hash of the settings file's absolute path. A
/// user's second launch finds the same file, hence the first console; consoles on other
/// settings files (tests, portable setups) are other instances. A D-Bus name element must not
/// start with a digit, hence the `i`.
pub fn instance_id(settings_path: &Path) -> String {
    let path = std::path::absolute(settings_path).unwrap_or_else(|_| settings_path.to_path_buf());
    format!("{APP_ID}.i{:016x}", fnv1a(path.as_os_str().as_encoded_bytes()))
}

/// FNV-1a, 64 bits: stable across builds and Rust versions (unlike `DefaultHasher`), so an
/// upgraded console still finds one started before the upgrade.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, b| (hash ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3))
}

/// Where the window's size and position are kept: beside the settings file.
pub fn window_state_path(settings_path: &Path) -> PathBuf {
    settings_path.with_file_name(WINDOW_STATE_FILE)
}

/// Whether this process was started with [`HIDDEN_ARG`].
pub fn hidden_requested() -> bool {
    std::env::args_os().skip(1).any(|arg| arg == HIDDEN_ARG)
}

/// Opens the main window hidden (the console then starts in the tray). Only for a configured
/// console: before the setup there is no tray to bring the window back from.
pub fn start_hidden<R: Runtime>(context: &mut tauri::Context<R>) {
    for window in &mut context.config_mut().app.windows {
        if window.label == MAIN_WINDOW {
            window.visible = false;
        }
    }
}

/// Adds the plugins. Single-instance comes first: a second launch hands over to the first
/// console while the app is built — before it opens the database the first one holds.
pub fn plugins<R: Runtime>(builder: Builder<R>, settings_path: &Path) -> Builder<R> {
    let single_instance = tauri_plugin_single_instance::Builder::new()
        .dbus_id(instance_id(settings_path))
        .callback(|app, _argv, _cwd| {
            tracing::info!("the console was launched again: showing this one");
            crate::show_console(app);
        })
        .build();
    // An absolute file name: the plugin joins it to the app config directory, which it replaces.
    let window_state = tauri_plugin_window_state::Builder::new()
        .with_filename(window_state_path(settings_path).display().to_string())
        // Not VISIBLE: a console quit from the tray would otherwise start hidden next time.
        .with_state_flags(StateFlags::SIZE | StateFlags::POSITION | StateFlags::MAXIMIZED)
        .build();
    builder
        .plugin(single_instance)
        .plugin(window_state)
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_dialog::init())
        .plugin(save_picker())
        .plugin(tauri_plugin_autostart::Builder::new().arg(HIDDEN_ARG).build())
        .plugin(focus_tracker())
}

/// Manages the system's save dialog as the exports' picker ([`crate::commands::export`]).
fn save_picker<R: Runtime>() -> TauriPlugin<R> {
    tauri::plugin::Builder::new("postgate-save")
        .setup(|app: &AppHandle<R>, _api| {
            let picker: crate::commands::export::Picker =
                std::sync::Arc::new(crate::commands::export::DialogPicker(app.clone()));
            app.manage(picker);
            Ok(())
        })
        .build()
}

/// Tells the notifier when the console window gains or loses the focus.
fn focus_tracker<R: Runtime>() -> TauriPlugin<R> {
    tauri::plugin::Builder::new("postgate-focus")
        .on_event(|app: &AppHandle<R>, event| {
            if let RunEvent::WindowEvent { label, event: WindowEvent::Focused(focused), .. } = event
                && label == MAIN_WINDOW
                && let Some(notifier) = app.try_state::<Notifier>()
            {
                notifier.focus(*focused);
            }
        })
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_instance_id_is_a_valid_bus_name_scoped_by_the_settings_file() {
        let a = instance_id(Path::new("/home/anna/.config/app.postgate.console/settings.json"));
        assert_eq!(a, instance_id(Path::new("/home/anna/.config/app.postgate.console/settings.json")));
        assert_ne!(a, instance_id(Path::new("/tmp/test-1/settings.json")));
        assert!(a.starts_with("app.postgate.console.i"), "{a}");
        let name = format!("{a}.SingleInstance");
        assert!(name.len() <= 255);
        for element in name.split('.') {
            assert!(!element.is_empty() && !element.starts_with(|c: char| c.is_ascii_digit()), "{name}");
            assert!(element.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'), "{name}");
        }
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c, "the published FNV-1a value: stable across builds");
    }

    #[test]
    fn the_window_state_lives_beside_the_settings_file() {
        assert_eq!(window_state_path(Path::new("/x/settings.json")), Path::new("/x/window-state.json"));
    }
}

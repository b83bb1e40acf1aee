//! The console's IPC commands, one file per area, each a thin wrapper over the core that
//! returns `Result<T, CommandError>` (see `docs/console-commands.md`).

pub mod autostart;
pub mod backups;
pub mod bot;
pub mod conversation;
pub mod export;
pub mod moderation;
pub mod options;
pub mod queue;
pub mod schedule;
pub mod settings;
pub mod setup;
pub mod stats;
pub mod texts;

/// Every command the UI may call, in the order of the contract. `build.rs` generates one
/// `allow-<command>` permission per entry; `capabilities/default.json` grants exactly these.
pub const ALL: &[&str] = &[
    "queue_list",
    "queue_stats",
    "post_detail",
    "post_claim",
    "post_release",
    "post_undo",
    "post_approve",
    "post_reject",
    "post_retry",
    "post_retry_card",
    "bulk_decide",
    "author_ban",
    "author_unban",
    "audit_log",
    "bot_status",
    "bot_start",
    "bot_stop",
    "database_health",
    "ui_texts",
    "settings_get",
    "settings_save",
    "settings_test",
    "setup_status",
    "setup_token",
    "setup_new_code",
    "setup_channel",
    "setup_finish",
    "setup_cancel",
    "autostart_get",
    "autostart_set",
    "schedule_calendar",
    "schedule_move",
    "backup_status",
    "stats_view",
    // Author options and the preview as published (issue #16 items 7–8).
    "post_preview",
    "post_set_signed",
    // Conversation with the author (issue #17 part 1).
    "post_request_changes",
    "post_message_author",
    "post_thread",
    // Exports from the console (issue #19).
    "export_csv",
];

/// The handler for every command in [`ALL`].
pub fn handler<R: tauri::Runtime>() -> impl Fn(tauri::ipc::Invoke<R>) -> bool + Send + Sync + 'static {
    tauri::generate_handler![
        queue::queue_list,
        queue::queue_stats,
        queue::post_detail,
        moderation::post_claim,
        moderation::post_release,
        moderation::post_undo,
        moderation::post_approve,
        moderation::post_reject,
        moderation::post_retry,
        moderation::post_retry_card,
        moderation::bulk_decide,
        moderation::author_ban,
        moderation::author_unban,
        queue::audit_log,
        bot::bot_status,
        bot::bot_start,
        bot::bot_stop,
        bot::database_health,
        texts::ui_texts,
        settings::settings_get,
        settings::settings_save,
        settings::settings_test,
        setup::setup_status,
        setup::setup_token,
        setup::setup_new_code,
        setup::setup_channel,
        setup::setup_finish,
        setup::setup_cancel,
        autostart::autostart_get,
        autostart::autostart_set,
        schedule::schedule_calendar,
        schedule::schedule_move,
        backups::backup_status,
        stats::stats_view,
        options::post_preview,
        options::post_set_signed,
        conversation::post_request_changes,
        conversation::post_message_author,
        conversation::post_thread,
        export::export_csv,
    ]
}

#[cfg(test)]
mod tests {
    use super::ALL;

    #[test]
    fn build_script_and_capability_list_exactly_these_commands() {
        let build = include_str!("../../build.rs");
        let capability: serde_json::Value =
            serde_json::from_str(include_str!("../../capabilities/default.json")).unwrap();
        let granted: Vec<&str> =
            capability["permissions"].as_array().unwrap().iter().filter_map(serde_json::Value::as_str).collect();
        for command in ALL {
            assert!(build.contains(&format!("\"{command}\"")), "build.rs does not declare {command}");
            let permission = format!("allow-{}", command.replace('_', "-"));
            assert!(granted.contains(&permission.as_str()), "the capability does not grant {command}");
        }
        let app_permissions = granted.iter().filter(|p| p.starts_with("allow-")).count();
        assert_eq!(app_permissions, ALL.len(), "the capability grants commands the console does not have");
        assert!(granted.iter().all(|p| !p.contains('*')), "no wildcards");
        assert_eq!(capability["windows"], serde_json::json!(["main"]));
    }
}

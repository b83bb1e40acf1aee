//! Tauri's build step: embeds `tauri.conf.json` and the capabilities, and declares the app's
//! commands so each gets an `allow-<command>` permission. With an app manifest, a command
//! that `capabilities/default.json` does not grant is refused.

/// Keep in step with `src/commands/mod.rs` (`ALL`); a test checks they agree.
const COMMANDS: &[&str] = &[
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
    "post_preview",
    "post_set_signed",
    // Conversation with the author (issue #17 part 1).
    "post_request_changes",
    "post_message_author",
    "post_thread",
    // Exports from the console (issue #19).
    "export_csv",
];

fn main() {
    let attributes = tauri_build::Attributes::new().app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(e) = tauri_build::try_build(attributes) {
        println!("cargo::error=tauri build step failed: {e:#}");
        std::process::exit(1);
    }
}

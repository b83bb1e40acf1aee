//! Desktop footprint row: measured only once the Tauri console's release binary exists.

use crate::common::Table;

pub fn run(table: &mut Table) {
    let dir = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into());
    let binary = std::path::Path::new(&dir).join("release").join("postgate-desktop");
    if binary.exists() {
        table.skipped(
            "5 desktop",
            "console window under Xvfb (PSS)",
            "binary exists, but the window measurement is not written yet",
        );
    } else {
        table.skipped("5 desktop", "console window under Xvfb (PSS)", "not measured yet (no release postgate-desktop)");
    }
}

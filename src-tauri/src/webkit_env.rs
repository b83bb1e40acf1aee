//! The `WebKitGTK` / `JavaScriptCore` switches the console window runs with. Both engines read
//! them only from the environment, when they start (the web processes inherit it). Rust 2024
//! makes `std::env::set_var` unsafe and the workspace forbids `unsafe`, so before anything else
//! the app re-executes itself, once, with the missing ones added. A variable already set — by
//! the user, or by the first execution — is left alone, so this cannot loop.
//!
//! Measured by `make bench` (row 5, BENCHMARKS.md) under Xvfb: the console's total PSS went
//! from ≈ 340 MiB to ≈ 231 MiB, and start-up got faster; the last two (2026-12-02) took
//! another ≈ 6 MiB off the window's process.

/// Variable and value. The console draws lists and forms: no video, canvas or 3D.
pub const DEFAULTS: &[(&str, &str)] = &[
    // No GL compositor: without a GPU, Mesa's llvmpipe costs ≈ 90 MiB in the web process.
    ("WEBKIT_DISABLE_COMPOSITING_MODE", "1"),
    // JavaScript interpreted only (no JIT tiers): ≈ 10 MiB less in the web process; the
    // console's scripts are small and event-driven, and start-up does not get slower.
    ("JSC_useJIT", "0"),
    // Without the compositor the DMA-BUF renderer has nothing to show, but it still opens a
    // GBM device in the window's process: ≈ 5 MiB less there.
    ("WEBKIT_DISABLE_DMABUF_RENDERER", "1"),
    // glibc gives each thread that allocates an arena of its own (up to 8 per core) and keeps
    // what each freed; the console's threads (the bot's workers, one per SQLite connection)
    // allocate little and rarely at once: two arenas save ≈ 2–3 MiB.
    ("MALLOC_ARENA_MAX", "2"),
];

/// The defaults `is_set` does not report as set already.
pub fn missing(is_set: impl Fn(&str) -> bool) -> Vec<(&'static str, &'static str)> {
    DEFAULTS.iter().copied().filter(|(var, _)| !is_set(var)).collect()
}

/// Re-executes the running binary with the missing defaults added. Returns only when nothing
/// was missing (`Ok`) or the re-execution failed (`Err`, the app then runs without them).
pub fn apply() -> Result<(), String> {
    let missing = missing(|var| std::env::var_os(var).is_some());
    if missing.is_empty() {
        return Ok(());
    }
    reexec(&missing)
}

#[cfg(unix)]
fn reexec(vars: &[(&str, &str)]) -> Result<(), String> {
    use std::os::unix::process::CommandExt;

    let exe = std::env::current_exe().map_err(|e| format!("cannot locate the running binary: {e}"))?;
    let mut argv = std::env::args_os();
    let name = argv.next().unwrap_or_else(|| exe.clone().into_os_string());
    // `exec` keeps the process id: a supervisor (or WebDriver) still holds the right process.
    let error = std::process::Command::new(&exe).arg0(name).args(argv).envs(vars.iter().copied()).exec();
    Err(format!("cannot re-execute {} with the WebKit settings: {error}", exe.display()))
}

#[cfg(not(unix))]
fn reexec(_vars: &[(&str, &str)]) -> Result<(), String> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_unset_variables_are_added() {
        assert_eq!(missing(|_| false), DEFAULTS.to_vec());
        assert!(missing(|_| true).is_empty(), "nothing to do once all are set: no second re-execution");
        let user_set_jit = missing(|var| var == "JSC_useJIT");
        assert!(!user_set_jit.iter().any(|(var, _)| *var == "JSC_useJIT"), "the user's own value is kept");
        assert_eq!(user_set_jit.len(), DEFAULTS.len() - 1);
    }
}

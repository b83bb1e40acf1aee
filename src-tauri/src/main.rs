//! The desktop console binary; all logic lives in the library. `--version` (or `-V`) answers
//! before anything else, so it works without a display (the package test runs it).

fn main() -> std::process::ExitCode {
    if std::env::args_os().nth(1).is_some_and(|arg| arg == "--version" || arg == "-V") {
        println!("postgate-desktop {}", env!("CARGO_PKG_VERSION"));
        return std::process::ExitCode::SUCCESS;
    }
    postgate_desktop::run()
}

//! The headless `postgate` binary; all logic lives in the library's `cli` module.

fn main() -> std::process::ExitCode {
    postgate::cli::main()
}

//! The desktop console binary; all logic lives in the library.

fn main() -> std::process::ExitCode {
    postgate_desktop::run()
}

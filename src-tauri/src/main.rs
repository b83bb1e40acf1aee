//! The desktop console binary; all logic lives in the library.

fn main() {
    postgate_desktop::run();
}

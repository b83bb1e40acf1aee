//! The headless `postgate` binary; all logic lives in the library's `cli` module.

/// jemalloc gives freed pages back to the system on a timer (its decay), so a long-running
/// `serve` does not keep the pages a burst left behind (BENCHMARKS.md, row 4).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> std::process::ExitCode {
    postgate::cli::main()
}

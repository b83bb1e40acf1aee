#!/usr/bin/env bash
# `make test` after lint: the whole workspace's tests. The desktop console's window tests need
# a display and a session bus, so everything runs inside a virtual X server (xvfb-run) and a
# private D-Bus session (silences the tray's "no bus" warnings). tauri-driver, which the
# WebDriver tests start, is installed with cargo when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf 'test: %s\n' "$*" >&2; }

if ! command -v tauri-driver >/dev/null 2>&1 && [ ! -x "$HOME/.cargo/bin/tauri-driver" ]; then
  say "installing tauri-driver (WebDriver bridge for the console's end-to-end tests)"
  cargo install tauri-driver --locked --version '^2'
fi
export PATH="$HOME/.cargo/bin:$PATH"

if command -v cargo-nextest >/dev/null 2>&1; then
  run=(cargo nextest run --workspace --locked)
else
  run=(cargo test --workspace --locked)
fi
# Build first, outside the virtual display, so a slow cold build is not charged to Xvfb.
"${run[@]}" --no-run
run+=(--no-fail-fast)

wrap=()
if command -v xvfb-run >/dev/null 2>&1; then
  wrap+=(xvfb-run -a -s "-screen 0 1280x800x24 -nolisten tcp")
else
  say "xvfb-run is missing (apt install xvfb): window tests need a display"
fi
command -v dbus-run-session >/dev/null 2>&1 && wrap+=(dbus-run-session --)
# X clients print notices while the virtual display is torn down ("X connection to :N broken",
# "Authorization required…"), after the runner's summary; drop them (and blank lines) so the
# summary stays the last line. pipefail keeps the runner's exit code.
"${wrap[@]}" "${run[@]}" 2>&1 |
  grep --line-buffered -v -E '^(X connection to .* broken.*|Authorization required, but no authorization protocol specified|)$'

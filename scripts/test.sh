#!/usr/bin/env bash
# `make test` after lint: the whole workspace's tests. The desktop console's window tests need
# a display and a session bus, so everything runs inside a virtual X server (xvfb-run) and a
# private D-Bus session (silences the tray's "no bus" warnings). tauri-driver, which the
# WebDriver tests start, is installed with cargo when missing. The UI's JavaScript tests run
# first, with node. The Debian package is built (debug) before the suite, which inspects it.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf 'test: %s\n' "$*" >&2; }

# PostgreSQL and Redis for the suite: the machine's when they answer, else private ones that
# are stopped when this script ends.
# shellcheck source=scripts/test-services.sh
. scripts/test-services.sh
trap stop_private_services EXIT
ensure_test_postgres
ensure_test_redis
say "PostgreSQL for the suite: $(url_masked "$DATABASE_URL"), Redis: $(url_masked "$REDIS_URL")"

if ! command -v tauri-driver >/dev/null 2>&1 && [ ! -x "$HOME/.cargo/bin/tauri-driver" ]; then
  say "installing tauri-driver (WebDriver bridge for the console's end-to-end tests)"
  cargo install tauri-driver --locked --version '^2'
fi
export PATH="$HOME/.cargo/bin:$PATH"

# The console's JavaScript tests (ui/test/*.test.js, plain `node:test`), before the cargo suite
# so the runner's summary stays the last line (CI reads it); a failure stops here. The UI is
# copied beside a `{"type":"module"}` package.json: its files are ES modules, and Node before
# 20.19/22.7 (Debian 12's apt nodejs is 18) reads a bare .js file as CommonJS.
if ! command -v node >/dev/null 2>&1; then
  say "node is missing (scripts/ensure-system.sh installs nodejs): the UI's JavaScript tests need it"; exit 1
fi
js_tmp=$(mktemp -d)
trap 'rm -rf "$js_tmp"; stop_private_services' EXIT
cp -r ui "$js_tmp/ui"
[ -e "$js_tmp/ui/package.json" ] || printf '{"type":"module"}\n' >"$js_tmp/ui/package.json"
say "UI JavaScript tests (node $(node --version))"
if ! node --test "$js_tmp"/ui/test/*.test.js; then
  say "the UI's JavaScript tests failed (node --test ui/test/)"; exit 1
fi

if command -v cargo-nextest >/dev/null 2>&1; then
  run=(cargo nextest run --workspace --locked)
else
  run=(cargo test --workspace --locked)
fi
# Build first, outside the virtual display, so a slow cold build is not charged to Xvfb.
"${run[@]}" --no-run
# The Debian package, for src-tauri/tests/package.rs (which fails without POSTGATE_DEB): a debug
# build, so most of it is the test build's artifacts; the console is compiled again with the
# bundler's features.
say "building the Debian package for the package test (scripts/package.sh --debug)"
deb=$(scripts/package.sh --debug)
export POSTGATE_DEB=$deb
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

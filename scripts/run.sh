#!/usr/bin/env bash
# `make run`: builds and starts PostGate. With a display (DISPLAY or WAYLAND_DISPLAY) it opens
# the desktop console (window + tray, the bot inside it); without one it runs the headless
# bot, `postgate serve`. Nothing to configure first: an unconfigured console opens its setup
# screen, and headless, an unconfigured bot runs `postgate setup` in this terminal (writing
# .env) before serving; without a terminal it says what to run.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}/release"
if [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; then
  cargo build --release --locked -p postgate -p postgate-desktop --bins
  echo "make run: opening the PostGate console (closing the window keeps it in the tray; Quit is in the tray menu)" >&2
  exec "$target/postgate-desktop"
fi
echo "make run: no display (DISPLAY/WAYLAND_DISPLAY unset), so no console window: running the bot headless with \`postgate serve\`" >&2
cargo build --release --locked --bin postgate
if [ ! -f .env ] && [ -z "${BOT_TOKEN:-}" ]; then
  if [ -t 0 ] && [ -t 1 ]; then
    echo "make run: the bot is not set up yet: \`postgate setup\` asks for it here and writes .env" >&2
    "$target/postgate" setup
  else
    echo "make run: the bot is not set up yet: run \`$target/postgate setup\` in a terminal (it writes .env), or copy .env.example to .env and fill it in" >&2
    exit 2
  fi
fi
"$target/postgate" check-config >/dev/null || exit $?
exec "$target/postgate" serve

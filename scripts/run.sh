#!/usr/bin/env bash
# `make run`: builds and starts PostGate. With a display (DISPLAY or WAYLAND_DISPLAY) it opens
# the desktop console (window + tray, the bot inside it); without one it runs the headless
# bot, `postgate serve`. Needs BOT_TOKEN, MODERATION_GROUP_ID and CHANNEL_ID in .env (or the
# environment); says which one is missing otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f .env ] && [ -z "${BOT_TOKEN:-}" ]; then
  echo "make run: no .env here. Copy .env.example to .env and set BOT_TOKEN, MODERATION_GROUP_ID and CHANNEL_ID." >&2
  exit 2
fi
target="${CARGO_TARGET_DIR:-target}/release"
if [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; then
  cargo build --release --locked -p postgate -p postgate-desktop --bins
  "$target/postgate" check-config >/dev/null || exit $?
  echo "make run: opening the PostGate console (closing the window keeps it in the tray; Quit is in the tray menu)" >&2
  exec "$target/postgate-desktop"
fi
echo "make run: no display (DISPLAY/WAYLAND_DISPLAY unset), so no console window: running the bot headless with \`postgate serve\`" >&2
cargo build --release --locked --bin postgate
"$target/postgate" check-config >/dev/null || exit $?
exec "$target/postgate" serve

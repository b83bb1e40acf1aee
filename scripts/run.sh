#!/usr/bin/env bash
# `make run`: builds and starts PostGate. Needs BOT_TOKEN, MODERATION_GROUP_ID and CHANNEL_ID
# in .env (or the environment); says which one is missing otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f .env ] && [ -z "${BOT_TOKEN:-}" ]; then
  echo "make run: no .env here. Copy .env.example to .env and set BOT_TOKEN, MODERATION_GROUP_ID and CHANNEL_ID." >&2
  exit 2
fi
cargo build --release --locked --bin postgate
bin="${CARGO_TARGET_DIR:-target}/release/postgate"
"$bin" check-config >/dev/null || exit $?
exec "$bin" serve

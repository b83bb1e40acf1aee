#!/usr/bin/env bash
# `make package`: builds PostGate's Debian package with the Tauri bundler — the console
# (`postgate-desktop`), the `postgate` command line, the desktop entry and the icons.
# The Tauri CLI comes from npm (`@tauri-apps/cli`, the release line of the `tauri` crate in
# Cargo.lock, a prebuilt binary) into a private prefix, ~/.cache/postgate/tauri-cli.
#   scripts/package.sh          release build (what `make package` ships)
#   scripts/package.sh --debug  debug build (the package test's: faster, reuses debug artifacts)
# Progress goes to stderr; the last line on stdout is the path of the built .deb.
# Only the .deb is built: an AppImage's bundler downloads its tools at build time.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf 'package: %s\n' "$*" >&2; }

profile=release
tauri_flags=()
cargo_flags=(--release)
case "${1:-}" in
  --debug) profile=debug; tauri_flags=(--debug); cargo_flags=() ;;
  "") ;;
  *) say "usage: scripts/package.sh [--debug]"; exit 2 ;;
esac

for cmd in cargo npm node dpkg-deb; do
  command -v "$cmd" >/dev/null 2>&1 || { say "$cmd is missing: run scripts/ensure-system.sh package"; exit 1; }
done

# The target folder is outside the clone (see the Makefile); the bundle config needs it absolute.
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/postgate/target}
mkdir -p "$CARGO_TARGET_DIR"
CARGO_TARGET_DIR=$(cd "$CARGO_TARGET_DIR" && pwd)

# The CLI's minor line follows the tauri crate's (2.12.x crate → @tauri-apps/cli ~2.12).
tauri_crate=$(awk '$0 == "name = \"tauri\"" { getline; gsub(/"/, "", $3); print $3; exit }' Cargo.lock)
[ -n "$tauri_crate" ] || { say "no tauri crate in Cargo.lock"; exit 1; }
line=${tauri_crate%.*}
prefix=$HOME/.cache/postgate/tauri-cli
tauri=$prefix/node_modules/.bin/tauri
if ! "$tauri" --version 2>/dev/null | grep -q "^tauri-cli ${line//./\\.}\."; then
  say "installing the Tauri CLI (@tauri-apps/cli@~$line, for the tauri crate $tauri_crate) into $prefix"
  npm install --prefix "$prefix" --no-audit --no-fund --loglevel=error "@tauri-apps/cli@~$line" >&2
fi
say "$("$tauri" --version)"

started=$SECONDS
say "building the postgate command line ($profile)"
cargo build --locked -p postgate --bin postgate "${cargo_flags[@]}" >&2
cli_bin=$CARGO_TARGET_DIR/$profile/postgate

# Merged over tauri.conf.json for this build only: the CLI binary's path depends on the target
# folder and profile, and the Debian package is named after productName kebab-cased
# ("PostGate" would give "post-gate"; the package and its file are `postgate`).
override=$(mktemp --suffix=.json)
trap 'rm -f "$override"' EXIT
node -e '
  const [bin, out] = process.argv.slice(1);
  const patch = { productName: "postgate", bundle: { linux: { deb: { files: { "/usr/bin/postgate": bin } } } } };
  require("fs").writeFileSync(out, JSON.stringify(patch));
' "$cli_bin" "$override"

say "building the console and bundling the .deb ($profile)"
(cd src-tauri && "$tauri" build "${tauri_flags[@]}" --ci --bundles deb --config "$override" -- --locked) >&2

version=$(node -p 'require("./src-tauri/tauri.conf.json").version')
deb=$CARGO_TARGET_DIR/$profile/bundle/deb/postgate_${version}_$(dpkg --print-architecture).deb
[ -f "$deb" ] || { say "the bundler finished but $deb is missing"; exit 1; }
say "built in $((SECONDS - started)) s: $deb ($(du -h "$deb" | cut -f1))"
printf '%s\n' "$deb"

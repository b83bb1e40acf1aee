#!/usr/bin/env bash
# Makes sure the machine has the system packages PostGate needs for one purpose, installing
# the missing ones with apt (as root, or with sudo), or says exactly what is missing:
#   run    building and running the app: the build tools, and WebKitGTK and the tray library
#          when there is a display. No database server, no Redis: the app keeps its data in
#          an embedded SQLite file and its cache in memory unless told otherwise.
#   test   the whole suite: also a PostgreSQL server and client (the suite tests both storage
#          backends; scripts/test-services.sh uses the machine's server when it answers, else
#          starts a private one), Redis, a virtual display, WebKit's WebDriver, ImageMagick
#          and Node (the UI's JavaScript tests); and what the package test needs (as package).
#   bench  as test, without what only the package test needs.
#   package  building the .deb (scripts/package.sh): the build tools, WebKitGTK and the tray
#          library, Node and npm (the Tauri CLI comes from npm), and desktop-file-utils (the
#          package test validates the desktop entry with it).
# It never starts, stops or reconfigures a system service.
set -euo pipefail
mode=${1:-test}
say() { printf 'ensure-system: %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else return 1; fi
}

need=()
have_cmd() { command -v "$1" >/dev/null 2>&1; }
have_pkg() { dpkg -s "$1" >/dev/null 2>&1; }

have_cmd cc || need+=(build-essential)
have_cmd pkg-config || need+=(pkg-config)
have_pkg libssl-dev || need+=(libssl-dev)
desktop=false
case "$mode" in
  run) { [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; } && desktop=true ;;
  test | bench | package) desktop=true ;;
  *) say "usage: ensure-system.sh run|test|bench|package"; exit 2 ;;
esac
if $desktop; then
  # The desktop console (Tauri): WebKitGTK and the tray library to build it.
  have_pkg libwebkit2gtk-4.1-dev || need+=(libwebkit2gtk-4.1-dev)
  have_pkg libayatana-appindicator3-dev || need+=(libayatana-appindicator3-dev)
fi
if [ "$mode" != run ]; then
  have_cmd node || need+=(nodejs)
fi
if [ "$mode" = test ] || [ "$mode" = package ]; then
  # scripts/package.sh, and the package test that inspects what it builds.
  have_cmd npm || need+=(npm)
  have_cmd dpkg-deb || need+=(dpkg)
  have_cmd desktop-file-validate || need+=(desktop-file-utils)
fi
if [ "$mode" = test ] || [ "$mode" = bench ]; then
  have_cmd psql || need+=(postgresql-client)
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
  have_cmd redis-server || need+=(redis-server)
  have_cmd redis-cli || need+=(redis-tools)
  have_cmd xvfb-run || need+=(xvfb)
  have_cmd xauth || need+=(xauth)
  have_cmd dbus-run-session || need+=(dbus)
  have_cmd WebKitWebDriver || need+=(webkit2gtk-driver)
  [ -x /usr/bin/convert ] || need+=(imagemagick)
fi

if [ ${#need[@]} -gt 0 ]; then
  if ! have_cmd apt-get; then
    say "missing system packages: ${need[*]} (no apt-get here: install them with your package manager)"; exit 1
  fi
  if [ "$(id -u)" != 0 ] && ! have_cmd sudo; then
    say "missing system packages: ${need[*]} — install them as root: apt-get install ${need[*]}"; exit 1
  fi
  say "installing: ${need[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq \
    || { say "apt-get update failed; install ${need[*]} yourself"; exit 1; }
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null \
    || { say "could not install ${need[*]}: run as root, or install them yourself"; exit 1; }
fi
if ! have_cmd cargo; then
  say "cargo is missing: install Rust 1.94 or newer from https://rustup.rs"; exit 1
fi
say "ok: the packages for '$mode' are present"

#!/usr/bin/env bash
# Makes sure the machine has what PostGate needs to build and test: system packages (installed
# with apt when we are root or have sudo), a running PostgreSQL and a running Redis. Says exactly
# what is missing when it cannot fix it itself.
set -euo pipefail

DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgate}
REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/0}
say() { printf 'ensure-system: %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else return 1; fi
}

# --- packages -------------------------------------------------------------------------------
need=()
command -v cc >/dev/null 2>&1 || need+=(build-essential)
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
dpkg -s libssl-dev >/dev/null 2>&1 || need+=(libssl-dev)
command -v psql >/dev/null 2>&1 || need+=(postgresql-client)
command -v pg_ctlcluster >/dev/null 2>&1 || need+=(postgresql)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v redis-cli >/dev/null 2>&1 || need+=(redis-tools)
# The desktop console (Tauri): WebKitGTK and the tray library to build; a virtual display,
# a session bus, the WebKit WebDriver and ImageMagick to run its tests headless.
dpkg -s libwebkit2gtk-4.1-dev >/dev/null 2>&1 || need+=(libwebkit2gtk-4.1-dev)
dpkg -s libayatana-appindicator3-dev >/dev/null 2>&1 || need+=(libayatana-appindicator3-dev)
command -v xvfb-run >/dev/null 2>&1 || need+=(xvfb)
command -v xauth >/dev/null 2>&1 || need+=(xauth)
command -v dbus-run-session >/dev/null 2>&1 || need+=(dbus)
command -v WebKitWebDriver >/dev/null 2>&1 || need+=(webkit2gtk-driver)
[ -x /usr/bin/convert ] || need+=(imagemagick)
# The console's JavaScript tests (ui/test/) run with node's built-in test runner.
command -v node >/dev/null 2>&1 || need+=(nodejs)
if [ ${#need[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null 2>&1; then
    say "installing: ${need[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq || { say "apt-get update failed; install ${need[*]} yourself"; exit 1; }
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null \
      || { say "could not install ${need[*]}: run as root or install them yourself"; exit 1; }
  else
    say "missing system packages: ${need[*]} (no apt-get here: install them with your package manager)"; exit 1
  fi
fi
if ! command -v cargo >/dev/null 2>&1; then
  say "cargo is missing: install Rust 1.94 or newer from https://rustup.rs"; exit 1
fi

# --- PostgreSQL -----------------------------------------------------------------------------
pg_host=$(sed -E 's#^[a-z]+://([^@/]*@)?([^:/]+).*#\2#' <<<"$DATABASE_URL")
pg_port=$(sed -nE 's#^[a-z]+://([^@/]*@)?[^:/]+:([0-9]+).*#\2#p' <<<"$DATABASE_URL"); pg_port=${pg_port:-5432}
if ! pg_isready -q -h "$pg_host" -p "$pg_port" 2>/dev/null; then
  if [ "$pg_host" = 127.0.0.1 ] || [ "$pg_host" = localhost ]; then
    version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1 || true)
    if [ -n "$version" ]; then
      say "starting PostgreSQL $version"
      as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    fi
    for _ in $(seq 1 30); do pg_isready -q -h "$pg_host" -p "$pg_port" && break; sleep 0.5; done
  fi
  pg_isready -q -h "$pg_host" -p "$pg_port" || { say "PostgreSQL is not answering at $pg_host:$pg_port (DATABASE_URL)"; exit 1; }
fi
admin_url=$(sed -E 's#/[^/?]*(\?.*)?$#/postgres#' <<<"$DATABASE_URL")
if ! psql "$admin_url" -qtAc 'SELECT 1' >/dev/null 2>&1; then
  # A stock Debian server only trusts local peers: allow the postgres user over loopback.
  if [ "$(id -u)" = 0 ] && command -v runuser >/dev/null 2>&1; then
    hba=$(runuser -u postgres -- psql -qtAc 'SHOW hba_file' 2>/dev/null || true)
    if [ -n "$hba" ] && ! grep -q '# postgate-test' "$hba"; then
      say "allowing trust auth for postgres on loopback in $hba (test machine)"
      sed -i '1i host all postgres 127.0.0.1/32 trust # postgate-test\nhost all postgres ::1/128 trust # postgate-test' "$hba"
      runuser -u postgres -- psql -qtAc 'SELECT pg_reload_conf()' >/dev/null
    fi
  fi
  psql "$admin_url" -qtAc 'SELECT 1' >/dev/null 2>&1 || { say "cannot log in to PostgreSQL with DATABASE_URL ($admin_url): fix the user/password"; exit 1; }
fi

# The database named in DATABASE_URL must exist: the app creates it itself, but the test
# harness (#[sqlx::test]) connects to it first to create its per-test databases.
db_name=$(sed -E 's#^.*/([^/?]+)(\?.*)?$#\1#' <<<"$DATABASE_URL")
if ! psql "$admin_url" -qtAc "SELECT 1 FROM pg_database WHERE datname = '$db_name'" | grep -q 1; then
  say "creating database $db_name"
  psql "$admin_url" -qc "CREATE DATABASE \"$db_name\"" >/dev/null
fi

# --- Redis ----------------------------------------------------------------------------------
redis_host=$(sed -E 's#^[a-z]+://([^@/]*@)?([^:/]+).*#\2#' <<<"$REDIS_URL")
redis_port=$(sed -nE 's#^[a-z]+://([^@/]*@)?[^:/]+:([0-9]+).*#\2#p' <<<"$REDIS_URL"); redis_port=${redis_port:-6379}
if ! redis-cli -h "$redis_host" -p "$redis_port" ping >/dev/null 2>&1; then
  if [ "$redis_host" = 127.0.0.1 ] || [ "$redis_host" = localhost ]; then
    say "starting Redis on $redis_port"
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$redis_port" --save "" --appendonly no >/dev/null
    for _ in $(seq 1 20); do redis-cli -h "$redis_host" -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.25; done
  fi
  redis-cli -h "$redis_host" -p "$redis_port" ping >/dev/null 2>&1 || { say "Redis is not answering at $redis_host:$redis_port (REDIS_URL)"; exit 1; }
fi
say "ok: packages present, PostgreSQL at $pg_host:$pg_port and Redis at $redis_host:$redis_port answer"

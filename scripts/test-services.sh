# Sourced by scripts/test.sh and scripts/bench.sh: makes sure a PostgreSQL and a Redis answer
# for the test suite, and exports DATABASE_URL and REDIS_URL for it.
#
# - DATABASE_URL / REDIS_URL set and answering: used as they are.
# - Unset: the machine's server on 127.0.0.1 is used when it answers and lets us log in;
#   otherwise a private server is started from the installed binaries, in a folder of our own
#   (socket there too, a random password, loopback only), and stopped when the caller exits
#   (call `stop_private_services` from its EXIT trap).
# The machine's own servers are never reconfigured: their authentication is never edited, nothing is restarted.
# Passwords never go on a command line (other users see those in `ps`): psql gets its password
# through PGPASSWORD, redis-cli through REDISCLI_AUTH, and the private Redis reads its
# password from a 0600 config file.

# As root the servers run as the 'postgres' user, who cannot enter root's home: use /tmp.
if [ "$(id -u)" = 0 ]; then default_root=/tmp/postgate-test-services; else default_root=${XDG_CACHE_HOME:-$HOME/.cache}/postgate/test-services; fi
private_root=${POSTGATE_TEST_SERVICES_DIR:-$default_root}
private_pg=""
private_redis=""

ts_say() { printf 'test-services: %s\n' "$*" >&2; }

# A loopback port nobody listens on (bash's /dev/tcp: a refused connection means free).
free_port() {
  local port
  for _ in $(seq 1 50); do
    port=$((20000 + RANDOM % 40000))
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return 0; }
  done
  return 1
}

# Percent-decodes a URL part (`%40` → `@`).
url_decode() { local s=${1//+/ }; printf '%b' "${s//%/\\x}"; }

# url_part without|password URL: the URL without its password, or the password alone — the one
# after `user:` and a `password=` query parameter (libpq takes both).
url_part() {
  local want=$1 url=$2 password="" kept="" param
  if [[ $url =~ ^([a-z+]+://[^:/@]*):([^@/]*)@(.*)$ ]]; then
    password=$(url_decode "${BASH_REMATCH[2]}")
    url="${BASH_REMATCH[1]}@${BASH_REMATCH[3]}"
  fi
  if [[ $url == *'?'* ]]; then
    local base=${url%%'?'*} query=${url#*'?'}
    local IFS='&'
    for param in $query; do
      if [[ $param == password=* ]]; then password=$(url_decode "${param#password=}"); else kept+="${kept:+&}$param"; fi
    done
    url=$base${kept:+?$kept}
  fi
  if [ "$want" = password ]; then printf '%s' "$password"; else printf '%s\n' "$url"; fi
}

# A URL for messages: its password shown as ***.
url_masked() {
  sed -E -e 's#//([^:@/]*):[^@/]*@#//\1:***@#' -e 's#([?&]password=)[^&]*#\1***#g' <<<"$1"
}

# psql URL ARGS…: the password goes through PGPASSWORD (which `ps` does not show), never on
# psql's command line.
pg_psql() {
  local url=$1; shift
  PGPASSWORD=$(url_part password "$url") psql "$(url_part without "$url")" "$@"
}

pg_answers() { pg_psql "$1" -qtAc 'SELECT 1' >/dev/null 2>&1; }

# Runs a command as the owner of the private folder (initdb and postgres refuse to run as root).
as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_private_postgres() {
  local bin; bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -x "$bin/initdb" ] || { ts_say "no PostgreSQL server binaries (apt install postgresql) and no server answers at DATABASE_URL"; return 1; }
  if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
    ts_say "running as root, but there is no 'postgres' user to run a private PostgreSQL as"; return 1
  fi
  private_pg="$private_root/pg.$$"
  rm -rf "$private_pg"; mkdir -p "$private_pg"; chmod 0700 "$private_pg"
  local password; password=$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
  printf '%s\n' "$password" >"$private_pg/pwfile"
  chmod 0600 "$private_pg/pwfile"
  [ "$(id -u)" = 0 ] && chown -R postgres "$private_pg"
  local port; port=$(free_port)
  ts_say "no PostgreSQL answers: starting a private one from $bin on 127.0.0.1:$port ($private_pg)"
  as_owner "$bin/initdb" -D "$private_pg/data" -U postgres --auth=scram-sha-256 --pwfile="$private_pg/pwfile" \
    -E UTF8 --locale=C.UTF-8 >"$private_pg/initdb.log" 2>&1 || { ts_say "initdb failed: see $private_pg/initdb.log"; return 1; }
  rm -f "$private_pg/pwfile"
  as_owner "$bin/pg_ctl" -D "$private_pg/data" -l "$private_pg/server.log" -w -t 30 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $private_pg -c max_connections=300 -c fsync=off" start >/dev/null \
    || { ts_say "the private PostgreSQL did not start: see $private_pg/server.log"; return 1; }
  printf '%s\n' "$bin" >"$private_pg/bin"
  export DATABASE_URL="postgres://postgres:$password@127.0.0.1:$port/postgate"
}

ensure_test_postgres() {
  local url=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgate}
  local admin; admin=$(sed -E 's#/[^/?]*(\?.*)?$#/postgres#' <<<"$url")
  if pg_answers "$admin"; then
    export DATABASE_URL="$url"
  elif [ -n "${DATABASE_URL:-}" ]; then
    ts_say "DATABASE_URL is set but PostgreSQL does not answer or refuses the login there: fix it, or unset it for a private server"
    return 1
  else
    start_private_postgres || return 1
    admin=$(sed -E 's#/[^/?]*(\?.*)?$#/postgres#' <<<"$DATABASE_URL")
  fi
  # #[sqlx::test] connects to the database named in DATABASE_URL to create its per-test ones.
  local db; db=$(sed -E 's#^.*/([^/?]+)(\?.*)?$#\1#' <<<"$DATABASE_URL")
  if ! pg_psql "$admin" -qtAc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
    pg_psql "$admin" -qc "CREATE DATABASE \"$db\"" >/dev/null
  fi
}

# redis_ping HOST PORT [PASSWORD]: whether Redis answers PONG (the password through
# REDISCLI_AUTH, not redis-cli's command line).
redis_ping() {
  [ "$(REDISCLI_AUTH=${3:-} redis-cli --no-auth-warning -h "$1" -p "$2" ping 2>/dev/null)" = PONG ]
}

ensure_test_redis() {
  local url=${REDIS_URL:-redis://127.0.0.1:6379/0}
  local host; host=$(sed -E 's#^[a-z]+://([^@/]*@)?([^:/]+).*#\2#' <<<"$url")
  local port; port=$(sed -nE 's#^[a-z]+://([^@/]*@)?[^:/]+:([0-9]+).*#\2#p' <<<"$url"); port=${port:-6379}
  if redis_ping "$host" "$port" "$(url_part password "$url")"; then
    export REDIS_URL="$url"; return 0
  fi
  [ -n "${REDIS_URL:-}" ] && { ts_say "REDIS_URL is set but Redis does not answer there (or refuses its password)"; return 1; }
  command -v redis-server >/dev/null 2>&1 || { ts_say "no Redis answers and redis-server is not installed (apt install redis-server)"; return 1; }
  private_redis="$private_root/redis.$$"
  rm -rf "$private_redis"; mkdir -p "$private_redis"; chmod 0700 "$private_redis"
  port=$(free_port)
  # Never a Redis without a password (anyone on the machine could write to it): a random one,
  # in a 0600 config file rather than on the command line.
  local password; password=$(head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
  ( umask 077
    printf 'bind 127.0.0.1\nport %s\nrequirepass %s\nsave ""\nappendonly no\ndaemonize yes\npidfile %s\nlogfile %s\ndir %s\n' \
      "$port" "$password" "$private_redis/redis.pid" "$private_redis/redis.log" "$private_redis" >"$private_redis/redis.conf" )
  ts_say "no Redis answers: starting a private one on 127.0.0.1:$port (with a password)"
  redis-server "$private_redis/redis.conf" >/dev/null
  for _ in $(seq 1 40); do redis_ping 127.0.0.1 "$port" "$password" && break; sleep 0.25; done
  redis_ping 127.0.0.1 "$port" "$password" || { ts_say "the private Redis did not start: see $private_redis/redis.log"; return 1; }
  export REDIS_URL="redis://:$password@127.0.0.1:$port/0"
}

stop_private_services() {
  if [ -n "$private_pg" ] && [ -d "$private_pg/data" ]; then
    as_owner "$(cat "$private_pg/bin")/pg_ctl" -D "$private_pg/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$private_pg"
  fi
  if [ -n "$private_redis" ] && [ -f "$private_redis/redis.pid" ]; then
    kill "$(cat "$private_redis/redis.pid")" 2>/dev/null || true
    rm -rf "$private_redis"
  fi
}

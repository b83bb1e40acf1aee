#!/usr/bin/env bash
# `make bench`: builds and runs the benchmark suite (benches/postgate, release-like `bench`
# profile) and prints one table in which every figure stands beside a baseline measured in the
# same run. Knobs: BENCH_ITERS (>= 200), BENCH_SOAK_SECS (default 600, ten minutes; 0
# skips the soak), BENCH_ONLY=queue,import,intake,soak,statements,publish,limited,desktop,migrate,
# BENCH_API_RTT_MS (the fake Bot API's round trip for intake, publish and limited, which run at
# 0 and at it; default 80), BENCH_SUBMISSIONS (default 10 000), BENCH_APPROVALS (default 1 000). The table is also written to
# $BENCH_OUT (default bench-results.md in the target dir) for pasting into BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf 'bench: %s\n' "$*" >&2; }

# shellcheck source=scripts/test-services.sh
. scripts/test-services.sh
trap stop_private_services EXIT
ensure_test_postgres
ensure_test_redis
out=${BENCH_OUT:-${CARGO_TARGET_DIR:-target}/bench-results.md}
# The desktop row measures the release console: build it first (≈ 10 min cold, seconds warm).
# A failed build is not fatal: the row then says it was not measured, and why.
if [ -z "${BENCH_ONLY:-}" ] || tr ',' '\n' <<<"$BENCH_ONLY" | tr -d ' ' | grep -qx desktop; then
  say "building the release console (cargo build --release -p postgate-desktop) for the desktop row"
  cargo build --locked --release -p postgate-desktop || say "the release console did not build: the desktop row will say so"
fi
say "building (cargo bench profile) and running; results also go to $out"
cargo bench --locked --bench postgate 2>&1 | tee "$out"

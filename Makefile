# PostGate: `make run` starts the app, `make test` runs every check. Each installs what it
# needs first (scripts/ensure-system.sh) or says exactly what is missing. `make run` needs no
# database server: the app keeps its data in an embedded SQLite file unless DATABASE_URL says
# otherwise. `make test` tests both storage backends; for PostgreSQL and Redis it uses the
# machine's servers when they answer, else private ones it starts and stops itself.
# `make package` builds the .deb (scripts/package.sh) and prints its path.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Build outside the clone so repeated runs on one machine stay warm; a cold build also works.
export CARGO_TARGET_DIR ?= $(HOME)/.cache/postgate/target
export CARGO_TERM_COLOR ?= never

.PHONY: help run test lint fmt bench package

help:
	@echo "make run      build and start PostGate: the console window with a display, else \`postgate serve\`"
	@echo "make test     format check, clippy -D warnings, and the whole test suite (both storage backends)"
	@echo "make bench    the benchmark suite: one table, each figure beside a same-run baseline"
	@echo "make package  the Debian package (console, \`postgate\` CLI, desktop entry, icons); prints its path"

run:
	@scripts/ensure-system.sh run
	@scripts/run.sh

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets --locked -- -D warnings

fmt:
	cargo fmt --all

test:
	@scripts/ensure-system.sh test
	@$(MAKE) --no-print-directory lint
	@scripts/test.sh

bench:
	@scripts/ensure-system.sh bench
	@scripts/bench.sh

package:
	@scripts/ensure-system.sh package
	@scripts/package.sh

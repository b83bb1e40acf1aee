# PostGate: `make run` starts the app, `make test` runs every check. Both install or start what
# they need first (scripts/ensure-system.sh) or say exactly what is missing.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Build outside the clone so repeated runs on one machine stay warm; a cold build also works.
export CARGO_TARGET_DIR ?= $(HOME)/.cache/postgate/target
export DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/postgate
export REDIS_URL ?= redis://127.0.0.1:6379/0
export CARGO_TERM_COLOR ?= never

.PHONY: help system run test lint fmt bench

help:
	@echo "make run    build and start PostGate: the console window with a display, else \`postgate serve\`"
	@echo "make test   format check, clippy -D warnings, and the whole test suite"
	@echo "make bench  the benchmark suite: one table, each figure beside a same-run baseline"

system:
	@scripts/ensure-system.sh

run: system
	@scripts/run.sh

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets --locked -- -D warnings

fmt:
	cargo fmt --all

test: system lint
	@scripts/test.sh

bench: system
	@scripts/bench.sh

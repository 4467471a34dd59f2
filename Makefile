# newsflow — the two commands that matter: `make run` and `make test`.
#
#   make run    nats-server (installed from Debian's packages if missing, as root) + the four
#               services in the foreground; Ctrl-C stops everything (deploy/run.sh).
#   make test   every test of the workspace, each e2e test against its own nats-server.
#   make lint   rustfmt --check and clippy with warnings as errors.
#   make bench  the benchmark: stages, end to end, relay ceiling (newsflow-bench).

SHELL := /bin/bash
CARGO ?= cargo

.PHONY: run test lint bench nats-server build

run:
	deploy/run.sh

# The e2e tests start /usr/sbin/nats-server (NEWSFLOW_TEST_NATS_SERVER overrides it).
nats-server:
	deploy/run.sh install-nats

build:
	$(CARGO) build --workspace --locked

# The e2e tests run the service binaries, so they are built first.
test: nats-server build
	$(CARGO) test --workspace --locked

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

# newsflow-bench (bench/): per-stage figures, end to end through a local nats-server, and the
# bare four-hop JetStream relay ceiling; prints a table, writes target/bench/report.json.
# BENCH_ARGS passes options through, e.g. make bench BENCH_ARGS="--quick" (see --help).
BENCH_ARGS ?=
bench:
	$(CARGO) build --release --locked --workspace
	$${CARGO_TARGET_DIR:-target}/release/newsflow-bench --out target/bench/report.json $(BENCH_ARGS)

# newsflow — the two commands that matter: `make run` and `make test`.
#
#   make run    nats-server (installed from Debian's packages if missing, as root) + the four
#               services in the foreground; Ctrl-C stops everything (deploy/run.sh).
#   make test   every test of the workspace, each e2e test against its own nats-server.
#   make lint   rustfmt --check and clippy with warnings as errors.
#   make bench  the benchmarks (cargo bench).

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

bench:
	$(CARGO) bench --workspace --locked

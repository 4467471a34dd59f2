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

# cargo-deny (crates.io) checks the licence allow-list and bans in deny.toml: no GPL code or
# data linked in. Installed on first use.
lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings
	command -v cargo-deny >/dev/null || $(CARGO) install --locked cargo-deny
	$(CARGO) deny check licenses bans

# newsflow-bench (bench/): per-stage figures, end to end through a local nats-server, and the
# bare four-hop JetStream relay ceiling; prints a table, writes target/bench/report.json.
# BENCH_ARGS passes options through, e.g. make bench BENCH_ARGS="--quick" (see --help).
# BENCH_TMPDIR puts the inbox and the nats-server stores (pipeline and relay alike) there, e.g.
# BENCH_TMPDIR=/dev/shm to measure processing and transport without a throttled disk in the way.
BENCH_ARGS ?=
BENCH_TMPDIR ?=
bench:
	$(CARGO) build --release --locked --workspace
	$(if $(BENCH_TMPDIR),TMPDIR=$(BENCH_TMPDIR) )$${CARGO_TARGET_DIR:-target}/release/newsflow-bench --out target/bench/report.json $(BENCH_ARGS)

.PHONY: fuzz test-cluster cluster cluster-stop

# Fuzzing: cargo-fuzz (libFuzzer, coverage-guided; needs the nightly toolchain and cargo-fuzz,
# both installed here) on the cleaner (`clean`: any bytes under every input format) and the
# extractor (`extract`: any text as a Chinese and as an English article). Each target runs
# FUZZ_SECONDS (default 60), seeded with the shared corpus; a crash stops it and leaves the input
# in fuzz/artifacts/<target>/ (replay: cargo +nightly fuzz run <target> <file>).
FUZZ_SECONDS ?= 60
FUZZ_CORPUS ?= $(abspath ../shared/corpus)
fuzz:
	@rustup toolchain list | grep -q '^nightly' && command -v cargo-fuzz >/dev/null || \
	  { echo "make fuzz: needs a nightly toolchain and cargo-fuzz (rustup toolchain install nightly; cargo install cargo-fuzz)" >&2; exit 1; }
	mkdir -p fuzz/corpus/clean fuzz/corpus/extract
	cargo +nightly fuzz run clean fuzz/corpus/clean $(FUZZ_CORPUS)/seeds $(FUZZ_CORPUS)/dev/articles -- -max_total_time=$(FUZZ_SECONDS)
	cargo +nightly fuzz run extract fuzz/corpus/extract $(FUZZ_CORPUS)/seeds $(FUZZ_CORPUS)/dev/articles -- -max_total_time=$(FUZZ_SECONDS)

# The pipeline against a three-node JetStream cluster (R3 streams, two replicas of each stage,
# a node killed mid-run): minutes long, so not part of `make test`.
test-cluster: nats-server build
	$(CARGO) test --locked -p newsflow-e2e --test cluster -- --ignored --nocapture

# A three-node JetStream cluster on loopback ports 4231-4233 (state in ./var/cluster); services
# then take NATS_URL=nats://127.0.0.1:4231,nats://127.0.0.1:4232,nats://127.0.0.1:4233 and
# NEWSFLOW_REPLICAS=3.
cluster:
	deploy/nats/cluster/start.sh

cluster-stop:
	deploy/nats/cluster/stop.sh

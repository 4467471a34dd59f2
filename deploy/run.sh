#!/usr/bin/env bash
# `make run`: newsflow on one machine, in the foreground.
#
#   deploy/run.sh                 install nats-server if missing (Debian, as root), start it with
#                                 JetStream unless one already answers at NATS_URL, build release,
#                                 start the four services, print where to drop files; Ctrl-C
#                                 stops everything this script started.
#   deploy/run.sh install-nats    only make sure nats-server is installed (used by `make test`).
#
# Everything lives under ./var (NEWSFLOW_VAR): inbox/, done/, rejected/, nats/ (the JetStream
# store) and log/ (one log per process). The services read every other setting from the
# environment (see README.md, "Configuration").
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

NATS_SERVER_BIN="${NATS_SERVER_BIN:-/usr/sbin/nats-server}"
VAR="${NEWSFLOW_VAR:-$ROOT/var}"
export NATS_URL="${NATS_URL:-nats://127.0.0.1:4222}"
export NEWSFLOW_INBOX="${NEWSFLOW_INBOX:-$VAR/inbox}"
export NEWSFLOW_DONE_DIR="${NEWSFLOW_DONE_DIR:-$VAR/done}"
export NEWSFLOW_REJECTED_DIR="${NEWSFLOW_REJECTED_DIR:-$VAR/rejected}"
LOG_DIR="$VAR/log"
BIN_DIR="${CARGO_TARGET_DIR:-$ROOT/target}/release"
SERVICES=(watcher cleaner deduper extractor)

say() { printf 'newsflow: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

# nats-server on PATH or at Debian's location; else apt-get install it (root only).
find_nats_server() {
    if [[ -x "$NATS_SERVER_BIN" ]]; then
        echo "$NATS_SERVER_BIN"
    elif command -v nats-server >/dev/null 2>&1; then
        command -v nats-server
    else
        return 1
    fi
}

install_nats_server() {
    if find_nats_server >/dev/null; then
        return 0
    fi
    if [[ "$(id -u)" -ne 0 ]]; then
        die "nats-server is not installed; run as root (or: sudo apt-get install -y nats-server)"
    fi
    command -v apt-get >/dev/null 2>&1 ||
        die "nats-server is not installed and apt-get is not available; install nats-server 2.9+ by hand"
    say "installing nats-server from the Debian packages"
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y nats-server
    # Debian enables a nats-server service of its own; newsflow runs its own server here.
    if command -v systemctl >/dev/null 2>&1; then
        systemctl disable --now nats-server >/dev/null 2>&1 || true
    fi
    find_nats_server >/dev/null || die "nats-server still missing after apt-get install"
}

# host and port of the first URL in NATS_URL.
first_url="${NATS_URL%%,*}"
hostport="${first_url#*://}"
hostport="${hostport##*@}"
NATS_HOST="${hostport%%:*}"
NATS_PORT="${hostport##*:}"
[[ "$NATS_PORT" == "$hostport" ]] && NATS_PORT=4222

# Whether a NATS server answers at NATS_URL (it greets with INFO).
nats_answers() {
    timeout 2 bash -c "exec 3<>/dev/tcp/$NATS_HOST/$NATS_PORT && head -c 4 <&3" 2>/dev/null |
        grep -q '^INFO'
}

if [[ "${1:-}" == "install-nats" ]]; then
    install_nats_server
    exit 0
fi
[[ $# -eq 0 ]] || die "usage: deploy/run.sh [install-nats]"

mkdir -p "$NEWSFLOW_INBOX" "$LOG_DIR" "$VAR/nats"

PIDS=()
NATS_PID=""
stop_all() {
    trap - INT TERM EXIT
    if ((${#PIDS[@]})); then
        say "stopping the services (they finish the work in flight)"
        kill -TERM "${PIDS[@]}" 2>/dev/null || true
        wait "${PIDS[@]}" 2>/dev/null || true
    fi
    if [[ -n "$NATS_PID" ]]; then
        say "stopping nats-server"
        kill -TERM "$NATS_PID" 2>/dev/null || true
        wait "$NATS_PID" 2>/dev/null || true
    fi
    say "stopped"
}
trap 'stop_all; exit 0' INT TERM
trap stop_all EXIT

if nats_answers; then
    say "using the NATS server already answering at $NATS_URL"
else
    case "$NATS_HOST" in
    127.0.0.1 | localhost) ;;
    *) die "no NATS server answers at $NATS_URL (only a local one is started here)" ;;
    esac
    install_nats_server
    server="$(find_nats_server)"
    say "starting $server with JetStream on 127.0.0.1:$NATS_PORT (store $VAR/nats, log $LOG_DIR/nats-server.log)"
    # Own session: the Ctrl-C meant for the services must not stop the bus under them.
    setsid "$server" -c deploy/nats/nats-server.conf -a 127.0.0.1 -p "$NATS_PORT" \
        -sd "$VAR/nats" -l "$LOG_DIR/nats-server.log" &
    NATS_PID=$!
    for _ in $(seq 1 100); do
        nats_answers && break
        kill -0 "$NATS_PID" 2>/dev/null || die "nats-server exited; see $LOG_DIR/nats-server.log"
        sleep 0.1
    done
    nats_answers || die "nats-server did not answer within 10 s; see $LOG_DIR/nats-server.log"
fi

if [[ -z "${NEWSFLOW_SKIP_BUILD:-}" ]]; then
    say "building (cargo build --release --locked)"
    cargo build --release --locked
fi
for s in "${SERVICES[@]}" ""; do
    bin="$BIN_DIR/newsflow${s:+-$s}"
    [[ -x "$bin" ]] || die "$bin is missing (build failed?)"
done

for s in "${SERVICES[@]}"; do
    "$BIN_DIR/newsflow-$s" >>"$LOG_DIR/$s.log" 2>&1 &
    PIDS+=($!)
    say "started newsflow-$s (pid $!, log $LOG_DIR/$s.log)"
done

cat <<EOF

  newsflow is running (NATS at $NATS_URL).

  Drop article files (.txt .html .json .jsonl) into:
      $NEWSFLOW_INBOX
  e.g.  cp ../shared/corpus/seeds/* "$NEWSFLOW_INBOX"/
  Published files move to $NEWSFLOW_DONE_DIR, refused ones to $NEWSFLOW_REJECTED_DIR (with a .reason.txt).

  Watch events (in another terminal):
      $BIN_DIR/newsflow tail --from-start                         # indicator events
      $BIN_DIR/newsflow tail --from-start --subject news.rejected # refused input
      $BIN_DIR/newsflow status                                    # streams, consumers, backlog
  Metrics: http://127.0.0.1:9101/metrics (watcher) … :9102 cleaner, :9103 deduper, :9104 extractor
  Logs:    $LOG_DIR/

  Ctrl-C stops everything.

EOF

# Run until Ctrl-C, or until a service stops. A service that exits 0 was told to stop (Ctrl-C
# reaches the services too): stop the rest quietly. Any other exit: say which, and stop the rest.
while true; do
    status=0
    wait -n "${PIDS[@]}" || status=$?
    if ((status == 0)); then
        exit 0
    fi
    for i in "${!PIDS[@]}"; do
        if ! kill -0 "${PIDS[$i]}" 2>/dev/null; then
            say "newsflow-${SERVICES[$i]} exited with status $status; last lines of $LOG_DIR/${SERVICES[$i]}.log:"
            tail -n 20 "$LOG_DIR/${SERVICES[$i]}.log" >&2 || true
            unset 'PIDS[$i]'
            exit 1
        fi
    done
done

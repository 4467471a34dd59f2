#!/bin/sh
# Start the three-node JetStream cluster of this directory on loopback (`make cluster`) and wait
# until the nodes have elected a JetStream meta leader.
#
#   deploy/nats/cluster/start.sh            start n1, n2 and n3 (the ones not already running)
#   deploy/nats/cluster/start.sh n2         start (or restart after a kill) one node
#
# Clients: NATS_URL=nats://127.0.0.1:4231,nats://127.0.0.1:4232,nats://127.0.0.1:4233
# State, logs and pid files: ./var/cluster/ under the repository root. Stop with stop.sh.
# Environment: NATS_SERVER (default: nats-server on PATH, else /usr/sbin/nats-server),
#              CLUSTER_WAIT_SECONDS (default 30): how long to wait for the meta leader.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
cd "$root"

server=${NATS_SERVER:-$(command -v nats-server || echo /usr/sbin/nats-server)}
wait_seconds=${CLUSTER_WAIT_SECONDS:-30}
nodes=${*:-n1 n2 n3}

running() { # node -> true when its pid file names a live nats-server
    pidf="var/cluster/$1.pid"
    [ -s "$pidf" ] && kill -0 "$(cat "$pidf")" 2>/dev/null
}

mkdir -p var/cluster
for node in $nodes; do
    case $node in n1|n2|n3) ;; *) echo "start.sh: unknown node '$node' (n1, n2 or n3)" >&2; exit 2;; esac
    if running "$node"; then
        echo "$node already running (pid $(cat "var/cluster/$node.pid"))"
        continue
    fi
    mkdir -p "var/cluster/$node"
    # Detached from this shell; the server writes its own pid file and log (see nN.conf).
    nohup "$server" -c "$here/$node.conf" >"var/cluster/$node.stdout" 2>&1 </dev/null &
    echo "$node started (pid $!), log var/cluster/$node.log"
done

# Wait until every node we started, and every other node that runs, reports the same meta
# leader over its monitoring port.
deadline=$(( $(date +%s) + wait_seconds ))
while :; do
    leaders=""
    for n in 1 2 3; do
        case " $nodes " in
            *" n$n "*) ;;
            *) running "n$n" || continue ;;
        esac
        l=$(curl -fsS "http://127.0.0.1:823$n/jsz" 2>/dev/null \
            | sed -n 's/.*"leader": *"\([^"]*\)".*/\1/p' | head -n 1)
        leaders="$leaders ${l:-none}"
    done
    first=$(echo $leaders | cut -d' ' -f1)
    if [ -n "$first" ] && [ "$first" != none ] \
       && [ -z "$(echo $leaders | tr ' ' '\n' | grep -v -x "$first")" ]; then
        echo "JetStream meta leader: $first (seen by:$leaders)"
        exit 0
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
        echo "start.sh: no JetStream meta leader after ${wait_seconds}s (nodes report:$leaders);" \
             "see var/cluster/n*.log" >&2
        exit 1
    fi
    sleep 0.5
done

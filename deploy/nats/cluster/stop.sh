#!/bin/sh
# Stop nodes of the loopback cluster started by start.sh (`make cluster-stop`).
#
#   deploy/nats/cluster/stop.sh             stop n1, n2 and n3
#   deploy/nats/cluster/stop.sh n3          stop one node (gracefully; use kill -9 on the pid in
#                                           var/cluster/n3.pid to simulate a crash)
#   deploy/nats/cluster/stop.sh --purge     stop all and delete ./var/cluster (all cluster data)
#
# Only the processes named in our own pid files are signalled.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
cd "$root"

purge=no
nodes=""
for a in "$@"; do
    case $a in
        --purge) purge=yes ;;
        n1|n2|n3) nodes="$nodes $a" ;;
        *) echo "stop.sh: unknown argument '$a' (n1, n2, n3 or --purge)" >&2; exit 2 ;;
    esac
done
[ -n "$nodes" ] || nodes="n1 n2 n3"

for node in $nodes; do
    pidf="var/cluster/$node.pid"
    if [ -s "$pidf" ] && kill -0 "$(cat "$pidf")" 2>/dev/null; then
        pid=$(cat "$pidf")
        kill -TERM "$pid"
        i=0
        while kill -0 "$pid" 2>/dev/null; do
            i=$((i + 1))
            if [ "$i" -gt 100 ]; then   # 10 s
                echo "$node (pid $pid) ignored SIGTERM for 10s; sending SIGKILL" >&2
                kill -KILL "$pid" 2>/dev/null || true
                break
            fi
            sleep 0.1
        done
        echo "$node stopped"
    else
        echo "$node not running"
    fi
    rm -f "$pidf"
done

if [ "$purge" = yes ]; then
    rm -rf var/cluster
    echo "removed var/cluster"
fi

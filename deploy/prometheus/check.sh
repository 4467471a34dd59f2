#!/bin/sh
# Check the Prometheus artefacts with promtool: the scrape config (which also loads the rule
# files), the alert rules, and the rules' unit tests (rules/newsflow.rules.test.yml).
#
# promtool comes with Debian's `prometheus` package. If it is missing and we are root on a
# Debian-like system, install it (apt-get); otherwise say how to get it and fail.
#
# Usage: deploy/prometheus/check.sh            (from anywhere; `make` calls it)
#        PROMTOOL=/path/to/promtool deploy/prometheus/check.sh
set -eu

here=$(cd "$(dirname "$0")" && pwd)
promtool=${PROMTOOL:-promtool}

if ! command -v "$promtool" >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "check.sh: promtool not found; installing Debian package 'prometheus'" >&2
        # The package's postinst tries to start the service; policy-rc.d on build hosts and
        # containers refuses that, which is what we want.
        DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus >&2
    else
        echo "check.sh: promtool not found. Install it (Debian/Ubuntu: apt-get install prometheus)" \
             "or set PROMTOOL=/path/to/promtool." >&2
        exit 127
    fi
fi

cd "$here"
"$promtool" check config prometheus.yml
"$promtool" check rules rules/newsflow.rules.yml
(cd rules && "$promtool" test rules newsflow.rules.test.yml)

#!/usr/bin/env bash
# Runs a benchmark against a throwaway cluster with the release build installed:
#   bench/run.sh naming
source "$(dirname "$0")/../scripts/lib.sh"

which=${1:-naming}
[ -f "$REPO/bench/$which.py" ] || die "no benchmark bench/$which.py"
"$REPO/scripts/setup.sh"
install_extension
dir=$(mktemp -d /tmp/habtm-bench.XXXXXX)
trap 'cluster_stop "$dir"' EXIT
cluster_start "$dir"
createdb habtm_bench
PGDATABASE=habtm_bench python3 "$REPO/bench/$which.py"

#!/usr/bin/env bash
# The main job: installs everything, builds and installs the extension, starts a throwaway
# PostgreSQL cluster, runs demo/demo.sql against real tables and prints the results.
source "$(dirname "$0")/lib.sh"

"$REPO/scripts/setup.sh"
install_extension

dir=$(mktemp -d /tmp/habtm-demo.XXXXXX)
trap 'cluster_stop "$dir"' EXIT
log "starting a throwaway cluster in $dir"
cluster_start "$dir"
createdb habtm_demo
log "running demo/demo.sql"
psql_run -d habtm_demo --echo-queries -f "$REPO/demo/demo.sql"

#!/usr/bin/env bash
# The main job: installs everything, builds and installs the extension, starts a throwaway
# PostgreSQL cluster, runs demo/demo.sql against real tables and prints the results.
#   scripts/demo.sh            on PostgreSQL 15 (the default major)
#   scripts/demo.sh --pg 17    on another supported major (15, 16, 17, 18)
source "$(dirname "$0")/lib.sh"

while [ $# -gt 0 ]; do
    case $1 in
    --pg) [ $# -ge 2 ] || die "--pg needs a major (one of $PG_MAJORS_SUPPORTED)"; use_major "$2"; shift 2 ;;
    --pg=*) use_major "${1#--pg=}"; shift ;;
    -h | --help) sed -n '2,6s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) die "unknown argument '$1' (usage: scripts/demo.sh [--pg MAJOR])" ;;
    esac
done

"$REPO/scripts/setup.sh"
export PATH="$PG_BIN:$PATH" # that major's createdb and psql
install_extension

dir=$(mktemp -d /tmp/habtm-demo.XXXXXX)
trap 'cluster_stop "$dir"' EXIT
log "starting a throwaway PostgreSQL $PG_MAJOR cluster in $dir ($("$PG_CONFIG" --version))"
cluster_start "$dir"
createdb habtm_demo
log "running demo/demo.sql"
psql_run -d habtm_demo --echo-queries -f "$REPO/demo/demo.sql"

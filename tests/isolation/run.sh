#!/usr/bin/env bash
# Isolation tests of habtm (concurrent transactions in chosen interleavings), run by PostgreSQL's
# pg_isolation_regress against a running server with the extension installed.
#
#   tests/isolation/run.sh                 the specs in tests/isolation/schedule (must pass)
#   tests/isolation/run.sh --known-failing the specs listed in tests/isolation/known_failing
#                                          (expected to fail on the current build: a deadlock,
#                                          drift or a lost write; their expected/*.out is the
#                                          correct result, not the current one)
#   tests/isolation/run.sh NAME...         the named specs only
#
# Environment: PGHOST / PGPORT / PGUSER of a throwaway cluster (a superuser; trust auth), PATH
# holding that server's bin directory. PG_ISOLATION_REGRESS may give pg_isolation_regress's path
# (default: beside the server's pgxs, from `pg_config --pgxs`). The tests run in their own
# database, habtm_isolation (ISOLATION_DB), created afresh; each spec's setup runs
# CREATE EXTENSION IF NOT EXISTS habtm and makes its own tables, its teardown drops them.
# On failure regression.diffs is printed and the exit status is non-zero.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
db=${ISOLATION_DB:-habtm_isolation}

if [ -n "${PG_ISOLATION_REGRESS:-}" ]; then
    regress=$PG_ISOLATION_REGRESS
else
    pgxs=$(pg_config --pgxs)
    regress="$(dirname "$pgxs")/../test/isolation/pg_isolation_regress"
fi
[ -x "$regress" ] || { echo "run.sh: pg_isolation_regress not found at $regress" >&2; exit 2; }

tests=()
mode=schedule
case "${1:-}" in
    "") ;;
    --known-failing)
        mode=list
        mapfile -t tests < <(grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' "$here/known_failing" | awk '{print $1}')
        [ "${#tests[@]}" -gt 0 ] || { echo "run.sh: no known-failing specs"; exit 0; }
        ;;
    -*) echo "usage: $0 [--known-failing | NAME...]" >&2; exit 2 ;;
    *) mode=list; tests=("$@") ;;
esac

out=$(mktemp -d "${TMPDIR:-/tmp}/habtm-isolation.XXXXXX")
chmod 755 "$out"
# --bindir: psql from the server on PATH (a relocated build's compiled-in one does not exist)
args=(--inputdir="$here" --outputdir="$out" --dbname="$db" --bindir="$(pg_config --bindir)")
if [ "$mode" = schedule ]; then
    args+=(--schedule="$here/schedule")
else
    args+=("${tests[@]}")
fi

start=$(date +%s)
status=0
"$regress" "${args[@]}" || status=$?
echo "isolation: $(( $(date +%s) - start ))s"
if [ "$status" -ne 0 ]; then
    [ -f "$out/regression.diffs" ] && cat "$out/regression.diffs"
    echo "isolation tests failed (output kept in $out)" >&2
    exit "$status"
fi
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
rm -rf "$out"

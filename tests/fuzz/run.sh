#!/usr/bin/env bash
# Fuzz tier: hostile calls of every public habtm function (tests/fuzz/README.md).
# Needs PGHOST/PGPORT/PGUSER of a throwaway cluster with the extension installed (superuser,
# trust auth) and the server's bin dir on PATH; SERVER_LOG (optional) is scanned for crashes.
# Creates and drops the database habtm_fuzz; exits non-zero on any internal error, crash,
# state change after an error or id-array drift.
# FUZZ_SEED (default 1), FUZZ_CASES (default 1500), FUZZ_ONLY=<n>[,<n>...], FUZZ_VERBOSE=1,
# FUZZ_KEEP_DB=1, FUZZ_REPORT (default /tmp/habtm-fuzz-report.txt).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
command -v psql >/dev/null || { echo "fuzz: psql not on PATH" >&2; exit 2; }
command -v python3 >/dev/null || { echo "fuzz: python3 not on PATH" >&2; exit 2; }
exec python3 "$here/fuzz.py"

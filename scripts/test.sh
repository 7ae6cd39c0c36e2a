#!/usr/bin/env bash
# Runs every test tier: style, pure-Rust unit tests (with the Rails vectors and the differential
# test against real ActiveSupport), then on each supported PostgreSQL major: #[pg_test]s inside
# PostgreSQL, pg_regress against a throwaway cluster with the release build installed, concurrent
# writers under pgbench, interleavings under PostgreSQL's isolation tester, hostile inputs (the
# fuzz tier), the upgrade from the last release, and the Debian package installed and smoke-tested.
# Installs what it needs first.
#   PG_MAJORS="17 18"          only those majors (a quick local run; CI runs them all)
#   TIERS="pg_regress fuzz"    only those tiers
# Every tier runs; prints one line per major and `N passed, N failed`; the exit status is
# non-zero if any tier failed.
source "$(dirname "$0")/lib.sh"

"$REPO/scripts/setup.sh"
cd "$REPO"

passed=0
failed=0
failures=()
summary=()
major_passed=0
major_failed=0
# tier NAME COMMAND...: runs one tier (unless TIERS leaves it out) and counts it.
tier() {
    local name=$1 label=$1 start=$SECONDS
    shift
    if [ -n "${TIERS:-}" ] && [[ " $TIERS " != *" $name "* ]]; then
        return 0
    fi
    [ -n "${IN_MAJOR:-}" ] && label="pg$PG_MAJOR/$name"
    log "tier: $label"
    # (in a subshell: a helper that exits, as die does, fails its tier, not the run)
    if ("$@"); then
        passed=$((passed + 1)) major_passed=$((major_passed + 1))
        log "tier passed: $label ($((SECONDS - start)) s)"
    else
        failed=$((failed + 1)) major_failed=$((major_failed + 1))
        failures+=("$label")
        printf 'tier FAILED: %s (%d s)\n' "$label" $((SECONDS - start)) >&2
    fi
}

style() {
    cargo fmt --all --check && cargo clippy --workspace --all-targets -q -- -D warnings
}

# The vectors are copied from shared/naming so that a clone is self-contained; when shared/ is
# beside the clone (as in CI), the copies must be identical.
VECTORS=crates/naming/tests/vectors
vectors_in_sync() {
    local shared="$REPO/../shared/naming"
    [ -d "$shared" ] || { echo "no $shared beside the clone; using the repository's copies"; return 0; }
    local f
    for f in inflections.tsv join_tables.tsv classify_tableize.tsv; do
        cmp "$shared/$f" "$VECTORS/$f" || return 1
    done
    echo "$VECTORS matches $shared"
}

unit() {
    cargo test -p habtm-naming
}

pg_tests() {
    # PostgreSQL refuses root, and a user's own cluster could not load an extension installed
    # without sudo: with --runas, pgrx stages the files, copies them with sudo and runs the test
    # cluster as `postgres`, which must own the data directory's parent.
    local dir=/tmp/habtm-pgrx-test-$PG_MAJOR
    as_root mkdir -p "$dir"
    as_root chown postgres: "$dir"
    cargo pgrx test "pg$PG_MAJOR" --runas postgres --pgdata "$dir/data"
}

regress() {
    install_extension || return 1
    local dir out rc=0
    dir=$(mktemp -d /tmp/habtm-regress.XXXXXX)
    out=$(mktemp -d /tmp/habtm-regress-out.XXXXXX)
    cluster_start "$dir"
    local tests
    tests=$(sed -e 's/#.*//' -e '/^\s*$/d' tests/pg_regress/schedule)
    # shellcheck disable=SC2086 # one test name per word
    run_pg_regress "$out" habtm_regress $tests || rc=$?
    cluster_stop "$dir"
    rm -rf "$out"
    return $rc
}

# with_cluster NAME COMMAND...: the release build installed, a throwaway cluster started
# (PGHOST etc. exported, its log in SERVER_LOG), the server's programs first on PATH; COMMAND's
# status is returned and the cluster removed.
with_cluster() {
    local name=$1 dir rc=0
    shift
    install_extension >/dev/null || return 1
    dir=$(mktemp -d "/tmp/habtm-$name.XXXXXX")
    cluster_start "$dir"
    PATH="$PG_BIN:$PATH" SERVER_LOG="$dir/data/server.log" "$@" || rc=$?
    cluster_stop "$dir"
    return $rc
}

# Concurrent association writes: no deadlock, no failure (tests/concurrency/run.sh); the same
# with id arrays, every kind of write mixed in, arrays exact afterwards and no lost update
# (tests/concurrency/arrays.sh, 15 s here; SECONDS_TO_RUN=60 for the full run).
concurrency_runs() {
    local rc=0
    tests/concurrency/run.sh || rc=$?
    tests/concurrency/arrays.sh || rc=$?
    return $rc
}
concurrency() { with_cluster concurrency concurrency_runs; }

# Interleavings that matter, run by PostgreSQL's isolation tester (tests/isolation/).
isolation() {
    PG_ISOLATION_REGRESS="$(dirname "$("$PG_CONFIG" --pgxs)")/../test/isolation/pg_isolation_regress" \
        with_cluster isolation tests/isolation/run.sh
}

# Hostile calls of every public function (tests/fuzz/): no internal error, no crash, nothing
# changed after an error, no drift. Seeded and deterministic (FUZZ_SEED, FUZZ_CASES).
fuzz() { FUZZ_CASES="${FUZZ_CASES:-4000}" with_cluster fuzz tests/fuzz/run.sh; }

tier style style
tier vectors-in-sync vectors_in_sync
tier unit unit
tier release tests/release/check.py
summary+=("any major: $passed passed, $failed failed")

IN_MAJOR=1
for major in $(pg_majors); do
    use_major "$major"
    major_passed=0 major_failed=0 major_start=$SECONDS
    log "PostgreSQL $PG_MAJOR ($("$PG_CONFIG" --version), $PG_CONFIG)"
    tier pg_test pg_tests
    tier pg_regress regress
    tier concurrency concurrency
    tier isolation isolation
    tier fuzz fuzz
    tier upgrade tests/upgrade/run.sh
    tier package tests/package/run.sh
    summary+=("PostgreSQL $PG_MAJOR: $major_passed passed, $major_failed failed ($((SECONDS - major_start)) s)")
done

printf '%s\n' "${summary[@]}"
if [ $failed -gt 0 ]; then
    printf 'failed tiers: %s\n' "${failures[*]}"
fi
printf 'tiers: %d passed, %d failed (%d s)\n' "$passed" "$failed" "$SECONDS"
[ $failed -eq 0 ]

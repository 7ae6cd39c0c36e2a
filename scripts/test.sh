#!/usr/bin/env bash
# Runs habtm's test tiers, after scripts/setup.sh (which installs what is missing and nothing
# else: about 0.2 s when everything is there).
#
#   scripts/test.sh                      every tier on every major (the README's test command, CI's)
#   scripts/test.sh TIER...              only those tiers:     scripts/test.sh style unit
#   scripts/test.sh [TIER...] TEST...    only those pg_regress tests or isolation specs, in their
#                                        tier (named or not):  scripts/test.sh pg_regress associations
#                                                              scripts/test.sh replace_vs_add_remove
#   scripts/test.sh --list               the tiers and the tests
#   PG_MAJORS="17 18" scripts/test.sh    only those majors (default: every supported one)
#   TIERS="..." TESTS="..."              the same selections as variables
#
# Tiers, in the order they run: style, vectors-in-sync, unit, release (once), then on each major
# pg_test, pg_regress, concurrency, isolation, fuzz, upgrade, package. A TEST is the name (or the
# path) of a file in tests/pg_regress/sql/ or tests/isolation/specs/; it narrows its own tier, and
# a tier named without tests of its own runs whole. An unknown tier, test or major is an error
# before anything runs. Prints one line per group of tiers run (`PostgreSQL 18: N passed, M
# failed (T s)`) and `tiers: N passed, M failed (T s)`; the exit status is non-zero if any failed.
source "$(dirname "$0")/lib.sh"

ONCE_TIERS="style vectors-in-sync unit release"
MAJOR_TIERS="pg_test pg_regress concurrency isolation fuzz upgrade package"
REGRESS_DIR=tests/pg_regress/sql
ISOLATION_DIR=tests/isolation/specs

usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; }

# names DIR EXT: the tests of a tier, one per line.
names() { find "$REPO/$1" -maxdepth 1 -name "*.$2" -printf '%f\n' | sed "s/\.$2\$//" | sort; }

list() {
    echo "tiers (once):      $ONCE_TIERS"
    echo "tiers (per major): $MAJOR_TIERS"
    echo "majors:            $PG_MAJORS_SUPPORTED"
    echo "pg_regress tests ($REGRESS_DIR/*.sql; the whole tier runs tests/pg_regress/schedule):"
    names "$REGRESS_DIR" sql | sed 's/^/  /'
    echo "isolation specs ($ISOLATION_DIR/*.spec; the whole tier runs tests/isolation/schedule):"
    names "$ISOLATION_DIR" spec | sed 's/^/  /'
}

is_tier() { [[ " $ONCE_TIERS $MAJOR_TIERS " == *" $1 "* ]]; }

selected=()        # the tiers asked for; none: every tier
regress_tests=()   # the pg_regress tests asked for; none: the schedule
isolation_tests=() # the isolation specs asked for; none: the schedule

select_tier() {
    is_tier "$1" || return 1
    selected+=("$1")
}

# select_test NAME: the pg_regress test or isolation spec NAME (or its path), with its tier.
select_test() {
    local name=${1#./} found=
    case $name in
    "$REGRESS_DIR"/*.sql) name=${name#"$REGRESS_DIR"/} name=${name%.sql} ;;
    "$ISOLATION_DIR"/*.spec) name=${name#"$ISOLATION_DIR"/} name=${name%.spec} ;;
    esac
    [[ $name =~ ^[A-Za-z0-9_.-]+$ ]] || return 1
    if [ -f "$REPO/$REGRESS_DIR/$name.sql" ] && [[ $1 != *.spec ]]; then
        regress_tests+=("$name") selected+=(pg_regress) found=1
    fi
    if [ -f "$REPO/$ISOLATION_DIR/$name.spec" ] && [[ $1 != *.sql ]]; then
        isolation_tests+=("$name") selected+=(isolation) found=1
    fi
    [ -n "$found" ]
}

words=()
for arg in "$@"; do
    case $arg in
    -h | --help) usage; exit 0 ;;
    --list) list; exit 0 ;;
    -*) die "unknown option '$arg' (scripts/test.sh --help)" ;;
    *) words+=("$arg") ;;
    esac
done
hint="scripts/test.sh --list shows the tiers and tests"
for name in ${TIERS:-}; do
    select_tier "$name" || die "TIERS: unknown tier '$name' ($hint)"
done
for name in ${TESTS:-}; do
    select_test "$name" || die "TESTS: no pg_regress test or isolation spec '$name' ($hint)"
done
for name in "${words[@]}"; do
    select_tier "$name" || select_test "$name" || die "unknown tier or test '$name' ($hint)"
done
for major in $(pg_majors); do
    (use_major "$major") || exit 1
done

# runs NAME: whether tier NAME is part of this run.
runs() { [ ${#selected[@]} -eq 0 ] || [[ " ${selected[*]} " == *" $1 "* ]]; }
# runs_any TIER...: whether any of them is.
runs_any() {
    local t
    for t in "$@"; do runs "$t" && return 0; done
    return 1
}

"$REPO/scripts/setup.sh"
cd "$REPO"

passed=0
failed=0
failures=()
summary=()
major_passed=0
major_failed=0
# tier NAME COMMAND...: runs one tier (unless the selection leaves it out) and counts it.
tier() {
    local name=$1 label=$1 start=$SECONDS
    shift
    runs "$name" || return 0
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
    cargo test -p habtm-naming -p habtm-sql -p habtm-sets -p habtm-filter
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
    local tests=("${regress_tests[@]}")
    [ ${#tests[@]} -gt 0 ] \
        || mapfile -t tests < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' tests/pg_regress/schedule)
    run_pg_regress "$out" habtm_regress "${tests[@]}" || rc=$?
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
        with_cluster isolation tests/isolation/run.sh "${isolation_tests[@]}"
}

# Hostile calls of every public function (tests/fuzz/): no internal error, no crash, nothing
# changed after an error, no drift. Seeded and deterministic (FUZZ_SEED, FUZZ_CASES).
fuzz() { FUZZ_CASES="${FUZZ_CASES:-4000}" with_cluster fuzz tests/fuzz/run.sh; }

# shellcheck disable=SC2086 # one tier name per word
if runs_any $ONCE_TIERS; then
    tier style style
    tier vectors-in-sync vectors_in_sync
    tier unit unit
    tier release tests/release/check.py
    summary+=("any major: $passed passed, $failed failed")
fi

# shellcheck disable=SC2086 # one tier name per word
if runs_any $MAJOR_TIERS; then
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
fi

printf '%s\n' "${summary[@]}"
if [ $failed -gt 0 ]; then
    printf 'failed tiers: %s\n' "${failures[*]}"
fi
printf 'tiers: %d passed, %d failed (%d s)\n' "$passed" "$failed" "$SECONDS"
[ $failed -eq 0 ]

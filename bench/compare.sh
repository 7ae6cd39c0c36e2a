#!/usr/bin/env bash
# Compares two revisions side by side in one run, on PostgreSQL 15:
#   bench/compare.sh OLD NEW associations|arrays
#   ROUNDS=5 RUNS=1 SCALE=0.1 ROW_RUNS=0 bench/compare.sh ce91a86 main arrays
#
# Builds each revision's release library and SQL files once (`cargo pgrx package` in a temporary
# `git worktree --detach` of it, kept in $COMPARE_CACHE/build/SHA: a second comparison of the
# same commits builds nothing). Both builds share one CARGO_TARGET_DIR: the dependencies are the
# same, so the second revision only builds habtm (here, on 2 busy cores: the first 441 s from
# cold, the second 71 s; separate target directories would build everything twice).
# Then it starts one throwaway cluster and alternates the revisions, ROUNDS rounds each, in ABBA
# order (OLD NEW NEW OLD OLD NEW ...: a steady drift of the machine's load falls on both alike).
# Each round installs its revision's files into PostgreSQL 15's lib and share directories as new
# files (`cp --remove-destination`: no backend's mapped library is written in place), checks
# them, creates a new database (new backends, which load the library just installed) and runs
# this tree's bench/NAME.py there, for both revisions alike, with BENCH_JSON.
#
# At the end, per variant: the median over rounds of each revision's per-round medians, NEW/OLD,
# and OLD's band: the lowest and highest of OLD's own round medians over their median. A ratio
# outside that band is flagged: NEW did worse (or better) than OLD's own repetitions ever did.
# Beside it, in how many of the adjacent OLD/NEW round pairs NEW did worse (a sign test: with 5
# pairs, 5 of 5 happens by chance one time in 32). Each round's output and JSON, and the table as
# markdown, stay in $COMPARE_CACHE/runs/.
#
# Environment: ROUNDS (rounds per revision, default 4); RUNS, SCALE, PARTS, VARIANTS, ROW_RUNS,
# PGBENCH_SECONDS go to the benchmark unchanged; COMPARE_CACHE (default target/compare);
# REBUILD=1 builds again.
# At the end PostgreSQL 15 is left with this tree's release build installed, as the package tier
# of scripts/test.sh leaves it (install_extension; when this tree is NEW's commit, bench/ aside,
# NEW's files are that build and are installed as they are), and the temporary worktrees and the
# cluster are removed, on failure too.
HABTM_PG_MAJOR=15
source "$(dirname "$0")/../scripts/lib.sh"
use_major 15

[ $# -eq 3 ] || die "usage: bench/compare.sh OLD NEW associations|arrays"
old_rev=$1 new_rev=$2 which=$3
case $which in associations | arrays) ;; *) die "no benchmark '$which' (associations or arrays)" ;; esac
ROUNDS=${ROUNDS:-4}
cache=${COMPARE_CACHE:-$REPO/target/compare}
old_sha=$(git -C "$REPO" rev-parse --verify "$old_rev^{commit}") || die "no revision $old_rev"
new_sha=$(git -C "$REPO" rev-parse --verify "$new_rev^{commit}") || die "no revision $new_rev"
started=$(date +%s)
umask 022 # the installed files readable by the server
mkdir -p "$cache"

# install SHA: copies the revision's files into place as new files, removes the other revision's
# files it lacks, and checks the library in place is this revision's.
install_rev() {
    local sha=$1 other=$2 f
    while read -r f; do
        as_root cp --remove-destination "$cache/build/$sha/$f" "/$f"
    done <"$cache/build/$sha/.done"
    [ ! -f "$cache/build/$other/.done" ] || while read -r f; do
        grep -qxF "$f" "$cache/build/$sha/.done" || as_root rm -f "/$f"
    done <"$cache/build/$other/.done"
    while read -r f; do
        cmp -s "$cache/build/$sha/$f" "/$f" || die "/$f is not ${sha:0:9}'s"
    done <"$cache/build/$sha/.done"
}

tmp=$(mktemp -d /tmp/habtm-compare.XXXXXX)
chmod 755 "$tmp"
cluster=$tmp/cluster
worktrees=()
cleanup() {
    local rc=$?
    cluster_stop "$cluster"
    local w
    for w in "${worktrees[@]}"; do
        [ ! -d "$w" ] || git -C "$REPO" worktree remove --force "$w" || true
    done
    rm -rf "$tmp"
    # Leave PostgreSQL 15 as the package tier does: this tree's release build installed. When
    # this tree is NEW's, bench/ aside, and has no changes, that is NEW's build: installed as is.
    if [ -f "$cache/build/$new_sha/.done" ] && git -C "$REPO" diff --quiet "$new_sha" -- . ':!bench'; then
        log "installing NEW's release build (this tree's, bench/ aside)"
        install_rev "$new_sha" "$old_sha" || rc=1
    else
        log "building and installing this tree's release build (log: $cache/install.log)"
        CARGO_TARGET_DIR=$cache/target install_extension >"$cache/install.log" 2>&1 \
            || { tail -30 "$cache/install.log" >&2; rc=1; }
    fi
    log "total $(( ($(date +%s) - started) / 60 )) min $(( ($(date +%s) - started) % 60 )) s"
    exit $rc
}
trap cleanup EXIT

# build SHA: $cache/build/SHA/ holds the revision's files as installed (usr/lib/..., usr/share/...).
build() {
    local sha=$1 out=$cache/build/$1
    if [ -f "$out/.done" ] && [ -z "${REBUILD:-}" ]; then
        log "${sha:0:9}: built before ($out)"
        return
    fi
    local src=$tmp/src-${sha:0:12} t0
    t0=$(date +%s)
    git -C "$REPO" worktree add --detach "$src" "$sha" >/dev/null 2>&1 || die "git worktree add $sha failed"
    worktrees+=("$src")
    log "${sha:0:9}: cargo pgrx package (log: $cache/build/${sha}.log)"
    rm -rf "$out"
    mkdir -p "$cache/build"
    (cd "$src" && CARGO_TARGET_DIR=$cache/target cargo pgrx package --pg-config "$PG_CONFIG" \
        --out-dir "$out") >"$cache/build/${sha}.log" 2>&1 \
        || { tail -30 "$cache/build/${sha}.log" >&2; die "building $sha failed"; }
    (cd "$out" && find . -type f ! -name .done | sort) >"$out/.done"
    git -C "$REPO" worktree remove --force "$src"
    log "${sha:0:9}: built in $(( $(date +%s) - t0 )) s"
}
build "$old_sha"
build "$new_sha"
[ "$(cat "$cache/build/$old_sha/.done")" = "$(cat "$cache/build/$new_sha/.done")" ] \
    || log "the revisions install different files:"$'\n'"$(diff "$cache/build/$old_sha/.done" "$cache/build/$new_sha/.done")"

cluster_start "$cluster"
results=$cache/runs/$(date +%Y%m%d-%H%M%S)-$which
mkdir -p "$results"
order=()
for ((r = 0; r < ROUNDS; r++)); do
    if ((r % 2 == 0)); then order+=(old new); else order+=(new old); fi
done
settings=$(for v in RUNS SCALE PARTS VARIANTS ROW_RUNS PGBENCH_SECONDS; do
    [ -z "${!v+x}" ] || printf ' %s=%q' "$v" "${!v}"
done)
log "$which: ${#order[@]} rounds, OLD ${old_sha:0:9} and NEW ${new_sha:0:9} in turn (ROUNDS=$ROUNDS$settings)"
echo "OLD $old_sha NEW $new_sha ROUNDS=$ROUNDS$settings" >"$results/settings.txt"
n=0
for side in "${order[@]}"; do
    n=$((n + 1))
    if [ "$side" = old ]; then sha=$old_sha other=$new_sha; else sha=$new_sha other=$old_sha; fi
    install_rev "$sha" "$other"
    db=compare_$n
    createdb "$db"
    t0=$(date +%s)
    PGDATABASE=$db BENCH_JSON=$results/$n-$side.json python3 "$REPO/bench/$which.py" \
        >"$results/$n-$side.txt" 2>&1 || { cat "$results/$n-$side.txt" >&2; die "round $n ($side) failed"; }
    dropdb "$db"
    log "round $n/${#order[@]} ($side ${sha:0:9}) $(( $(date +%s) - t0 )) s," \
        "$(( ($(date +%s) - started) / 60 )) min so far"
done

python3 - "$results" "$old_sha" "$new_sha" "$which" <<'EOF' | tee "$results/summary.txt"
import glob, json, os, statistics, sys
results, old_sha, new_sha, which = sys.argv[1:]
rounds = {"old": [], "new": []}
for path in sorted(glob.glob(f"{results}/*.json"), key=lambda p: int(os.path.basename(p).split("-")[0])):
    with open(path) as f:
        rounds[os.path.basename(path).split("-")[1][:-5]].append(json.load(f))
count = len(rounds["old"])
print(f"\n{which}: OLD {old_sha[:9]}, NEW {new_sha[:9]}; {count} rounds each (ABBA), per round the median"
      " of its runs; below, the median over rounds")
print(f"{'variant':58} {'unit':>7} {'OLD':>9} {'NEW':>9} {'NEW/OLD':>8} {'OLD band':>13} {'worse':>6}  verdict")
md = ["| variant | unit | OLD | NEW | NEW/OLD | OLD band | NEW worse in pairs |", "|---|---|---:|---:|---:|---:|---:|"]
flagged = []
for name, first in rounds["old"][0].items():
    o = [r[name]["median"] for r in rounds["old"]]
    n = [r[name]["median"] for r in rounds["new"]]
    mo, mn = statistics.median(o), statistics.median(n)
    lo, hi = min(o) / mo, max(o) / mo
    ratio = mn / mo
    # the i-th OLD and the i-th NEW round are adjacent (one ABBA pair)
    worse_pairs = sum((b < a) if first["higher_is_better"] else (b > a) for a, b in zip(o, n))
    verdict = "within noise"
    if not lo <= ratio <= hi:
        worse = ratio < lo if first["higher_is_better"] else ratio > hi
        verdict = "NEW SLOWER beyond noise" if worse else "NEW faster beyond noise"
        flagged.append((name, verdict))
    print(f"{name[:58]:58} {first['unit']:>7} {mo:9.3f} {mn:9.3f} {ratio:8.3f} {lo:6.3f}-{hi:5.3f}"
          f" {worse_pairs:>3}/{len(n)}  {verdict}")
    mark = "" if verdict == "within noise" else " **" + verdict.split(" beyond")[0].lower() + "**"
    md.append(f"| {name} | {first['unit']} | {mo:.3f} | {mn:.3f} | {ratio:.2f}{mark} | {lo:.2f}–{hi:.2f} | {worse_pairs}/{len(n)} |")
print("\nNEW/OLD: the medians' ratio (for tps higher is better). OLD band: OLD's lowest and highest round"
      " median over OLD's median, the range the same code gave here on repetition. worse: the adjacent"
      " OLD/NEW round pairs in which NEW did worse.")
# How often a median of NEW's rounds falls outside OLD's band when nothing changed (both sides
# drawn from one distribution): the chance flags to expect among this many variants.
import random
rng = random.Random(1)
trials = 20000
chance = sum(not min(o) <= statistics.median(n) <= max(o)
             for o, n in (([rng.random() for _ in range(count)], [rng.random() for _ in range(count)])
                          for _ in range(trials))) / trials
total = len(rounds["old"][0])
print(f"With {count} rounds a side and no change at all, a NEW median falls outside OLD's band with"
      f" probability {chance:.3f}: about {chance * total:.1f} of these {total} variants by chance.")
if flagged:
    print(f"{len(flagged)} of {total} outside OLD's band: " + "; ".join(f"{n} ({v})" for n, v in flagged))
else:
    print(f"all {total} ratios within OLD's band")
with open(f"{results}/summary.md", "w") as f:
    f.write("\n".join(md) + "\n")
print(f"(rounds' output, JSON and this table as markdown: {results})")
EOF

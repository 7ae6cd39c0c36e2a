# Shared by the scripts in this folder: paths, privilege helpers, throwaway clusters.
# Source it; it sets `set -euo pipefail`.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PG_MAJOR=15
PG_BIN=/usr/lib/postgresql/$PG_MAJOR/bin
PG_CONFIG=$PG_BIN/pg_config # the real one; /usr/bin/pg_config is a wrapper
export PATH="$HOME/.cargo/bin:$PATH"

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
    # Without RUST_BACKTRACE: pgrx would append a backtrace to the DETAIL of errors it re-raises.
    as_postgres env -u RUST_BACKTRACE -u RUST_LIB_BACKTRACE \
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

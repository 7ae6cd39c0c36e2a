#!/usr/bin/env bash
# The upgrade test: the last release, built from git and installed, holds real data; the
# release in this tree is installed beside it; ALTER EXTENSION habtm UPDATE; then the upgraded
# database and a fresh CREATE EXTENSION must expose the same objects (tests/upgrade/describe.sql:
# functions, signatures, libraries, catalog columns, policies, triggers, comments, privileges, the
# catalog's rows and the triggers on users' tables), and the arrays stay exact under every kind
# of write afterwards (after.sql, run in both). Also: a database not yet updated keeps working
# once the new files are installed, and an update rolled back leaves the last release in place.
#
#   tests/upgrade/run.sh        on the default major; HABTM_PG_MAJOR=17 tests/upgrade/run.sh on another
#
# Each release sets LAST_RELEASE and LAST_RELEASE_COMMIT below to the release before it, and
# ships sql/habtm--<last>--<this>.sql.
source "$(dirname "$0")/../../scripts/lib.sh"

LAST_RELEASE=0.2.0
LAST_RELEASE_COMMIT=ce91a8673941cd02dc3d25adf256cb74d65fb9ec # the commit that ended 0.2.0's work
here=$REPO/tests/upgrade
THIS_RELEASE=$(habtm_version)

# The last release's tree, from git (a shallow clone fetches the commit), built once per major
# with its own target directory (kept, so a second run builds nothing).
old=$REPO/target/upgrade/habtm-$LAST_RELEASE
if [ ! -f "$old/Cargo.toml" ]; then
    git -C "$REPO" cat-file -e "$LAST_RELEASE_COMMIT^{commit}" 2>/dev/null \
        || git -C "$REPO" fetch -q origin "$LAST_RELEASE_COMMIT" \
        || die "commit $LAST_RELEASE_COMMIT (habtm $LAST_RELEASE) is not in this clone"
    rm -rf "$old.tmp" && mkdir -p "$old.tmp"
    git -C "$REPO" archive "$LAST_RELEASE_COMMIT" | tar -x -C "$old.tmp"
    mv "$old.tmp" "$old"
fi
log "building habtm $LAST_RELEASE (git $LAST_RELEASE_COMMIT) for PostgreSQL $PG_MAJOR"
sudo_flag=()
is_root || sudo_flag=(--sudo)
(cd "$old" && CARGO_TARGET_DIR=$REPO/target/upgrade/target cargo pgrx install \
    --pg-config "$PG_CONFIG" "${sudo_flag[@]}") >/dev/null

dir=$(mktemp -d /tmp/habtm-upgrade.XXXXXX)
out=$(mktemp -d /tmp/habtm-upgrade-out.XXXXXX)
installed_new=
cleanup() {
    cluster_stop "$dir"
    [ -n "${KEEP_OUTPUT:-}" ] || rm -rf "$out"
    # never leave the last release's control file as the server's default
    [ -n "$installed_new" ] || install_extension >/dev/null 2>&1 || true
}
trap cleanup EXIT
cluster_start "$dir"
export PATH="$PG_BIN:$PATH"
q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }

log "habtm $LAST_RELEASE: CREATE EXTENSION and data"
createdb upgraded
q -d upgraded -c "CREATE EXTENSION habtm VERSION '$LAST_RELEASE'"
q -d upgraded -v writes=", writes => 'links'" -f "$here/data.sql" >/dev/null

log "installing habtm $THIS_RELEASE beside it"
install_extension >/dev/null
installed_new=1

# Still on the last release, with its own library, until the database is updated.
q -d upgraded -f "$here/before.sql" >"$out/upgraded.before"
grep -qx "$LAST_RELEASE" <(q -d upgraded -Atc "SELECT extversion FROM pg_extension WHERE extname = 'habtm'") \
    || die "the database left $LAST_RELEASE before ALTER EXTENSION"

# An update rolled back changes nothing.
q -d upgraded -c "BEGIN" -c "ALTER EXTENSION habtm UPDATE TO '$THIS_RELEASE'" -c "ROLLBACK"
[ "$(q -d upgraded -Atc "SELECT extversion FROM pg_extension WHERE extname = 'habtm'")" = "$LAST_RELEASE" ] \
    || die "a rolled-back update left the extension changed"

# Trigger functions, which users' tables depend on, keep their names, signatures and OIDs.
trigger_functions="SELECT p.oid || ' ' || p.oid::regprocedure FROM pg_catalog.pg_proc p
  WHERE p.pronamespace = 'habtm'::regnamespace AND p.prorettype = 'trigger'::regtype ORDER BY 1"
q -d upgraded -Atc "$trigger_functions" >"$out/trigger_functions.before"

log "ALTER EXTENSION habtm UPDATE TO '$THIS_RELEASE'"
q -d upgraded -c "ALTER EXTENSION habtm UPDATE TO '$THIS_RELEASE'"
q -d upgraded -Atc "$trigger_functions" >"$out/trigger_functions.after"

log "a fresh CREATE EXTENSION habtm ($THIS_RELEASE) with the same data"
createdb fresh
q -d fresh -c "CREATE EXTENSION habtm"
q -d fresh -v writes=", writes => 'links'" -f "$here/data.sql" >/dev/null
q -d fresh -f "$here/before.sql" >"$out/fresh.before"

rc=0
for db in upgraded fresh; do
    q -d "$db" -f "$here/describe.sql" >"$out/$db.objects" || rc=1
done
if ! diff -u "$out/fresh.objects" "$out/upgraded.objects"; then
    echo "upgrade: the upgraded database differs from a fresh CREATE EXTENSION (- fresh, + upgraded)" >&2
    rc=1
fi
[ -s "$out/trigger_functions.before" ] || { echo "upgrade: no trigger functions found in $LAST_RELEASE" >&2; rc=1; }
lost=$(comm -23 <(sort "$out/trigger_functions.before") <(sort "$out/trigger_functions.after"))
[ -z "$lost" ] || { echo "upgrade: trigger functions lost or re-created: $lost" >&2; rc=1; }
grep -q "^extension habtm $THIS_RELEASE " "$out/upgraded.objects" || { echo "upgrade: not at $THIS_RELEASE" >&2; rc=1; }
for db in upgraded fresh; do
    q -d "$db" -f "$here/after.sql" >"$out/$db.after" 2>&1 || { cat "$out/$db.after"; rc=1; }
done
if ! diff -u "$out/fresh.after" "$out/upgraded.after"; then
    echo "upgrade: writes after the update behave differently from a fresh install (- fresh, + upgraded)" >&2
    rc=1
fi
echo "upgrade $LAST_RELEASE -> $THIS_RELEASE on PostgreSQL $PG_MAJOR: $(grep -c . "$out/upgraded.objects") facts compared, $(grep -m1 drift_by_hand "$out/upgraded.after")"
[ $rc -eq 0 ] && echo "upgrade: passed" || echo "upgrade: FAILED" >&2
exit $rc

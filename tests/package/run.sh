#!/usr/bin/env bash
# The package test: builds the Debian package of one major (scripts/package.sh), installs it
# with dpkg into a clean PostgreSQL of that major, and runs the smoke part of the suite
# (pg_regress: naming, join_tables, associations, the arrays_* files, array_writes) against a
# cluster of that server; then removes the package.
#
#   tests/package/run.sh              the default major; HABTM_PG_MAJOR=17 tests/package/run.sh
#
# PostgreSQL 15 is Debian's own package: `dpkg -i` installs into it, dependencies checked. 16-18
# here are PyPI's relocatable builds, not Debian packages (apt.postgresql.org, which has
# postgresql-17, is not a registry this project may use): the test copies the build into a
# fresh directory in Debian's layout (/usr/lib/postgresql/NN, /usr/share/postgresql/NN) and
# installs the package there with `dpkg --root`, its dependency on postgresql-NN forced.
source "$(dirname "$0")/../../scripts/lib.sh"
cd "$REPO"

SMOKE="naming join_tables associations arrays_denormalize arrays_join_writes arrays_cascades
    arrays_column_writes arrays_check_repair arrays_self arrays_keys arrays_privileges array_writes"
deb=$(scripts/package.sh "$PG_MAJOR" | tail -1)
name=$(dpkg-deb -f "$deb" Package)
version=$(dpkg-deb -f "$deb" Version)
# What dpkg will install: every entry root's, directories 0755, files 0644; the dependency on
# this major's server.
bad=$(dpkg-deb -c "$deb" | awk '$2 != "root/root" || ($1 !~ /^(drwxr-xr-x|-rw-r--r--)$/)')
[ -z "$bad" ] || die "$deb: entries with other owners or modes: $bad"
dpkg-deb -f "$deb" Depends | grep -q "postgresql-$PG_MAJOR\b" || die "$deb does not depend on postgresql-$PG_MAJOR"
log "installing $deb"

work=$(mktemp -d /tmp/habtm-package.XXXXXX)
chmod 755 "$work" # the `postgres` user runs the cluster inside
cleanup() {
    [ -n "${cluster:-}" ] && cluster_stop "$cluster"
    if [ -z "$(wheel_version "$PG_MAJOR")" ]; then
        as_root dpkg --purge "$name" >/dev/null 2>&1 || true
        # the system's PostgreSQL left with the build installed, as before the test
        install_extension >/dev/null 2>&1 || echo "package: could not reinstall the build" >&2
    fi
    as_root rm -rf "$work"
}
trap cleanup EXIT

if [ -z "$(wheel_version "$PG_MAJOR")" ]; then
    # Debian's PostgreSQL: a clean one has no habtm files the package does not own.
    as_root dpkg --purge "$name" >/dev/null 2>&1 || true
    as_root rm -f "$("$PG_CONFIG" --pkglibdir)"/habtm*.so "$("$PG_CONFIG" --sharedir)"/extension/habtm*
    as_root dpkg -i "$deb"
    as_root dpkg --verify "$name" || die "dpkg --verify $name failed"
    dpkg-query -W -f='${Status}\n' "$name" | grep -qx "install ok installed" || die "$name is not installed"
    installed_bin=$PG_BIN
else
    # A clean server of this major in Debian's layout, under $work/root.
    root=$work/root
    src=$(dirname "$PG_BIN")
    as_root mkdir -p "$root/usr/lib/postgresql/$PG_MAJOR" "$root/usr/share/postgresql" \
        "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates"
    as_root touch "$root/var/lib/dpkg/status" "$root/var/lib/dpkg/available"
    as_root cp -a "$src/bin" "$src/lib" "$root/usr/lib/postgresql/$PG_MAJOR/"
    as_root cp -a "$src/share" "$root/usr/share/postgresql/$PG_MAJOR"
    # (the build finds its share directory beside bin; Debian keeps it under /usr/share)
    as_root ln -s "../../../share/postgresql/$PG_MAJOR" "$root/usr/lib/postgresql/$PG_MAJOR/share"
    as_root rm -f "$root/usr/lib/postgresql/$PG_MAJOR/lib"/habtm*.so "$root/usr/share/postgresql/$PG_MAJOR/extension"/habtm*
    as_root dpkg --root="$root" --force-depends -i "$deb"
    as_root dpkg --root="$root" --verify "$name" || die "dpkg --verify $name failed"
    as_root chmod -R a+rX "$root"
    installed_bin=$root/usr/lib/postgresql/$PG_MAJOR/bin
fi

# The package's files are the extension the server finds.
PG_BIN=$installed_bin PG_CONFIG=$installed_bin/pg_config
ext=$("$PG_CONFIG" --sharedir)/extension
[ -f "$ext/habtm.control" ] && [ -f "$("$PG_CONFIG" --pkglibdir)/habtm-${version%-*}.so" ] \
    || die "the server of $PG_BIN does not see the package's files"

cluster=$work/cluster
cluster_start "$cluster"
out=$work/out
mkdir -p "$out" && chmod 777 "$out"
rc=0
# shellcheck disable=SC2086 # one test name per word
run_pg_regress "$out" habtm_package $SMOKE || rc=$?
libs=$(psql -X -At -d postgres -c "CREATE DATABASE habtm_package_probe" \
    -c "SELECT 1" >/dev/null && psql -X -q -At -d habtm_package_probe \
    -c "CREATE EXTENSION habtm" -c "SELECT string_agg(DISTINCT probin, ',') FROM pg_proc WHERE probin LIKE 'habtm%'")
[ "$libs" = "habtm-${version%-*}" ] || { echo "package: functions use '$libs'" >&2; rc=1; }
echo "package $name $version on PostgreSQL $PG_MAJOR: $([ $rc -eq 0 ] && echo passed || echo FAILED)"
exit $rc

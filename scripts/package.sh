#!/usr/bin/env bash
# Builds an installable Debian package of habtm for each PostgreSQL major, named like the
# community's (apt.postgresql.org): postgresql-17-habtm_0.3.0-1_amd64.deb, in target/packages/.
#
#   scripts/package.sh            every supported major
#   scripts/package.sh 17 18      those majors
#
# `cargo pgrx package` builds the release library against the major's headers and stages its
# files; they are laid out as Debian's PostgreSQL packages expect (/usr/lib/postgresql/NN/lib,
# /usr/share/postgresql/NN/extension), whichever pg_config built them, and the package depends
# on postgresql-NN. Install one with `dpkg -i` (or `apt install ./FILE.deb`), then
# CREATE EXTENSION habtm in each database. Installs what it needs first (scripts/setup.sh).
source "$(dirname "$0")/lib.sh"

"$REPO/scripts/setup.sh" >&2
cd "$REPO"
umask 022 # every directory and file of a package readable by all

version=$(habtm_version)
revision=1
arch=$(dpkg --print-architecture)
out=$REPO/target/packages
mkdir -p "$out"

majors=("$@")
[ ${#majors[@]} -gt 0 ] || read -r -a majors <<<"$PG_MAJORS_SUPPORTED"

for major in "${majors[@]}"; do
    use_major "$major"
    name=postgresql-$PG_MAJOR-habtm
    deb=$out/${name}_$version-${revision}_$arch.deb
    log "packaging $name $version for PostgreSQL $PG_MAJOR ($PG_CONFIG)"
    stage=$(mktemp -d "$out/.stage.XXXXXX")
    root=$(mktemp -d "$out/.root.XXXXXX")
    trap 'rm -rf "$stage" "$root"' EXIT
    chmod 755 "$root" # the package's / (mktemp makes it 0700)
    cargo pgrx package --pg-config "$PG_CONFIG" --out-dir "$stage" >&2

    lib=$root/usr/lib/postgresql/$PG_MAJOR/lib
    ext=$root/usr/share/postgresql/$PG_MAJOR/extension
    doc=$root/usr/share/doc/$name
    install -d -m 755 "$lib" "$ext" "$doc" "$root/DEBIAN"
    install -m 644 "$stage$("$PG_CONFIG" --pkglibdir)"/habtm-"$version".so "$lib/"
    strip --strip-unneeded "$lib/habtm-$version.so" # as Debian's packages ship libraries
    install -m 644 "$stage$("$PG_CONFIG" --sharedir)"/extension/habtm* "$ext/"
    install -m 644 LICENSE "$doc/copyright"
    gzip -9n <CHANGELOG.md >"$doc/changelog.gz" && chmod 644 "$doc/changelog.gz"
    rm -rf "$stage"

    # Every file the package installs: the library, the control file, the install script of
    # this release and the upgrade script from each earlier one.
    [ -f "$ext/habtm--$version.sql" ] || die "no habtm--$version.sql was built"
    (cd "$root" && find usr -type f -print0 | sort -z | xargs -0 md5sum) >"$root/DEBIAN/md5sums"
    size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
    cat >"$root/DEBIAN/control" <<CONTROL
Package: $name
Version: $version-$revision
Architecture: $arch
Maintainer: habtm developers <maintainers@users.noreply.h-seed-f8bfc839.example>
Installed-Size: $size
Depends: postgresql-$PG_MAJOR, libc6 (>= 2.34), libgcc-s1
Section: database
Priority: optional
Homepage: https://pgxn.org/dist/habtm/
Description: many-to-many associations for PostgreSQL $PG_MAJOR
 habtm gives PostgreSQL the association primitives that web frameworks keep
 rebuilding in application code: Rails' has_and_belongs_to_many and
 create_join_table with Rails' naming rules, LoopBack's relation methods, and
 denormalised id arrays kept exact by triggers.
 .
 This package is built for PostgreSQL $PG_MAJOR.
CONTROL
    chmod 644 "$root/DEBIAN/control" "$root/DEBIAN/md5sums"
    dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >&2
    rm -rf "$root"
    echo "$deb"
done

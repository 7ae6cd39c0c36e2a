#!/usr/bin/env bash
# Installs everything the project needs on Debian 12, idempotently and quickly when done:
# Debian packages, cargo-pgrx at the version pinned in Cargo.toml, `cargo pgrx init` against
# the system PostgreSQL 15. As root, or as a user with sudo.
source "$(dirname "$0")/lib.sh"

PACKAGES=(
    "postgresql-$PG_MAJOR" "postgresql-server-dev-$PG_MAJOR" # server, headers and pg_regress
    libclang-dev clang pkg-config gcc make                 # pgrx's bindgen and build
    sudo                                                   # run the server as `postgres`
    ruby ruby-activesupport                                # real Rails, the naming oracle in tests
    python3                                                # benchmark driver
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

pgrx_home=${PGRX_HOME:-$HOME/.pgrx}
if ! grep -qs "^pg$PG_MAJOR = \"$PG_CONFIG\"" "$pgrx_home/config.toml"; then
    log "cargo pgrx init --pg$PG_MAJOR $PG_CONFIG"
    cargo pgrx init "--pg$PG_MAJOR" "$PG_CONFIG"
fi
log "setup complete"

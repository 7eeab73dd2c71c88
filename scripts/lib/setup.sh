# Shared by scripts/run and scripts/test: install what is missing (Debian 12,
# as root), then configure and build. Sourced, not run.

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

PACKAGES="meson ninja-build pkg-config gcc libc6-dev libsqlite3-dev sqlite3 libxml2-dev \
libxml2-utils libxslt1-dev python3 python3-dev procps libmicrohttpd-dev libjansson-dev libsodium-dev \
libpq-dev postgresql tzdata"

# Each step says when it starts (the machine's clock, UTC or not), so that
# a slow run shows where its time went.
say() { printf '\033[1m==> %s\033[0m (%s)\n' "$*" "$(date +%H:%M:%S)"; }

install_missing() {
    missing=""
    for p in $PACKAGES "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
            missing="$missing $p"
    done
    [ -z "$missing" ] && return 0
    if [ "$(id -u)" -ne 0 ]; then
        echo "missing Debian packages:$missing" >&2
        echo "install them with: sudo apt-get install -y$missing" >&2
        exit 1
    fi
    say "installing$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    # shellcheck disable=SC2086
    apt-get install -y -q --no-install-recommends $missing >/dev/null
}

# The browser tests' tools: Debian's chromium, node and npm, and
# playwright-core (npm, pinned by tests/browser/package-lock.json) in
# tests/browser/node_modules. Without them the browser tests are skipped.
install_browser_tools() {
    missing=""
    [ -x /usr/bin/chromium ] || missing="$missing chromium"
    command -v node >/dev/null 2>&1 || missing="$missing nodejs"
    command -v npm >/dev/null 2>&1 || missing="$missing npm"
    if [ -n "$missing" ]; then
        if [ "$(id -u)" -ne 0 ]; then
            echo "browser tests skipped: missing$missing (sudo apt-get install -y$missing)" >&2
            return 0
        fi
        say "installing$missing (browser tests)"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -q >/dev/null
        # shellcheck disable=SC2086
        apt-get install -y -q --no-install-recommends $missing >/dev/null
    fi
    if [ ! -d "$ROOT/tests/browser/node_modules/playwright-core" ]; then
        say "installing playwright-core (tests/browser/node_modules)"
        (cd "$ROOT/tests/browser" && npm ci --no-audit --no-fund >/dev/null 2>&1) ||
            echo "browser tests skipped: npm ci failed in tests/browser" >&2
    fi
}

# build DIR [meson options…]
build() {
    mkdir -p build-logs
    dir=$1
    shift
    if [ ! -f "$dir/build.ninja" ]; then
        say "configuring $dir"
        meson setup "$dir" "$@" >"build-logs/$dir.setup.log" 2>&1 || { cat "build-logs/$dir.setup.log"; exit 1; }
    fi
    say "building $dir"
    ninja -C "$dir" >"build-logs/$dir.build.log" 2>&1 || { cat "build-logs/$dir.build.log"; exit 1; }
}

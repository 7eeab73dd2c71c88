#!/bin/sh
# with-postgres.sh CMD [ARGS…]: runs CMD against a private PostgreSQL server
# started for it (Debian's postgresql package) and stopped afterwards: a
# cluster in a temporary folder listening only on a unix socket in that
# folder (no TCP port), trust authentication for the local user. CMD sees
# FILROUGE_TEST_STORE=postgresql://…, which the tests' site and store
# helpers honour (tests/test.c). As root, the server runs as the
# `postgres` user (PostgreSQL refuses to run as root).
#
# Used by `meson test --setup postgresql` (tests/meson.build) as the
# wrapper of every test, and by hand: tests/pg/with-postgres.sh sh -c '…'.
# PG_DURABLE=1 keeps fsync on (scripts/bench: durable PostgreSQL figures).
set -eu
bindir=${PG_BINDIR:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
if [ ! -x "$bindir/initdb" ]; then
    echo "with-postgres: no PostgreSQL server found (install Debian's postgresql package)" >&2
    exit 77
fi
# /tmp: short enough for a socket path, and reachable by the postgres user.
base=${TMPDIR:-/tmp}
dir=$(mktemp -d "$base/pg-XXXXXX")
user=$(id -un)
as_server() { "$@"; }
if [ "$(id -u)" -eq 0 ]; then
    user=postgres
    chown postgres "$dir"
    chmod 755 "$dir"
    as_server() { runuser -u postgres -- "$@"; }
fi
stop() {
    as_server "$bindir/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    if [ "${keep:-0}" = 0 ]; then rm -rf "$dir"; fi
}
trap stop EXIT INT TERM
as_server "$bindir/initdb" -D "$dir/data" -U "$user" --auth=trust --no-locale -E UTF8 \
    >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
# Unix socket only, in the folder; durability off (a test cluster), unless
# PG_DURABLE=1 (the benchmarks: fsync and synchronous commit on, as in
# production).
durability="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
[ "${PG_DURABLE:-0}" = 1 ] && durability="-c fsync=on -c synchronous_commit=on -c full_page_writes=on"
as_server "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
    -o "-k $dir -c listen_addresses= $durability -c max_connections=200" \
    start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
export FILROUGE_TEST_STORE="postgresql://$user@/postgres?host=$dir"
set +e
"$@"
status=$?
set -e
keep=0
[ "$status" -eq 0 ] || { keep=${TEST_KEEP:-0}; [ "$keep" = 0 ] || echo "with-postgres: server folder kept: $dir" >&2; }
exit "$status"

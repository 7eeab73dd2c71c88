# Shared by the CLI tests: a fresh site in a temporary folder and a few
# assertions. Each test prints "ok - …" / "not ok - …" lines and exits 1 if
# any check failed.
set -u
FR=${1:?usage: sh TEST.sh path/to/filrouge}
BASE=${TEST_TMP_BASE:-/tmp}
TMP=$(mktemp -d "$BASE/cli-XXXXXX")
export FILROUGE_SITE="$TMP/site"
export FILROUGE_LOG="$TMP/filrouge.log"
unset FILROUGE_USER
FAILED=0
N=0

pass() { N=$((N + 1)); echo "ok $N - $1"; }
fail() { N=$((N + 1)); echo "not ok $N - $1"; FAILED=1; }

# ok DESCRIPTION -- COMMAND…: the command succeeds
ok() {
    d=$1; shift 2
    if "$FR" "$@" >"$TMP/out" 2>"$TMP/err"; then pass "$d"; else
        fail "$d (exit $?)"; sed 's/^/#   /' "$TMP/err"; fi
}
# refused DESCRIPTION STATUS NEEDLE -- COMMAND…: fails with STATUS and NEEDLE on stderr
refused() {
    d=$1; want=$2; needle=$3; shift 4
    "$FR" "$@" >"$TMP/out" 2>"$TMP/err"
    rc=$?
    if [ "$rc" -ne "$want" ]; then fail "$d (exit $rc, wanted $want)"; sed 's/^/#   /' "$TMP/err";
    elif ! grep -qF -- "$needle" "$TMP/err"; then fail "$d (no '$needle' in:)"; sed 's/^/#   /' "$TMP/err";
    else pass "$d"; fi
}
# out_has DESCRIPTION NEEDLE: the last command's stdout holds NEEDLE
out_has() {
    if grep -qF -- "$2" "$TMP/out"; then pass "$1"; else fail "$1 (no '$2' in:)"; sed 's/^/#   /' "$TMP/out"; fi
}
out_lacks() {
    if grep -qF -- "$2" "$TMP/out"; then fail "$1 ('$2' found)"; else pass "$1"; fi
}
# With FILROUGE_TEST_STORE (tests/pg/with-postgres.sh), sites live in fresh
# schemas of that PostgreSQL server: new_db gives one (as a location for
# `init --database`), and sql reads it with psql.
new_db() {
    [ -n "${FILROUGE_TEST_STORE:-}" ] || return 0
    _schema="c$$_${DB_SEQ:-0}"
    DB_SEQ=$((${DB_SEQ:-0} + 1))
    psql -Xq "$FILROUGE_TEST_STORE" -c "CREATE SCHEMA $_schema" >/dev/null || exit 1
    case $FILROUGE_TEST_STORE in *\?*) _sep='&' ;; *) _sep='?' ;; esac
    echo "$FILROUGE_TEST_STORE${_sep}options=-csearch_path%3D$_schema"
}
# init_args: the `init` options that put a new site in new_db's database.
init_args() { _db=$(new_db); [ -z "$_db" ] || printf '%s\n' --database "$_db"; }
# needs_sqlite: this test reads or damages the database file itself.
needs_sqlite() {
    [ -z "${FILROUGE_TEST_STORE:-}" ] && return 0
    echo "1..0 # SKIP works on the SQLite file itself"; rm -rf "$TMP"; exit 77
}
# json_field COLUMN KEY: an SQL expression for the value of KEY in the JSON
# text of COLUMN (numbers as numbers), on either backend.
json_field() {
    if [ -n "${FILROUGE_TEST_STORE:-}" ]; then
        echo "(CASE WHEN json_typeof($1::json -> '$2') = 'number' THEN (($1::json ->> '$2')::float8)::text ELSE $1::json ->> '$2' END)"
    else
        echo "json_extract($1, '\$.\"$2\"')"
    fi
}
# sql QUERY: one value from the site's database, read with the sqlite3 shell
# (read-only; waiting for locks like the program does, not failing at once),
# or with psql on PostgreSQL (same output: columns joined by |).
sql() {
    if [ -n "${FILROUGE_TEST_STORE:-}" ]; then
        psql -XAtq "$(sed -n 's:.*<database>\(.*\)</database>.*:\1:p' "$FILROUGE_SITE/site.xml" |
            sed 's/&amp;/\&/g')" -c "$1"
    else
        sqlite3 -readonly -cmd ".timeout 10000" "$FILROUGE_SITE/filrouge.db" "$1"
    fi
}

finish() {
    if [ "$FAILED" -eq 0 ]; then rm -rf "$TMP"; fi
    echo "1..$N"
    exit "$FAILED"
}

# shellcheck disable=SC2046
"$FR" init "$FILROUGE_SITE" $(init_args) >/dev/null || { echo "cannot create a site"; exit 1; }

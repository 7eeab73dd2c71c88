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
# sql QUERY: one value from the site's database, read with the sqlite3 shell
# (read-only; waiting for locks like the program does, not failing at once).
sql() { sqlite3 -readonly -cmd ".timeout 10000" "$FILROUGE_SITE/filrouge.db" "$1"; }

finish() {
    if [ "$FAILED" -eq 0 ]; then rm -rf "$TMP"; fi
    echo "1..$N"
    exit "$FAILED"
}

"$FR" init "$FILROUGE_SITE" >/dev/null || { echo "cannot create a site"; exit 1; }

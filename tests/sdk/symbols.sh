# The SDK's symbols: every FR_API function declared in sdk/include/filrouge
# is in the version script sdk/filrouge.map, and libfilrouge.so exports
# exactly those (plus fr_main), versioned FILROUGE_1 — nothing of the
# kernel's internals.
set -u
SRC=$1
LIB=$2
TMP=$(mktemp -d "${TEST_TMP_BASE:-/tmp}/sdk-XXXXXX")
grep -h '^FR_API' "$SRC"/sdk/include/filrouge/*.h |
    sed 's/^FR_API[^(]*[ *]\([a-z_0-9]*\)(.*/\1/' | sort -u >"$TMP/headers"
echo fr_main >>"$TMP/headers"
sort -u -o "$TMP/headers" "$TMP/headers"
sed -n '/global:/,/local:/p' "$SRC/sdk/filrouge.map" | grep -o '^ *[a-z_0-9]*;' | tr -d ' ;' |
    sort -u >"$TMP/map"
nm -D --defined-only "$LIB" | awk '$2 == "T" { print $3 }' | sort -u >"$TMP/exported"
failed=0
if diff -u "$TMP/headers" "$TMP/map"; then echo "ok 1 - the version script lists every FR_API function";
else echo "not ok 1 - sdk headers and sdk/filrouge.map disagree (diff above)"; failed=1; fi
sed 's/$/@@FILROUGE_1/' "$TMP/map" >"$TMP/versioned"
if diff -u "$TMP/versioned" "$TMP/exported"; then echo "ok 2 - libfilrouge exports exactly the SDK, versioned FILROUGE_1";
else echo "not ok 2 - libfilrouge exports something else (diff above)"; failed=1; fi
rm -rf "$TMP"
echo "1..2"
exit $failed

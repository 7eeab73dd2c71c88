# The SDK's symbols: every FR_API function declared in sdk/include/filrouge
# is in the version script sdk/filrouge.map, and libfilrouge.so exports
# exactly those (plus fr_main), each with the version of its node in the
# script (FILROUGE_1, then FILROUGE_1.1 …) — nothing of the kernel's internals.
set -u
SRC=$1
LIB=$2
TMP=$(mktemp -d "${TEST_TMP_BASE:-/tmp}/sdk-XXXXXX")
grep -h '^FR_API' "$SRC"/sdk/include/filrouge/*.h |
    sed 's/^FR_API[^(]*[ *]\([a-z_0-9]*\)(.*/\1/' | sort -u >"$TMP/headers"
echo fr_main >>"$TMP/headers"
sort -u -o "$TMP/headers" "$TMP/headers"
# "name@@NODE" for every global of every version node of the script
sed 's#/\*.*\*/##' "$SRC/sdk/filrouge.map" | awk '
    /^[A-Z_0-9.]+ *\{/ { node = $1; global = 0; next }
    /global:/ { global = 1; next }
    /local:/ { global = 0; next }
    /^ *\}/ { global = 0; next }
    global && /^ *[a-z_0-9]+;/ { gsub(/[ ;]/, ""); print $0 "@@" node }' | sort -u >"$TMP/versioned"
sed 's/@@.*//' "$TMP/versioned" | sort -u >"$TMP/map"
nm -D --defined-only "$LIB" | awk '$2 == "T" { print $3 }' | sort -u >"$TMP/exported"
failed=0
if diff -u "$TMP/headers" "$TMP/map"; then echo "ok 1 - the version script lists every FR_API function";
else echo "not ok 1 - sdk headers and sdk/filrouge.map disagree (diff above)"; failed=1; fi
if diff -u "$TMP/versioned" "$TMP/exported"; then echo "ok 2 - libfilrouge exports exactly the SDK, each symbol with its node's version";
else echo "not ok 2 - libfilrouge exports something else (diff above)"; failed=1; fi
rm -rf "$TMP"
echo "1..2"
exit $failed

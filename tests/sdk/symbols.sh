# The SDK's symbols: every FR_API function declared in sdk/include/filrouge
# is in the version script sdk/filrouge.map, and libfilrouge.so exports
# exactly those (plus fr_main), each with the version of its node in the
# script (FILROUGE_1, then FILROUGE_1.1 …) — nothing of the kernel's internals;
# and the plugins (in-tree, test, template) see only the SDK.
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
# Plugins are built as a third party builds theirs: their C sees only the
# SDK (<filrouge/…> and the C library's headers, never a "…" include of the
# kernel), and their meson.build uses only sdk_inc (no core_inc, core_dep,
# libfilrouge or link_with); the SDK's headers include only one another.
bad=$(cd "$SRC" && { grep -rn '#include' plugins tests/plugins sdk/template --include='*.c' --include='*.h' |
    grep -v '#include <filrouge/[a-z_]*\.h>' | grep -v '#include <[a-z]*\.h>';
    grep -rn 'core_inc\|core_dep\|libfilrouge\|link_with' plugins tests/plugins --include=meson.build;
    grep -n '#include' sdk/include/filrouge/*.h | grep -v '#include "[a-z_]*\.h"' | grep -v '#include <std[a-z]*\.h>'; })
if [ -z "$bad" ]; then echo "ok 3 - plugins include only the SDK and are built without the kernel";
else echo "not ok 3 - plugins or SDK headers reach the kernel:"; echo "$bad" | sed 's/^/#   /'; failed=1; fi
# docs/plugins.md's table of the SDK names every function a plugin may
# call (fr_event_id/topic/… as one row).
undoc=$(grep -v '^fr_main$' "$TMP/headers" | while read -r f; do
    case $f in fr_event_*) f="fr_event_id/" ;; esac
    grep -qF -- "\`$f" "$SRC/docs/plugins.md" || echo "$f"; done)
if [ -z "$undoc" ]; then echo "ok 4 - docs/plugins.md lists every SDK function";
else echo "not ok 4 - docs/plugins.md does not list:"; echo "$undoc" | sed 's/^/#   /'; failed=1; fi
rm -rf "$TMP"
echo "1..4"
exit $failed

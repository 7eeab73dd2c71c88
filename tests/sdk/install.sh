# Installation and the SDK, as a plugin author meets them: install Filrouge
# into a temporary prefix, build the plugin template out of tree against it
# with pkg-config, install the plugin, enable it on a site with the
# installed program (which finds its plugins without being told) and see an
# event reach it.
set -u
SRC=$1
TMP=$(mktemp -d "${TEST_TMP_BASE:-/tmp}/install-XXXXXX")
PREFIX=$TMP/prefix
N=0
FAILED=0
step() {
    d=$1; shift
    N=$((N + 1))
    if "$@" >"$TMP/log" 2>&1; then echo "ok $N - $d"; else
        echo "not ok $N - $d"; sed 's/^/#   /' "$TMP/log" | tail -30; FAILED=1
        echo "1..$N"; exit 1
    fi
}
unset FILROUGE_PLUGIN_PATH FILROUGE_SITE FILROUGE_USER
# A plain build of its own (the suite may run under sanitizers).
unset ASAN_OPTIONS UBSAN_OPTIONS
step "configure Filrouge for the prefix" meson setup "$TMP/build" "$SRC" --prefix="$PREFIX" -Dtests=false
step "build" ninja -C "$TMP/build"
step "install" meson install -C "$TMP/build" --no-rebuild
PC=$(dirname "$(find "$PREFIX" -name filrouge.pc | head -1)")
export PKG_CONFIG_PATH=$PC
step "pkg-config finds the SDK" pkg-config --exists filrouge
step "the headers are installed" test -f "$PREFIX/include/filrouge/filrouge.h"
step "the schemas are installed" test -f "$PREFIX/share/filrouge/schemas/plugin.xsd"
cp -r "$PREFIX/share/filrouge/template" "$TMP/hello"
step "the template builds out of tree" sh -c "meson setup '$TMP/hello/build' '$TMP/hello' && ninja -C '$TMP/hello/build'"
step "and installs into the plugin folder" meson install -C "$TMP/hello/build" --no-rebuild
FR=$PREFIX/bin/filrouge
export FILROUGE_SITE=$TMP/site FILROUGE_LOG=$TMP/site.log
step "the installed program creates a site" "$FR" init "$TMP/site"
step "it finds the installed instruments plugin" "$FR" plugin enable instruments
step "and the installed frailty plugin (with its Python hooks)" "$FR" plugin enable frailty
step "the installed oncology, psychosis and youth plugins" sh -c "'$FR' plugin enable oncology && '$FR' plugin enable psychosis && '$FR' plugin enable youth"
step "and the template plugin" "$FR" plugin enable hello
step "plugin check on the installed template" "$FR" plugin check "$(pkg-config --variable=plugindir filrouge)/hello"
step "a patient" "$FR" patient add --family Test --given Anna --birth 01/01/1940
step "a case opens (the plugin's synchronous subscriber lets it)" "$FR" case open 1 --workflow frailty
step "the plugin's asynchronous subscriber saw it" sh -c "test \"\$(sqlite3 '$TMP/site/filrouge.db' 'SELECT count(*) FROM hello_seen')\" = 1"
step "and logged it" grep -q "hello saw case 1 opened" "$TMP/site.log"
echo "1..$N"
[ $FAILED -eq 0 ] && rm -rf "$TMP"
exit $FAILED

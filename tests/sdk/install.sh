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

# docs/plugin-guide.md, followed as written: its plugin is put together from
# the page's own code blocks (the whole manifest of §8, the workflow, the
# form, the migration, the C code, the meson.build, the Python hooks), built
# and installed with the page's commands, and §7 is run on a new site.
GUIDE=$SRC/docs/plugin-guide.md
# snippet LANG TEXT: the first ```LANG block of the guide that contains TEXT
snippet() {
    awk -v lang="$1" -v pat="$2" '
        /^```/ { if (inb) { if (l == lang && index(buf, pat)) { printf "%s", buf; found = 1; exit }
                            inb = 0 } else { inb = 1; l = substr($0, 4); buf = "" } next }
        inb { buf = buf $0 "\n" }
        END { exit !found }' "$GUIDE"
}
V=$TMP/guide/visits
mkdir -p "$V/hooks"
assemble() {
    snippet xml '<hooks dir=' >"$V/plugin.xml" &&
        snippet xml '<workflow xmlns' >"$V/visits.workflow.xml" &&
        snippet xml '<form xmlns' >"$V/visit-report.xml" &&
        snippet sql 'CREATE TABLE visits_km' >"$V/visits-001.sql" &&
        snippet c 'FR_PLUGIN("visits"' >"$V/visits.c" &&
        snippet meson 'filrouge-visits' >"$V/meson.build" &&
        snippet python '@filrouge.guard("visits-alone")' >"$V/hooks/visits.py"
}
step "the guide's manifest, workflow, form, migration, C, meson.build and hooks" assemble
step "the guide's plugin builds with the template's flags (-std=c11, warnings as errors)" sh -c "
    cd '$V' && meson setup build && ninja -C build"
step "and installs with meson install" meson install -C "$V/build" --no-rebuild
step "the guide's hooks pass hooks check" "$FR" hooks check "$V/hooks/visits.py"
step "plugin check on the installed guide plugin" "$FR" plugin check "$(pkg-config --variable=plugindir filrouge)/visits"
# §7, with the site in $TMP instead of /tmp/visits-site
mkdir -p "$TMP/guide/try"
snippet sh 'filrouge init /tmp/visits-site' | sed "s#/tmp/visits-site#$TMP/visits-site#g" >"$TMP/guide/try.sh"
(cd "$TMP/guide/try" && PATH=$PREFIX/bin:$PATH sh "$TMP/guide/try.sh") >"$TMP/guide/out" 2>&1
N=$((N + 1))
# On a Sunday the plugin's synchronous subscriber refuses the visit (§5).
if [ "$(date +%w)" = 0 ]; then sunday=1; fired="no visits are recorded on Sundays here"
else sunday=0; fired="now in state visited"; fi
if grep -q "needs a final submission of form 'visit-report' for case 1" "$TMP/guide/out" &&
    grep -q "score risk = 1 (high)" "$TMP/guide/out" &&
    grep -q "$fired" "$TMP/guide/out" &&
    grep -q "Appeler le médecin traitant" "$TMP/guide/out"; then
    echo "ok $N - the guide's §7 on a site gives what the guide says"
else
    echo "not ok $N - the guide's §7 on a site gives what the guide says"
    sed 's/^/#   /' "$TMP/guide/out"
    FAILED=1
fi
if [ $sunday = 0 ]; then
    step "the guide's asynchronous subscriber wrote its row" sh -c \
        "test \"\$(sqlite3 '$TMP/visits-site/filrouge.db' 'SELECT count(*) FROM visits_km')\" = 1"
fi
echo "1..$N"
[ $FAILED -eq 0 ] && rm -rf "$TMP"
exit $FAILED

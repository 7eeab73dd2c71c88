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
unset FILROUGE_PLUGIN_PATH FILROUGE_SITE FILROUGE_USER FILROUGE_NOW
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
# Before PKG_CONFIG_PATH is set (pkg-config searching none of the default
# folders either), the template says what to do, not only "not found".
step "without PKG_CONFIG_PATH the template says how to point at Filrouge" sh -c "
    ! PKG_CONFIG_PATH= PKG_CONFIG_LIBDIR='$TMP/empty' meson setup '$TMP/hello/nobuild' '$TMP/hello' >'$TMP/nopc' 2>&1 &&
    grep -q 'export PKG_CONFIG_PATH=the folder holding filrouge.pc' '$TMP/nopc'"
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
step "a case opens (the plugin's synchronous subscriber lets it)" env FILROUGE_NOW=2026-11-23T09:00:00Z "$FR" case open 1 --workflow frailty
step "the plugin's asynchronous subscriber saw it, on the kernel's day (FILROUGE_NOW)" sh -c "test \"\$(sqlite3 '$TMP/site/filrouge.db' 'SELECT count(*), seen_on FROM hello_seen')\" = '1|2026-11-23'"
step "and logged it" grep -q "hello saw case 1 opened" "$TMP/site.log"

# A plugin written in C++ includes the same headers (found with
# pkg-config): its descriptor and the SDK's functions keep their C names,
# and the installed program loads it. Skipped without a C++ compiler.
if command -v c++ >/dev/null 2>&1; then
    mkdir -p "$TMP/cxx"
    printf '<plugin xmlns="urn:filrouge:plugin:1" id="cxx" version="1.0" abi="1">\n  <library name="cxx"/>\n</plugin>\n' >"$TMP/cxx/plugin.xml"
    cat >"$TMP/cxx/cxx.cpp" <<'CXX'
#include <string>

#include <filrouge/filrouge.h>

static int seen(const fr_event *ev, void *userdata, fr_error *err)
{
    auto *ctx = static_cast<fr_plugin_ctx *>(userdata);
    fr_plugin_log(ctx, "cxx saw %s", std::string(fr_event_topic(ev)).c_str());
    return err ? 0 : -1;
}

static int init(fr_plugin_ctx *ctx, fr_error *err)
{
    return fr_bus_subscribe(ctx, "case.opened", FR_ASYNC, "seen", seen, ctx, err);
}

FR_PLUGIN("cxx", "1.0", init, nullptr);
CXX
    step "a C++ plugin builds against the installed headers" sh -c "
        c++ -std=c++17 -Wall -Wextra -Werror -fPIC -shared -fvisibility=hidden \$(pkg-config --cflags filrouge) \
            -o '$TMP/cxx/libcxx.so' '$TMP/cxx/cxx.cpp' &&
        nm -D '$TMP/cxx/libcxx.so' | grep -q ' D filrouge_plugin\$' && nm -D '$TMP/cxx/libcxx.so' | grep -q ' U fr_bus_subscribe\$'"
    step "and plugin check loads it" "$FR" plugin check "$TMP/cxx"
else
    N=$((N + 1)); echo "ok $N # SKIP no C++ compiler"
fi

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
# §7 twice, each on a new site in $TMP instead of /tmp/visits-site, on a day
# fixed with FILROUGE_NOW: a Sunday, when the plugin's synchronous subscriber
# (§5, through fr_plugin_today) refuses the visit, and a Monday, when the
# case moves on and the asynchronous subscriber writes its row. Neither
# depends on the day the test runs.
snippet sh 'filrouge init /tmp/visits-site' >"$TMP/guide/try.sh"
# try DAY DATE: runs §7 on a site of its own with FILROUGE_NOW=DATE, then
# checks what the guide says of that day.
try() {
    day=$1 date=$2 site=$TMP/visits-$1 out=$TMP/guide/out-$1
    mkdir -p "$TMP/guide/try-$day"
    sed "s#/tmp/visits-site#$site#g" "$TMP/guide/try.sh" >"$TMP/guide/try-$day.sh"
    (cd "$TMP/guide/try-$day" && FILROUGE_NOW=$date PATH=$PREFIX/bin:$PATH \
        sh "$TMP/guide/try-$day.sh") >"$out" 2>&1
    if [ "$day" = sunday ]; then
        fired="refused by visits:sunday: no visits are recorded on Sundays here"
        unfired="now in state visited" state=planned rows=0
    else
        fired="now in state visited" unfired="Sundays" state=visited rows=1
    fi
    N=$((N + 1))
    if grep -q "needs a final submission of form 'visit-report' for case 1" "$out" &&
        grep -q "score risk = 1 (high)" "$out" &&
        grep -q "$fired" "$out" && ! grep -q "$unfired" "$out" &&
        grep -q "Appeler le médecin traitant" "$out"; then
        echo "ok $N - the guide's §7 on a $day ($date) gives what the guide says"
    else
        echo "not ok $N - the guide's §7 on a $day ($date) gives what the guide says"
        sed 's/^/#   /' "$out"
        FAILED=1
    fi
    step "on a $day the case is $state and visits_km has $rows row(s)" sh -c "
        test \"\$(sqlite3 '$site/filrouge.db' 'SELECT state FROM cases WHERE id = 1')\" = $state &&
        test \"\$(sqlite3 '$site/filrouge.db' 'SELECT count(*) FROM visits_km')\" = $rows"
}
try sunday 2026-11-22
try monday 2026-11-23
echo "1..$N"
[ $FAILED -eq 0 ] && rm -rf "$TMP"
exit $FAILED

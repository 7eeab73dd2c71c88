# Plugins through the filrouge command: enabling and refusing, checking a
# folder, a vetoed transition that leaves no trace, a C guard, failed
# asynchronous deliveries and their retry. Uses the test plugins of
# tests/plugins (found through $FILROUGE_PLUGIN_PATH).
. ./lib.sh
PLUGINS=${FILROUGE_PLUGIN_PATH%%:*}
export FILROUGE_NOW=2026-11-23T09:00:00Z

ok "list the plugins found" -- plugin list
out_has "the test plugins are found" "gate"
out_has "frailty from the build tree" "frailty"
ok "enable gate" -- plugin enable gate
ok "info" -- plugin info gate
out_has "loaded" "loaded yes"
refused "a plugin built for another ABI is refused, naming both" 1 "ABI 999" -- plugin enable badabi
refused "…and this Filrouge's ABI" 1 "ABI 1" -- plugin enable badabi
refused "a missing dependency is named" 1 "nonexistent" -- plugin enable needs-missing
refused "a dependency cycle is named" 1 "cycle-b" -- plugin enable cycle-a
ok "enable echo" -- plugin enable echo
refused "a version conflict names both versions" 1 "9.0" -- plugin enable needs-new
refused "an unknown plugin" 1 "nothere" -- plugin enable nothere
ok "the site still works with the others" -- plugin list
out_has "gate still loaded" "gate"
ok "enabling and disabling are audited" -- audit show --type plugin
out_has "the enable entry" "enable"

ok "check a good plugin folder" -- plugin check "$PLUGINS/gate"
out_has "valid" "the plugin is valid"
refused "a malformed manifest names file and line" 1 "plugin.xml:5" -- plugin check "$PLUGINS/brokenxml"
refused "a folder typed with a slash is named without a double one" 1 "brokenxml/plugin.xml:5" -- \
    plugin check "$PLUGINS/brokenxml/"
refused "a library that crashes while loading is reported, and we survive" 1 "signal" -- \
    plugin check "$PLUGINS/crashload"
refused "a wrong ABI is found by check too" 1 "999" -- plugin check "$PLUGINS/badabi"
mkdir -p "$TMP/bignum"
cat >"$TMP/bignum/plugin.xml" <<'XML'
<plugin xmlns="urn:filrouge:plugin:1" id="bignum" version="1.0" abi="4294967297">
  <migration version="99999999999" file="m.sql"/>
</plugin>
XML
: >"$TMP/bignum/m.sql"
refused "an ABI too large for a number is not read as ABI 1" 1 "built for ABI 4294967297" -- plugin check "$TMP/bignum"
refused "a migration version too large for a number is named" 1 "the version of migration m.sql is not a number from 1 to" -- \
    plugin check "$TMP/bignum"
# The manifest's elements in the wrong order (the guide warns; people do
# it anyway): said as the file is written, with what to do.
mkdir -p "$TMP/order"
cat >"$TMP/order/plugin.xml" <<'XML'
<plugin xmlns="urn:filrouge:plugin:1" id="order" version="1.0" abi="1">
  <workflow file="w.xml"/>
  <library name="order"/>
</plugin>
XML
refused "an element out of order is named without its namespace, with the order to follow" 1 \
    "order/plugin.xml:3: <library> is not expected here; expected is one of ( workflow, form, hooks, migration, setting ) (the elements come in the order schemas/plugin.xsd gives" -- \
    plugin check "$TMP/order"
# `plugin check` on a plugin's source folder after `ninja -C build`: the
# library is in build/, and the message says which folder to check.
mkdir -p "$TMP/src/build"
printf '<plugin xmlns="urn:filrouge:plugin:1" id="src" version="1.0" abi="1">\n  <library name="src"/>\n</plugin>\n' >"$TMP/src/plugin.xml"
refused "a library not built yet: build it" 1 "libsrc.so: the library named in the manifest does not exist; build it" -- \
    plugin check "$TMP/src"
: >"$TMP/src/build/libsrc.so"
refused "a library built in build/: check the installed folder" 1 "is not beside plugin.xml but in build/: this is the source folder" -- \
    plugin check "$TMP/src"
# A plugin that does not load leaves nothing behind: its good workflow is
# not stored (it could never change under its version again), its
# migrations do not run.
mkdir -p "$FILROUGE_SITE/plugins/halfway"
cat >"$FILROUGE_SITE/plugins/halfway/plugin.xml" <<'XML'
<plugin xmlns="urn:filrouge:plugin:1" id="halfway" version="1.0" abi="1">
  <workflow file="wf.xml"/>
  <form file="form.xml"/>
  <migration version="1" file="m1.sql"/>
</plugin>
XML
cat >"$FILROUGE_SITE/plugins/halfway/wf.xml" <<'XML'
<workflow xmlns="urn:filrouge:workflow:1" id="halfway" version="1">
  <state id="a" initial="true"/>
  <state id="b" final="true"/>
  <transition event="go" from="a" to="b"/>
</workflow>
XML
cat >"$FILROUGE_SITE/plugins/halfway/form.xml" <<'XML'
<form xmlns="urn:filrouge:form:1" id="halfway-note" version="1">
  <title lang="en">Note</title>
  <field id="a" type="integer" relevant="ghost = 1"><label lang="en">A</label></field>
</form>
XML
echo "CREATE TABLE halfway_notes (x INTEGER);" >"$FILROUGE_SITE/plugins/halfway/m1.sql"
refused "a plugin whose form does not load is refused, with the form's problem" 1 "form.xml:3: <field id='a'>: relevant refers to 'ghost'" -- \
    plugin enable halfway
test "$(sql "SELECT count(*) FROM workflows WHERE id = 'halfway'")" = 0 &&
    pass "…and its good workflow was not stored" || fail "the workflow of a plugin that did not load was stored"
test "$(sql "SELECT count(*) FROM schema_migrations WHERE owner = 'halfway'")" = 0 &&
    pass "…nor its migrations run" || fail "the migrations of a plugin that did not load ran"
sed -i 's/ghost = 1/a = 1/' "$FILROUGE_SITE/plugins/halfway/form.xml"
sed -i 's#<state id="b" final="true"/>#<state id="b"/><state id="c" final="true"/>#; s#to="b"/>#to="b"/><transition event="end" from="b" to="c"/>#' \
    "$FILROUGE_SITE/plugins/halfway/wf.xml"
ok "once the form is fixed, the workflow revised meanwhile loads under its version 1" -- plugin enable halfway
test "$(sql "SELECT count(*) FROM schema_migrations WHERE owner = 'halfway'")" = 1 &&
    pass "…and its migration ran once" || fail "migration of halfway: $(sql "SELECT count(*) FROM schema_migrations WHERE owner = 'halfway'")"

# Its workflow edited again without a new version: the plugin no longer
# loads, and every command says so (not only `plugin list`), since its
# cases run without their rules, forms, hooks and subscribers.
cp "$FILROUGE_SITE/plugins/halfway/wf.xml" "$TMP/wf.xml"
sed -i 's#<state id="a" initial="true"/>#<state id="a" initial="true"/><state id="z"/>#' "$FILROUGE_SITE/plugins/halfway/wf.xml"
ok "a command on the site still works" -- case list
grep -qF "warning: plugin halfway is enabled but not loaded (its workflows, forms, hooks and subscribers are off): " "$TMP/err" &&
    grep -qF "workflow halfway version 1 already exists with a different definition" "$TMP/err" &&
    pass "…and warns that an enabled plugin did not load, and why" || { fail "no warning of a plugin not loaded"; sed 's/^/#   /' "$TMP/err"; }
cp "$TMP/wf.xml" "$FILROUGE_SITE/plugins/halfway/wf.xml"
ok "fixed" -- case list
grep -q "warning" "$TMP/err" && fail "a warning once the plugin loads again" || pass "…no warning once it loads again"

# A copy of a plugin beside it, under the same id: the first found is
# used, and the list says the other is not.
cp -r "$FILROUGE_SITE/plugins/halfway" "$FILROUGE_SITE/plugins/halfway.old"
ok "a copy under the same id" -- plugin list
out_has "the list says the copy is not used" "also in $FILROUGE_SITE/plugins/halfway.old: not used ($FILROUGE_SITE/plugins/halfway, earlier in the search path, is)"
ok "its details too" -- plugin info halfway
out_has "plugin info names the ignored copy" "ignored  $FILROUGE_SITE/plugins/halfway.old: a plugin of the same id"
rm -r "$FILROUGE_SITE/plugins/halfway.old"

# A plugin whose workflow and form have more problems than a message holds.
mkdir -p "$TMP/manyproblems"
cat >"$TMP/manyproblems/plugin.xml" <<'XML'
<plugin xmlns="urn:filrouge:plugin:1" id="manyproblems" version="1.0" abi="1">
  <workflow file="wf.xml"/>
  <form file="form.xml"/>
</plugin>
XML
{
    echo '<workflow xmlns="urn:filrouge:workflow:1" id="x" version="1">'
    echo '  <state id="a" initial="true"/>'
    i=0
    while [ $i -lt 30 ]; do echo "  <transition event=\"e$i\" from=\"a\" to=\"missing$i\"/>"; i=$((i + 1)); done
    echo '</workflow>'
} >"$TMP/manyproblems/wf.xml"
cp ../data/forms/many-errors.xml "$TMP/manyproblems/form.xml"
refused "plugin check prints every problem of a workflow" 1 "wf.xml:32: transition 'e29'" -- plugin check "$TMP/manyproblems"
refused "…and of a form, after it" 1 "form.xml:44: <field id='f40'>" -- plugin check "$TMP/manyproblems"
refused "…each counted" 1 "40 problems in" -- plugin check "$TMP/manyproblems"

"$FR" patient add --family Lambert --given Jeanne --birth 12/03/1941 >/dev/null
ok "open a case on the plugin's workflow" -- case open 1 --workflow gate
test "$(sql "SELECT pyramid_level || ' ' || pyramid_suggested FROM cases WHERE id = 1")" = "2 2" &&
    pass "the plugin's rules suggested the pyramid level (SDK)" || fail "no suggested level"
before_t=$(sql "SELECT count(*) FROM transitions")
before_a=$(sql "SELECT count(*) FROM audit WHERE action = 'transition'")
before_o=$(sql "SELECT count(*) FROM outbox")
refused "a synchronous subscriber vetoes, with its message" 1 "cases are never blocked" -- case fire 1 block
test "$(sql "SELECT state FROM cases WHERE id = 1")" = draft && pass "vetoed: the state is unchanged" ||
    fail "vetoed: the state changed"
test "$(sql "SELECT count(*) FROM transitions")" = "$before_t" && pass "vetoed: no transition recorded" ||
    fail "vetoed: a transition row remains"
test "$(sql "SELECT count(*) FROM audit WHERE action = 'transition'")" = "$before_a" &&
    pass "vetoed: no audit entry for it" || fail "vetoed: an audit entry remains"
test "$(sql "SELECT count(*) FROM outbox")" = "$before_o" && pass "vetoed: no event left in the outbox" ||
    fail "vetoed: events remain"
ok "submit" -- case fire 1 submit
test "$(sql "SELECT count(*) FROM outbox WHERE topic = 'gate.review-started'")" = 1 &&
    pass "the on-enter emit published its event" || fail "on-enter emit"
test "$(sql "SELECT count(*) FROM tasks WHERE origin = 'plugin' AND origin_ref = 'plugin:gate' AND title = 'Relire le dossier'")" = 1 &&
    pass "the plugin's subscriber added a task (SDK)" || fail "no plugin task"
test "$(sql "SELECT count(*) FROM audit WHERE actor = 'plugin:gate'")" -ge 2 &&
    pass "the plugin's acts are audited under its name" || fail "plugin acts not audited as the plugin"
refused "the C guard refuses with the workflow's message" 1 "set the case's 'reviewed' date" -- case fire 1 approve
ok "set the date" -- case date 1 reviewed 22/11/2026
ok "now the guard passes" -- case fire 1 approve
out_has "done" "now in state done"

# Asynchronous deliveries that fail are kept for the administrator.
sed -i 's#</site>#  <setting name="bus.max-attempts">2</setting>\n  <plugin id="gate"><setting name="notify">broken</setting></plugin>\n</site>#' "$FILROUGE_SITE/site.xml"
ok "reopen (the notification service is down)" -- case reopen 1
FILROUGE_NOW=2026-11-23T10:00:00Z ok "a later delivery round" -- events deliver
ok "the failed list" -- events failed
out_has "the reopening is parked as failed" "failed attempts 2"
out_has "with the subscriber's message" "unreachable"
sed -i 's#<setting name="notify">broken</setting>#<setting name="notify">ok</setting>#' "$FILROUGE_SITE/site.xml"
FILROUGE_NOW=2026-11-23T10:05:00Z ok "retry all once it is repaired" -- events retry --all
out_has "delivered" "delivered"
ok "nothing failed any more" -- events failed
out_lacks "the failed list is empty" "unreachable"
out_has "and says so (not a bare 'no event')" "no failed delivery (one still being retried is listed by \`filrouge events pending\`)"

sed -i 's#<setting name="notify">ok</setting>#<setting name="notify">ok</setting><setting name="review">none</setting>#' "$FILROUGE_SITE/site.xml"
ok "a site without reviews: the case (reopened above) is submitted again" -- case fire 1 submit
test "$(sql "SELECT status FROM tasks WHERE origin_ref = 'plugin:gate' ORDER BY id DESC LIMIT 1")" = cancelled &&
    pass "the plugin cancelled its new task (SDK fr_case_cancel_task)" || fail "task: $(sql "SELECT id, status FROM tasks WHERE origin_ref = 'plugin:gate'")"
test "$(sql "SELECT count(*) FROM audit WHERE actor = 'plugin:gate' AND action = 'cancel' AND detail LIKE '%pas de relecture%'")" = 1 &&
    pass "the cancellation is audited under the plugin's name, with its reason" || fail "cancellation not audited"
test "$(sql "SELECT count(*) FROM outbox WHERE topic = 'task.cancelled' AND payload LIKE '%pas de relecture%'")" = 1 &&
    pass "task.cancelled is published with the reason" || fail "no task.cancelled event"

ok "disable gate" -- plugin disable gate
ok "its cases stay readable" -- case show 1
ok "list" -- plugin list
ok "enable xmlonly, which needs echo" -- plugin enable xmlonly
refused "disabling echo while xmlonly needs it" 1 "xmlonly" -- plugin disable echo

# A plugin's settings, declared in its manifest, are checked when the site
# is opened (gate declares none: its notify and review above are not).
ok "enable instruments" -- plugin enable instruments
ok "enable frailty" -- plugin enable frailty
ok "frailty's settings are shown" -- plugin info frailty
out_has "with their kind, range and default" "efs-threshold    number 0 … 17, default 6"
cp "$FILROUGE_SITE/site.xml" "$TMP/site.xml.good"
frailty_setting() {
    sed "s#</site>#  <plugin id=\"$1\"><setting name=\"$2\">$3</setting></plugin>\n</site>#" \
        "$TMP/site.xml.good" >"$FILROUGE_SITE/site.xml"
}
frailty_setting frailty efs-treshold 6
refused "a misspelt plugin setting: its line, the name meant, the plugin's settings" 1 \
    'unknown setting "efs-treshold" (did you mean "efs-threshold"?); plugin frailty takes: efs-threshold, adl-help-level, min-age' -- case list
frailty_setting frailty adl-help-level 1
refused "a value outside the declared range" 1 \
    'setting adl-help-level of plugin frailty: "1" is not a whole number from 2 to 4' -- case list
frailty_setting fraitly min-age 60
refused "settings for a plugin that does not exist" 1 "settings for plugin fraitly, which is not in the plugin search path" -- case list
frailty_setting frailty min-age 65
ok "a good setting is accepted" -- case list
cp "$TMP/site.xml.good" "$FILROUGE_SITE/site.xml"
ok "the audit chain holds" -- audit verify
finish

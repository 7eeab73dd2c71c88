# Python hooks through the filrouge command: a site without hooks, checking
# files (file:line), the example hooks of scripts/hooks at work (assignment
# by postal code and caseload, the weekly digest of overdue tasks), a
# plugin's hooks with a site that switches one off and replaces another, a
# Python guard that refuses or is interrupted at its deadline, a failing
# asynchronous hook in the failed list, and reload.
. ./lib.sh
export FILROUGE_NOW=2026-11-23T09:00:00Z
export FILROUGE_PLUGIN_PATH="$FILROUGE_PLUGIN_PATH:$(cd ../data/hooks/plugins && pwd)"
EXAMPLES=../../scripts/hooks
HOOKS="$FILROUGE_SITE/hooks"

ok "list hooks of a site without any" -- hooks list
out_has "nothing to list" "no hook file"
ok "check a site without hooks" -- hooks check
out_has "nothing to check" "no hook file to check"

printf 'import filrouge\n\n\n@filrouge.on("case.opened")\ndef f(ev)\n    pass\n' >"$TMP/broken.py"
refused "a syntax error is reported with file:line" 1 "broken.py:5: SyntaxError" -- hooks check "$TMP/broken.py"
printf 'import filrouge\nimport no_such_module_here\n' >"$TMP/noimport.py"
refused "an import error too" 1 "noimport.py:2: ModuleNotFoundError" -- hooks check "$TMP/noimport.py"
printf 'x = 1\n\000\nraise ValueError("after the NUL")\n' >"$TMP/nul.py"
refused "a NUL byte is reported, not the file cut silently there" 1 "nul.py:2: the file holds a NUL byte" -- hooks check "$TMP/nul.py"
printf 'import filrouge\n# caf\351\n' >"$TMP/latin1.py"
refused "a byte that is not UTF-8, even in a comment, with its line" 1 "latin1.py:2: the byte 0xE9 is not UTF-8" -- hooks check "$TMP/latin1.py"
# Each file is checked in a child process: nothing it does at import ends
# the check or escapes its time bound (the import deadline, 8 x 250 ms).
printf 'import os\nos._exit(0)\n' >"$TMP/exits.py"
refused "os._exit(0) at import is a problem, not a success" 1 "exits.py: importing it ended the process (exit status 0" -- hooks check "$TMP/exits.py" "$TMP/broken.py"
grep -qF "broken.py:5: SyntaxError" "$TMP/err" && pass "the next file is still checked" || fail "the next file is still checked"
printf 'import sys\nsys.exit(0)\n' >"$TMP/sysexit.py"
refused "sys.exit() too, with its line" 1 "sysexit.py:2: SystemExit: sys.exit() at the top level" -- hooks check "$TMP/sysexit.py"
printf 'while True:\n    pass\n' >"$TMP/loop.py"
printf 'import time\ntime.sleep(60)\n' >"$TMP/sleeps.py"
start=$(date +%s)
refused "an endless loop is stopped at the deadline" 1 "loop.py: importing it took longer than 2000 ms and was stopped" -- hooks check "$TMP/loop.py" "$TMP/sleeps.py"
grep -qF "sleeps.py: importing it took longer than 2000 ms" "$TMP/err" && pass "so is a blocking call (a sleep inside C)" || fail "so is a blocking call (a sleep inside C)"
[ $(( $(date +%s) - start )) -lt 15 ] && pass "within the time bound" || fail "within the time bound"
# A file alone, before it is copied to a site: no site needed.
mkdir -p "$TMP/nosite"
printf 'import filrouge\nLIMIT = int(filrouge.setting("limit", default="3"))\nfilrouge.log("loaded")\n\n@filrouge.on("case.opened")\ndef f(ev):\n    pass\n' >"$TMP/nosite/alone.py"
if (cd "$TMP/nosite" && unset FILROUGE_SITE && "$FR" hooks check alone.py >"$TMP/out" 2>"$TMP/err"); then pass "a file alone is checked outside any site"; else fail "a file alone is checked outside any site"; sed 's/^/#   /' "$TMP/err"; fi
out_has "and said ok" "ok   alone.py"
if (cd "$TMP/nosite" && unset FILROUGE_SITE && "$FR" hooks check >"$TMP/out" 2>"$TMP/err"); then fail "checking a site's hooks still needs the site"; else pass "checking a site's hooks still needs the site"; fi
ok "the examples compile and import" -- hooks check "$EXAMPLES/assign_by_postcode.py" \
    "$EXAMPLES/overdue_digest.py" "$EXAMPLES/frailty_alert.py"
out_has "each is ok" "ok   $EXAMPLES/frailty_alert.py"

# The embedded interpreter is Debian's whatever the environment says.
printf 'import os, sys\nassert os.environ.get("PYTHONHOME") == "/bogus", "the variable did not reach the program"\nassert sys.prefix == "/usr", sys.prefix\nassert not any(".pyenv" in p or "bogus" in p for p in sys.path), sys.path\nassert sys.flags.isolated\n' >"$TMP/prefix.py"
PYTHONHOME=/bogus PYTHONPATH=/bogus/lib ok "a PYTHONHOME or PYTHONPATH in the environment changes nothing" -- \
    hooks check "$TMP/prefix.py"

cp "$EXAMPLES/assign_by_postcode.py" "$EXAMPLES/overdue_digest.py" "$EXAMPLES/frailty_alert.py" "$HOOKS/"
ok "the site's hooks are listed" -- hooks list
out_has "the assignment hook" "site.assign_by_postcode.assign_new_case"
out_has "the digest hook, on task.overdue" "task.overdue"
ok "check the site's hooks" -- hooks check

"$FR" plugin enable instruments >/dev/null
ok "enable frailty" -- plugin enable frailty
"$FR" team add "Namur Est" >/dev/null
for u in marie:40 thomas:40 paul:10; do
    "$FR" user add "${u%%:*}" --name "${u%%:*}" --role case_manager --capacity "${u##*:}" >/dev/null
    "$FR" team join "Namur Est" "${u%%:*}" >/dev/null
done
"$FR" patient add --family Lambert --given Jeanne --birth 12/03/1941 --address "rue X 1" \
    --postal-code 5000 --city Namur >/dev/null
"$FR" patient add --family Martin --given Lucas --birth 15/05/1950 --address "rue Y 2" \
    --postal-code 9000 --city Gent >/dev/null
ok "marie already carries cases" -- case open 1 --workflow frailty --manager marie --intensity 4
"$FR" case open 1 --workflow frailty --manager paul --intensity 4 >/dev/null
ok "a case without a manager, in Namur" -- case open 1 --workflow frailty --on 01/11/2026
test "$(sql "SELECT u.login FROM cases c JOIN users u ON u.id = c.case_manager_id WHERE c.id = 3")" = thomas &&
    pass "the hook gave it to the least loaded manager of the area" || fail "assignment by postal code"
test "$(sql "SELECT count(*) FROM audit WHERE actor = 'hook:site.assign_by_postcode.assign_new_case'")" -ge 1 &&
    pass "the hook's writes are audited under its name" || fail "audit of the hook's writes"
ok "a case outside the areas" -- case open 2 --workflow frailty
test "$(sql "SELECT count(*) FROM case_notes WHERE case_id = 4 AND text LIKE '%no area for postal code ''9000''%'")" = 1 &&
    pass "…is left for a person, with a note saying why" || fail "note on an unassigned case"
ok "the case" -- case show 4
out_has "case show gives the hook's note to the person" "hook:site.assign_by_postcode.assign_new_case: not assigned automatically: no area for postal code '9000'"

ok "a task for thomas" -- task add 3 "Call the GP" --due 20/11/2026 --assignee thomas
FILROUGE_NOW=2026-11-24T08:00:00Z ok "the daily tick" -- tick
test "$(sql "SELECT count(*) FROM tasks t JOIN users u ON u.id = t.assignee_id WHERE u.login = 'thomas' AND t.title LIKE 'Overdue digest 2026-W48:%'")" = 1 &&
    pass "thomas gets this week's digest of overdue tasks" || fail "weekly digest"
FILROUGE_NOW=2026-11-25T08:00:00Z "$FR" task add 3 "Second visit" --due 21/11/2026 --assignee thomas >/dev/null
FILROUGE_NOW=2026-11-25T08:00:00Z ok "the next day's tick" -- tick
test "$(sql "SELECT count(*) FROM tasks WHERE title LIKE 'Overdue digest 2026-W48:%'")" = 1 &&
    pass "one digest a week, not one a day" || fail "digest repeated"

# A plugin's hooks, and the site's word over them.
cp ../data/hooks/site/overrides.py "$HOOKS/"
# Without a site, `plugin check` knows the plugin's own hooks: a py: guard
# none of its files defines is a note (the site's hooks may define it).
ok "plugin check hooky: valid" -- plugin check ../data/hooks/plugins/hooky
grep -qF "hooky.workflow.xml:12: event 'typo' has guard-ref=\"py:no-such-guard\", which no file of this plugin's hooks folder defines (@filrouge.guard(\"no-such-guard\")): \`plugin enable\` checks the hooks loaded" "$TMP/err" &&
    ! grep -qF 'py:hooky-ready' "$TMP/err" &&
    pass "…with a note for a guard its hooks do not define, none for one they do" || { fail "plugin check's guard notes"; sed 's/^/#   /' "$TMP/err"; }
ok "enable hooky (a plugin with Python guards and hooks)" -- plugin enable hooky
# A guard-ref no hook defines refuses its event for ever: said at enable,
# at the workflow's file and line, not first by a case that cannot move.
grep -qF 'hooky.workflow.xml:12: event '"'typo'"' has guard-ref="py:no-such-guard", but no Python hook of this site or of its enabled plugins defines @filrouge.guard("no-such-guard"): until one does, the event is always refused' "$TMP/err" &&
    pass "…warning of the guard no hook defines, at its line" || { fail "no warning of a missing guard"; sed 's/^/#   /' "$TMP/err"; }
grep -qF 'py:hooky-ready' "$TMP/err" && fail "a warning for a guard the plugin's hooks define" ||
    pass "…and none for the guards its hooks and the site's define"
# A <requires-form> naming a form nobody provides refuses the enable; one
# that a plugin not enabled ships is a warning naming that plugin.
mkdir -p "$FILROUGE_SITE/plugins/ghostly"
printf '<plugin xmlns="urn:filrouge:plugin:1" id="ghostly" version="1.0" abi="1">\n  <workflow file="ghostly.xml"/>\n</plugin>\n' \
    >"$FILROUGE_SITE/plugins/ghostly/plugin.xml"
cat >"$FILROUGE_SITE/plugins/ghostly/ghostly.xml" <<'XML'
<workflow xmlns="urn:filrouge:workflow:1" id="ghostly" version="1">
  <state id="a" initial="true"/>
  <state id="b" final="true"/>
  <transition event="go" from="a" to="b">
    <requires-form form="katz"/>
    <requires-form form="ghost-form"/>
  </transition>
  <transition event="assess" from="a" to="b">
    <requires-form form="rt-episode"/>
  </transition>
</workflow>
XML
ok "plugin check: a form required from elsewhere is no problem" -- plugin check "$FILROUGE_SITE/plugins/ghostly"
grep -qF "ghostly.xml:5: event 'go' requires form 'katz', which this plugin does not ship: \`plugin enable\` checks that the site or an installed plugin provides it" "$TMP/err" &&
    pass "…but a note says enable will check it" || { fail "plugin check's form note"; sed 's/^/#   /' "$TMP/err"; }
refused "a required form nobody provides refuses the enable, at its line" 1 \
    "ghostly.xml:6: event 'go' requires form 'ghost-form' (<requires-form>), which neither this site nor any installed plugin provides: correct the form id" -- \
    plugin enable ghostly
grep -qF "'katz'" "$TMP/err" && fail "the site's own form katz was reported" || pass "…not the site's own form"
test "$(sql "SELECT count(*) FROM workflows WHERE id = 'ghostly'")" = 0 &&
    pass "…and its workflow was not stored" || fail "the workflow of a refused plugin was stored"
sed -i '/ghost-form/d' "$FILROUGE_SITE/plugins/ghostly/ghostly.xml"
ok "a form only a plugin not enabled ships: enabled" -- plugin enable ghostly
grep -qF "ghostly.xml:8: event 'assess' requires form 'rt-episode' (<requires-form>), which plugin oncology provides, but it is not enabled (or not loaded): until it is, the event is always refused; enable oncology" "$TMP/err" &&
    pass "…with a warning naming the plugin that ships it" || { fail "no warning of a form a disabled plugin ships"; sed 's/^/#   /' "$TMP/err"; }
ok "list" -- hooks list
out_has "the site switched the plugin's welcome off" "off       on         hooky.defaults.welcome"
out_has "…and replaced its reminder" "replaced  on         hooky.defaults.remind"
out_has "by its own" "[site.overrides.remind]"
"$FR" patient add --family Roth --given Léa --postal-code 1000 --address "rue Z" --city Bruxelles >/dev/null
ok "open a hooky case" -- case open 3 --workflow hooky
refused "a Python guard refuses with its message" 1 "intensity 2 or more" -- case fire 5 submit
ok "raise the intensity" -- case intensity 5 2
ok "now the guard lets it through" -- case fire 5 submit
test "$(sql "SELECT count(*) FROM tasks WHERE case_id = 5 AND title = 'Site reminder: now in review' AND origin = 'hook'")" = 1 &&
    pass "the site's replacement hook ran" || fail "replacement hook"
sed -i 's#</site>#  <setting name="python.deadline-ms">200</setting>\n  <setting name="bus.max-attempts">1</setting>\n</site>#' "$FILROUGE_SITE/site.xml"
refused "a hook in an endless loop is interrupted at its deadline" 1 "interrupted" -- case fire 5 spin
refused "a hook that raises refuses, naming its file and line, without its traceback" 1 "the hook site.overrides.crash failed at overrides.py:29: KeyError" -- case fire 5 crash
if grep -q Traceback "$TMP/err"; then fail "a traceback reached the user"; else pass "no traceback for the user"; fi
grep -q 'line 29, in crash' "$FILROUGE_LOG" && pass "the traceback is in the site log" || fail "traceback in the log"
# A validate hook's message for a name the form has not (the site's katz
# hook asks for an 'assessor', which katz has no field for): shown on the
# whole form, rather than beside a field no page shows (the web page said
# "correct the errors next to the fields" with none marked).
echo '{"bathing":"1","dressing":"1","transferring":"1","toileting":"1","continence":"1","feeding":"1","time":"1","space":"1"}' >"$TMP/katz.json"
refused "a hook's message on a name the form has not is on the whole form" 1 "  assessor: who assessed?" -- \
    form submit katz --case 3 "$TMP/katz.json"
grep -q "gave a message for 'assessor', which is not a field of the form" "$FILROUGE_LOG" &&
    pass "…and the site log tells the hook's author" || fail "no log line for a hook message on no field"
# A workflow author's slips are named as such, not as the user's to fix.
refused "a py: guard that no hook defines says so" 1 'no Python hook of this site or of its enabled plugins defines @filrouge.guard("no-such-guard")' -- case fire 5 typo
ok "the platform goes on" -- case show 5
out_has "still in review" "review"

# docs/hooks.md's guard and validate examples, taken from the page's text,
# run on this site as written.
# doc_python TEXT: the first ```python block of hooks.md that contains TEXT
doc_python() {
    awk -v pat="$1" '
        /^```/ { if (inb) { if (l == "python" && index(buf, pat)) { printf "%s", buf; found = 1; exit }
                            inb = 0 } else { inb = 1; l = substr($0, 4); buf = "" } next }
        inb { buf = buf $0 "\n" }
        END { exit !found }' ../../docs/hooks.md
}
{ echo "import filrouge"; echo; echo; doc_python '@filrouge.guard("gp-in-network")'; echo; echo
  doc_python '@filrouge.validate("katz")'; } >"$HOOKS/docs_examples.py"
ok "hooks.md's examples pass hooks check" -- hooks check "$HOOKS/docs_examples.py"
refused "hooks.md's guard refuses without a GP" 1 "add the person's GP to the network first" -- case fire 5 follow
"$FR" network add 5 --kind formal --name "Dr Peeters" --role GP >/dev/null
ok "…and lets the case through once the GP is in the network" -- case fire 5 follow
echo '{"bathing":"4","dressing":"1","transferring":"1","toileting":"1","continence":"1","feeding":"1","time":"1","space":"1"}' >"$TMP/katz4.json"
refused "hooks.md's validate hook refuses, its message on the field" 1 "  remark: entirely helped with bathing: say by whom" -- \
    form submit katz --case 3 "$TMP/katz4.json"
rm "$HOOKS/docs_examples.py"

printf 'import filrouge\n\n@filrouge.on("case.intensity-changed")\ndef down(ev):\n    raise RuntimeError("the directory is down")\n' >"$HOOKS/down.py"
ok "an asynchronous hook fails" -- case intensity 5 3
ok "failed deliveries" -- events failed
out_has "it is in the failed list, with its message" "the directory is down"
out_has "under its subscriber name" "python:site.down.down"

rm "$HOOKS/down.py"
# A standing problem of the hooks is logged once when it appears, not by
# every command that opens the site; `hooks list` shows it meanwhile.
printf 'import filrouge\n\nfilrouge.disable("nobody.here")\n' >"$HOOKS/quiet.py"
logged() { grep -c "site.quiet switches off the hook nobody.here" "$FILROUGE_LOG"; }
ok "a command with a hook switching off a name no hook has" -- case show 5
ok "and another" -- case show 5
test "$(logged)" = 1 && pass "…the problem is logged once" || fail "the problem is logged $(logged) times"
ok "hooks list" -- hooks list
out_has "…and shown by hooks list" "  site.quiet switches off the hook nobody.here, but no plugin hook has that name"
rm "$HOOKS/quiet.py"
ok "fixed" -- case show 5
printf 'import filrouge\n\nfilrouge.disable("nobody.here")\n' >"$HOOKS/quiet.py"
ok "broken again" -- case show 5
test "$(logged)" = 2 && pass "…logged again once it came back" || fail "logged $(logged) times after coming back"
rm "$HOOKS/quiet.py"
printf 'import filrouge\n\n@filrouge.guard("spin")\ndef spin(call)\n' >>"$HOOKS/overrides.py"
refused "reload reports a broken file" 1 "overrides.py" -- hooks reload
out_has "the others are loaded" "hooks reloaded"
finish

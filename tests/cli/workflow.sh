# Workflow definitions checked with file:line errors, and versions.
. ./lib.sh
D=$TMP/wf
mkdir -p "$D"
cat >"$D/good.xml" <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<workflow xmlns="urn:filrouge:workflow:1" id="simple" version="1">
  <state id="open" initial="true"/>
  <state id="done" final="true"/>
  <transition event="finish" from="open" to="done"/>
</workflow>
XML
ok "a valid definition" -- workflow check "$D/good.xml"
out_has "says which workflow and version" "workflow simple version 1 is valid"

printf '<?xml version="1.0"?>\n<workflow xmlns="urn:filrouge:workflow:1" id="x" version="1">\n  <state id="a" initial="true">\n</workflow>\n' >"$D/malformed.xml"
refused "malformed XML names file and line" 1 "malformed.xml:4" -- workflow check "$D/malformed.xml"

cat >"$D/invalid.xml" <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<workflow xmlns="urn:filrouge:workflow:1" id="x" version="1">
  <state id="a" initial="true"/>
  <transition event="go" from="a"/>
</workflow>
XML
refused "an XSD-invalid definition names file and line" 1 "invalid.xml:4" -- workflow check "$D/invalid.xml"

cat >"$D/meaning.xml" <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<workflow xmlns="urn:filrouge:workflow:1" id="x" version="1">
  <state id="a" initial="true"/>
  <state id="b"/>
  <transition event="go" from="a" to="nowhere"/>
  <transition event="back" from="b" to="a" guard="count(("/>
</workflow>
XML
refused "a transition to an unknown state names its line" 1 "meaning.xml:5" -- workflow check "$D/meaning.xml"
refused "an XPath guard that does not compile names its line" 1 "meaning.xml:6" -- workflow check "$D/meaning.xml"
printf '<?xml version="1.0"?>\n<!DOCTYPE w [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<workflow xmlns="urn:filrouge:workflow:1" id="x" version="1"><state id="a" initial="true"><title lang="en">&x;</title></state></workflow>\n' >"$D/entity.xml"
refused "an external entity is refused, naming the DOCTYPE" 1 "entity.xml:2: a <!DOCTYPE> declaration is not accepted" -- workflow check "$D/entity.xml"
head -c 17000000 /dev/zero | tr '\0' ' ' >"$D/huge.xml"
refused "a 17 MB file is refused before parsing" 1 "more than the" -- workflow check "$D/huge.xml"
refused "a missing file is reported" 1 "nothere.xml" -- workflow check "$D/nothere.xml"
cat >"$D/bigversion.xml" <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<workflow xmlns="urn:filrouge:workflow:1" id="x" version="4294967297">
  <state id="a" initial="true"/>
  <migration from-version="99999999999999999999"><map from="a" to="a"/></migration>
</workflow>
XML
refused "a version too large for a number is refused, not read as another version (4294967297 is not 1)" 1 \
    'bigversion.xml:2: version="4294967297" is not a version number from 1 to 2147483647' -- workflow check "$D/bigversion.xml"
refused "…and a migration's from-version too" 1 'bigversion.xml:4: from-version="99999999999999999999" is not a version number' -- \
    workflow check "$D/bigversion.xml"
# More problems than a message holds: every one is printed, then counted.
{
    echo '<workflow xmlns="urn:filrouge:workflow:1" id="x" version="1">'
    echo '  <state id="a" initial="true"/>'
    i=0
    while [ $i -lt 30 ]; do echo "  <transition event=\"e$i\" from=\"a\" to=\"missing$i\"/>"; i=$((i + 1)); done
    echo '</workflow>'
} >"$D/many.xml"
refused "all 30 problems are printed, not only what fits in a message" 1 "many.xml:32: transition 'e29' goes to state 'missing29'" -- \
    workflow check "$D/many.xml"
refused "…and counted" 1 "30 problems in" -- workflow check "$D/many.xml"
sed 's/event="e\([0-9]*\)"/event="E\1"/' "$D/many.xml" >"$D/many-xsd.xml"
refused "all schema errors too, elements named as written (no namespace)" 1 "many-xsd.xml:32: <transition>, attribute 'event'" -- \
    workflow check "$D/many-xsd.xml"
printf '<workflow xmlns="urn:filrouge:workflow:1" id="x" version="1"><title lang="fr">Caf\351</title><state id="a" initial="true"/></workflow>' >"$D/latin1.xml"
refused "bytes that are not UTF-8: one problem, on one line naming file and line" 1 "latin1.xml:1: Input is not proper UTF-8, indicate encoding ! Bytes: 0xE9" -- \
    workflow check "$D/latin1.xml"
cat >"$D/guards.xml" <<'XML'
<workflow xmlns="urn:filrouge:workflow:1" id="x" version="1">
  <state id="a" initial="true"/>
  <state id="b"/>
  <transition event="ok" from="a" to="b" guard="score('efs.efs') &gt;= 6 and value('efs.date') != '' and days-between(@opened-on, today()) &gt; 0"/>
  <transition event="typo" from="a" to="b" guard="scores('efs.efs') &gt;= 6"/>
  <transition event="var" from="a" to="b" guard="@intensity &gt; $threshold"/>
</workflow>
XML
refused "a guard calling an unknown function is found when checked, not on a case" 1 "guards.xml:5: guard \"scores('efs.efs') >= 6\" calls scores(), which is not an XPath 1.0 function" -- \
    workflow check "$D/guards.xml"
refused "a guard using a variable, which nothing defines" 1 'guards.xml:6: guard "@intensity > $threshold" uses the variable $threshold' -- \
    workflow check "$D/guards.xml"
refused "the guard functions of forms are known (only the two bad guards are counted)" 1 "2 problems in" -- workflow check "$D/guards.xml"
# The shipped plugins' workflows name the workflow, every state, event, task
# and timer in French, Dutch, German and English, in that order (the Dutch
# and German await a native speaker's review: docs/workflows.md).
PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3
if "$PY" - ../../plugins >"$TMP/lang" 2>&1 <<'PYTHON'; then pass "the shipped workflows carry fr, nl, de and en titles"; else fail "workflow titles:"; sed 's/^/#   /' "$TMP/lang"; fi
import glob, os, sys
import xml.etree.ElementTree as ET
NS = "{urn:filrouge:workflow:1}"
bad, n = [], 0
for path in sorted(glob.glob(os.path.join(sys.argv[1], "*", "*.workflow.xml"))):
    rel = os.path.relpath(path, sys.argv[1])
    for e in ET.parse(path).iter():
        if e.tag not in (NS + "workflow", NS + "state", NS + "transition", NS + "task", NS + "timer"):
            continue
        n += 1
        langs = [t.get("lang") for t in e.findall(NS + "title")]
        if langs != ["fr", "nl", "de", "en"]:
            what = e.get("id") or e.get("event") or e.get("title")
            bad.append("%s: <%s> %s has titles %s: give fr, nl, de, en in that order" % (rel, e.tag[len(NS):], what, langs))
if n < 50:
    bad.append("only %d elements found: wrong path?" % n)
print("\n".join(bad))
sys.exit(1 if bad else 0)
PYTHON

# A workflow's new version and the migration of open cases, as an
# administrator meets them on the command line: the plan, the move, and
# the timeline that tells the migration from a step.
export FILROUGE_NOW=2026-11-23T09:00:00Z
P=$FILROUGE_SITE/plugins/visits
mkdir -p "$P"
cat >"$P/plugin.xml" <<'XML'
<plugin xmlns="urn:filrouge:plugin:1" id="visits" version="1.0" abi="1">
  <workflow file="visits.xml"/>
</plugin>
XML
cat >"$P/visits.xml" <<'XML'
<workflow xmlns="urn:filrouge:workflow:1" id="visits" version="1">
  <state id="new" initial="true"/>
  <state id="seen"/>
  <state id="closed" final="true"/>
  <transition event="visit" from="new" to="seen"/>
  <transition event="close" from="seen" to="closed"/>
</workflow>
XML
ok "a plugin with version 1 of its workflow" -- plugin enable visits
"$FR" user add marie --name "Marie Dubois" --role case_manager >/dev/null
"$FR" team add Namur >/dev/null
"$FR" team join Namur marie >/dev/null
"$FR" patient add --family Lambert --given Jeanne --birth 12/03/1941 >/dev/null
ok "a case under version 1" -- --as marie case open 1 --workflow visits --team Namur
ok "and its first step" -- --as marie case fire 1 visit
cat >"$P/visits.xml" <<'XML'
<workflow xmlns="urn:filrouge:workflow:1" id="visits" version="2">
  <state id="new" initial="true"/>
  <state id="followed"/>
  <state id="closed" final="true"/>
  <transition event="visit" from="new" to="followed"/>
  <transition event="close" from="followed" to="closed"/>
  <migration from-version="1">
    <map from="seen" to="followed"/>
  </migration>
</workflow>
XML
ok "the dry run shows the plan" -- workflow migrate visits --dry-run
out_has "…the case, its state and where it goes" "seen"
test "$(sql "SELECT workflow_version FROM cases WHERE id = 1")" = 1 &&
    pass "…and moves nothing" || fail "the dry run moved the case"
refused "a case manager may not migrate" 1 "administrator" -- --as marie workflow migrate visits
ok "an administrator migrates" -- workflow migrate visits
test "$(sql "SELECT state || ':' || workflow_version FROM cases WHERE id = 1")" = followed:2 &&
    pass "…the case is in the mapped state of version 2" || fail "case 1: $(sql "SELECT state, workflow_version FROM cases WHERE id = 1")"
ok "the case page" -- --as marie case show 1
out_has "the timeline names the migration as such, not as a step" "(migration)"
out_has "…and keeps the step before it" "visit"
ok "a step after the migration" -- --as marie case fire 1 close
finish

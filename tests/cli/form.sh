# Forms through the filrouge command: check, list, show, render, submit
# (JSON, XML, stdin, drafts, amendments, every error at once), history,
# FHIR export, and a workflow guard reading a score.
. ./lib.sh
export FILROUGE_NOW=2026-11-23T09:00:00Z
DATA=../data/forms
PLUGIN=${FILROUGE_PLUGIN_PATH}/forms

ok "check the test plugin's forms" -- form check "$PLUGIN/phq9.xml" "$PLUGIN/iadl.xml" "$PLUGIN/situation.xml" "$PLUGIN/efs.xml"
out_has "valid forms are named" "form phq9 version 1 is valid"
refused "a reference to a field that does not exist" 1 "bad-ref.xml:5: <field id='b'>: relevant refers to 'missing-field'" -- form check "$DATA/bad-ref.xml"
refused "every problem is listed" 1 "bad-ref.xml:7: <field id='a'>: the id is already used" -- form check "$DATA/bad-ref.xml"
refused "all 40 problems are printed, not only what fits in a message" 1 "many-errors.xml:44: <field id='f40'>: relevant refers to 'ghost40'" -- form check "$DATA/many-errors.xml"
refused "and counted" 1 "40 problems in" -- form check "$DATA/many-errors.xml"
refused "a cycle among calculations" 1 "x → y → z → x" -- form check "$DATA/cycle.xml"
refused "a form that is not XML" 1 "not-xml.xml:" -- form check "$DATA/not-xml.xml"
refused "an entity bomb is refused" 1 "DOCTYPE declaration is not accepted" -- form check "$DATA/bomb.xml"
refused "an external entity is refused" 1 "DOCTYPE declaration is not accepted" -- form check "$DATA/external-entity.xml"
refused "a variable in an expression, which could never be evaluated (the field would always be hidden)" 1 "variable.xml:5: <field id='alone'>: relevant uses the variable \$limit" -- form check "$DATA/variable.xml"
refused "a default that is not one of the options (every submission leaving the field empty would be refused)" 1 "bad-defaults.xml:4: <field id='status'>: default=\"unknown\" is not one of the options" -- form check "$DATA/bad-defaults.xml"
refused "a default that is not a number" 1 "bad-defaults.xml:9: <field id='visits'>: default=\"ten\" must be a whole number" -- form check "$DATA/bad-defaults.xml"
refused "a default beyond a scale's range" 1 "bad-defaults.xml:10: <field id='pain'>: default=\"12\" is above the maximum (10)" -- form check "$DATA/bad-defaults.xml"
refused "a default that is no calendar date" 1 "bad-defaults.xml:11: <field id='seen'>: default=\"2026-02-30\"" -- form check "$DATA/bad-defaults.xml"
refused "…and the good defaults (codes of a multiple choice, a number in range) are not counted" 1 "4 problems in" -- form check "$DATA/bad-defaults.xml"
refused "a version too large for a number is refused, not wrapped round" 1 "bad-numbers.xml:2: <form id='bad-numbers'>: version is not a version number from 1 to 2147483647" -- form check "$DATA/bad-numbers.xml"
refused "min-rows above max-rows, which no final submission could satisfy" 1 "bad-numbers.xml:4: <group id='rows'>: min-rows (5) is more than max-rows (2)" -- form check "$DATA/bad-numbers.xml"
refused "a row count too large for a number" 1 "bad-numbers.xml:7: <group id='many'>: min-rows is not a whole number" -- form check "$DATA/bad-numbers.xml"
refused "a min-answered too large for a number" 1 "bad-numbers.xml:10: <score id='s'>: min-answered is not a whole number" -- form check "$DATA/bad-numbers.xml"
refused "a bands version too large for a number" 1 "bad-numbers.xml:12: <score id='t'>: the version of its <bands> is not a whole number" -- form check "$DATA/bad-numbers.xml"

ok "enable the forms plugin" -- plugin enable forms
ok "list forms" -- form list --lang en
out_has "PHQ-9 listed" "Patient Health Questionnaire (PHQ-9)"
out_has "external result listed" "external"
# A version no longer offered (the site's form replaced by version 2) is
# still listed with its title, from its stored definition.
mkdir -p "$FILROUGE_SITE/forms"
printf '<form xmlns="urn:filrouge:form:1" id="visit-note" version="1"><title lang="en">Visit note, first</title><field id="n" type="text"><label lang="en">Note</label></field></form>\n' >"$FILROUGE_SITE/forms/visit-note.xml"
ok "a site form, version 1" -- form list --lang en
sed -i 's/version="1"/version="2"/; s/Visit note, first/Visit note, second/' "$FILROUGE_SITE/forms/visit-note.xml"
ok "the same form, version 2" -- form list --lang en
out_has "the version offered, with its title" "Visit note, second"
out_has "the one no longer offered keeps its title" "Visit note, first"
rm "$FILROUGE_SITE/forms/visit-note.xml"
ok "show a form in French" -- form show phq9 --lang fr
out_has "labels in French" "Peu d'intérêt ou de plaisir"
out_has "missing translation falls back" "Feeling down, depressed, or hopeless"
out_has "bands shown" "10–14"
out_has "flags shown" "flag self-harm (high)"
ok "render in German (falls back to French)" -- form render situation --lang de
out_has "German label" "Geburtsdatum"
out_has "French title" "<h1>Situation de la personne</h1>"
out_has "labels bound to inputs" '<label for="f-birth">'
out_has "a missing German text is said, in German" 'class="fr-untranslated" role="note" lang="de">Einige Texte dieses Formulars'
ok "render a validated instrument in German" -- form render phq9 --lang de
out_has "it says, in German, that it is shown in another language" 'lang="de">Einige Texte dieses Formulars gibt es nicht in Ihrer Sprache'
out_has "the form is marked as French, the language it is shown in" ' lang="fr">'
out_has "its French title" "<h1>Questionnaire sur la santé du patient (PHQ-9)</h1>"
ok "render a form whose every text is in English" -- form render phq9 --lang en
out_lacks "no note when every text is in the language" "fr-untranslated"

"$FR" user add marie --name "Marie Dubois" --role case_manager >/dev/null
"$FR" user add jan --name "Jan Peeters" --role provider >/dev/null
"$FR" patient add --family Lambert --given Jeanne --birth 12/03/1941 --sex female >/dev/null
ok "open a case" -- --as marie case open 1 --workflow assess --plugin forms

printf '{"q1":"1","q2":"7","q9":"x","colour":"blue"}' >"$TMP/bad.json"
refused "every field with its message, exit 1" 1 "q2: is not one of the options" -- --as marie form submit phq9 --case 1 "$TMP/bad.json" --lang en
refused "unknown field" 1 "colour: is not a field of this form" -- --as marie form submit phq9 --case 1 "$TMP/bad.json" --lang en
refused "missing required" 1 "q8: this field is required" -- --as marie form submit phq9 --case 1 "$TMP/bad.json" --lang en
refused "messages in the user's language (fr)" 1 "q8: ce champ est obligatoire" -- --as marie form submit phq9 --case 1 "$TMP/bad.json"
"$FR" --json --as marie form submit phq9 --case 1 "$TMP/bad.json" --lang en >"$TMP/out" 2>/dev/null
out_has "--json lists the problems" '"field": "q9"'
test "$(sql "SELECT count(*) FROM submissions")" = 0 && pass "nothing stored" || fail "something stored"

printf '{"q1":"1","q2":"2"}' >"$TMP/draft.json"
ok "save a draft" -- --as marie form submit phq9 --case 1 "$TMP/draft.json" --draft
out_has "saved as draft" "saved as draft"
ok "list drafts" -- --as marie form drafts
out_has "the draft is listed" "phq9"
out_has "human date" "23/11/2026"
printf '{"q1":"1","q2":"2","q3":"0","q4":"3","q5":"0","q6":"0","q7":"0","q8":"0","q9":"1"}' >"$TMP/full.json"
ok "complete the draft" -- --as marie form submit phq9 --case 1 "$TMP/full.json" --continue 1
out_has "score and band" "score total = 7 (mild)"
out_has "the flag is raised" "FLAG self-harm (high)"
test "$(sql "SELECT band FROM submission_scores WHERE submission_id = 1")" = mild && pass "score stored" || fail "score not stored"
test "$(sql "SELECT count(*) FROM outbox WHERE topic = 'form.submitted'")" = 1 && pass "form.submitted published" || fail "no form.submitted"
refused "amending needs a reason" 1 "needs a reason" -- --as marie form submit phq9 --case 1 "$TMP/full.json" --amend 1
"$FR" --as marie form submit phq9 --case 1 --amend 1 --reason "item 9 misread" <<'JSON' >"$TMP/out" 2>"$TMP/err" && pass "amend from stdin" || fail "amend from stdin"
{"q1":"1","q2":"2","q3":"0","q4":"3","q5":"0","q6":"0","q7":"0","q8":"0","q9":"0"}
JSON
out_has "amended score" "score total = 6 (mild)"
ok "history" -- --as marie form history 1
out_has "the old version stays, amended" "amended by 2"
out_has "the amendment says why" "amends 1 (item 9 misread)"
refused "no care relationship, no history" 1 "no care relationship" -- --as jan form history 1

cat >"$TMP/efs.xml" <<'XML'
<data><total>7</total><date>2026-11-20</date><assessor>Marie Dubois</assessor>
<instrument-version>EFS 2006</instrument-version><licence>UA-2026-0042</licence></data>
XML
refused "the guard needs the EFS first" 1 "needs a final submission of form 'efs'" -- --as marie case fire 1 include
ok "an external result as an XML instance" -- --as marie form submit efs --case 1 "$TMP/efs.xml"
out_has "band of the external result" "score efs = 7 (mild)"
ok "the guard reads score('efs.efs')" -- --as marie case fire 1 include

ok "the latest score of every case" -- --as marie form scores efs.efs
out_has "case 1's EFS" "mild"
ok "the amended PHQ-9 counts, not the old one" -- --as marie form scores phq9.total
out_has "total 6 (the amendment)" "6 mild"
ok "a stranger sees no case's scores" -- --as jan form scores phq9.total
out_has "nothing listed" "no scores"

head -c 10485760 /dev/zero | tr '\0' ' ' >"$TMP/big.json"
refused "a 10 MB submission is refused" 1 "more than the limit" -- --as marie form submit phq9 --case 1 "$TMP/big.json"
printf '<!DOCTYPE data [<!ENTITY x SYSTEM "file:///etc/passwd">]><data><q1>&x;</q1></data>' >"$TMP/xxe.xml"
refused "an external entity in a submission is refused" 1 "DOCTYPE" -- --as marie form submit phq9 --case 1 "$TMP/xxe.xml"

ok "export a Questionnaire" -- form export-fhir phq9 --lang en
out_has "FHIR resource" '"resourceType": "Questionnaire"'
out_has "points as ordinalValue" "ordinalValue"
ok "export a QuestionnaireResponse" -- --as marie form export-fhir --submission 2
out_has "FHIR response" '"resourceType": "QuestionnaireResponse"'
ok "the amended one is marked amended" -- --as marie form export-fhir --submission 1
out_has "status amended" '"status": "amended"'
# German (issue: forms in German for the German-speaking Community and
# Luxembourg) and Dutch. Every text of the plugins' service forms and
# manifests that has a French version has a Dutch and a German one beside it
# (Dutch right after French, before German). The validated clinical
# instruments have NO German on purpose: their wording may only come from the
# instrument's official validated German version, which the project does not
# have, so until it is added they fall back to the site's first language.
# Every form a plugin ships is in one of the two lists, so that a new form
# has to be classified here.
PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3
if "$PY" - ../../plugins >"$TMP/lang" 2>&1 <<'PYTHON'; then pass "service forms and manifests carry Dutch and German beside French; the validated instruments carry no German"; else fail "Dutch and German texts:"; sed 's/^/#   /' "$TMP/lang"; fi
import glob, os, sys
import xml.etree.ElementTree as ET
root = sys.argv[1]
SERVICE = ["frailty/frailty-screening.xml", "frailty/complexity.xml", "frailty/reference-choice.xml",
           "frailty/closure.xml", "oncology/psychosocial.xml", "oncology/rt-episode.xml",
           "psychosis/dup.xml", "psychosis/engagement.xml", "psychosis/family.xml",
           "youth/youth-request.xml"]
INSTRUMENTS = ["frailty/katz.xml", "frailty/lawton.xml", "frailty/efs.xml"] + sorted(
    os.path.relpath(f, root) for f in glob.glob(os.path.join(root, "instruments", "*.xml"))
    if not f.endswith("plugin.xml"))
TEXTS = {"title", "label", "hint", "message", "description"}
bad = []
def local(tag): return tag.rsplit("}", 1)[-1]
def check(rel):
    n = 0
    for parent in ET.parse(os.path.join(root, rel)).iter():
        langs, order = {}, {}
        for c in parent:
            if isinstance(c.tag, str) and local(c.tag) in TEXTS:
                langs.setdefault(local(c.tag), {})[c.get("lang")] = (c.text or "").strip()
                order.setdefault(local(c.tag), []).append(c.get("lang"))
        for tag, by in langs.items():
            if "fr" in by:
                n += 1
                for lang, name in (("nl", "Dutch"), ("de", "German")):
                    if not by.get(lang):
                        bad.append("%s: <%s lang=\"fr\">%s</%s> has no %s beside it" % (rel, tag, by["fr"], tag, name))
                seq = order[tag]
                if "nl" in seq and "de" in seq and not (seq.index("nl") == seq.index("fr") + 1 < seq.index("de")):
                    bad.append("%s: <%s lang=\"fr\">%s</%s>: Dutch goes right after French, before German" % (rel, tag, by["fr"], tag))
    if n == 0:
        bad.append("%s: no French text found (wrong path?)" % rel)
for rel in SERVICE + sorted(os.path.relpath(f, root) for f in glob.glob(os.path.join(root, "*", "plugin.xml"))):
    check(rel)
for rel in INSTRUMENTS:
    for e in ET.parse(os.path.join(root, rel)).iter():
        if e.get("lang") == "de":
            bad.append("%s: <%s lang=\"de\">: a validated instrument takes its German only from its official validated version" % (rel, local(e.tag)))
for manifest in glob.glob(os.path.join(root, "*", "plugin.xml")):
    d = os.path.basename(os.path.dirname(manifest))
    for e in ET.parse(manifest).iter():
        if local(e.tag) == "form":
            rel = d + "/" + e.get("file")
            if rel not in SERVICE and rel not in INSTRUMENTS:
                bad.append("%s: a new form: add it to SERVICE (translate it) or INSTRUMENTS (validated wording) in tests/cli/form.sh" % rel)
print("\n".join(bad))
sys.exit(1 if bad else 0)
PYTHON
finish

# What every specialty shares: the care plan and the person's approval (a
# workflow guard), referrals followed until answered, meetings whose
# decisions become tracked actions, caseload, the pyramid level.
. ./lib.sh
export FILROUGE_NOW=2026-11-23T09:00:00Z
"$FR" plugin enable instruments >/dev/null
"$FR" plugin enable frailty >/dev/null
"$FR" user add marie --name "Marie Dubois" --role case_manager --capacity 4 >/dev/null
"$FR" user add thomas --name "Thomas Weber" --role case_manager >/dev/null
"$FR" user add jan --name "Jan Peeters" --role provider >/dev/null
"$FR" patient add --family Lambert --given Jeanne --birth 12/03/1941 >/dev/null
"$FR" patient add --family Peeters --given Jozef --birth 02/07/1937 >/dev/null
M="--as marie"
"$FR" $M case open 1 --workflow frailty --intensity 4 --model clinical --on 02/11/2026 >/dev/null
"$FR" $M case open 2 --workflow frailty --intensity 2 --model clinical >/dev/null
"$FR" $M network add 1 --kind formal --name "Jan Peeters" --role "médecin généraliste" --user jan >/dev/null
"$FR" $M network add 1 --kind informal --name "Sophie Lambert" --relation fille >/dev/null
# Protocol 3 eligibility (docs/plugins/frailty.md): an EFS of 7
echo '{"total": 7, "date": "2026-11-20", "assessor": "Marie Dubois", "instrument-version": "EFS", "licence": "UA-1"}' |
    "$FR" $M form submit efs --case 1 - >/dev/null
# Step 4: the person's choice and consent (docs/plugins/frailty.md)
echo '{"chosen-by":"person","reference":"Marie Dubois","consent":true,"sharing":true}' |
    "$FR" $M form submit reference-choice --case 1 - >/dev/null
for e in screen assess choose plan; do "$FR" $M case fire 1 $e >/dev/null; done

# The care plan and the person's approval
refused "approval of an empty plan is refused" 1 "no open goal" -- $M careplan approve 1 --by "Jeanne Lambert"
ok "a goal" -- $M careplan goal 1 "Rester à domicile en sécurité"
ok "an action with a responsible user and a due date" -- $M careplan action 1 "Installer une téléalarme" --goal 1 --user jan --due 01/12/2026
ok "an action for an informal carer" -- $M careplan action 1 "Courses hebdomadaires" --goal 1 --member 2
refused "an action without anyone responsible" 1 "responsible" -- $M careplan action 1 "Quelque chose"
test "$(sql "SELECT u.login FROM tasks t JOIN users u ON u.id = t.assignee_id WHERE t.title = 'Installer une téléalarme'")" = jan &&
    pass "the action's due date is a task of the responsible user" || fail "action task"
refused "the workflow refuses 'approve' before the person approved" 1 "careplan approve" -- $M case fire 1 approve
refused "an approval dated before the case's opening" 1 "on: 01/10/2026 is before the case's opening (02/11/2026)" -- \
    $M careplan approve 1 --by "Jeanne Lambert" --how signed --on 01/10/2026
ok "the person approves the plan" -- $M careplan approve 1 --by "Jeanne Lambert" --how signed
ok "show the plan" -- $M careplan show 1
out_has "the approval is shown" "approved by Jeanne Lambert (signed) on 23/11/2026"
ok "a new action after the approval" -- $M careplan action 1 "Kinésithérapie" --goal 1 --responsible "kiné du quartier"
ok "show again" -- $M careplan show 1
out_has "the plan needs a new approval" "approval is needed"
refused "the guard sees the change" 1 "as it stands" -- $M case fire 1 approve
refused "an approval's note with a control character" 1 "note: holds a control character" -- $M careplan approve 1 --by "Jeanne Lambert" --how oral --note "$(printf 'dit\033à sa fille')"
ok "approved again, orally" -- $M careplan approve 1 --by "Jeanne Lambert" --how oral
ok "now the workflow moves on" -- $M case fire 1 approve
ok "the GP marks his action done" -- --as jan careplan done 1
test "$(sql "SELECT status FROM tasks WHERE title = 'Installer une téléalarme'")" = done &&
    pass "its task is done too" || fail "task not done"
refused "done twice" 1 "not open" -- --as jan careplan done 1

# Referrals
ok "refer to a dietitian" -- $M referral add 1 diététicienne --reason "perte de poids" --to "Mme Dupont"
test "$(sql "SELECT due_on FROM tasks WHERE origin_ref = 'referral'")" = 2026-12-07 &&
    pass "a follow-up task in 14 days" || fail "referral follow-up"
refused "a referral needs a reason" 1 "reason" -- $M referral add 1 psychologue
refused "a referral sent before the case's opening" 1 "sent: 01/11/2026 is before the case's opening (02/11/2026)" -- \
    $M referral add 1 psychologue --reason "humeur" --sent 01/11/2026
refused "a referral sent in the future" 1 "sent: 24/11/2026 is in the future" -- \
    $M referral add 1 psychologue --reason "humeur" --sent 24/11/2026
refused "a sent date that is no date" 2 "--sent: '31/02/2026' is not a date" -- \
    $M referral add 1 psychologue --reason "humeur" --sent 31/02/2026
FILROUGE_NOW=2026-12-10T09:00:00Z ok "unanswered referrals" -- $M referral list
out_has "late when past its follow-up date" "LATE"
refused "an answer dated before the referral was sent" 1 "on: 22/11/2026 is before the referral was sent (23/11/2026)" -- \
    $M referral answer 1 "rendez-vous le 12/12" --on 22/11/2026
ok "the answer" -- $M referral answer 1 "rendez-vous le 12/12"
test "$(sql "SELECT status FROM tasks WHERE origin_ref = 'referral'")" = done &&
    pass "the follow-up task is done" || fail "referral task"
refused "answered twice" 1 "already answered" -- $M referral answer 1 "encore"
ok "a referral sent before it was recorded" -- $M referral add 1 psychologue --reason "humeur" --sent 20/11/2026 --follow-up P7D
test "$(sql "SELECT sent_on || ' ' || follow_up_on FROM referrals WHERE specialty = 'psychologue'")" = "2026-11-20 2026-11-27" &&
    pass "sent on its day, followed up from it" || fail "referral sent date: $(sql "SELECT sent_on, follow_up_on FROM referrals WHERE specialty = 'psychologue'")"

# Meetings
refused "a meeting held before the case's opening" 1 "held: 01/11/2026 is before the case's opening (02/11/2026)" -- \
    $M meeting add --case 1 --on 01/11/2026 --place domicile
ok "a concertation with the network" -- $M meeting add --case 1 --on 20/11/2026 --place domicile \
    --member "1;médecin généraliste" --member "2;fille" --participant "Jeanne Lambert;la personne" \
    --participant "Service de soins;infirmière;absent" --minutes "point sur le maintien à domicile" \
    --divergences "la fille souhaite une entrée en maison de repos"
refused "divergences with a direction override" 1 "divergences: holds an invisible character" -- $M meeting add --case 1 --on 20/11/2026 --participant "Jeanne Lambert;la personne" --divergences "$(printf 'la fille \342\200\256refuse')"
ok "a decision becomes an action" -- $M meeting decide 1 "Visite d'une maison de repos" --responsible "Sophie Lambert" --due 15/12/2026
ok "the meeting" -- $M meeting show 1
out_has "participants with presence" "absent"
out_has "the decision" "Visite d'une maison de repos"
ok "the next meeting follows up open decisions" -- $M meeting add --case 1 --on 22/11/2026 --participant "Jeanne Lambert;la personne"
ok "show it" -- $M meeting show 2
out_has "the earlier decision to follow up" "to follow up from earlier meetings"
refused "a participant without role is a usage error" 2 "NAME;ROLE" -- $M meeting add --case 1 --participant "X;"
refused "a participant's role of spaces only" 1 "participant 1: a role is needed" -- \
    $M meeting add --case 1 --on 20/11/2026 --participant "Jeanne Lambert;   "
long=$(printf '%0250d' 0)
refused "a participant's name too long for the minutes" 1 "participant 1: at most 200" -- \
    $M meeting add --case 1 --on 20/11/2026 --participant "$long;voisin"
refused "a participant's role with a control character" 1 "participant 1" -- \
    $M meeting add --case 1 --on 20/11/2026 --participant "$(printf 'Jeanne;la\033[8m personne')"
refused "an action whose responsible is spaces only" 1 "responsible: say who does it" -- \
    $M careplan action 1 "Quelque chose" --goal 1 --responsible "   "
refused "an action whose responsible hides text" 1 "responsible" -- \
    $M careplan action 1 "Quelque chose" --goal 1 --responsible "$(printf 'kin\342\200\256e')"
refused "a member of another case" 1 "not in this case's network" -- $M meeting add --case 2 --member "1;GP"
refused "a provider outside the case cannot read its meetings" 1 "no care relationship" -- --as thomas meeting show 1

# Caseload and the pyramid
"$FR" user add ana --name "Ana Admin" --role admin >/dev/null
ok "caseload" -- caseload
out_has "marie is listed" "marie"
out_has "an administrator who manages no case has no capacity (not the site's 40)" "ana            Ana Admin                      0    0.0        —      — 0"
out_has "a case manager without one of her own has the site's" "thomas         Thomas Weber"
test "$("$FR" --json caseload | grep -A6 '"login": "ana"' | grep -c '"capacity": 0')" = 1 &&
    pass "0 in the JSON" || fail "ana's capacity: $("$FR" --json caseload | grep -A6 '"login": "ana"')"
test "$("$FR" --json caseload | grep -A3 '"login": "marie"' | grep -c '"load": 3.0')" = 1 &&
    pass "load = intensity weights 2 + 1" || fail "caseload load"
refused "a level outside the pyramid" 1 "not a level" -- $M case level 1 5
ok "set the level" -- $M case level 1 3
test "$(sql "SELECT pyramid_level FROM cases WHERE id = 1")" = 3 && pass "level stored" || fail "level"

# The person's whole record (right of access, a hand-over): one JSON
# document with every case the exporter reaches, whole.
"$FR" case open 1 --workflow frailty --manager thomas >/dev/null
other=$(sql "SELECT max(id) FROM cases")
"$FR" $M case note 1 "Visite à domicile avec la fille." >/dev/null
ok "the case manager exports the record" -- $M patient export 1 --out "$TMP/export.json"
out_has "says where, and that only its owner can read it" "readable by you only"
test "$(stat -c %a "$TMP/export.json")" = 600 && pass "the file is for its owner only" ||
    fail "export mode $(stat -c %a "$TMP/export.json")"
test ! -e "$TMP/export.json.partial" && pass "nothing left half-written" || fail "partial file left"
python3 - "$TMP/export.json" "$other" <<'PY' && pass "the export holds the case whole (people's notes too), names the case not reached and who accessed" || fail "export content"
import json, sys
e = json.load(open(sys.argv[1]))
assert e["format"] == "filrouge-patient-export" and e["version"] == 1, e.keys()
assert e["patient"]["family_name"] == "Lambert" and e["exported_by"] == "marie"
[c] = e["cases"]
assert c["id"] == 1 and c["patient_id"] == 1, c.keys()
assert any(g["title"] == "Rester à domicile en sécurité" for g in c["care_plan"]["goals"])
assert any(r["specialty"] == "diététicienne" for r in c["referrals"])
assert any("maintien à domicile" in (m.get("minutes") or "") for m in c["meetings"])
assert any(n["text"] == "Visite à domicile avec la fille." and n["author"] == "marie"
           and n["origin"] == "person" for n in c["notes"]), c["notes"]
efs = [s for s in c["submissions"] if s["form_id"] == "efs"]
assert efs and efs[0]["data"]["total"] == 7, efs
assert e["not_included"] == [{"id": int(sys.argv[2]), "reason": e["not_included"][0]["reason"]}]
assert "break-glass" in e["not_included"][0]["reason"]
acc = e["accesses"]
assert any(a["action"] == "read" and a["object_type"] == "case" for a in acc)
PY
test "$(sql "SELECT count(*) FROM audit WHERE action = 'export' AND object_type = 'patient' AND object_id = '1'")" = 1 &&
    pass "the export is audited on the patient" || fail "export audit"
refused "never over an existing file" 2 "the file exists" -- $M patient export 1 --out "$TMP/export.json"
refused "a provider does not export a whole record" 1 "for case managers and administrators" -- --as jan patient export 1
"$FR" user add nadia --name "Nadia Benali" --role case_manager >/dev/null
refused "a case manager who reaches none of the cases is refused, told of break-glass" 1 \
    "no care relationship with patient 1 through any of the patient's cases; ask the case manager to add you to a case's network, or use break-glass access" -- \
    --as nadia patient export 1
ok "to standard output" -- --as thomas patient export 1 --break-glass "demande d'accès de la personne (art. 15)"
python3 -c 'import json,sys; e=json.load(open(sys.argv[1])); assert len(e["cases"]) == 2 and e["not_included"] == []' "$TMP/out" &&
    pass "with break-glass, every case is in it" || fail "break-glass export"
test "$(sql "SELECT count(*) FROM break_glass bg JOIN users u ON u.id = bg.user_id WHERE u.login = 'thomas' AND bg.case_id = 1")" -ge 1 &&
    pass "the break-glass access is recorded" || fail "no break-glass recorded"
refused "a patient that does not exist" 1 "patient" -- $M patient export 999
ok "the audit chain holds" -- audit verify
finish

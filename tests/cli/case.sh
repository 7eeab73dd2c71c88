# Cases through their workflow, with access by care relationship: the
# frailty plugin's workflow driven through the filrouge command.
. ./lib.sh
export FILROUGE_NOW=2026-11-23T09:00:00Z

"$FR" plugin enable instruments >/dev/null
ok "enable the frailty plugin" -- plugin enable frailty
ok "add users" -- user add marie --name "Marie Dubois" --role case_manager --capacity 40
"$FR" user add thomas --name "Thomas Weber" --role case_manager >/dev/null
"$FR" user add jan --name "Jan Peeters" --role provider >/dev/null
"$FR" user add lea --name "Léa Roth" --role read_only >/dev/null
"$FR" team add "Namur Est" >/dev/null
"$FR" team join "Namur Est" marie >/dev/null
"$FR" user add nadia --name "Nadia Benali" --role case_manager >/dev/null
"$FR" team join "Namur Est" nadia >/dev/null
"$FR" patient add --family Lambert --given Jeanne --birth 12/03/1941 --sex female >/dev/null
"$FR" patient add --family Martin --given Lucas --birth 15/05/1990 --sex male >/dev/null

ok "a case manager opens a case (and manages it)" -- --as marie case open 1 --workflow frailty --team "Namur Est" --intensity 3
ok "the case page" -- --as marie case show 1
out_has "in the initial state" "state      referral"
out_has "the on-enter task is due in 3 days" "26/11/2026"
out_has "allowed events are listed" "allowed now: close not-eligible screen"
refused "a workflow that does not exist" 1 "frailtyy" -- case open 1 --workflow frailtyy
refused "an event not allowed names the allowed ones" 1 "allowed now: close, not-eligible, screen" -- \
    --as marie case fire 1 choose
# A case registered after the fact: opened today, but the referral came on
# 18/11 and the screening was done on 19/11. Its steps cannot be dated
# before its opening until the opening is corrected.
refused "a step dated before the case's opening names the opening and the correction" 1 \
    "on: 19/11/2026 is before the case's opening (23/11/2026); if the case began earlier, correct its opening date first (\`filrouge case opened-on 1 DD/MM/YYYY --reason TEXT\`)" -- \
    --as marie case fire 1 screen --on 19/11/2026
refused "the correction needs a reason" 2 "--reason" -- --as marie case opened-on 1 18/11/2026
refused "nor into the future" 1 "not in the future" -- \
    --as marie case opened-on 1 24/11/2026 --reason "saisi après coup"
refused "nor before the patient's birth" 1 "before the patient's birth (12/03/1941)" -- \
    --as marie case opened-on 1 01/01/1940 --reason "saisi après coup"
ok "correct the opening date" -- --as marie case opened-on 1 18/11/2026 --reason "dossier saisi après coup"
out_has "it says how many of the opening's tasks followed" "case 1: opened on 18/11/2026; 1 task moved with it"
test "$(sql "SELECT opened_on || ' ' || state_since FROM cases WHERE id = 1")" = "2026-11-18 2026-11-18" &&
    pass "the case opened on the corrected date, in its first state since then" ||
    fail "opening correction: $(sql "SELECT opened_on, state_since FROM cases WHERE id = 1")"
test "$(sql "SELECT effective_on FROM transitions WHERE case_id = 1 AND event = 'open'")" = 2026-11-18 &&
    pass "the timeline's opening moved with it" || fail "the opening transition kept its date"
test "$(sql "SELECT count(*) FROM audit WHERE object_type = 'case' AND object_id = '1' AND action = 'update' AND detail LIKE '%\"from\":\"2026-11-23\",\"to\":\"2026-11-18\",\"reason\":\"dossier saisi après coup\"%'")" = 1 &&
    pass "the correction is audited with both dates and the reason" || fail "the correction is not audited"
test "$(sql "SELECT due_on FROM tasks WHERE case_id = 1 AND origin_ref = 'state:referral'")" = 2026-11-21 &&
    pass "the opening's task nobody touched is due three days after the corrected opening" ||
    fail "the opening's task kept its due date: $(sql "SELECT due_on FROM tasks WHERE case_id = 1")"
test "$(sql "SELECT count(*) FROM outbox WHERE topic = 'case.opened-on-changed'")" = 1 &&
    pass "a case.opened-on-changed event" || fail "no case.opened-on-changed event"
ok "fire screen" -- --as marie case fire 1 screen --on 19/11/2026 --note "signalé par la fille"
out_has "the new state is reported" "now in state screening"
# Steps in the order they happened; the last one's date is corrected
# (mistyped, or recorded after the fact with today's date), its untouched
# task following it, and put back.
refused "a step dated before the last one names it and its correction" 1 \
    "on: 18/11/2026 is before the case's last step, screen (19/11/2026); steps are recorded in the order they happened: give that day or a later one, or correct that step's date first (\`filrouge case last-step-on 1 DD/MM/YYYY --reason TEXT\`)" -- \
    --as marie case close 1 --on 18/11/2026
refused "the step's correction needs a reason" 2 "--reason" -- --as marie case last-step-on 1 21/11/2026
refused "not before the step before it (the opening)" 1 "on: 17/11/2026 is before the case's opening (18/11/2026)" -- \
    --as marie case last-step-on 1 17/11/2026 --reason "date mal tapée"
ok "correct the last step's date" -- --as marie case last-step-on 1 21/11/2026 --reason "date mal tapée"
out_has "it says how many of the step's tasks followed" "case 1: last step on 21/11/2026; 1 task moved with it"
test "$(sql "SELECT s.effective_on || ' ' || c.state_since || ' ' || t.due_on FROM transitions s JOIN cases c ON c.id = s.case_id JOIN tasks t ON t.case_id = c.id AND t.origin_ref = 'state:screening' WHERE s.case_id = 1 AND s.event = 'screen'")" = "2026-11-21 2026-11-21 2026-11-28" &&
    pass "the step, the state's start and the step's task moved" ||
    fail "step correction: $(sql "SELECT effective_on FROM transitions WHERE case_id = 1")"
ok "put it back" -- --as marie --json case last-step-on 1 19/11/2026 --reason "finalement le 19"
out_has "the JSON answer says how many tasks followed" '"tasks_moved": 1'
test "$(sql "SELECT count(*) FROM audit WHERE object_type = 'case' AND object_id = '1' AND action = 'update' AND detail LIKE '%\"step\":\"screen\",\"from\":\"2026-11-21\",\"to\":\"2026-11-19\",\"reason\":\"finalement le 19\"%'") $(sql "SELECT count(*) FROM outbox WHERE topic = 'case.last-step-on-changed'")" = "1 2" &&
    pass "the corrections are audited with both dates and the reason, and published" ||
    fail "the step's correction is not audited or published"
refused "the opening cannot move past the case's first step" 1 \
    "opened: 20/11/2026 is after the case's first step screen (19/11/2026)" -- \
    --as marie case opened-on 1 20/11/2026 --reason "erreur"
test "$(sql "SELECT status FROM tasks WHERE case_id = 1 AND origin_ref = 'state:referral'")" = cancelled &&
    pass "the step's own task closes with the step" || fail "the referral step's task is still open"
# Protocol 3 eligibility (docs/plugins/frailty.md): 60+ and an EFS of 6 or more
echo '{"total": 6, "date": "2026-11-20", "assessor": "Marie Dubois", "instrument-version": "EFS", "licence": "UA-1"}' |
    "$FR" --as marie form submit efs --case 1 - >/dev/null
ok "fire assess: the eligibility guard passes at 85 with an EFS of 6" -- --as marie case fire 1 assess --on 20/11/2026
ok "the timeline" -- --as marie case show 1
out_has "back-dated transition shown with its effective date" "20/11/2026  assess"
test "$(sql "SELECT recorded_at FROM transitions WHERE event = 'assess'")" = "2026-11-23T09:00:00Z" &&
    pass "the recorded time is now, the effective date is the one given" ||
    fail "recorded time of a back-dated transition"
refused "a future effective date is refused" 1 "future" -- --as marie case fire 1 choose --on 01/01/2030

refused "a case opened before the patient's birth" 1 "opened: 01/01/1980 is before the patient's birth (15/05/1990); check the date" -- \
    --as marie case open 2 --workflow frailty --on 01/01/1980
ok "a second case for a 36-year-old" -- --as marie case open 2 --workflow frailty
ok "screen it" -- --as marie case fire 2 screen
refused "the guard refuses with its message" 1 "60 ans et plus" -- --as marie case fire 2 assess
test "$(sql "SELECT state FROM cases WHERE id = 2")" = screening && pass "a refused event changes nothing" ||
    fail "a refused event changed the case"
refused "closing dated before the opening is refused too" 1 "on: 01/01/1990 is before the case's opening (23/11/2026)" -- \
    --as marie case close 2 --on 01/01/1990

# Access by care relationship
refused "a provider without relationship cannot read the case" 1 "no care relationship" -- --as jan case show 1
refused "another case manager outside the team cannot either" 1 "no care relationship" -- --as thomas case show 1
ok "nor does his case list hold it" -- --as thomas case list
out_lacks "case 1 not listed for thomas" "Lambert"
ok "a case manager of the same team lists it" -- --as nadia case list
out_has "case 1 listed for nadia (team)" "Lambert"
ok "jan joins the network as the GP" -- --as marie network add 1 --kind formal --name "Jan Peeters" --role "médecin généraliste" --user jan
ok "now jan reads the case" -- --as jan case show 1
ok "and may write to it" -- --as jan task add 1 "Passage à domicile" --due 01/12/2026
refused "a task due before the case's opening" 1 "due: 01/01/1900 is before the case's opening (18/11/2026)" -- \
    --as jan task add 1 "Passage à domicile" --due 01/01/1900
refused "a task due more than ten years ahead" 1 "due: 31/12/9999 is more than 10 years ahead (today is 23/11/2026); check the year" -- \
    --as jan task add 1 "Passage à domicile" --due 31/12/9999
ok "jan's case list holds case 1 only" -- --as jan case list
out_has "case 1 listed" "Lambert"
out_lacks "case 2 not listed" "Martin"
ok "lea joins the network, read-only" -- --as marie network add 1 --kind formal --name "Léa Roth" --role "assistante sociale" --user lea
ok "lea reads" -- --as lea case show 1
refused "lea cannot write" 1 "read-only" -- --as lea case fire 1 choose
ok "lea was in case 2's network until November" -- --as marie network add 2 --kind formal --name "Léa Roth" --role "assistante sociale" --user lea --since 01/01/2026 --until 01/11/2026
refused "a member whose period ended has no access" 1 "no care relationship" -- --as lea case show 2
# Notes of contacts, written by people: signed by the acting user, shown
# with hooks' notes on the case, refused when blank, too long, with a
# control character, without write access.
ok "a case manager notes a call" -- --as marie case note 1 "Appel de la fille : chute hier soir, pas de blessure."
out_has "the note's number is said" "note 1 added to case 1"
ok "the GP notes a visit with --text, in JSON" -- --as jan --json case note 1 --text "Visite à domicile.
Tension 13/8."
out_has "the JSON answer gives the note's id" '"id": 2'
ok "case notes lists them" -- --as lea case notes 1
out_has "with the author's name and date" "23/11/2026 10:00  Marie Dubois: Appel de la fille"
out_has "the GP's too" "Jan Peeters: Visite à domicile."
out_has "its second line indented under it" "      Tension 13/8."
ok "case show has them" -- --as marie case show 1
out_has "under notes" "Marie Dubois: Appel de la fille"
test "$(sql "SELECT author || ' ' || origin FROM case_notes WHERE id = 2")" = "jan person" &&
    pass "the note is the person's, signed by its author" || fail "note 2: $(sql "SELECT author, origin FROM case_notes WHERE id = 2")"
test "$(sql "SELECT count(*) FROM audit WHERE action = 'create' AND object_type = 'note'")" -ge 2 &&
    pass "each note is audited" || fail "notes not audited"
test "$(sql "SELECT count(*) FROM audit WHERE action = 'read' AND object_type = 'notes' AND object_id = '1'")" = 1 &&
    pass "reading the notes is audited" || fail "the notes' reading is not audited"
refused "a blank note" 1 "note: a note needs some text" -- --as marie case note 1 "   "
refused "no text at all is a usage error" 2 "case note CASE TEXT" -- --as marie case note 1
refused "a note with a control character" 1 "note: holds a control character" -- --as marie case note 1 "$(printf 'bip\007')"
refused "a note too long" 1 "note: at most 20000 characters (20001 given)" -- \
    --as marie case note 1 "$(head -c 20001 /dev/zero | tr '\0' x)"
refused "a contact in the future" 1 "on: 24/11/2026 is in the future (today is 23/11/2026)" -- \
    --as marie case note 1 "Visite prévue." --on 24/11/2026
refused "a contact before the case's opening" 1 "on: 17/11/2026 is before the case's opening (18/11/2026)" -- \
    --as marie case note 1 "Visite." --on 17/11/2026
refused "a contact date that is no date" 2 "--on" -- --as marie case note 1 "Visite." --on 31/02/2026
ok "a note of yesterday's visit says its day" -- --as marie case note 1 "Visite à domicile hier." --on 22/11/2026
ok "shown with the note" -- --as marie case notes 1
out_has "the contact's day after the author" "Marie Dubois: (contact on 22/11/2026) Visite à domicile hier."
refused "a read-only user writes no note" 1 "read-only" -- --as lea case note 1 "Vu la patiente."
refused "nor does someone outside the care relationship" 1 "no care relationship" -- --as thomas case note 1 "Vu la patiente."
refused "nor reads them" 1 "no care relationship" -- --as thomas case notes 1
test "$(sql "SELECT count(*) FROM case_notes")" = 3 && pass "the refused notes were not written" ||
    fail "a refused note was written"
ok "an informal member needs a relation" -- --as marie network add 1 --kind informal --name "Sophie Lambert" --relation fille
refused "a formal member without role is refused" 1 "role" -- --as marie network add 1 --kind formal --name X
refused "break-glass needs a reason" 1 "reason" -- --as thomas --break-glass "x" case show 1
refused "a reason of spaces only is no reason" 1 "reason" -- --as thomas --break-glass "       " case show 1
refused "nor five characters of which three are spaces" 1 "a reason of at least a few words" -- \
    --as thomas --break-glass "  urg " case show 1
refused "a reason with a control character" 1 "reason: " -- \
    --as thomas --break-glass "$(printf 'urgence\033[2J vitale')" case show 1
ok "break-glass with a reason opens the case" -- --as thomas --break-glass "appel du SAMU, patiente inconsciente" case show 1
ok "break-glass is audited" -- audit show --type case --id 1
out_has "the break-glass entry" "break-glass"
out_has "the refusals are audited" "denied"

# Intensity, assignment
refused "intensity outside 1-4" 1 "outside 1" -- --as marie case intensity 1 7
ok "lower the intensity once stable" -- --as marie case intensity 1 2
refused "assign to a provider is refused" 1 "case_manager" -- --as marie case assign 1 jan
ok "hand the case over to thomas" -- --as marie case assign 1 thomas
ok "thomas now manages it" -- --as thomas case list --mine
out_has "listed in his caseload" "Lambert"
# A provider reaches cases through their network only: a case manager made
# one would no longer reach the cases he manages, and they would drop out
# of every caseload.
refused "a case manager with open cases does not become a provider" 1 \
    "role: thomas still manages 1 open case(s); hand them over first" -- \
    user edit thomas --role provider
test "$(sql "SELECT role FROM users WHERE login = 'thomas'")" = case_manager &&
    pass "his role is unchanged" || fail "thomas became $(sql "SELECT role FROM users WHERE login = 'thomas'")"
ok "without open cases, a case manager may become a provider" -- user edit nadia --role provider

# Closing is not deleting; a closed case can be reopened.
echo '{"reason":"goals-reached","stable":true,"care-optimal":true,"services-match":true,"satisfied":true,"goals":true,"right-providers":true}' |
    "$FR" --as thomas form submit closure --case 1 - >/dev/null
ok "close (after the closure checklist)" -- --as thomas case close 1 --note "situation stable"
test "$(sql "SELECT status || ' ' || closed_on FROM cases WHERE id = 1")" = "closed 2026-11-23" &&
    pass "closed with its date" || fail "close"
test "$(sql "SELECT count(*) FROM tasks WHERE case_id = 1 AND status = 'open'")" = 0 &&
    pass "closing cancels the case's open tasks" || fail "open tasks remain on a closed case"
refused "a closed case accepts only its final state's events" 1 "reopen" -- --as thomas case fire 1 evaluate
ok "reopen months later" -- --as thomas case reopen 1 --note "rappel de la fille"
test "$(sql "SELECT status || ' ' || state || ' ' || coalesce(closed_on, '-') FROM cases WHERE id = 1")" = "open monitoring -" &&
    pass "reopened into monitoring" || fail "reopen: $(sql "SELECT status, state FROM cases WHERE id = 1")"

# The échéancier
ok "a task anchored on a named date" -- --as thomas task add 1 "Préparer la réévaluation" --anchor review --offset -P14D
ok "a second task anchored on the same date" -- --as thomas task add 1 "Prévenir la famille" --anchor review --offset -P7D
refused "a case date more than ten years ahead" 1 "date: 01/01/9999 is more than 10 years ahead (today is 23/11/2026); check the year" -- \
    --as thomas case date 1 review 01/01/9999
refused "a case date before the patient's birth" 1 "date: 01/01/1900 is before the patient's birth (12/03/1941); check the date" -- \
    --as thomas case date 1 review 01/01/1900
ok "set the date" -- --as thomas case date 1 review 15/01/2027
out_has "it says how many tasks moved with the date" "case 1: review set to 15/01/2027; 2 tasks anchored on it moved with it"
test "$(sql "SELECT due_on FROM tasks WHERE title = 'Préparer la réévaluation'")" = 2027-01-01 &&
    pass "the anchored task is due 14 days before" || fail "anchored due date"
ok "move the date" -- --as thomas --json case date 1 review 29/01/2027
out_has "the JSON answer says how many tasks moved" '"tasks_moved": 2'
test "$(sql "SELECT due_on FROM tasks WHERE title = 'Préparer la réévaluation'")" = 2027-01-15 &&
    pass "the task followed the date" || fail "the task did not follow the date"
test "$(sql "SELECT due_on FROM tasks WHERE title = 'Prévenir la famille'")" = 2027-01-22 &&
    pass "every task anchored on the date followed it" || fail "the second anchored task did not follow"
ok "the échéancier" -- --as thomas task list
out_has "tasks listed with day/month/year" "15/01/2027"
FILROUGE_NOW=2026-12-05T08:00:00Z ok "tick ten days later" -- tick
test "$(sql "SELECT count(*) FROM outbox WHERE topic = 'task.overdue'")" -gt 0 && pass "task.overdue events" ||
    fail "no task.overdue event"
before=$(sql "SELECT count(*) FROM outbox")
FILROUGE_NOW=2026-12-05T09:00:00Z "$FR" tick >/dev/null
test "$(sql "SELECT count(*) FROM outbox")" = "$before" && pass "a second tick the same day emits nothing new" ||
    fail "the second tick emitted again"
task=$(sql "SELECT min(id) FROM tasks WHERE case_id = 1 AND status = 'open'")
ok "mark a task done" -- --as thomas task done "$task"
refused "twice is refused" 1 "already" -- --as thomas task done "$task"
task=$(sql "SELECT min(id) FROM tasks WHERE case_id = 1 AND status = 'open'")
refused "cancelling a task needs a reason" 2 "--reason" -- --as thomas task cancel "$task"
ok "cancel a task with a reason" -- --as thomas task cancel "$task" --reason "fait par l'hôpital"
test "$(sql "SELECT status FROM tasks WHERE id = $task")" = cancelled && pass "the task is cancelled" ||
    fail "the task is not cancelled"
test "$(sql "SELECT count(*) FROM outbox WHERE topic = 'task.cancelled'")" -gt 0 && pass "a task.cancelled event" ||
    fail "no task.cancelled event"
refused "a cancelled task cannot be cancelled again" 1 "no longer open" -- --as thomas task cancel "$task" --reason again

# The XML view holds the patient's birth date and the case's forms: a read.
ok "the case's XML view" -- --as marie case view 1
out_has "the view is printed" "<case"
test "$(sql "SELECT count(*) FROM audit WHERE actor = 'marie' AND action = 'read' AND object_type = 'case' AND object_id = '1' AND detail LIKE '%xml view%'")" = 1 &&
    pass "reading the XML view is audited" || fail "the XML view was read without an audit entry"

# The outbox carries case data (task titles, notes, patient ids): for
# administrators only, on the command line as in the API.
refused "a case manager cannot list the events" 1 "only administrators" -- --as thomas events
refused "nor retry deliveries" 1 "only administrators" -- --as thomas events retry --all
test "$(sql "SELECT count(*) FROM audit WHERE actor = 'thomas' AND action = 'denied' AND object_type = 'events'")" = 2 &&
    pass "the refusals are audited" || fail "the refusals to list the events are not audited"
ok "the machine's administrator lists them" -- events
out_has "the outbox is listed" "task.cancelled"

ok "every change is audited and the chain holds" -- audit verify
# A birth corrected to after a case of the person was opened cannot be right.
"$FR" patient add --family Neuf --given Louise --birth 01/01/2020 >/dev/null
pid=$(sql "SELECT max(id) FROM patients")
"$FR" --as marie case open "$pid" --workflow frailty --on 01/06/2021 >/dev/null
refused "a birth corrected to after the person's first case was opened" 1 \
    "birth: 01/01/2022 is after the opening of this person's first case (01/06/2021); check the date" -- \
    --as marie patient edit "$pid" --birth 01/01/2022
ok "a birth before it is accepted" -- --as marie patient edit "$pid" --birth 02/01/2020
# A case opened with a wrong date (01/11 typed for 21/11): its first task,
# done on 20/11, says it existed then. The opening moves up to that day,
# not past it; the GP known for years does not stop it.
"$FR" patient add --family Lejeune --given Paul --birth 02/02/1938 >/dev/null
pid=$(sql "SELECT max(id) FROM patients")
FILROUGE_NOW=2026-11-20T10:00:00Z "$FR" --as marie case open "$pid" --workflow frailty --on 01/11/2026 >/dev/null
late=$(sql "SELECT max(id) FROM cases")
ltask=$(sql "SELECT id FROM tasks WHERE case_id = $late")
FILROUGE_NOW=2026-11-20T10:00:00Z "$FR" --as marie task done "$ltask" >/dev/null
"$FR" --as marie network add "$late" --kind formal --name "Dr Claes" --role "médecin traitant" --since 01/01/2001 >/dev/null
refused "the opening cannot move past a task done in the case" 1 \
    "opened: 21/11/2026 is after the case's first completed task $ltask (20/11/2026); a case opens before what happens in it" -- \
    --as marie case opened-on "$late" 21/11/2026 --reason "date mal tapée"
ok "up to that day" -- --as marie case opened-on "$late" 20/11/2026 --reason "date mal tapée"
test "$(sql "SELECT due_on FROM tasks WHERE id = $ltask")" = 2026-11-04 &&
    pass "a task done keeps its due date" || fail "a task done was moved: $(sql "SELECT due_on FROM tasks WHERE id = $ltask")"
# Nor past the day of a contact a note reports (a visit on 05/11 noted later).
"$FR" patient add --family Renard --given Alice --birth 03/03/1939 >/dev/null
"$FR" --as marie case open "$(sql "SELECT max(id) FROM patients")" --workflow frailty --on 01/11/2026 >/dev/null
ncase=$(sql "SELECT max(id) FROM cases")
"$FR" --as marie case note "$ncase" "Visite à domicile." --on 05/11/2026 >/dev/null
note=$(sql "SELECT max(id) FROM case_notes")
refused "the opening cannot move past the contact a note reports" 1 \
    "opened: 06/11/2026 is after the case's first note $note (05/11/2026)" -- \
    --as marie case opened-on "$ncase" 06/11/2026 --reason "date mal tapée"
finish

# The oncology plugin (radiotherapy centre): the case opens at the first
# consultation; the psychosocial needs assessment with its distress rating;
# the treatment episode with its dates and its hospital of reference; for a
# breast cancer, appointments at the start and end of radiotherapy that move
# with the dates; referrals followed until answered; reopening when the
# patient calls back.
. ./lib.sh
export FILROUGE_NOW=2026-11-23T09:00:00Z
refused "oncology needs the shared instruments" 1 "instruments" -- plugin enable oncology
"$FR" plugin enable instruments >/dev/null
ok "enable oncology (no other domain plugin)" -- plugin enable oncology
"$FR" user add claire --name "Claire Schmit" --role case_manager >/dev/null
"$FR" patient add --family Weber --given Anne --birth 04/04/1972 --sex female >/dev/null
"$FR" patient add --family Muller --given Paul --birth 11/11/1955 --sex male >/dev/null
C="--as claire"
j() { printf '%s\n' "$2" >"$TMP/$1.json"; }
due() { sql "SELECT coalesce(due_on, '-') FROM tasks WHERE case_id = $1 AND title LIKE '%$2 de radiothérapie%' AND status = 'open'"; }

ok "the case opens at the first consultation" -- $C case open 1 --workflow oncology
ok "show" -- $C case show 1
out_has "the first interview is on the échéancier" "Premier entretien"
refused "the assessment needs the psychosocial form" 1 "psychosocial" -- $C case fire 1 assess
j ps '{"who":"Mère de deux enfants","couple":"some","work":"major","finances":"major","load":"some","daily":"none","distress":6,"areas":["emotional","practical"],"orientations":["social-worker","psychologist"]}'
ok "the psychosocial needs assessment" -- $C form submit psychosocial --case 1 "$TMP/ps.json"
out_has "distress 6 calls for further evaluation" "score distress = 6 (evaluate)"
out_has "the flag" "evaluate"
out_has "domains 1+2+2+1+0" "score needs = 6"
out_has "work and money: offer the social worker" "finances"
j ps3 '{"couple":"none","work":"none","finances":"none","load":"some","daily":"none","distress":3}'
ok "distress 3" -- $C form submit psychosocial --case 1 "$TMP/ps3.json"
out_has "3 is low" "score distress = 3 (low)"
out_lacks "no evaluation flag at 3" "evaluate"
j ps4 '{"couple":"none","work":"none","finances":"none","load":"some","daily":"none","distress":4}'
ok "distress 4" -- $C form submit psychosocial --case 1 "$TMP/ps4.json"
out_has "4 calls for evaluation" "score distress = 4 (evaluate)"
test "$(sql "SELECT pyramid_suggested || ' ' || pyramid_level FROM cases WHERE id = 1")" = "2 2" &&
    pass "the assessment suggests level 2 of the pyramid (distress 4)" ||
    fail "pyramid after distress 4: $(sql "SELECT pyramid_suggested, pyramid_level FROM cases WHERE id = 1")"
j d11 '{"couple":"none","work":"none","finances":"none","load":"none","daily":"none","distress":11}'
refused "distress above 10" 1 "distress" -- $C form submit psychosocial --case 1 "$TMP/d11.json" --lang en
ok "assess" -- $C case fire 1 assess

# Referrals to specialists, followed until answered
ok "refer to the social worker" -- $C referral add 1 "assistante sociale" --reason "perte de revenus, arrêt de travail" --follow-up P7D
ok "refer to a psychologist" -- $C referral add 1 psychologue --reason "détresse 6, charge psychologique"
FILROUGE_NOW=2026-12-02T09:00:00Z ok "unanswered referrals" -- $C referral list
out_has "the social worker's is late" "LATE"
ok "the social worker answers" -- $C referral answer 1 "rendez-vous le 03/12"

# The treatment episode: a breast cancer
j ep '{"cancer-site":"breast","intent":"adjuvant","chemotherapy":false,"sessions":20}'
refused "treatment needs the episode form" 1 "rt-episode" -- $C case fire 1 start-treatment
ok "the episode: breast cancer" -- $C form submit rt-episode --case 1 "$TMP/ep.json"
test "$(due 1 début)" = "-" && pass "the start appointment exists, without a date yet" || fail "start appointment: '$(due 1 début)'"
test "$(due 1 fin)" = "-" && pass "the end appointment exists, without a date yet" || fail "end appointment: '$(due 1 fin)'"
refused "treatment needs its dates and hospital" 1 "hôpital de référence" -- $C case fire 1 start-treatment
ok "the start of radiotherapy" -- $C case date 1 rt-start 07/12/2026
ok "the end of radiotherapy" -- $C case date 1 rt-end 08/01/2027
test "$(due 1 début)" = 2026-12-07 && pass "start appointment on the first session" || fail "start: $(due 1 début)"
test "$(due 1 fin)" = 2027-01-08 && pass "end appointment on the last session" || fail "end: $(due 1 fin)"
refused "still no hospital of reference" 1 "hôpital de référence" -- $C case fire 1 start-treatment
ok "the hospital of reference joins the network" -- $C network add 1 --kind formal --name "Service de radiothérapie" --role "hôpital de référence" --organisation "Centre Hospitalier de Luxembourg"
ok "the dates move (the machine is down a week)" -- $C case date 1 rt-start 14/12/2026
ok "and the end too" -- $C case date 1 rt-end 15/01/2027
test "$(due 1 début)" = 2026-12-14 && pass "the start appointment moved" || fail "start did not move: $(due 1 début)"
test "$(due 1 fin)" = 2027-01-15 && pass "the end appointment moved" || fail "end did not move: $(due 1 fin)"
ok "the episode amended (sessions)" -- $C form submit rt-episode --case 1 --amend "$(sql "SELECT max(id) FROM submissions WHERE form_id = 'rt-episode'")" --reason "20 → 25 séances" "$TMP/ep.json"
test "$(sql "SELECT count(*) FROM tasks WHERE case_id = 1 AND origin = 'hook'")" = 2 &&
    pass "an amendment does not duplicate the appointments" || fail "duplicated appointments"
FILROUGE_NOW=2026-12-14T09:00:00Z ok "radiotherapy starts" -- $C case fire 1 start-treatment --on 14/12/2026
FILROUGE_NOW=2027-01-10T09:00:00Z refused "not ended before its end date" 1 "rt-end" -- $C case fire 1 end-treatment
FILROUGE_NOW=2027-01-15T09:00:00Z ok "the end" -- $C case fire 1 end-treatment
test "$(sql "SELECT status FROM tasks WHERE case_id = 1 AND title LIKE '%fin de radiothérapie%'")" = open &&
    pass "the end appointment stays open after the state changes" || fail "end appointment cancelled"

# Another cancer: no systematic appointments
ok "a prostate cancer" -- $C case open 2 --workflow oncology
j ep2 '{"cancer-site":"prostate","chemotherapy":false}'
ok "its episode" -- $C form submit rt-episode --case 2 "$TMP/ep2.json"
ok "its dates" -- $C case date 2 rt-start 07/12/2026
test "$(sql "SELECT count(*) FROM tasks WHERE case_id = 2 AND origin = 'hook'")" = 0 &&
    pass "no breast-cancer appointments" || fail "appointments for a prostate cancer"

# An amendment that makes the episode another cancer cancels its appointments
ok "a third case" -- $C case open 1 --workflow oncology
j ep3 '{"cancer-site":"breast","chemotherapy":false,"start":"2026-12-07","end":"2027-01-08"}'
ok "its episode: breast cancer, with its dates in the form" -- $C form submit rt-episode --case 3 "$TMP/ep3.json"
test "$(sql "SELECT name || '=' || date FROM case_dates WHERE case_id = 3 ORDER BY name" | paste -sd ' ')" = "rt-end=2027-01-08 rt-start=2026-12-07" &&
    pass "the episode's dates became the case dates" || fail "case dates: $(sql "SELECT name, date FROM case_dates WHERE case_id = 3")"
test "$(due 3 début) $(due 3 fin)" = "2026-12-07 2027-01-08" && pass "the appointments are on them" || fail "appointments: $(due 3 début) $(due 3 fin)"
j ep3b '{"cancer-site":"lung","chemotherapy":false,"start":"2026-12-07","end":"2027-01-08"}'
ok "amended: a lung cancer after all" -- $C form submit rt-episode --case 3 --amend "$(sql "SELECT max(id) FROM submissions WHERE case_id = 3")" --reason "erreur de localisation" "$TMP/ep3b.json"
test "$(sql "SELECT count(*) FROM tasks WHERE case_id = 3 AND origin = 'hook' AND status = 'cancelled'")" = 2 &&
    pass "both appointments are cancelled" || fail "appointments: $(sql "SELECT title, status FROM tasks WHERE case_id = 3 AND origin = 'hook'")"
test "$(sql "SELECT count(*) FROM audit WHERE action = 'cancel' AND object_type = 'task' AND actor = 'hook:oncology.oncology.breast_appointments' AND detail LIKE '%plus un cancer du sein%'")" = 2 &&
    pass "each cancellation is audited, by the hook, with its reason" || fail "audit of the cancellations: $(sql "SELECT actor, detail FROM audit WHERE action = 'cancel'")"
ok "the cancelled appointments are listed with their status" -- $C task list --case 3 --status cancelled
out_has "the start appointment" "début de radiothérapie"
ok "amended back: a breast cancer" -- $C form submit rt-episode --case 3 --amend "$(sql "SELECT max(id) FROM submissions WHERE case_id = 3")" --reason "confirmé : sein" "$TMP/ep3.json"
test "$(due 3 début) $(due 3 fin)" = "2026-12-07 2027-01-08" && pass "the appointments are made again" || fail "appointments: $(due 3 début) $(due 3 fin)"

# Follow-up without end date; reopened when the patient calls back
FILROUGE_NOW=2027-02-01T09:00:00Z ok "close" -- $C case close 1 --note "fin du suivi actif"
FILROUGE_NOW=2027-09-01T09:00:00Z ok "she calls back months later" -- $C case reopen 1 --note "appel de la patiente"
test "$(sql "SELECT status || ' ' || state FROM cases WHERE id = 1")" = "open follow-up" &&
    pass "reopened into follow-up, with its record" || fail "reopen"

# A new treatment episode: a new form (not an amendment), its own dates and appointments
FILROUGE_NOW=2027-09-01T09:00:00Z refused "a new episode needs its form first" 1 "nouveau formulaire rt-episode" -- $C case fire 1 new-episode
j epnew '{"cancer-site":"breast","intent":"curative","chemotherapy":true,"sessions":15,"start":"2027-09-20","end":"2027-10-08"}'
FILROUGE_NOW=2027-09-02T09:00:00Z ok "the new episode, with its dates" -- $C form submit rt-episode --case 1 "$TMP/epnew.json"
test "$(sql "SELECT count(*) FROM submissions WHERE case_id = 1 AND form_id = 'rt-episode' AND amends IS NULL")" = 2 &&
    pass "two episodes: the first one is kept as it was" || fail "episodes"
test "$(sql "SELECT date FROM case_dates WHERE case_id = 1 AND name = 'rt-start'")" = 2027-09-20 &&
    pass "the case's start date is the new episode's" || fail "rt-start: $(sql "SELECT date FROM case_dates WHERE case_id = 1 AND name = 'rt-start'")"
test "$(sql "SELECT due_on FROM tasks WHERE case_id = 1 AND status = 'open' AND title = 'Rendez-vous de début de radiothérapie (cancer du sein, épisode 2)'")" = 2027-09-20 &&
    pass "the new episode's start appointment, on its date" || fail "episode 2 start: $(sql "SELECT title, due_on, status FROM tasks WHERE case_id = 1 AND origin = 'hook'")"
test "$(sql "SELECT due_on FROM tasks WHERE case_id = 1 AND status = 'open' AND title = 'Rendez-vous de fin de radiothérapie (cancer du sein, épisode 2)'")" = 2027-10-08 &&
    pass "and its end appointment" || fail "episode 2 end"
test "$(sql "SELECT count(*) FROM tasks WHERE case_id = 1 AND origin = 'hook' AND title NOT LIKE '%épisode 2%' AND due_on >= '2027-09-01'")" = 0 &&
    pass "the first episode's appointments did not move" || fail "old appointments moved"
FILROUGE_NOW=2027-09-02T09:00:00Z ok "the new episode amended (sessions)" -- $C form submit rt-episode --case 1 --amend "$(sql "SELECT max(id) FROM submissions WHERE case_id = 1 AND form_id = 'rt-episode'")" --reason "15 → 16 séances" "$TMP/epnew.json"
test "$(sql "SELECT count(*) FROM tasks WHERE case_id = 1 AND origin = 'hook' AND title LIKE '%épisode 2%'")" = 2 &&
    pass "no duplicate appointments for the new episode" || fail "duplicates"
FILROUGE_NOW=2027-09-20T09:00:00Z ok "radiotherapy starts again" -- $C case fire 1 new-episode
test "$(sql "SELECT state FROM cases WHERE id = 1")" = treatment && pass "in treatment again" || fail "new episode state"
ok "the audit chain holds" -- audit verify
finish

# The youth plugin: a request needs at least two different requesting
# services and a need for clinical network work (refused with the reason
# otherwise); the request form with the situation's type; concertations
# whose decisions are followed up.
. ./lib.sh
export FILROUGE_NOW=2026-11-23T09:00:00Z
refused "youth needs the shared instruments" 1 "instruments" -- plugin enable youth
"$FR" plugin enable instruments >/dev/null
ok "enable youth alone (no other domain plugin)" -- plugin enable youth
"$FR" user add nadia --name "Nadia El Amrani" --role case_manager >/dev/null
"$FR" user add sam --name "Sam Jones" --role case_manager --language en >/dev/null
"$FR" patient add --family Dubois --given Léo --birth 14/02/2011 >/dev/null
U="--as nadia"
j() { printf '%s\n' "$2" >"$TMP/$1.json"; }
ok "a request" -- $U case open 1 --workflow youth
refused "no requesting service, no request form: both reasons" 1 "au moins deux services demandeurs différents (0 enregistré" -- $U case fire 1 accept
refused "the missing request form is named" 1 "youth-request" -- $U case fire 1 accept
ok "a colleague whose language is English takes the case" -- case assign 1 sam
refused "the refusal in Sam's English" 1 "clinical case management needs at least two different requesting services (0 recorded: none)" -- --as sam case fire 1 accept
ok "back to Nadia" -- case assign 1 nadia
j req '{"channel":"phone","situation":["multiple-distress","rupture"],"network-work":true,"services-count":2,"young-person-aware":true}'
ok "the request form" -- $U form submit youth-request --case 1 "$TMP/req.json"
out_has "two situation types" "score situations = 2"
out_has "network work needed" "score network-work = 1"
test "$(sql "SELECT pyramid_suggested FROM cases WHERE id = 1")" = 2 &&
    pass "two situation types suggest level 2 of the pyramid" ||
    fail "pyramid after the request: $(sql "SELECT pyramid_suggested FROM cases WHERE id = 1")"
j reqbad '{"channel":"fax","situation":["war"],"network-work":true}'
refused "unknown channel and situation" 1 "situation" -- $U form submit youth-request --case 1 "$TMP/reqbad.json" --lang en
j reqnone '{"channel":"phone","network-work":true}'
refused "the situation's type is required" 1 "situation" -- $U form submit youth-request --case 1 "$TMP/reqnone.json" --lang en
ok "the school asks" -- $U network add 1 --kind formal --name "Mme Martin" --role demandeur --organisation "École Les Tilleuls"
refused "one requesting service is not enough" 1 "au moins deux" -- $U case fire 1 accept
ok "a second person of the same school" -- $U network add 1 --kind formal --name "M. Leroy" --role demandeur --organisation "École Les Tilleuls"
refused "two people of one service are still one service" 1 "(1 enregistré : École Les Tilleuls)" -- $U case fire 1 accept
ok "a past request from the youth service, ended" -- $U network add 1 --kind formal --name "SAJ" --role demandeur --organisation "SAJ Bruxelles" --since 01/01/2025 --until 31/12/2025
refused "a service no longer involved does not count" 1 "au moins deux" -- $U case fire 1 accept
ok "the mental health service asks too" -- $U network add 1 --kind formal --name "Dr Claes" --role demandeur --organisation "SSM Le Méridien"
j reqno '{"channel":"phone","situation":["tensions"],"network-work":false}'
ok "amended: no need for network work after all" -- $U form submit youth-request --case 1 "$TMP/reqno.json" --amend "$(sql "SELECT max(id) FROM submissions")" --reason "précisé avec les demandeurs"
refused "two services but no network work: refused, saying so" 1 "un besoin de travail clinique de réseau" -- $U case fire 1 accept
ok "amended back" -- $U form submit youth-request --case 1 "$TMP/req.json" --amend "$(sql "SELECT max(id) FROM submissions")" --reason "réunion du 20/11"
ok "two different services and network work: accepted" -- $U case fire 1 accept
ok "concertation" -- $U case fire 1 concert
ok "a concertation with the young person present" -- $U meeting add --case 1 --participant "Léo Dubois;le jeune" --participant "Mme Dubois;mère" --member "1;école" --member "4;santé mentale;absent" --convergences "maintenir la scolarité" --divergences "internat"
ok "a decision with a deadline" -- $U meeting decide 1 "Rencontre école-famille" --responsible "Mme Martin" --due 10/12/2026
ok "monitoring" -- $U case fire 1 monitor
FILROUGE_NOW=2026-12-24T08:00:00Z ok "a month later, the tick" -- tick
test "$(sql "SELECT count(*) FROM tasks WHERE origin = 'timer' AND status = 'open'")" = 1 &&
    pass "the monthly follow-up task exists" || fail "no follow-up timer task"
ok "the next concertation" -- $U case fire 1 concert
ok "a second meeting" -- $U meeting add --case 1 --participant "Léo Dubois;le jeune"
ok "show it" -- $U meeting show 2
out_has "the earlier decision to follow up" "Rencontre école-famille"
ok "a second request, declined" -- $U case open 1 --workflow youth
ok "decline" -- $U case fire 2 decline --note "un seul demandeur"
test "$(sql "SELECT status FROM cases WHERE id = 2")" = closed && pass "declined requests are closed" || fail "decline"
ok "the online request form renders" -- form render youth-request --lang fr
out_has "the situation types" "Rupture ou risque de rupture"

# A request received with its request form (online: /refer?form=youth-request;
# the same kernel call from the command line here)
j online '{"channel":"online","situation":["impasse","tensions","rupture"],"network-work":true,"services":"École Les Tilleuls, Mme Martin\nSSM Le Méridien, Dr Claes","young-person-aware":true}'
j onlinebad '{"channel":"online","network-work":true,"situation":["war"]}'
refused "the request form's answers are checked as a submission would be" 1 "situation" -- intake add --referrer "Mme Martin" --contact "02 000 00 00" --person "Emma Peeters" --situation "décrochage scolaire" --form youth-request --answers "$TMP/onlinebad.json"
test "$(sql "SELECT count(*) FROM intakes")" = 0 && pass "nothing is kept from a refused request" || fail "a refused request was kept"
refused "only forms marked intake=\"true\" can come with an intake" 1 "intake=" -- intake add --referrer X --contact Y --person Z --situation S --form phq9 --answers "$TMP/online.json"
refused "a person's name of spaces only is no name" 1 "an intake needs who refers" -- intake add --referrer "Mme Martin" --contact "02 000 00 00" --person "   " --situation "décrochage"
refused "an intake's birth date in the future is refused" 1 "birth date: 01/01/2099 is in the future" -- intake add --referrer "Mme Martin" --contact "02 000 00 00" --person "Emma Peeters" --birth 01/01/2099 --situation "décrochage"
refused "nor more than 130 years ago" 1 "more than 130 years ago; check the year" -- intake add --referrer "Mme Martin" --contact "02 000 00 00" --person "Emma Peeters" --birth 01/01/1850 --situation "décrochage"
refused "a direction override in a name is refused" 1 "person: holds an invisible character" -- intake add --referrer "Mme Martin" --contact "02 000 00 00" --person "$(printf 'Emma \342\200\256Peeters')" --situation "décrochage"
ok "a request with its answers waits for triage" -- intake add --referrer "Mme Martin" --contact "02 000 00 00" --relation "école" --person "Emma Peeters" --situation "décrochage scolaire, tensions à la maison" --form youth-request --answers "$TMP/online.json"
ok "the triage queue shows the answers" -- $U intake list
out_has "the request form" "form youth-request"
out_has "its answers" "SSM Le Méridien"
refused "not accepted yet: its answers wait" 1 "accept it first" -- $U intake submit 1 --case 3
ok "accepted" -- $U intake accept 1
"$FR" patient add --family Peeters --given Emma --birth 02/09/2010 >/dev/null
ok "her youth case" -- $U case open 2 --workflow youth
ok "the request's answers become the case's request form" -- $U intake submit 1 --case 3
out_has "a submission" "are submission"
test "$(sql "SELECT form_id || ' ' || status FROM submissions WHERE case_id = 3 AND data LIKE '%\"channel\":\"online\"%'")" = "youth-request final" &&
    pass "a final youth-request with the requester's answers" || fail "submission: $(sql "SELECT form_id, status, data FROM submissions WHERE case_id = 3")"
test "$(sql "SELECT pyramid_suggested FROM cases WHERE id = 3")" = 3 &&
    pass "three situation types: level 3 suggested, as for any request form" || fail "pyramid: $(sql "SELECT pyramid_suggested FROM cases WHERE id = 3")"
refused "once only" 1 "already submission" -- $U intake submit 1 --case 3
test "$(sql "SELECT count(*) FROM tasks WHERE case_id = 3 AND status = 'open' AND title LIKE '%École Les Tilleuls ; SSM Le Méridien%'")" = 1 &&
    pass "a task asks to record the request's two requesting services in the network" ||
    fail "no task for the requesting services: $(sql "SELECT title FROM tasks WHERE case_id = 3")"
ok "the requesting services join the network" -- $U network add 3 --kind formal --name "Mme Martin" --role demandeur --organisation "École Les Tilleuls"
ok "and the second one" -- $U network add 3 --kind formal --name "Dr Claes" --role demandeur --organisation "SSM Le Méridien"
ok "accepted: the online request counts like any other" -- $U case fire 3 accept
test "$(sql "SELECT count(*) FROM audit WHERE action = 'submit' AND object_type = 'intake'")" = 1 &&
    pass "the use of the intake's answers is audited" || fail "intake submit not audited"
ok "the audit chain holds" -- audit verify
# A disabled plugin's request form is kept for its submissions, not offered.
if "$FR" plugin disable youth >/dev/null 2>"$TMP/err"; then
    refused "a disabled plugin's request form cannot come with an intake" 1 "not offered" -- intake add --referrer X --contact Y --person Z --situation S --form youth-request --answers "$TMP/online.json"
    ok "the plugin is enabled again" -- plugin enable youth
else
    fail "the youth plugin could not be disabled"; sed 's/^/#   /' "$TMP/err"
fi
finish

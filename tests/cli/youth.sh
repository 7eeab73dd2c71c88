# The youth plugin's workflow: a request needs at least two different
# requesting services; concertations whose decisions are followed up.
. ./lib.sh
export FILROUGE_NOW=2026-11-23T09:00:00Z
ok "enable youth alone (no other plugin)" -- plugin enable youth
"$FR" user add nadia --name "Nadia El Amrani" --role case_manager >/dev/null
"$FR" patient add --family Dubois --given Léo --birth 14/02/2011 >/dev/null
U="--as nadia"
ok "a request" -- $U case open 1 --workflow youth
refused "no requesting service: refused with the reason" 1 "au moins deux services demandeurs" -- $U case fire 1 accept
ok "the school asks" -- $U network add 1 --kind formal --name "Mme Martin" --role demandeur --organisation "École Les Tilleuls"
refused "one requesting service is not enough" 1 "au moins deux" -- $U case fire 1 accept
ok "a second person of the same school" -- $U network add 1 --kind formal --name "M. Leroy" --role demandeur --organisation "École Les Tilleuls"
refused "two people of one service are still one service" 1 "au moins deux" -- $U case fire 1 accept
ok "a past request from the youth service, ended" -- $U network add 1 --kind formal --name "SAJ" --role demandeur --organisation "SAJ Bruxelles" --since 01/01/2025 --until 31/12/2025
refused "a service no longer involved does not count" 1 "au moins deux" -- $U case fire 1 accept
ok "the mental health service asks too" -- $U network add 1 --kind formal --name "Dr Claes" --role demandeur --organisation "SSM Le Méridien"
ok "two different services: accepted" -- $U case fire 1 accept
ok "concertation" -- $U case fire 1 concert
ok "a concertation with the young person present" -- $U meeting add --case 1 --participant "Léo Dubois;le jeune" --participant "Mme Dubois;mère" --member "1;école" --member "4;santé mentale;absent"
ok "a decision with a deadline" -- $U meeting decide 1 "Rencontre école-famille" --responsible "Mme Martin" --due 10/12/2026
ok "monitoring" -- $U case fire 1 monitor
FILROUGE_NOW=2026-12-24T08:00:00Z ok "a month later, the tick" -- tick
test "$(sql "SELECT count(*) FROM tasks WHERE origin = 'timer' AND status = 'open'")" = 1 &&
    pass "the monthly follow-up task exists" || fail "no follow-up timer task"
ok "a second request, declined" -- $U case open 1 --workflow youth
ok "decline" -- $U case fire 2 decline --note "un seul demandeur"
test "$(sql "SELECT status FROM cases WHERE id = 2")" = closed && pass "declined requests are closed" || fail "decline"
finish

# The psychosis plugin: the case manager is named from the initial
# evaluation; CGI-S at entry and at each review; engagement followed (a
# person who disengages stays in the programme); the family's involvement;
# the duration of untreated psychosis from partial dates, with its
# precision; recovery goals in the care plan; the model per case.
. ./lib.sh
export FILROUGE_NOW=2026-11-23T09:00:00Z
refused "psychosis needs the shared instruments" 1 "instruments" -- plugin enable psychosis
"$FR" plugin enable instruments >/dev/null
ok "enable psychosis alone (no other domain plugin)" -- plugin enable psychosis
"$FR" user add paul --name "Paul Roux" --role case_manager >/dev/null
"$FR" patient add --family Bernard --given Hugo --birth 03/09/2004 >/dev/null
j() { printf '%s\n' "$2" >"$TMP/$1.json"; }
val() { sql "SELECT $(json_field data "$2") FROM submissions WHERE id = (SELECT max(id) FROM submissions WHERE form_id = '$1')"; }
ok "a referral, opened by the administrator without a case manager" -- case open 1 --workflow psychosis --model clinical
ok "the model is in the case view" -- case view 1
out_has "clinical model" 'model="clinical"'
ok "initial evaluation" -- case fire 1 evaluate
refused "inclusion needs the baseline CGI-S" 1 "cgi-s" -- case fire 1 include

# CGI-S (public domain, 1–7)
j cgi '{"severity":"5","context":"entry"}'
ok "CGI-S at entry" -- form submit cgi-s --case 1 "$TMP/cgi.json"
out_has "5 is markedly ill" "score severity = 5 (marked)"
test "$(sql "SELECT pyramid_suggested FROM cases WHERE id = 1")" = 3 &&
    pass "markedly ill suggests intensive case management (level 3)" ||
    fail "pyramid after CGI-S 5: $(sql "SELECT pyramid_suggested FROM cases WHERE id = 1")"
j cgi8 '{"severity":"8"}'
refused "8 is not a CGI-S rating" 1 "severity" -- form submit cgi-s --case 1 "$TMP/cgi8.json" --lang en

# DUP from partial dates
j dup1 '{"onset":"2025-03","entry":"2025-09-10","source":"family"}'
ok "onset known to the month, no treatment before entry" -- form submit dup --case 1 "$TMP/dup1.json"
out_has "15 March to 10 September 2025: 179 days" "score dup-days = 179"
test "$(val dup dup-precision)" = month && pass "precision: month" || fail "precision $(val dup dup-precision)"
test "$(val dup dup-uncertainty)" = 15 && pass "uncertainty ±15 days" || fail "uncertainty $(val dup dup-uncertainty)"
test "$(val dup treatment-start)" = 2025-09-10 && pass "treatment starts at entry" || fail "treatment-start $(val dup treatment-start)"
test "$(val dup dup-weeks)" = 25.6 && pass "179 days = 25.6 weeks" || fail "weeks $(val dup dup-weeks)"
j dup2 '{"onset":"2024","first-treatment":"2025-01-20","entry":"2025-02-03"}'
ok "onset known to the year only, treated before entry" -- form submit dup --case 1 "$TMP/dup2.json"
out_has "1 July 2024 to 20 January 2025: 203 days" "score dup-days = 203"
test "$(val dup dup-precision)" = year && pass "precision: year" || fail "precision $(val dup dup-precision)"
test "$(val dup dup-uncertainty)" = 183 && pass "uncertainty ±183 days" || fail "uncertainty $(val dup dup-uncertainty)"
test "$(val dup delay-days)" = 217 && pass "onset to entry: 217 days" || fail "delay $(val dup delay-days)"
j dup3 '{"onset":"2024-11-02","first-treatment":"2025-02-03","entry":"2025-02-03"}'
ok "exact dates" -- form submit dup --case 1 "$TMP/dup3.json"
out_has "93 days" "score dup-days = 93"
test "$(val dup dup-precision)" = day && pass "precision: day" || fail "precision $(val dup dup-precision)"
j dupbad '{"onset":"2025-06-01","first-treatment":"2025-01-01","entry":"2025-07-01"}'
refused "onset after treatment" 1 "onset" -- form submit dup --case 1 "$TMP/dupbad.json" --lang en
refused "the constraint's message in German" 1 "Überprüfen Sie die Datumsangaben" -- form submit dup --case 1 "$TMP/dupbad.json" --lang de
j dupbad2 '{"onset":"2025-13","entry":"2025-07-01"}'
refused "not a partial date" 1 "onset" -- form submit dup --case 1 "$TMP/dupbad2.json" --lang en

refused "inclusion needs a named case manager" 1 "nommez le case manager" -- case fire 1 include
ok "name the case manager" -- case assign 1 paul
ok "the model is cleared (the team has not decided)" -- case model 1 ""
refused "inclusion needs the model" 1 "broker ou clinical" -- --as paul case fire 1 include
ok "broker model" -- --as paul case model 1 broker
ok "include" -- --as paul case fire 1 include
ok "the tasks of the programme" -- --as paul case show 1
out_has "recovery goals in the care plan" "objectifs de rétablissement"
ok "a recovery goal in the person's words" -- --as paul careplan goal 1 "Reprendre mes études en septembre"
ok "an action" -- --as paul careplan action 1 "Rencontre avec le service d'aide aux études" --goal 1 --user paul --due 15/01/2027

# The family
j fam '{"consent":true,"involvement":"involved","relative":[{"relation":"mère","lives-with":true},{"relation":"frère"}],"psychoeducation":true}'
ok "the family's involvement" -- --as paul form submit family --case 1 "$TMP/fam.json"
out_has "involved in decisions" "score involvement = 2"
j fam2 '{"consent":false,"involvement":"informed","relative":[{"relation":"père"}]}'
ok "without the person's consent" -- --as paul form submit family --case 1 "$TMP/fam2.json"
out_has "the confidentiality flag" "no-consent"

# Engagement
j eng '{"status":"disengaged","last-contact":"2026-11-02","attempts":2,"family-contact":true}'
ok "engagement: disengaged" -- --as paul form submit engagement --case 1 "$TMP/eng.json"
out_has "the flag to reach the person again" "reach-again"
test "$(val engagement days-since-contact)" = 21 && pass "21 days since the last contact" || fail "days $(val engagement days-since-contact)"
ok "disengagement" -- --as paul case fire 1 disengage
test "$(sql "SELECT status FROM cases WHERE id = 1")" = open && pass "a disengaged person stays in the programme" ||
    fail "disengaged closed the case"
ok "re-engage" -- --as paul case fire 1 re-engage
FILROUGE_NOW=2027-02-24T08:00:00Z ok "three months later, the tick" -- tick
test "$(sql "SELECT count(*) FROM tasks WHERE origin_ref = 'timer:risk-review'")" -ge 1 &&
    pass "a risk review is due" || fail "no risk review"
j cgi3 '{"severity":"3","context":"review"}'
FILROUGE_NOW=2027-02-24T08:00:00Z ok "CGI-S at the review" -- --as paul form submit cgi-s --case 1 "$TMP/cgi3.json"
ok "scores over time" -- --as paul form scores cgi-s.severity
out_has "the latest CGI-S" "3"
ok "prepare discharge" -- --as paul case fire 1 prepare-discharge
ok "discharge" -- --as paul case fire 1 discharge
ok "reopen when the person comes back" -- --as paul case reopen 1
ok "the audit chain holds" -- audit verify
finish

# The frailty plugin (Protocol 3): its workflow end to end, the eligibility
# rule on its edges (59 vs 60 years old, EFS 5 vs 6, partial ADL help, a
# dementia diagnosis by whom), the scored forms against hand-computed cases,
# the EFS bands and their site override, the policy value as a setting, and
# closure needing the checklist.
. ./lib.sh
export FILROUGE_NOW=2026-11-23T09:00:00Z
refused "frailty needs the shared instruments" 1 "instruments" -- plugin enable frailty
ok "enable instruments" -- plugin enable instruments
ok "enable frailty (no other domain plugin)" -- plugin enable frailty
ok "a service form in German" -- form show reference-choice --lang de
out_has "German title" "Wahl der Bezugsperson und Einverständnis"
out_has "German flag message" "Fahren Sie nicht ohne ihr Einverständnis fort"
ok "a validated instrument has no German text (no official version here)" -- form show katz --lang de
out_has "it falls back to French" "Se laver"
"$FR" user add marie --name "Marie Dubois" --role case_manager >/dev/null
"$FR" user add john --name "John Smith" --role case_manager --language en >/dev/null
"$FR" user add anke --name "Anke Weber" --role case_manager --language de >/dev/null
"$FR" patient add --family Lambert --given Jeanne --birth 23/11/1966 >/dev/null   # 60 today
"$FR" patient add --family Peeters --given Jozef --birth 24/11/1966 >/dev/null    # 59 until tomorrow
"$FR" patient add --family Martin --given Louise --birth 02/05/1938 >/dev/null
M="--as marie"
j() { printf '%s\n' "$2" >"$TMP/$1.json"; }

# Katz, Belgian form: hand-computed
j katz1 '{"bathing":"2","dressing":"1","transferring":"1","toileting":"1","continence":"3","feeding":"1","time":"1","space":"2"}'
j katz0 '{"bathing":"1","dressing":"1","transferring":"1","toileting":"1","continence":"1","feeding":"1","time":"1","space":"1"}'
j katz2 '{"bathing":"2","dressing":"1","transferring":"1","toileting":"1","continence":"1","feeding":"1","time":"1","space":"1"}'
j katz4 '{"bathing":"4","dressing":"3","transferring":"2","toileting":"2","continence":"4","feeding":"2","time":"3","space":"4"}'
ok "open case 1 (60 years old today)" -- $M case open 1 --workflow frailty --model clinical
ok "Katz with partial help for two activities" -- $M form submit katz --case 1 "$TMP/katz1.json"
out_has "sum of the six activities 2+1+1+1+3+1" "score adl = 9"
out_has "classic Katz: four independent activities" "score classic = 4"
out_has "highest level 3 → partial help" "score worst = 3 (partial-help)"
out_has "two activities need help" "score help-count = 2"
out_has "disorientation 1+2" "score disorientation = 3"
out_has "the Protocol 3 flag" "FLAG partial-help"
ok "open case 2 (Louise)" -- $M case open 3 --workflow frailty --model social
ok "Katz, fully independent" -- $M form submit katz --case 2 "$TMP/katz0.json"
out_has "classic 6" "score classic = 6"
out_has "independent" "score worst = 1 (independent)"
out_lacks "no flag" "FLAG partial-help"
ok "Katz, partial help (level 2) for bathing only" -- $M form submit katz --case 2 "$TMP/katz2.json"
out_has "with the default threshold 2, one activity needs help" "score help-count = 1"
out_has "and the flag is raised at level 2" "FLAG partial-help"
ok "Katz, heavy dependence" -- $M form submit katz --case 2 "$TMP/katz4.json"
out_has "sum 4+3+2+2+4+2" "score adl = 17"
out_has "classic 0" "score classic = 0"
out_has "total help" "score worst = 4 (total-help)"
out_has "six activities need help" "score help-count = 6"
j katzbad '{"bathing":"5","dressing":"1"}'
refused "a level outside 1–4 and missing activities" 1 "bathing" -- $M form submit katz --case 2 "$TMP/katzbad.json" --lang en

# Lawton IADL: points belong to answers
j law1 '{"telephone":"answers","shopping":"small","meals":"all","housekeeping":"helped","laundry":"small","transport":"driven","medication":"prepared","finances":"daily"}'
ok "Lawton" -- $M form submit lawton --case 2 "$TMP/law1.json"
out_has "1+0+1+1+1+0+0+1 = 5" "score total = 5"
j law0 '{"telephone":"none","shopping":"none","meals":"none","housekeeping":"none","laundry":"none","transport":"none","medication":"none","finances":"none"}'
ok "Lawton, all dependent" -- $M form submit lawton --case 2 "$TMP/law0.json"
out_has "0" "score total = 0"

# The EFS as an external result, bands of Rolfson's scheme by default
efs() { printf '{"total": %s, "date": "%s", "assessor": "Marie Dubois", "instrument-version": "EFS 2006", "licence": "UA-1"}\n' "$1" "${2:-2026-11-20}" >"$TMP/efs.json"; }
ok "open case 3 (Louise, 88)" -- $M case open 3 --workflow frailty --model clinical
efs 5; ok "EFS 5" -- $M form submit efs --case 3 "$TMP/efs.json"
out_has "5 is apparently vulnerable (Rolfson)" "score efs = 5 (vulnerable)"
efs 18; refused "EFS above 17" 1 "total" -- $M form submit efs --case 3 "$TMP/efs.json" --lang en
efs 7 2026-12-01; refused "an EFS taken in the future" 1 "date" -- $M form submit efs --case 3 "$TMP/efs.json" --lang en

# Eligibility on its edges
ok "case 3: screening" -- $M case fire 3 screen
j screen-no '{"signalled-by":"family","dementia":false}'
ok "referral form: no dementia" -- $M form submit frailty-screening --case 3 "$TMP/screen-no.json"
out_has "dementia criterion 0" "score dementia = 0"
refused "EFS 5, no ADL help, no dementia: not eligible, and why" 1 "EFS 5" -- $M case fire 3 assess
refused "the message names the threshold" 1 "au moins 6" -- $M case fire 3 assess
efs 6; ok "EFS 6" -- $M form submit efs --case 3 "$TMP/efs.json"
out_has "6 is still vulnerable in Rolfson's bands (the threshold is policy, not a band)" "score efs = 6 (vulnerable)"
ok "EFS 6: eligible" -- $M case fire 3 assess

ok "open case 4 (Jozef, 59 years old)" -- $M case open 2 --workflow frailty --model clinical
ok "case 4: screening" -- $M case fire 4 screen
efs 9; ok "EFS 9" -- $M form submit efs --case 4 "$TMP/efs.json"
refused "59 years old: not eligible whatever the EFS" 1 "59 ans" -- $M case fire 4 assess
FILROUGE_NOW=2026-11-24T09:00:00Z ok "the next day, 60: eligible" -- $M case fire 4 assess

ok "case 1: screening" -- $M case fire 1 screen
ok "case 1 (60, Katz partial help, no EFS): eligible by ADL" -- $M case fire 1 assess

# A dementia diagnosis counts only by a geriatrician, psychiatrist or neuropsychiatrist
ok "case 5" -- $M case open 3 --workflow frailty --model social
ok "screening" -- $M case fire 5 screen
j screen-gp '{"signalled-by":"gp","dementia":true,"dementia-by":"gp","dementia-on":"2025-06"}'
ok "dementia diagnosed by the GP" -- $M form submit frailty-screening --case 5 "$TMP/screen-gp.json"
refused "a GP's diagnosis is not the criterion" 1 "pas de diagnostic de démence par un spécialiste" -- $M case fire 5 assess
j screen-ger '{"signalled-by":"gp","dementia":true,"dementia-by":"geriatrician","dementia-on":"2025-06"}'
ok "amended: by a geriatrician" -- $M form submit frailty-screening --case 5 "$TMP/screen-ger.json" --amend "$(sql "SELECT max(id) FROM submissions WHERE case_id = 5")" --reason "diagnostic confirmé par la gériatre"
out_has "criterion 1" "score dementia = 1"
ok "eligible by dementia" -- $M case fire 5 assess

# The policy value and the bands are site settings
cat >"$TMP/site.sed" <<'SED'
s#</site>#  <setting name="bands.efs.efs">other-source: 0-5 not-frail; 6-7 vulnerable; 8-9 mild; 10-11 moderate; 12- severe</setting>\
  <plugin id="frailty"><setting name="efs-threshold">7</setting><setting name="adl-help-level">3</setting></plugin>\
</site>#
SED
sed -i -f "$TMP/site.sed" "$FILROUGE_SITE/site.xml"
J="--as john"
ok "case 6" -- $M case open 3 --workflow frailty --model clinical
ok "given to John (his language is English)" -- case assign 6 john
ok "screening" -- $J case fire 6 screen
efs 6; ok "EFS 6 under the other scheme" -- $J form submit efs --case 6 "$TMP/efs.json"
out_has "the site's scheme gives another band" "score efs = 6 (vulnerable)"
test "$(sql "SELECT band_scheme FROM submission_scores sc JOIN submissions s ON s.id = sc.submission_id WHERE s.case_id = 6 AND sc.form_id = 'efs'")" = other-source &&
    pass "the stored band names the site's scheme" || fail "band scheme"
efs 5; ok "EFS 5 under the other scheme" -- $J form submit efs --case 6 "$TMP/efs.json"
out_has "5 is not frail there" "score efs = 5 (not-frail)"
efs 6; ok "EFS 6 again" -- $J form submit efs --case 6 "$TMP/efs.json"
refused "with the site's policy value 7, 6 is not enough (message in John's English)" 1 "an EFS score of at least 7" -- $J case fire 6 assess
"$FR" case assign 6 anke >/dev/null
refused "the same refusal in Anke's German" 1 "ein EFS-Wert von mindestens 7" -- --as anke case fire 6 assess
"$FR" case assign 6 marie >/dev/null
refused "and in Marie's French (the language follows the user, not the plugin)" 1 "un score EFS d'au moins 7" -- $M case fire 6 assess

# "Needs at least partial help" follows the site's adl-help-level (here 3),
# in the Katz form's flag and count as in the eligibility guard
ok "Katz with partial help (level 2) for one activity only, threshold 3" -- $M form submit katz --case 6 "$TMP/katz2.json"
out_has "the highest level is still 2" "score worst = 2"
out_has "no activity at 3 or more" "score help-count = 0"
out_lacks "no flag under the site's threshold 3" "FLAG partial-help"
refused "and the guard agrees: level 2 is not enough with threshold 3" 1 "niveau d'aide Katz le plus élevé 2" -- $M case fire 6 assess
ok "Katz, continence at level 3" -- $M form submit katz --case 6 "$TMP/katz1.json"
out_has "one activity at 3 or more" "score help-count = 1"
out_has "the flag at level 3" "FLAG partial-help"
ok "eligible by ADL under threshold 3" -- $M case fire 6 assess

# The type of case management must be known before the concertation
ok "case 3: the type is not decided yet" -- $M case model 3 ""
ok "the person chooses" -- $M case fire 3 choose
refused "concertation needs the person's choice and consent" 1 "reference-choice" -- $M case fire 3 plan
j choice '{"chosen-by":"team","reference":"Marie Dubois","consent":true,"sharing":true}'
refused "a choice by the team says why the person could not choose" 1 "why-not" -- $M form submit reference-choice --case 3 "$TMP/choice.json" --lang en
j choice '{"chosen-by":"person","reference":"Marie Dubois","consent":false,"sharing":false,"mediation":"Service de médiation de la mutualité"}'
ok "the person chose, but does not consent yet" -- $M form submit reference-choice --case 3 "$TMP/choice.json"
out_has "the consent flag" "no-consent"
refused "no consent, no concertation" 1 "accord de la personne" -- $M case fire 3 plan
j choice '{"chosen-by":"person","reference":"Marie Dubois","consent":true,"sharing":true,"mediation":"Service de médiation de la mutualité"}'
ok "she consents" -- $M form submit reference-choice --case 3 "$TMP/choice.json"
refused "concertation needs clinical or social" 1 "clinique ou social" -- $M case fire 3 plan
refused "a model name is checked" 1 "not a model of case management; use clinical, social or broker" -- $M case model 3 "Social CM"
refused "a misspelt model names the one meant" 1 "'socail' is not a model of case management (did you mean social?)" -- $M case model 3 socail
refused "opening a case checks its model too" 1 "'weird' is not a model" -- $M case open 3 --workflow frailty --model weird
ok "social case management" -- $M case model 3 social
ok "now the concertation" -- $M case fire 3 plan

# The workflow end to end, with the case management type (model)
ok "the case view shows the model" -- $M case view 1
out_has "clinical case management" 'model="clinical"'
ok "the person chooses their case manager" -- $M case fire 1 choose
j choice1 '{"chosen-by":"person","reference":"Marie Dubois","consent":true,"sharing":true}'
ok "her choice and consent" -- $M form submit reference-choice --case 1 "$TMP/choice1.json"
ok "concertation" -- $M case fire 1 plan
j cx '{"many-providers":true,"network-crisis":true,"no-distance":false,"care-refusal":true,"help-gap":false,"carer":true,"falls":true}'
ok "signs of complexity" -- $M form submit complexity --case 1 "$TMP/cx.json"
out_has "four signs: level 3 of the pyramid" "score signs = 4 (level-3)"
out_has "intensity flag" "intensify"
ok "goal" -- $M careplan goal 1 "Rester à domicile en sécurité"
ok "the person approves the plan" -- $M careplan approve 1 --by "Jeanne Lambert" --how signed
ok "implementation" -- $M case fire 1 approve
ok "monitoring" -- $M case fire 1 monitor
ok "evaluation" -- $M case fire 1 evaluate
ok "back to monitoring" -- $M case fire 1 continue
test "$(sql "SELECT pyramid_suggested || ' ' || pyramid_level FROM cases WHERE id = 1")" = "3 3" &&
    pass "the complexity hook suggested level 3, which became the level" || fail "pyramid: $(sql "SELECT pyramid_suggested, pyramid_level FROM cases WHERE id = 1")"
ok "the case manager sets level 2, with a reason" -- $M case level 1 2 --reason "la fille reprend les courses et la coordination"
j cx2 '{"many-providers":false,"network-crisis":false,"no-distance":false,"care-refusal":false,"help-gap":false,"carer":false}'
ok "signs of complexity again: none" -- $M form submit complexity --case 1 "$TMP/cx2.json"
out_has "no sign: level 1" "score signs = 0 (level-1)"
test "$(sql "SELECT pyramid_suggested || ' ' || pyramid_level FROM cases WHERE id = 1")" = "1 2" &&
    pass "the new suggestion is recorded; the case manager's level stays" || fail "pyramid 2: $(sql "SELECT pyramid_suggested, pyramid_level FROM cases WHERE id = 1")"
refused "closing needs the closure checklist" 1 "closure" -- $M case fire 1 close
j closure '{"reason":"goals-reached","stable":true,"care-optimal":true,"services-match":true,"satisfied":true,"goals":true,"right-providers":true}'
ok "the closure checklist" -- $M form submit closure --case 1 "$TMP/closure.json"
out_has "a stable situation: lower the intensity instead" "lower-intensity"
out_has "five positive answers" "score yes = 5"
ok "close" -- $M case fire 1 close
test "$(sql "SELECT status FROM cases WHERE id = 1")" = closed && pass "closed" || fail "not closed"
ok "reopen" -- $M case reopen 1
FILROUGE_NOW=2027-01-10T09:00:00Z refused "an old checklist does not close again" 1 "30 jours" -- $M case fire 1 close
j closure2 '{"reason":"death"}'
FILROUGE_NOW=2027-01-10T09:00:00Z ok "checklist after a death: the questions do not apply" -- $M form submit closure --case 1 "$TMP/closure2.json"
FILROUGE_NOW=2027-01-10T09:00:00Z ok "closed again" -- $M case fire 1 close
ok "a referral for Jozef again" -- $M case open 2 --workflow frailty
ok "not eligible closes a referral without the checklist" -- $M case fire 7 not-eligible
# A licensed site's full EFS as a site form: the language expresses it
# (11 items with points, total, bands) — placeholders here, never the items.
{
    echo '<form xmlns="urn:filrouge:form:1" id="efs" version="2"><title lang="fr">EFS (licence du site)</title>'
    echo '<choices id="three"><option code="a" points="0"><label lang="fr">a</label></option><option code="b" points="1"><label lang="fr">b</label></option><option code="c" points="2"><label lang="fr">c</label></option></choices>'
    echo '<choices id="two"><option code="a" points="0"><label lang="fr">a</label></option><option code="b" points="1"><label lang="fr">b</label></option></choices>'
    for i in 1 2 3 4 5 6; do echo "<field id=\"i$i\" type=\"choice\" choices=\"three\" required=\"true\"><label lang=\"fr\">item $i</label></field>"; done
    for i in 7 8 9 10 11; do echo "<field id=\"i$i\" type=\"choice\" choices=\"two\" required=\"true\"><label lang=\"fr\">item $i</label></field>"; done
    echo '<score id="efs" items="i1 i2 i3 i4 i5 i6 i7 i8 i9 i10 i11" min-answered="11"><bands scheme="rolfson" version="1">'
    echo '<band code="not-frail" min="0" max="4"/><band code="vulnerable" min="5" max="6"/><band code="mild" min="7" max="8"/><band code="moderate" min="9" max="10"/><band code="severe" min="11" max="17"/></bands></score></form>'
} >"$TMP/efs-full.xml"
ok "a full EFS skeleton is a valid form" -- form check "$TMP/efs-full.xml"
mkdir -p "$FILROUGE_SITE/forms" && cp "$TMP/efs-full.xml" "$FILROUGE_SITE/forms/"
j efsfull '{"i1":"c","i2":"b","i3":"a","i4":"c","i5":"b","i6":"a","i7":"b","i8":"b","i9":"a","i10":"b","i11":"a"}'
ok "the site's full EFS" -- $M form submit efs --case 3 "$TMP/efsfull.json"
out_has "2+1+0+2+1+0+1+1+0+1+0 = 9" "score efs = 9"
ok "hooks are loaded" -- hooks list
out_has "the eligibility guard" "frailty-eligible"
ok "the audit chain holds" -- audit verify
finish

# The shared instruments: PHQ-9 and GAD-7 against hand-computed totals and
# band edges, PHQ-9's item 9 raising its alert whatever the total, the
# unbranded distress rating, licensed instruments as external results only.
. ./lib.sh
export FILROUGE_NOW=2026-11-23T09:00:00Z
ok "enable instruments alone" -- plugin enable instruments
"$FR" user add marie --name "Marie Dubois" --role case_manager >/dev/null
"$FR" patient add --family Lambert --given Jeanne --birth 12/03/1941 >/dev/null
ok "instruments need no domain plugin: a case of any workflow" -- plugin enable youth
"$FR" --as marie case open 1 --workflow youth >/dev/null
M="--as marie"
phq() { printf '{"q1":"%s","q2":"%s","q3":"%s","q4":"%s","q5":"%s","q6":"%s","q7":"%s","q8":"%s","q9":"%s"}\n' "$@" >"$TMP/phq.json"; }
gad() { printf '{"q1":"%s","q2":"%s","q3":"%s","q4":"%s","q5":"%s","q6":"%s","q7":"%s"}\n' "$@" >"$TMP/gad.json"; }
phq 0 0 1 0 0 0 0 0 1; ok "PHQ-9 total 2 with item 9 at 1" -- $M form submit phq9 --case 1 "$TMP/phq.json" --lang en
out_has "0+0+1+0+0+0+0+0+1 = 2, minimal" "score total = 2 (minimal)"
out_has "item 9 alerts whatever the total" "self-harm"
phq 1 1 1 1 0 0 0 0 0; ok "PHQ-9 4" -- $M form submit phq9 --case 1 "$TMP/phq.json"
out_has "4 is minimal" "score total = 4 (minimal)"
out_lacks "no alert with item 9 at 0" "self-harm"
phq 1 1 1 1 1 0 0 0 0; ok "PHQ-9 5" -- $M form submit phq9 --case 1 "$TMP/phq.json"
out_has "5 is mild" "score total = 5 (mild)"
phq 2 2 2 2 2 2 2 1 0; ok "PHQ-9 15" -- $M form submit phq9 --case 1 "$TMP/phq.json"
out_has "15 is moderately severe" "score total = 15 (moderately-severe)"
phq 3 3 3 3 3 3 3 3 3; ok "PHQ-9 27" -- $M form submit phq9 --case 1 "$TMP/phq.json"
out_has "27 is severe" "score total = 27 (severe)"
printf '{"q1":"1"}' >"$TMP/phq-short.json"
refused "all nine items are required" 1 "q9" -- $M form submit phq9 --case 1 "$TMP/phq-short.json" --lang en
gad 1 1 1 1 0 0 0; ok "GAD-7 4" -- $M form submit gad7 --case 1 "$TMP/gad.json"
out_has "4 is minimal" "score total = 4 (minimal)"
gad 2 2 2 2 2 2 2; ok "GAD-7 14" -- $M form submit gad7 --case 1 "$TMP/gad.json"
out_has "14 is moderate" "score total = 14 (moderate)"
gad 3 2 2 2 2 2 2; ok "GAD-7 15" -- $M form submit gad7 --case 1 "$TMP/gad.json"
out_has "15 is severe" "score total = 15 (severe)"
printf '{"distress":3,"areas":["physical","spiritual"]}' >"$TMP/d.json"
ok "distress 3" -- $M form submit distress --case 1 "$TMP/d.json"
out_has "low" "score distress = 3 (low)"
printf '{"distress":4,"areas":["emotional"],"wish-help":true}' >"$TMP/d.json"
ok "distress 4" -- $M form submit distress --case 1 "$TMP/d.json"
out_has "4 calls for further evaluation" "score distress = 4 (evaluate)"
out_has "the flag" "evaluate"
printf '{"distress":2,"areas":["existential"]}' >"$TMP/d.json"
refused "our checklist only" 1 "areas" -- $M form submit distress --case 1 "$TMP/d.json" --lang en
ext() { printf '{"total": %s, "date": "2026-11-20", "assessor": "Dr Janssens", "instrument-version": "%s", "licence": "L-1"}\n' "$1" "$2" >"$TMP/ext.json"; }
ext 24 "MMSE 2nd"; ok "MMSE as an external result" -- $M form submit mmse --case 1 "$TMP/ext.json"
out_has "its result" "score total = 24"
ext 31 "MMSE"; refused "MMSE above 30" 1 "total" -- $M form submit mmse --case 1 "$TMP/ext.json" --lang en
printf '{"total": 20, "date": "2026-11-20", "assessor": "x", "instrument-version": "x", "licence": "x", "q1": "1"}' >"$TMP/ext.json"
refused "no items of a licensed instrument" 1 "q1" -- $M form submit mmse --case 1 "$TMP/ext.json" --lang en
ext 4 "interRAI HC 9.3"; ok "BelRAI Home Care MAPLe" -- $M form submit belrai-hc --case 1 "$TMP/ext.json"
out_has "MAPLe 4 is high" "score total = 4 (high)"
ext 4 "CAARMS 2006"; ok "CAARMS" -- $M form submit caarms --case 1 "$TMP/ext.json"
out_has "attenuated" "score total = 4 (attenuated)"
for f in zarit honos sdq belrai-screener; do
    ext 12 "v1"; ok "$f as an external result" -- $M form submit $f --case 1 "$TMP/ext.json"
done
ok "the forms are listed" -- form list --lang fr
out_has "GAD-7" "gad7"
ok "PHQ-9 in Dutch" -- form render phq9 --lang nl
out_has "Dutch item" "Weinig interesse of plezier"
finish

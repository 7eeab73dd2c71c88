# Patients, users, teams, access by care relationship: the record through
# the filrouge command.
. ./lib.sh

ok "add a case manager" -- user add marie --name "Marie Dubois" --role case_manager --capacity 40
ok "add a provider" -- user add jan --name "Jan Peeters" --role provider --language nl
refused "a bad role is refused, naming the roles" 1 "use admin, case_manager, provider" -- \
    user add bob --name Bob --role boss
refused "a duplicate login is refused" 1 "already exists" -- user add marie --name Other
refused "a login with capitals is refused" 1 "not a valid login" -- user add Marie2 --name X
refused "a provider cannot add users" 1 "only an administrator" -- --as jan user add x1 --name X
refused "an unknown option is a usage error" 2 "unknown option --nme" -- user add y1 --nme Y
refused "a limit of 0 is refused, not replaced without a word" 2 \
    "--limit must be a whole number from 1 to 500, not '0'" -- patient list --limit 0
refused "a negative offset is refused" 2 "--offset must be a whole number from 0 to" -- \
    case list --offset -3
refused "a limit above what a list gives is refused" 2 "from 1 to 500, not '1000'" -- \
    task list --limit 1000
refused "the audit trail's limit likewise" 2 "from 1 to 10000, not '-5'" -- audit show --limit -5
refused "a form version of 0 is refused" 2 "--version must be a whole number from 1" -- \
    form show phq9 --version 0
refused "a server of 0 threads is refused" 2 "--threads must be a whole number from 1 to 32" -- \
    serve --threads 0
ok "a limit in range is taken" -- audit show --limit 3
cp "$FILROUGE_SITE/site.xml" "$TMP/site.xml.keep"
sed -i 's#</site>#  <setting name="clock.time-zone">Mars/Olympus</setting>\n</site>#' "$FILROUGE_SITE/site.xml"
refused "a time zone the machine does not know stops the site's opening" 1 \
    "clock.time-zone: 'Mars/Olympus' is not a time zone of this machine's tz database" -- patient list
cp "$TMP/site.xml.keep" "$FILROUGE_SITE/site.xml"
if env FILROUGE_NOW=tomorrow "$FR" patient list >"$TMP/out" 2>"$TMP/err"; then
    fail "a fixed clock that is no date was taken"
elif grep -qF "FILROUGE_NOW is 'tomorrow', which is not a date (YYYY-MM-DD) nor a UTC time" "$TMP/err"; then
    pass "a fixed clock that is no date stops the command, saying what to write"
else
    fail "a fixed clock that is no date: $(cat "$TMP/err")"
fi

# A user's access stopped and given back
refused "a provider cannot deactivate users" 1 "only an administrator can deactivate users" -- \
    --as jan user deactivate marie
refused "the local administrator cannot be deactivated" 1 "'system' cannot be deactivated" -- \
    user deactivate system
refused "an unknown user is named" 1 "there is no user 'nobody'" -- user deactivate nobody
ok "deactivate jan" -- user deactivate jan
out_has "what it does is said" "jan deactivated: cannot log in; sessions ended, tokens stopped"
ok "the list marks him" -- user list
out_has "inactive in the list" "(inactive)"
refused "a deactivated user cannot act" 1 "the user 'jan' is deactivated" -- --as jan patient list
test "$(sql "SELECT action FROM audit WHERE object_type = 'user' ORDER BY id DESC LIMIT 1")" = deactivate &&
    pass "audited" || fail "no audit entry for the deactivation"
ok "reactivate jan" -- user activate jan
ok "he acts again" -- --as jan patient list

# A user's details changed: part-time, a new role, a new name
ok "a case manager goes part-time" -- user edit marie --capacity 24
test "$(sql "SELECT capacity FROM users WHERE login = 'marie'")" = 24.0 ||
    test "$(sql "SELECT capacity FROM users WHERE login = 'marie'")" = 24 &&
    pass "the capacity is stored" || fail "capacity $(sql "SELECT capacity FROM users WHERE login = 'marie'")"
sql "SELECT detail FROM audit WHERE object_type = 'user' AND action = 'update' ORDER BY id DESC LIMIT 1" |
    grep -qF '"capacity":{"from":40,"to":24}' && pass "audited from and to" ||
    fail "audit: $(sql "SELECT detail FROM audit WHERE action = 'update' ORDER BY id DESC LIMIT 1")"
"$FR" user add lea --name "Lea Claes" --role provider >/dev/null
ok "a provider becomes a case manager, under a new name" -- \
    user edit lea --role case_manager --name "Lea Peeters-Claes"
test "$(sql "SELECT role || ' ' || display_name FROM users WHERE login = 'lea'")" = "case_manager Lea Peeters-Claes" &&
    pass "role and name stored" || fail "lea: $(sql "SELECT role, display_name FROM users WHERE login = 'lea'")"
refused "a capacity out of range" 1 "capacity: 5000 is outside 0 to 1000" -- user edit marie --capacity 5000
refused "a role that is none" 1 "role: 'boss' is not a role" -- user edit marie --role boss
refused "a name of spaces" 1 "a display name is required" -- user edit marie --name "   "
refused "nothing to change is a usage error" 2 "say what to change" -- user edit marie
refused "only administrators change users" 1 "only an administrator can change users" -- \
    --as marie user edit jan --capacity 1
refused "an unknown user" 1 "there is no user 'nobody'" -- user edit nobody --capacity 1
ok "an administrator" -- user add root --name Root --role admin
refused "an administrator cannot take their own role away" 1 "cannot take your own administrator role" -- \
    --as root user edit root --role case_manager
refused "nor change the local administrator" 1 "'system' is not changed" -- user edit system --name X
ok "a team" -- team add Namur
ok "marie joins it" -- team join Namur marie
ok "and leaves it" -- team leave Namur marie
test "$(sql "SELECT count(*) FROM team_members")" = 0 && pass "no longer a member" || fail "still a member"
refused "leaving twice" 1 "'marie' is not in team 'Namur'" -- team leave Namur marie
refused "a team that is none" 1 "there is no team 'Liège'" -- team leave Liège marie

ok "register a patient with a valid NISS" -- patient add --family Lambert --given Jeanne \
    --birth 12/03/1941 --sex female --id be-niss=41.03.12-123.11 --city Namur
refused "a NISS with wrong check digits is refused" 1 "fails its check digits" -- \
    patient add --family Dupont --given Luc --id be-niss=41031212312
refused "the same NISS twice is refused, naming the patient" 1 "already belongs to patient 1" -- \
    patient add --family Other --given Anne --id be-niss=41031212311
refused "a future birth date is refused" 1 "in the future" -- \
    patient add --family Futur --given Anne --birth 01/01/2999
refused "an impossible date is a usage error" 2 "is not a date" -- \
    patient add --family X --given Y --birth 31/02/1950
refused "a birth date more than 130 years ago is a mistyped year" 1 "more than 130 years ago; check the year" -- \
    patient add --family X --given Y --birth 02/05/1850
refused "a missing family name names the field" 1 "family" -- patient add --given Y
refused "a bad sex value is refused" 1 "sex" -- patient add --family X --given Y --sex f
test "$(sql 'SELECT count(*) FROM patients')" = 1 && pass "refused patients left nothing behind" ||
    fail "refused patients left rows"

ok "find by name prefix, any case" -- patient find lam
out_has "Lambert is found" "Lambert"
ok "find by family and given name" -- patient find "lambert jea"
out_has "found by full name" "Lambert"
ok "find by a given name" -- patient find jeanne
out_has "found by given name" "Lambert"
ok "find by exact identifier" -- patient find 41031212311
out_has "found by NISS" "Lambert"
# Names with spaces, apostrophes, hyphens and accents; on PostgreSQL plain
# prefixes are searched over a range of the nocase index (record_patient.c).
ok "register more patients" -- patient add --family "Van Damme" --given "Émile"
ok "register more patients" -- patient add --family "D'Hondt-Lefèvre" --given Anne
ok "register more patients" -- patient add --family "Étienne" --given "Zoé"
ok "find a family name with a space, in capitals" -- patient find "VAN D"
out_has "Van Damme is found" "Van Damme"
out_lacks "and only the names starting so" "Lambert"
ok "find a family name with an apostrophe and a hyphen" -- patient find "d'hondt-le"
out_has "D'Hondt-Lefèvre is found" "D'Hondt"
ok "find by family and given name, the family with a space" -- patient find "van damme Ém"
out_has "found by full name" "Van Damme"
ok "find an accented name" -- patient find "Étien"
out_has "Étienne is found" "Étienne"
ok "a prefix nobody has finds nobody" -- patient find "lamz"
out_lacks "nobody is found" "Lambert"
ok "show a patient" -- patient show 1
out_has "birth date shown day/month/year" "12/03/1941"
ok "a case manager sees a patient without a case (intake)" -- --as marie patient list
out_has "the patient is listed" "Lambert"
ok "a provider without relationship sees nobody" -- --as jan patient list
out_lacks "the patient is not listed for the provider" "Lambert"
refused "a provider cannot register a patient" 1 "only case managers" -- \
    --as jan patient add --family A --given B

ok "correct a birth date" -- patient edit 1 --birth 13/03/1941 --city Jambes
ok "show it" -- patient show 1
out_has "the new birth date" "13/03/1941"
refused "nothing to change" 1 "nothing to change" -- patient edit 1
refused "a future birth date is refused on edit too" 1 "in the future" -- patient edit 1 --birth 01/01/2999
refused "a provider without relationship cannot edit" 1 "no care relationship" -- --as jan patient edit 1 --city X
ok "the correction is audited with the fields, not their values" -- audit show --type patient --id 1
out_has "the changed fields" '"birth_date","city"'
ok "JSON output" -- --json patient show 1
out_has "JSON has the family name" '"family_name": "Lambert"'
"$FR" --json patient add --family X >"$TMP/out" 2>/dev/null
out_has "JSON errors carry a code" '"code": "invalid"'

ok "teams" -- team add "Namur Est"
ok "join a team" -- team join "Namur Est" marie
refused "joining twice is refused" 1 "already in team" -- team join "Namur Est" marie
ok "list teams" -- team list
out_has "the member is listed" "marie"

ok "reads are audited" -- audit show --type patient
out_has "a read entry" "read"
out_has "a search entry" "search"
ok "the audit chain verifies" -- audit verify
refused "only administrators read the audit trail" 1 "only administrators" -- --as marie audit show

# Every refusal is audited, refusals for a role included.
denied() { sql "SELECT count(*) FROM audit WHERE actor = '$1' AND action = 'denied' AND object_type = '$2' AND detail LIKE '%role%'"; }
before="$(denied jan patient) $(denied jan case) $(denied marie users) $(denied marie site)"
refused "a provider may not register a patient" 1 "only case managers and administrators" -- --as jan patient add --family X --given Y
refused "nor open a case" 1 "only case managers and administrators" -- --as jan case open 1 --workflow frailty
refused "a case manager may not add users" 1 "only an administrator can add users" -- --as marie user add zoe --name Zoe --role provider
refused "nor back the site up" 1 "only administrators can back a site up" -- --as marie backup "$TMP/nope"
after="$(denied jan patient) $(denied jan case) $(denied marie users) $(denied marie site)"
set -- $before
expected="$(($1 + 1)) $(($2 + 1)) $(($3 + 1)) $(($4 + 1))"
test "$after" = "$expected" &&
    pass "each refusal for a role is audited (denied, reason role)" ||
    fail "role refusals audited $before -> $after, wanted $expected"
ok "the audit chain still verifies" -- audit verify

finish

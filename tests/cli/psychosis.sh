# The psychosis plugin's workflow: the case manager is named from the
# initial evaluation; disengagement is followed, not discharged.
. ./lib.sh
export FILROUGE_NOW=2026-11-23T09:00:00Z
ok "enable psychosis alone" -- plugin enable psychosis
"$FR" user add paul --name "Paul Roux" --role case_manager >/dev/null
"$FR" patient add --family Bernard --given Hugo --birth 03/09/2004 >/dev/null
ok "a referral, opened by the administrator without a case manager" -- case open 1 --workflow psychosis --model clinical
ok "initial evaluation" -- case fire 1 evaluate
refused "inclusion needs a named case manager" 1 "nommez le case manager" -- case fire 1 include
ok "name the case manager" -- case assign 1 paul
ok "include" -- --as paul case fire 1 include
ok "disengagement" -- --as paul case fire 1 disengage
test "$(sql "SELECT status FROM cases WHERE id = 1")" = open && pass "a disengaged person stays in the programme" ||
    fail "disengaged closed the case"
ok "re-engage" -- --as paul case fire 1 re-engage
FILROUGE_NOW=2027-02-24T08:00:00Z ok "three months later, the tick" -- tick
test "$(sql "SELECT count(*) FROM tasks WHERE origin_ref = 'timer:risk-review'")" -ge 1 &&
    pass "a risk review is due" || fail "no risk review"
ok "prepare discharge" -- --as paul case fire 1 prepare-discharge
ok "discharge" -- --as paul case fire 1 discharge
ok "reopen when the person comes back" -- --as paul case reopen 1
finish

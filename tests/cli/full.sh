# A full database (the site's size limit stands for a full disk): writes are
# refused with a clear message and leave nothing half-written, reads keep
# working with their audit entries (the store's reserve), the audit chain
# stays intact, writes resume when space returns.
. ./lib.sh
needs_sqlite
"$FR" user add marie --name "Marie Dubois" --role case_manager >/dev/null
i=0
while [ $i -lt 20 ]; do "$FR" patient add --family "Avant$i" --given X >/dev/null; i=$((i + 1)); done
size_kb=$(( $(stat -c %s "$FILROUGE_SITE/filrouge.db") / 1024 ))
# A limit just above what the database holds now (in MB, with decimals).
limit=$(awk "BEGIN { printf \"%.3f\", ($size_kb + 40) / 1024 }")
sed -i "s#</site>#  <setting name=\"database.max-size-mb\">$limit</setting>\n</site>#" "$FILROUGE_SITE/site.xml"
before=$(sql "SELECT count(*) FROM patients")
big=$(head -c 480 /dev/zero | tr '\0' 'x')
n=0
status=0
while [ $n -lt 400 ]; do
    "$FR" patient add --family "Plein$n" --given X --address "$big" >"$TMP/out" 2>"$TMP/err" || { status=$?; break; }
    n=$((n + 1))
done
test "$status" -eq 1 && pass "a write beyond the limit is refused (exit 1)" || fail "no refusal after $n writes (status $status)"
grep -q "database.max-size-mb" "$TMP/err" && pass "the message says what is full and what to do" ||
    { fail "unclear message"; sed 's/^/#   /' "$TMP/err"; }
after=$(sql "SELECT count(*) FROM patients")
test "$(sql "SELECT count(*) FROM audit WHERE action = 'create' AND object_type = 'patient'")" = "$after" &&
    pass "every stored patient has its audit entry (nothing half-written)" || fail "audit and rows disagree"
ok "reads keep working" -- patient find Avant1
out_has "the patient is found" "Avant1"
# Reads of clinical data write their audit entry: the store's reserve makes
# room for them beyond the limit, and writes are refused meanwhile.
reads=$(sql "SELECT count(*) FROM audit WHERE action = 'read'")
k=0
while [ $k -lt 30 ] && "$FR" --as marie patient show 2 >"$TMP/out" 2>"$TMP/err"; do k=$((k + 1)); done
test $k -eq 30 && pass "30 audited reads work beyond the limit" ||
    { fail "a read failed after $k"; sed 's/^/#   /' "$TMP/err"; }
test "$(sql "SELECT count(*) FROM audit WHERE action = 'read'")" -ge $((reads + 30)) &&
    pass "each read has its audit entry" || fail "reads without their audit entry"
test ! -e "$FILROUGE_SITE/filrouge.db-reserve" && pass "the reserve was given up for them" ||
    fail "the reserve is still there"
refused "meanwhile writes are refused, saying what to do" 1 "database.max-size-mb" -- patient add --family Non --given Z
ok "the audit chain is intact" -- audit verify
sed -i "s#<setting name=\"database.max-size-mb\">$limit</setting>#<setting name=\"database.max-size-mb\">200</setting>#" "$FILROUGE_SITE/site.xml"
refused "an address longer than 500 characters is refused" 1 "at most 500" -- patient add --family Long --given Z --address "$big$big"
ok "writes resume when space returns" -- patient add --family Apres --given Y
test -s "$FILROUGE_SITE/filrouge.db-reserve" && pass "the reserve is back" || fail "no reserve"
test "$(sql "PRAGMA integrity_check")" = ok && pass "the database is sound" || fail "integrity_check"
finish

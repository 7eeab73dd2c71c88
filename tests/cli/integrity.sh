# Nothing is lost and tampering is seen: two processes writing at once, a
# database from a newer Filrouge, a changed or removed audit entry.
. ./lib.sh
needs_sqlite

ok "add a case manager" -- user add marie --name "Marie Dubois" --role case_manager

# Two processes writing at the same time: every write lands (the busy
# timeout makes the second wait for the first's transaction).
writer() {
    i=0
    while [ $i -lt 25 ]; do
        "$FR" --as marie patient add --family "Writer$1" --given "N$i" >/dev/null 2>>"$TMP/writers.err" ||
            echo "write $1/$i failed" >>"$TMP/writers.err"
        i=$((i + 1))
    done
}
writer A & a=$!
writer B & b=$!
wait $a; wait $b
test "$(sql 'SELECT count(*) FROM patients')" = 50 && pass "two processes: 50 of 50 writes landed" ||
    { fail "two processes: $(sql 'SELECT count(*) FROM patients') of 50 writes landed"; sed 's/^/#   /' "$TMP/writers.err"; }
ok "the audit chain verifies after concurrent writes" -- audit verify
out_has "every write was audited" "entries"

# Tampering outside Filrouge: the database refuses it through the triggers…
if sqlite3 "$FILROUGE_SITE/filrouge.db" "UPDATE audit SET actor = 'x' WHERE id = 3" 2>/dev/null; then
    fail "an audit entry could be updated"
else
    pass "the database refuses to update an audit entry"
fi
if sqlite3 "$FILROUGE_SITE/filrouge.db" "DELETE FROM audit WHERE id = 3" 2>/dev/null; then
    fail "an audit entry could be deleted"
else
    pass "the database refuses to delete an audit entry"
fi
# …and someone who drops the triggers is caught by the chain.
cp "$FILROUGE_SITE/filrouge.db" "$TMP/before.db"
sqlite3 "$FILROUGE_SITE/filrouge.db" "DROP TRIGGER audit_is_append_only_update;
    UPDATE audit SET actor = 'mallory' WHERE id = 5;"
refused "a changed entry breaks the chain, named" 1 "broken at entry 5" -- audit verify
cp "$TMP/before.db" "$FILROUGE_SITE/filrouge.db"
sqlite3 "$FILROUGE_SITE/filrouge.db" "DROP TRIGGER audit_is_append_only_delete;
    DELETE FROM audit WHERE id = 7;"
refused "a removed entry breaks the chain" 1 "broken at entry" -- audit verify
cp "$TMP/before.db" "$FILROUGE_SITE/filrouge.db"
ok "the untouched copy verifies" -- audit verify

# A database written by a newer Filrouge is refused, not damaged.
sqlite3 "$FILROUGE_SITE/filrouge.db" "INSERT INTO schema_migrations VALUES ('core', 99, 'core-099-future.sql', '2030-01-01T00:00:00Z')"
refused "a newer database is refused with a clear message" 1 "newer version of Filrouge" -- patient list
test "$(sql "SELECT max(version) FROM schema_migrations WHERE owner = 'core'")" = 99 &&
    pass "the newer database was left as it was" || fail "the newer database was changed"

# Site-wide settings are checked at open (core/settings.h): a mistake stops
# every command with the line, what is wrong and what to write, instead of
# a default silently taking its place.
cp "$TMP/before.db" "$FILROUGE_SITE/filrouge.db"
cp "$FILROUGE_SITE/site.xml" "$TMP/site.xml.good"
# NAME VALUE [MORE XML]: site.xml with that setting just before </site>, on line $L
L=$(wc -l <"$TMP/site.xml.good")
L1=$((L + 1))
with_setting() {
    sed "/<\/site>/i\\  <setting name=\"$1\">$2</setting>${3-}" "$TMP/site.xml.good" >"$FILROUGE_SITE/site.xml"
}
with_setting bus.max-attempts abc
refused "a setting that is not a number: its line, the range, an example" 1 \
    "site.xml:$L: setting bus.max-attempts: \"abc\" is not a whole number from 1 to 1000; write e.g. 5" -- patient list
with_setting database.max-size-mb 50MB
refused "a size with its unit is refused, not read as no limit" 1 \
    'setting database.max-size-mb: "50MB" is not a number' -- patient list
with_setting python.deadline-ms 5
refused "a deadline below its range" 1 "from 10 to 60000" -- patient list
with_setting bus.max-attemps 3
refused "a misspelt name: refused, with the name meant" 1 \
    "site.xml:$L: unknown setting bus.max-attemps (did you mean bus.max-attempts?)" -- patient list
with_setting caseload.weight.5 1
refused "caseload weights are for intensities 1 to 4" 1 "unknown setting caseload.weight.5" -- patient list
with_setting bands.efs.efs "0-5 fit; 7-6 frail"
refused "bands that do not read" 1 'setting bands.efs.efs: "7-6 frail" is not "MIN-MAX code"' -- patient list
with_setting bus.max-attempts 3 '\n  <setting name="bus.max-attempts">4</setting>'
refused "a setting given twice" 1 "site.xml:$L1: setting bus.max-attempts is given twice (also at line $L); keep one" -- patient list
with_setting frailty-alert.threshold 8 '\n  <setting name="bus.max-attempts"> 3 </setting>\n  <setting name="caseload.weight.2">1.25</setting>'
ok "a name of the site's own (for a hook), blanks around a value, a decimal weight: accepted" -- patient list
with_setting database.busy-timeout-ms 99
refused "a busy timeout below its range" 1 "from 100 to 600000" -- patient list

# Another program holding the write lock (sqlite3 by hand, a backup): a
# write waits database.busy-timeout-ms, then is refused saying so, and
# nothing is written.
with_setting database.busy-timeout-ms 300
before=$(sql 'SELECT count(*) FROM patients')
python3 -c '
import os, sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN IMMEDIATE")
open(sys.argv[2], "w").close()
while os.path.exists(sys.argv[2]):
    time.sleep(0.01)
db.execute("ROLLBACK")
' "$FILROUGE_SITE/filrouge.db" "$TMP/holding" & holder=$!
while [ ! -e "$TMP/holding" ]; do sleep 0.01; done
refused "a write kept waiting past the site's busy timeout: refused, naming the setting" 1 \
    "longer than the busy timeout (site setting database.busy-timeout-ms); nothing was written, try again" \
    -- --as marie patient add --family Attente --given Une
rm -f "$TMP/holding"; wait $holder
test "$(sql 'SELECT count(*) FROM patients')" = "$before" && pass "the refused write left nothing" ||
    fail "the refused write left a patient"
ok "the lock gone, the same write lands" -- --as marie patient add --family Attente --given Une
cp "$TMP/site.xml.good" "$FILROUGE_SITE/site.xml"

# A malformed site.xml names its file and line.
printf '<?xml version="1.0"?>\n<site xmlns="urn:filrouge:site:1">\n<name>x</nam>\n</site>\n' >"$FILROUGE_SITE/site.xml"
refused "a malformed site.xml is reported with file:line" 1 "site.xml:3" -- patient list
finish

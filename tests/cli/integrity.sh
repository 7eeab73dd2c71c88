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

# A malformed site.xml names its file and line.
cp "$TMP/before.db" "$FILROUGE_SITE/filrouge.db"
printf '<?xml version="1.0"?>\n<site xmlns="urn:filrouge:site:1">\n<name>x</nam>\n</site>\n' >"$FILROUGE_SITE/site.xml"
refused "a malformed site.xml is reported with file:line" 1 "site.xml:3" -- patient list
finish

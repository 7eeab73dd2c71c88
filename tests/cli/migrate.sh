# `filrouge migrate-store`: a site's SQLite record moved into a PostgreSQL
# database (a private server: tests/pg/with-postgres.sh), checked by row
# counts and the audit chain, then used there; a database that is not empty
# and a bad --from are refused.
if [ -z "${MIGRATE_INNER:-}" ]; then
    if [ -n "${FILROUGE_TEST_STORE:-}" ]; then
        echo "1..0 # SKIP moves a SQLite site (run in the default setup)"; exit 77
    fi
    MIGRATE_INNER=1 exec ../pg/with-postgres.sh sh "$0" "$@"
fi
# Inside: the site itself is made on SQLite; the server is the destination.
TARGET=$FILROUGE_TEST_STORE
unset FILROUGE_TEST_STORE
. ./lib.sh
export FILROUGE_NOW=2026-11-23T09:00:00Z
"$FR" plugin enable instruments >/dev/null
"$FR" plugin enable frailty >/dev/null
"$FR" user add marie --name "Marie Dubois" --role case_manager >/dev/null
"$FR" patient add --family Lambert --given Jeanne --birth 12/03/1941 --id be-niss=41.03.12-123.11 >/dev/null
"$FR" patient add --family Peeters --given Jozef --birth 02/07/1937 >/dev/null
"$FR" --as marie case open 1 --workflow frailty --model clinical >/dev/null
"$FR" --as marie network add 1 --kind informal --name "Sophie Lambert" --relation fille >/dev/null
echo '{"total": 7, "date": "2026-11-20", "assessor": "Marie Dubois", "instrument-version": "EFS", "licence": "UA-1"}' |
    "$FR" --as marie form submit efs --case 1 - >/dev/null
"$FR" --as marie case fire 1 screen >/dev/null

psql -Xq "$TARGET" -c "CREATE SCHEMA moved" >/dev/null
URI="$TARGET&options=-csearch_path%3Dmoved"
refused "only an administrator moves the record" 1 "only administrators" -- \
    --as marie migrate-store --to "$URI"
refused "--from names a SQLite site" 2 "sqlite:PATH" -- migrate-store --from "$TMP" --to "$URI"
ok "the record moves into PostgreSQL" -- migrate-store --from "sqlite:$FILROUGE_SITE/filrouge.db" --to "$URI"
out_has "checked by counts and audit chain" "row counts, audit chain"
pg() { psql -XAtq "$URI" -c "$1"; }
for t in patients cases transitions submissions submission_scores tasks audit outbox users plugins network_members; do
    a=$(sql "SELECT count(*) FROM $t"); b=$(pg "SELECT count(*) FROM $t")
    [ "$t" = audit ] && a=$((a + 1))
    test "$a" = "$b" && pass "$t: $b rows in both" || fail "$t: $a rows in SQLite, $b in PostgreSQL"
done
test "$(pg "SELECT action FROM audit ORDER BY id DESC LIMIT 1")" = migrate-store &&
    pass "the move is audited in the new record" || fail "no migrate-store audit entry"
refused "a database that holds a site already is refused" 1 "already holds a Filrouge schema" -- \
    migrate-store --to "$URI"

# The site now uses PostgreSQL.
esc=$(printf '%s' "$URI" | sed 's/&/\\&amp;/g')
sed -i "s|<database>filrouge.db</database>|<database>$esc</database>|" "$FILROUGE_SITE/site.xml"
mv "$FILROUGE_SITE/filrouge.db" "$TMP/old.db"
ok "the audit chain verifies on PostgreSQL" -- audit verify
ok "the patients are there" -- patient find lam
out_has "Lambert found" "Lambert"
ok "the case view works" -- --as marie case view 1
ok "new rows get new ids after the copied ones" -- patient add --family Martin --given Paul
test "$(pg "SELECT max(id) FROM patients")" = 3 && pass "patient 3 is new" || fail "ids: $(pg 'SELECT id FROM patients')"
ok "the workflow goes on" -- --as marie case fire 1 assess
finish

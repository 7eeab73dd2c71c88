# Backup while the site is being written, restore round trip, and damaged
# databases refused at open, never silently recreated.
. ./lib.sh
needs_sqlite
"$FR" user add marie --name "Marie Dubois" --role case_manager >/dev/null
i=0
while [ $i -lt 10 ]; do "$FR" patient add --family "Avant$i" --given X >/dev/null; i=$((i + 1)); done
# A writer keeps going while the backup is taken.
( j=0; while [ $j -lt 30 ]; do "$FR" patient add --family "Pendant$j" --given Y >/dev/null 2>&1; j=$((j + 1)); done ) &
w=$!
ok "backup while another process writes" -- backup "$TMP/b1"
wait $w
refused "a backup into an existing folder is refused" 1 "give a new folder" -- backup "$TMP/b1"
refused "only administrators back up" 1 "only administrators" -- --as marie backup "$TMP/b2"
test "$(sqlite3 "$TMP/b1/filrouge.db" "PRAGMA integrity_check")" = ok && pass "the backup is sound" || fail "backup damaged"
# Only the copy itself: not the -wal and -shm made while checking it.
stray=$(ls -A "$TMP/b1" | grep -v -x -e filrouge.db -e site.xml -e hooks -e plugins -e forms)
test -z "$stray" && pass "the backup folder holds the database and the site's files only" ||
    fail "stray files in the backup folder: $stray"
in_backup=$(sqlite3 "$TMP/b1/filrouge.db" "SELECT count(*) FROM patients")
test "$(sqlite3 "$TMP/b1/filrouge.db" "SELECT count(*) FROM audit WHERE action = 'create' AND object_type = 'patient'")" = "$in_backup" &&
    pass "the backup is consistent (every patient with its audit entry)" || fail "inconsistent backup"
"$FR" patient add --family Apres --given Z >/dev/null
ok "restore the backup" -- restore "$TMP/b1"
test "$(sql "SELECT count(*) FROM patients")" = "$in_backup" && pass "the restored site holds the backup's data" ||
    fail "restored count"
ls "$FILROUGE_SITE" | grep -q "filrouge.db.before-restore-" && pass "the previous database is kept beside" ||
    fail "previous database not kept"
ok "the restored audit chain verifies" -- audit verify
ok "the restore is audited" -- audit show --type site
out_has "restore entry" "restore"

# The site's own folders (hooks/, forms/, plugins/) go with the backup and
# come back where the site has none (a new machine); a site's own are kept.
printf '# a hook of the site\n' >"$FILROUGE_SITE/hooks/note.py"
mkdir -p "$FILROUGE_SITE/hooks/lib" "$FILROUGE_SITE/forms" "$FILROUGE_SITE/plugins"
printf 'X = 1\n' >"$FILROUGE_SITE/hooks/lib/helper.py"
chmod 640 "$FILROUGE_SITE/hooks/lib/helper.py"
printf 'notes\n' >"$FILROUGE_SITE/forms/README.txt"
printf 'local plugins\n' >"$FILROUGE_SITE/plugins/README.txt"
ok "backup with the site's folders" -- backup "$TMP/b3"
for f in hooks/note.py hooks/lib/helper.py forms/README.txt plugins/README.txt; do
    cmp -s "$FILROUGE_SITE/$f" "$TMP/b3/$f" && pass "the backup holds $f" || fail "$f not backed up"
done
ok "restore on a new machine (an empty site folder)" -- --site "$TMP/new" restore "$TMP/b3"
for f in site.xml hooks/note.py hooks/lib/helper.py forms/README.txt plugins/README.txt; do
    cmp -s "$TMP/b3/$f" "$TMP/new/$f" && pass "restored: $f" || fail "$f not restored"
done
test "$(stat -c %a "$TMP/new/hooks/lib/helper.py")" = 640 && pass "permissions kept" ||
    fail "permissions $(stat -c %a "$TMP/new/hooks/lib/helper.py")"
ok "the restored site opens, audit chain intact" -- --site "$TMP/new" audit verify
printf '# changed since the backup\n' >"$FILROUGE_SITE/hooks/note.py"
ok "restore into the site itself" -- restore "$TMP/b3"
grep -q "changed since" "$FILROUGE_SITE/hooks/note.py" && pass "the site's own hooks are kept" ||
    fail "the site's hooks were replaced"

# A backup from a newer Filrouge is refused before anything changes.
cp -r "$TMP/b1" "$TMP/newer"
sqlite3 "$TMP/newer/filrouge.db" "INSERT INTO schema_migrations VALUES ('core', 99, 'x', 'x')"
before=$(md5sum <"$FILROUGE_SITE/filrouge.db")
refused "a backup from a newer version is refused" 1 "newer version" -- restore "$TMP/newer"
test "$(md5sum <"$FILROUGE_SITE/filrouge.db")" = "$before" && pass "and the site is untouched" || fail "site changed"
refused "a folder that is not a backup" 1 "no filrouge.db" -- restore "$TMP"

# Damaged databases are refused at open, never recreated.
cp "$FILROUGE_SITE/filrouge.db" "$TMP/good.db"
rm -f "$FILROUGE_SITE"/filrouge.db-wal "$FILROUGE_SITE"/filrouge.db-shm
head -c 8192 /dev/urandom >"$FILROUGE_SITE/filrouge.db"
sum=$(md5sum <"$FILROUGE_SITE/filrouge.db")
refused "a file that is not a database is refused" 1 "not a valid Filrouge database" -- patient list
test "$(md5sum <"$FILROUGE_SITE/filrouge.db")" = "$sum" && pass "and left as it was" || fail "it was changed"
: >"$FILROUGE_SITE/filrouge.db"
refused "an empty database file is refused, not recreated" 1 "empty" -- patient list
test ! -s "$FILROUGE_SITE/filrouge.db" && pass "the empty file stays empty" || fail "the empty file was filled"
finish

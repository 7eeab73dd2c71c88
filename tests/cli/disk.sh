# A really full disk: the site (database, -wal, -shm) on a small filesystem
# of its own — an ext4 image on a loop device, and a size-limited tmpfs —
# mounted in a private mount namespace (unshare -m as root, unshare -rm
# otherwise), so that nothing stays mounted whatever happens. Filled up to
# the last byte: reads of clinical data go on, on the command line and
# through a server, each with its audit entry (the store's reserve makes
# the room); writes are refused with a clear message and leave nothing
# half-written, the database and the audit chain stay sound, every
# acknowledged write is kept, and writes resume when space returns. When no filesystem can be
# mounted here, each variant is reported as skipped (full.sh covers the
# SQLite-level limit in every environment).
if [ -z "${FR_DISK_NS:-}" ]; then
    export FR_DISK_NS=1
    if unshare -m true 2>/dev/null; then exec unshare -m sh "$0" "$@"; fi
    if unshare -rm true 2>/dev/null; then exec unshare -rm sh "$0" "$@"; fi
fi
. ./lib.sh
needs_sqlite
MNT="$TMP/disk"
mkdir -p "$MNT"

skip() { N=$((N + 1)); echo "ok $N # SKIP $1; the SQLite-level limit stands in for it (full.sh)"; }

mount_ext4() {
    command -v mkfs.ext4 >/dev/null || return 1
    truncate -s 8M "$TMP/ext4.img" && mkfs.ext4 -q -F "$TMP/ext4.img" >/dev/null 2>&1 &&
        mount -o loop "$TMP/ext4.img" "$MNT" 2>/dev/null
}
mount_tmpfs() { mount -t tmpfs -o size=6m tmpfs "$MNT" 2>/dev/null; }

# fill LEAVE_KB: a filler file takes all the free space but LEAVE_KB.
fill() {
    dd if=/dev/zero of="$MNT/filler" bs=4k 2>/dev/null
    sz=$(stat -c %s "$MNT/filler")
    truncate -s $((sz > $1 * 1024 ? sz - $1 * 1024 : 0)) "$MNT/filler"
}

# A server on the site, for reads and writes through the API: serve_start
# starts it and logs marie in (cookie jar $TMP/jar), api METHOD PATH [BODY]
# prints the status and leaves the body in $TMP/body.
serve_start() {
    "$FR" serve --listen 127.0.0.1:0 --threads 2 >"$TMP/serve.out" 2>"$TMP/serve.err" &
    SERVER=$!
    # until it says where it listens, or has died (no time limit: meson's)
    while ! grep -q "http://" "$TMP/serve.out" && kill -0 "$SERVER" 2>/dev/null; do sleep 0.1; done
    URL=$(sed -n 's#.*\(http://127.0.0.1:[0-9]*\)/.*#\1#p' "$TMP/serve.out" | head -1)
    rm -f "$TMP/jar"
    curl -s -c "$TMP/jar" -o "$TMP/login" -H 'Content-Type: application/json' \
        -d '{"login":"marie","password":"correct-horse"}' "$URL/api/v1/session"
    CSRF=$(sed -n 's/.*"csrf": *"\([0-9a-f]*\)".*/\1/p' "$TMP/login")
}
api() {
    if [ $# -gt 2 ]; then
        curl -s -b "$TMP/jar" -o "$TMP/body" -w '%{http_code}' -X "$1" -H "X-CSRF-Token: $CSRF" \
            -H 'Content-Type: application/json' -d "$3" "$URL$2"
    else
        curl -s -b "$TMP/jar" -o "$TMP/body" -w '%{http_code}' "$URL$2"
    fi
}
reads() { sql "SELECT count(*) FROM audit WHERE action = 'read'"; }

variant() {
    fs=$1
    export FILROUGE_SITE="$MNT/site"
    "$FR" init "$FILROUGE_SITE" >/dev/null || { fail "$fs: cannot create a site"; umount "$MNT"; return; }
    "$FR" plugin enable gate >/dev/null
    "$FR" user add marie --name "Marie Dubois" --role case_manager >/dev/null
    echo correct-horse | "$FR" user passwd marie >/dev/null
    i=0
    while [ $i -lt 5 ]; do "$FR" patient add --family "Avant$i" --given X >/dev/null; i=$((i + 1)); done
    cid=$("$FR" --as marie --json case open 2 --workflow gate | sed -n 's/.*"id": \([0-9]*\).*/\1/p')
    test "$(stat -c %s "$FILROUGE_SITE/filrouge.db-reserve" 2>/dev/null)" = 524288 &&
        pass "$fs: a reserve of 512 KiB is kept beside the database" ||
        fail "$fs: no reserve beside the database"
    serve_start
    test -n "$CSRF" && pass "$fs: the server runs and marie is logged in" ||
        { fail "$fs: no server or no login"; sed 's/^/#   /' "$TMP/serve.err" "$TMP/login"; }
    fill 64
    big=$(head -c 480 /dev/zero | tr '\0' 'x')
    n=0
    status=0
    while [ $n -lt 2000 ]; do
        "$FR" patient add --family "Plein$n" --given X --address "$big" >"$TMP/out" 2>"$TMP/err" ||
            { status=$?; break; }
        n=$((n + 1))
    done
    test "$status" -eq 1 && pass "$fs: the disk fills up, the next write is refused (exit 1 after $n writes)" ||
        fail "$fs: no refusal after $n writes (status $status)"
    grep -q "is full" "$TMP/err" && pass "$fs: the message says the disk is full and what to do" ||
        { fail "$fs: unclear message"; sed 's/^/#   /' "$TMP/err"; }
    test "$(sql "SELECT count(*) FROM patients")" = $((5 + n)) &&
        pass "$fs: every acknowledged write is kept, the refused one left nothing" ||
        fail "$fs: $(sql "SELECT count(*) FROM patients") patients, $((5 + n)) acknowledged"
    test "$(sql "SELECT count(*) FROM audit WHERE action = 'create' AND object_type = 'patient'")" = $((5 + n)) &&
        pass "$fs: every stored patient has its audit entry (nothing half-written)" ||
        fail "$fs: audit and rows disagree"
    # Not one byte free: reads of clinical data go on, each with its audit
    # entry (written on the reserve); writes are refused, clearly.
    fill 0
    dd if=/dev/zero of="$MNT/filler2" bs=1k 2>/dev/null
    before=$(reads)
    code=$(api GET /api/v1/patients/2)
    test "$code" = 200 && grep -q Avant1 "$TMP/body" &&
        pass "$fs: with no byte free, a read through the API is answered (200)" ||
        { fail "$fs: API read: $code"; sed 's/^/#   /' "$TMP/body"; }
    code=$(api POST /api/v1/patients '{"family_name":"Refus","given_names":"API"}')
    test "$code" = 503 && grep -q '"disk-full"' "$TMP/body" &&
        pass "$fs: a write through the API is refused (503 disk-full, saying what to do)" ||
        { fail "$fs: API write: $code"; sed 's/^/#   /' "$TMP/body"; }
    # Reads and a write arriving together (one group commit or several):
    # the reads are answered, the write is refused, none is lost silently.
    pids=
    for k in 1 2 3; do api GET /api/v1/patients/3 >"$TMP/r$k" & pids="$pids $!"; done
    api POST /api/v1/patients '{"family_name":"Ensemble","given_names":"API"}' >"$TMP/w1" &
    for j in $pids $!; do wait "$j"; done
    test "$(cat "$TMP/r1" "$TMP/r2" "$TMP/r3")" = "200200200" && test "$(cat "$TMP/w1")" = 503 &&
        pass "$fs: reads arriving with a write are answered, the write is refused (503)" ||
        fail "$fs: together: reads $(cat "$TMP/r1" "$TMP/r2" "$TMP/r3"), write $(cat "$TMP/w1")"
    k=0
    while [ $k -lt 20 ]; do
        "$FR" --as marie patient show 2 >"$TMP/out" 2>"$TMP/err" && grep -q Avant1 "$TMP/out" || break
        "$FR" --as marie case show "$cid" >"$TMP/out" 2>"$TMP/err" || break
        k=$((k + 1))
    done
    test $k -eq 20 && pass "$fs: with no byte free, 40 reads on the command line work (patient show, case show)" ||
        { fail "$fs: a read failed after $k rounds"; sed 's/^/#   /' "$TMP/err"; }
    grep -q "warning: the disk holding" "$TMP/err" &&
        pass "$fs: the command line warns that the disk is full" || fail "$fs: no warning"
    after=$(reads)
    test "$after" -ge $((before + 44)) && pass "$fs: every read was audited ($((after - before)) entries)" ||
        fail "$fs: $((after - before)) read entries for 44 reads"
    test "$(sql "SELECT count(*) FROM patients WHERE family_name IN ('Refus', 'Ensemble')")" = 0 &&
        pass "$fs: the refused API writes left nothing" || fail "$fs: a refused API write was stored"
    test ! -e "$FILROUGE_SITE/filrouge.db-reserve" && pass "$fs: the reserve was given up for the reads" ||
        fail "$fs: the reserve is still there"
    refused "$fs: a write is refused, saying the disk is full and what to do" 1 \
        "changes are refused and the space left is kept" -- patient add --family Zero --given Y
    test "$(sql "PRAGMA integrity_check")" = ok && pass "$fs: the full database is sound" ||
        fail "$fs: integrity_check on the full disk"
    ok "$fs: the audit chain verifies on the full disk" -- audit verify
    ok "$fs: reads that write nothing keep working (user list)" -- user list
    rm -f "$MNT/filler" "$MNT/filler2"
    ok "$fs: writes resume when space returns" -- patient add --family Apres --given Y
    test "$(stat -c %s "$FILROUGE_SITE/filrouge.db-reserve" 2>/dev/null)" = 524288 &&
        pass "$fs: the reserve is back" || fail "$fs: the reserve did not come back"
    code=$(api POST /api/v1/patients '{"family_name":"Retour","given_names":"API"}')
    test "$code" = 201 -o "$code" = 200 && pass "$fs: writes through the API resume ($code)" ||
        { fail "$fs: API write after: $code"; sed 's/^/#   /' "$TMP/body"; }
    grep -q "disk space: the reserve was given up" "$FILROUGE_LOG" &&
        pass "$fs: the server gave the reserve up for the audit entries of reads, and logged it" ||
        fail "$fs: the server did not use the reserve"
    grep -q "disk space: the disk holding the database is full" "$FILROUGE_LOG" &&
        grep -q "disk space: there is room again" "$FILROUGE_LOG" &&
        pass "$fs: the server logged the full disk and its end" ||
        { fail "$fs: the log does not say"; sed 's/^/#   /' "$FILROUGE_LOG" "$TMP/serve.err"; }
    kill "$SERVER"
    wait "$SERVER"
    # The last connection closed cleanly and SQLite removed the -wal and
    # -shm; now no byte is free: opening must create the -shm, which cannot
    # grow. The reserve makes room for it, and reads go on.
    test ! -e "$FILROUGE_SITE/filrouge.db-wal" && pass "$fs: a clean close removed the -wal" ||
        fail "$fs: the -wal stayed after a clean close"
    fill 0
    dd if=/dev/zero of="$MNT/filler2" bs=1k 2>/dev/null
    ok "$fs: with no byte free and no -shm, the database opens and a read works" -- --as marie patient show 2
    refused "$fs: a write with no byte free is refused" 1 "is full" -- patient add --family Zero --given Y
    rm -f "$MNT/filler" "$MNT/filler2"
    ok "$fs: writes resume again" -- patient add --family Encore --given Y
    test "$(sql "SELECT count(*) FROM patients")" = $((8 + n)) &&
        pass "$fs: after the full disk, exactly the acknowledged writes are there" ||
        fail "$fs: $(sql "SELECT count(*) FROM patients") patients, $((8 + n)) acknowledged"
    test "$(sql "PRAGMA integrity_check")" = ok && pass "$fs: the database is sound" || fail "$fs: integrity_check"
    ok "$fs: the audit chain verifies" -- audit verify
    umount "$MNT"
}

if mount_ext4; then variant "ext4 on a loop device"; else
    skip "ext4 on a loop device: cannot mount one here (needs root or user namespaces, and a loop device)"
fi
if mount_tmpfs; then variant "tmpfs of 6 MB"; else
    skip "tmpfs of 6 MB: cannot mount one here (needs root or user namespaces)"
fi
finish

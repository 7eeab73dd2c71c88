# A really full disk: the site (database, -wal, -shm) on a small filesystem
# of its own — an ext4 image on a loop device, and a size-limited tmpfs —
# mounted in a private mount namespace (unshare -m as root, unshare -rm
# otherwise), so that nothing stays mounted whatever happens. Filled up:
# writes are refused with a clear message and leave nothing half-written,
# the database and the audit chain stay sound, every acknowledged write is
# kept, and writes resume when space returns. When no filesystem can be
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

# opens WHAT: `user list` works, or is refused saying the disk is full.
opens() {
    "$FR" user list >"$TMP/out" 2>"$TMP/err"
    rc=$?
    if [ $rc -eq 0 ]; then
        pass "$1: the database opens"
    elif grep -q "is full" "$TMP/err"; then
        pass "$1: opening is refused, saying the disk is full"
    else
        fail "$1: exit $rc, unclear"; sed 's/^/#   /' "$TMP/err"
    fi
}

variant() {
    fs=$1
    export FILROUGE_SITE="$MNT/site"
    "$FR" init "$FILROUGE_SITE" >/dev/null || { fail "$fs: cannot create a site"; umount "$MNT"; return; }
    "$FR" user add marie --name "Marie Dubois" --role case_manager >/dev/null
    i=0
    while [ $i -lt 5 ]; do "$FR" patient add --family "Avant$i" --given X >/dev/null; i=$((i + 1)); done
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
    ls -l "$MNT/site" | sed -n 's/^/# /;/filrouge.db/p'
    test "$(sql "SELECT count(*) FROM patients")" = $((5 + n)) &&
        pass "$fs: every acknowledged write is kept, the refused one left nothing" ||
        fail "$fs: $(sql "SELECT count(*) FROM patients") patients, $((5 + n)) acknowledged"
    test "$(sql "SELECT count(*) FROM audit WHERE action = 'create' AND object_type = 'patient'")" = $((5 + n)) &&
        pass "$fs: every stored patient has its audit entry (nothing half-written)" ||
        fail "$fs: audit and rows disagree"
    test "$(sql "PRAGMA integrity_check")" = ok && pass "$fs: the full database is sound" ||
        fail "$fs: integrity_check on the full disk"
    ok "$fs: the audit chain verifies on the full disk" -- audit verify
    ok "$fs: reads that write nothing keep working (user list)" -- user list
    out_has "$fs: the user is listed" "marie"
    # A read of clinical data writes its audit entry first: on a full disk
    # it works if that entry still fits, else it is refused, clearly.
    if "$FR" --as marie patient find Avant1 >"$TMP/out" 2>"$TMP/err"; then
        pass "$fs: an audited read works while its audit entry still fits"
    elif grep -q "is full" "$TMP/err"; then
        pass "$fs: an audited read whose audit entry cannot be written is refused, saying the disk is full"
    else
        fail "$fs: an audited read failed unclearly"; sed 's/^/#   /' "$TMP/err"
    fi
    # No byte free at all, while the -wal and -shm exist (left by the refused
    # commit): the database opens, writes are refused.
    fill 0
    dd if=/dev/zero of="$MNT/filler2" bs=1k 2>/dev/null
    opens "$fs: with no byte free and the -shm in place"
    refused "$fs: a write with no byte free is refused" 1 "is full" -- patient add --family Zero --given Y
    rm -f "$MNT/filler" "$MNT/filler2"
    ok "$fs: writes resume when space returns" -- patient add --family Apres --given Y
    # The last connection closed cleanly and SQLite removed the -wal and
    # -shm; now no byte is free: opening must create the -shm, which cannot
    # grow. Refused, saying the disk is full (SQLite's own word is "disk I/O
    # error"), and nothing is left half-created.
    test ! -e "$FILROUGE_SITE/filrouge.db-wal" && pass "$fs: a clean close removed the -wal" ||
        fail "$fs: the -wal stayed after a clean close"
    fill 0
    dd if=/dev/zero of="$MNT/filler2" bs=1k 2>/dev/null
    opens "$fs: with no byte free and no -shm"
    rm -f "$MNT/filler" "$MNT/filler2"
    test "$(sql "SELECT count(*) FROM patients")" = $((6 + n)) &&
        pass "$fs: after the full disk, exactly the acknowledged writes are there" ||
        fail "$fs: $(sql "SELECT count(*) FROM patients") patients, $((6 + n)) acknowledged"
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

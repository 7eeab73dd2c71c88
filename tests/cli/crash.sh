# Crash safety: kill -9 writers again and again. After each kill every
# acknowledged write is there, no case is half-written, the database and
# the audit chain are sound, and the outbox still delivers what it owed.
. ./lib.sh
ok "enable gate (an asynchronous subscriber)" -- plugin enable gate
"$FR" user add marie --name "Marie Dubois" --role case_manager >/dev/null
"$FR" patient add --family Base --given Anna >/dev/null

# A writer: opens cases and fires events; after each success it appends
# what was acknowledged to a file (the acknowledgment is what a user saw).
# It runs in a session of its own (setsid), so that one kill -9 reaches the
# filrouge it is running, in the middle of a write.
cat >"$TMP/writer.sh" <<'W'
while :; do
    out=$("$FR" --as marie --json case open 1 --workflow gate 2>/dev/null) || continue
    id=$(printf '%s' "$out" | sed -n 's/.*"id": \([0-9]*\).*/\1/p')
    [ -n "$id" ] || continue
    echo "open $id" >>"$TMP/acks"
    "$FR" --as marie case fire "$id" submit >/dev/null 2>&1 && echo "fire $id" >>"$TMP/acks"
done
W
: >"$TMP/acks"
export FR TMP
round=0
while [ $round -lt 8 ]; do
    acked=$(wc -l <"$TMP/acks")
    setsid sh "$TMP/writer.sh" &
    w=$!
    # Kill in the middle of the traffic: once this round's writer has had
    # a write acknowledged (however long that takes on a slow machine),
    # then after a varying moment (where the kill lands, not a condition).
    while [ "$(wc -l <"$TMP/acks")" -le "$acked" ]; do sleep 0.05; done
    sleep 0.$((round % 5))
    pkill -9 -s $w 2>/dev/null
    wait $w 2>/dev/null
    round=$((round + 1))
done
test -s "$TMP/acks" && pass "writes were acknowledged between kills ($(wc -l <"$TMP/acks") acks)" ||
    fail "no write was acknowledged"
missing=0
while read -r what id; do
    case $what in
    open) n=$(sql "SELECT count(*) FROM cases WHERE id = $id") ;;
    fire) n=$(sql "SELECT count(*) FROM transitions WHERE case_id = $id AND event = 'submit'") ;;
    esac
    [ "$n" = 1 ] || { missing=$((missing + 1)); echo "# lost: $what $id"; }
done <"$TMP/acks"
test $missing -eq 0 && pass "every acknowledged write is present" || fail "$missing acknowledged writes lost"
test "$(sql "SELECT count(*) FROM cases c WHERE NOT EXISTS (SELECT 1 FROM transitions t WHERE t.case_id = c.id AND t.event = 'open')")" = 0 &&
    pass "no half-written case (every case has its opening transition)" || fail "a case without its opening"
test "$(sql "SELECT count(*) FROM cases c WHERE NOT EXISTS (SELECT 1 FROM audit a WHERE a.object_type = 'case' AND a.object_id = CAST(c.id AS TEXT) AND a.action = 'create')")" = 0 &&
    pass "every case has its audit entry" || fail "a case without its audit entry"
if [ -z "${FILROUGE_TEST_STORE:-}" ]; then
    test "$(sql "PRAGMA integrity_check")" = ok && pass "the database is sound" || fail "integrity_check"
fi
ok "the audit chain verifies" -- audit verify
if grep -q "BUG:" "$FILROUGE_LOG" 2>/dev/null; then fail "the log reports a transaction left open"; grep "BUG:" "$FILROUGE_LOG" | sed 's/^/#   /'; else pass "no transaction was left open"; fi
ok "the outbox delivers what it owed" -- events deliver
# Delivered: a row says so, or the watermark passed the event and no row
# says otherwise (core/bus.c, record_page).
owed=$(sql "SELECT count(*) FROM outbox o WHERE o.topic LIKE 'case.%' AND o.id > (SELECT since_event FROM bus_subscribers WHERE name = 'gate:notify') AND NOT EXISTS (SELECT 1 FROM bus_deliveries d WHERE d.event_id = o.id AND d.subscriber = 'gate:notify' AND d.status = 'done') AND NOT (o.id <= (SELECT settled_through FROM bus_subscribers WHERE name = 'gate:notify') AND NOT EXISTS (SELECT 1 FROM bus_deliveries d WHERE d.event_id = o.id AND d.subscriber = 'gate:notify'))")
test "$owed" = 0 && pass "no event lost: every case event reached the subscriber" || fail "$owed events not delivered"
finish

#!/bin/sh
# CPU instructions per request in the server (callgrind), for the static
# file and the caseload API, one after the other on one connection: a
# figure that the load of a shared machine does not move, beside wrk's.
#   sh tests/bench/instructions.sh BUILD-DIR SITE-DIR
# SITE-DIR is a site seeded as tests/bench/run.sh seeds it (user marie,
# password bench-password).
set -eu
BUILD=$1
export FILROUGE_SITE=$2
TMP=$(mktemp -d "${TMPDIR:-/tmp}/bench-cg-XXXXXX")
export FILROUGE_LOG="$TMP/filrouge.log"
valgrind --tool=callgrind --callgrind-out-file="$TMP/cg.%p" "$BUILD/filrouge" serve \
    --listen 127.0.0.1:0 --threads 4 >"$TMP/serve.out" 2>&1 &
PID=$!
trap 'kill -TERM $PID 2>/dev/null; wait $PID 2>/dev/null; rm -rf "$TMP"' EXIT
. "$(dirname "$0")/login.sh"
bench_login "$TMP/serve.out"
curl -s -o /dev/null -H "Cookie: $COOKIE" "$URL/api/v1/caseload"
curl -s -o /dev/null "$URL/static/app.css"
for t in static caseload; do
    callgrind_control -z $PID >/dev/null
    if [ $t = static ]; then
        n=$(wrk -t1 -c1 -d8s "$URL/static/app.css" | awk '/requests in/{print $1}')
    else
        n=$(wrk -t1 -c1 -d8s -H "Cookie: $COOKIE" "$URL/api/v1/caseload" | awk '/requests in/{print $1}')
    fi
    callgrind_control -d $t $PID >/dev/null
    sleep 1
    ir=$(cat "$TMP"/cg.$PID.* | awk '/^summary:/{s+=$2} END{print s}')
    rm -f "$TMP"/cg.$PID.*
    echo "$t: $n requests, $((ir / n)) instructions per request"
done

#!/bin/sh
# The web benchmark: a site seeded with PATIENTS patients (default 100000)
# and CASES cases, one server, and wrk on loopback against, in the same run:
# a static file (the ceiling), the caseload API, a case page (HTML, an
# audited read) and a form submission (a GAD-7 posted to a case: a durable
# write). Prints wrk's figures; tests/bench/webdoc.sh turns this output into
# the web section of docs/performance.md (scripts/bench does both).
#   sh tests/bench/run.sh [BUILD-DIR] [PATIENTS] [CASES]
# ROUNDS=N runs the static file and the caseload N times, one after the
# other (on a shared machine, take the median of the N ratios).
set -eu
BUILD=${1:-build}
PATIENTS=${2:-100000}
CASES=${3:-2000}
DURATION=${DURATION:-10s}
FR="$BUILD/filrouge"
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 77; }
TMP=$(mktemp -d "${TMPDIR:-/tmp}/bench-XXXXXX")
export FILROUGE_SITE="$TMP/site" FILROUGE_LOG="$TMP/filrouge.log"
unset FILROUGE_USER
"$FR" init "$FILROUGE_SITE" --name Bench >/dev/null
"$FR" plugin enable instruments >/dev/null
"$FR" plugin enable frailty >/dev/null
"$FR" user add marie --name Marie --role case_manager --capacity 60 >/dev/null
printf 'bench-password\n' | "$FR" user passwd marie >/dev/null
start=$(date +%s)
"$BUILD/tests/bench/bench-seed" "$FILROUGE_SITE" "$PATIENTS" "$CASES"
echo "seeding took $(( $(date +%s) - start )) s"

echo "== site: $PATIENTS patients, $CASES cases"
echo "server: filrouge serve --threads ${THREADS:-4}"
"$FR" serve --listen 127.0.0.1:0 --threads "${THREADS:-4}" >"$TMP/serve.out" 2>&1 &
PID=$!
trap 'kill -TERM $PID 2>/dev/null; wait $PID 2>/dev/null; rm -rf "$TMP"' EXIT
. "$(dirname "$0")/login.sh"
bench_login "$TMP/serve.out"
curl -sf -H "Cookie: $COOKIE" "$URL/api/v1/caseload" | head -c 200; echo
CASE=$(curl -sf -H "Cookie: $COOKIE" "$URL/api/v1/caseload" | sed -n 's/.*"cases":\[{"id":\([0-9]*\).*/\1/p')

WRK="wrk -t2 -c16 -d$DURATION --latency"
bench() {
    name=$1
    shift
    echo "== $name"
    echo "command: $WRK"
    $WRK "$@" | sed -n '/Latency Distribution/,/^Requests\/sec/p;/Requests\/sec/p;/Non-2xx/p' | sort -u
}
for _ in $(seq "${ROUNDS:-1}"); do
    bench "static /static/app.css" "$URL/static/app.css"
    bench "API /api/v1/caseload" -H "Cookie: $COOKIE" "$URL/api/v1/caseload"
done
bench "page /cases/$CASE" -H "Cookie: $COOKIE" "$URL/cases/$CASE"
cat >"$TMP/post.lua" <<'EOF'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"form":"gad7","data":{"q1":"1","q2":"2","q3":"0","q4":"1","q5":"3","q6":"1","q7":"0"}}'
EOF
bench "form POST /api/v1/cases/$CASE/submissions" -s "$TMP/post.lua" -H "Cookie: $COOKIE" \
    -H "X-CSRF-Token: $CSRF" "$URL/api/v1/cases/$CASE/submissions"

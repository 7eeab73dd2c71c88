#!/bin/sh
# Writes the web section of docs/performance.md from the output of
# tests/bench/run.sh (its "== NAME" blocks of wrk figures), kept apart from
# the measurement so that run.sh stays a plain benchmark:
#   sh tests/bench/run.sh build-bench >OUT; sh tests/bench/webdoc.sh build-bench OUT
# The targets (issue 6: the caseload API at least 0.7× the static file's
# rate, p99 at most 10 ms) are said met or not from the figures themselves.
set -eu
BUILD=$1
OUT=$2
DOC=${DOC:-docs/performance.md}
# One line per target: name|requests/s|p50 ms|p99 ms|non-2xx answers|requests
rows=$(awk '
    function ms(v) {
        if (v ~ /us$/) return v / 1000
        if (v ~ /ms$/) return v + 0
        if (v ~ /s$/) return v * 1000
        return v
    }
    function flush() { if (name != "" && name !~ /^site:/) print name "|" rps "|" p50 "|" p99 "|" bad "|" total }
    /^== / { flush(); name = substr($0, 4); rps = ""; p50 = ""; p99 = ""; bad = 0; total = ""; next }
    $1 == "50%" { p50 = ms($2) }
    $1 == "99%" { p99 = ms($2) }
    /^Requests\/sec:/ { rps = $2 }
    /requests in/ { total = $1 }
    /Non-2xx or 3xx responses:/ { bad = $NF }
    END { flush() }' "$OUT")
site=$(sed -n 's/^== site: //p' "$OUT" | head -n 1)
# shellcheck disable=SC2086
set -- $site
wrk=$(sed -n 's/^command: //p' "$OUT" | head -n 1)
server=$(sed -n 's/^server: //p' "$OUT" | head -n 1)
seeding=$(sed -n 's/^seeding took //p' "$OUT" | head -n 1)
static=$(printf '%s\n' "$rows" | awk -F'|' '$1 ~ /^static/ { print $2; exit }')
[ -n "$static" ] || { echo "webdoc: no static figures in $OUT" >&2; exit 1; }
table=$(printf '%s\n' "$rows" | awk -F'|' -v s="$static" '{
    what = $1
    if (what ~ /^static/) what = "static file `" substr(what, 8) "` (the baseline)"
    else if (what ~ /^API/) what = "caseload API `GET " substr(what, 5) "` (the case manager'"'"'s open cases, up to 40; JSON)"
    else if (what ~ /^page/) what = "case page `GET " substr(what, 6) "` (HTML, an audited read)"
    else if (what ~ /^form/) what = "form submission `" substr(what, 6) "` (a GAD-7: validate, score, store, event, audit, durable)"
    note = $5 > 0 ? sprintf(" (%d of %d answers not 2xx)", $5, $6) : ""
    printf "| %s | %.0f%s | %.3f× | %.2f ms | %.2f ms |\n", what, $2, note, $2 / s, $3, $4
}')
verdict=$(printf '%s\n' "$rows" | awk -F'|' -v s="$static" '$1 ~ /^API/ {
    r = $2 / s
    printf "Caseload target (issue 6: at least 0.7× the static rate, p99 at most 10 ms): %s (%.2f×, p99 %.2f ms).", (r >= 0.7 && $4 <= 10) ? "met" : "**not met**", r, $4
}')
section=$(cat <<END
## Web application under load

Measured on $("$BUILD/tests/bench/perfdoc" --machine), by \`sh tests/bench/run.sh $BUILD $1 $3\` (part of \`scripts/bench\`, which writes this section with \`tests/bench/webdoc.sh\`): a site seeded through the kernel with $site (in $seeding), one \`$server\`, logged in as a case manager, and \`$wrk\` on loopback against each target one after the other in the same run; wrk shares the machine's cores with the server. SQLite in WAL mode with \`synchronous=FULL\`.

| target | requests/s | against the static file | p50 | p99 |
|---|---:|---:|---:|---:|
$table

$verdict

END
)
printf '%s\n' "$section"
"$BUILD/tests/bench/perfdoc" "$DOC" web <<END
$section
END

# Sourced by the web benchmarks: waits for the server started with its
# output in $1 (`filrouge serve --listen 127.0.0.1:0`), then sets URL,
# COOKIE and CSRF (a session of marie, password bench-password, and its
# anti-forgery token for writes).
bench_login() {
    for _ in $(seq 60); do
        PORT=$(sed -n 's|.*http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$1")
        [ -n "$PORT" ] && break
        sleep 0.5
    done
    URL="http://127.0.0.1:$PORT"
    answer=$(curl -s -D - -H 'Content-Type: application/json' \
        -d '{"login":"marie","password":"bench-password"}' "$URL/api/v1/session")
    COOKIE=$(printf '%s\n' "$answer" | sed -n 's/^Set-Cookie: \(fr_session=[0-9a-f]*\).*/\1/p')
    CSRF=$(printf '%s\n' "$answer" | sed -n 's/.*"csrf":"\([^"]*\)".*/\1/p')
    [ -n "$COOKIE" ] || { echo "login failed" >&2; exit 1; }
}

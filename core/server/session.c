/* Web sessions: random ids (libsodium) in an HttpOnly, SameSite=Strict
 * cookie, stored only as their SHA-256; a CSRF token per session; idle
 * expiry; a fresh id at every login (no session fixation); login
 * throttling. Passwords are checked by the record (fr_user_check_password). */
#include "server.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "clock.h"

#define COOKIE "fr_session"
#define MAX_FAILURES 5
#define FAILURE_WINDOW_SECONDS 900

void fr_token_new(char out[65])
{
    unsigned char raw[32];
    if (sodium_init() < 0)
        abort(); /* no randomness: never hand out a guessable session */
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(out, 65, raw, sizeof raw);
}

void fr_token_hash(const char *token, char out[65])
{
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, (const unsigned char *)token, strlen(token));
    sodium_bin2hex(out, 65, digest, sizeof digest);
}

static int valid_token(const char *t)
{
    if (!t || strlen(t) != 64)
        return 0;
    for (const char *p = t; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return 0;
    return 1;
}

int fr_session_load(fr_req *r)
{
    r->logged_in = 0;
    r->bearer = 0;
    r->session_failed = 0;
    /* An API call may carry a personal token instead of a cookie; a token
     * never opens an HTML page (pages are for sessions with CSRF). */
    const char *authorization = fr_req_header(r, "Authorization");
    if (authorization && strncmp(r->path, "/api/", 5) == 0) {
        fr_token_authenticate(r, authorization);
        return 1; /* its last use may have been recorded */
    }
    const char *token = fr_req_cookie(r, COOKIE);
    if (!valid_token(token))
        return 0;
    char hash[65], now[FR_TIME_LEN], oldest[FR_TIME_LEN];
    fr_token_hash(token, hash);
    fr_clock_now(now);
    fr_time_add_seconds(now, -60L * fr_server_idle_minutes(r->server), oldest);
    fr_error err = {0};
    fr_stmt *st;
    if (fr_store_query(r->site->store, &err, &st,
                       "SELECT s.user_id, s.csrf, s.last_seen, u.login, u.display_name, u.role,"
                       " u.language FROM web_sessions s JOIN users u ON u.id = s.user_id"
                       " WHERE s.id_hash = ? AND u.active = 1",
                       "t", hash)) {
        r->session_failed = 1;
        if (!fr_server_outage_quiet(r))
            fr_server_log(r->server, "%s %s: reading the session: %s", r->method, r->path,
                          err.message);
        return 0;
    }
    int found = 0, expired = 0, touch = 0, step = fr_stmt_step(st, &err);
    if (step < 0) {
        r->session_failed = 1;
        if (!fr_server_outage_quiet(r))
            fr_server_log(r->server, "%s %s: reading the session: %s", r->method, r->path,
                          err.message);
    }
    if (step == 1) {
        const char *last = fr_stmt_text(st, 2);
        if (strcmp(last, oldest) < 0) {
            expired = 1;
        } else {
            found = 1;
            r->user_id = fr_stmt_int(st, 0);
            snprintf(r->csrf, sizeof r->csrf, "%s", fr_stmt_text(st, 1));
            snprintf(r->login, sizeof r->login, "%s", fr_stmt_text(st, 3));
            snprintf(r->display_name, sizeof r->display_name, "%s", fr_stmt_text(st, 4));
            snprintf(r->role, sizeof r->role, "%s", fr_stmt_text(st, 5));
            snprintf(r->lang, sizeof r->lang, "%s", fr_stmt_text(st, 6));
            /* Write last_seen at most once a minute: a write per request
             * would serialise every reader on the database lock. */
            char recent[FR_TIME_LEN];
            fr_time_add_seconds(now, -60, recent);
            touch = strcmp(last, recent) < 0;
        }
    }
    fr_stmt_done(st);
    if (expired)
        fr_store_execf(r->site->store, &err, "DELETE FROM web_sessions WHERE id_hash = ?", "t",
                       hash);
    if (touch)
        fr_store_execf(r->site->store, &err,
                       "UPDATE web_sessions SET last_seen = ? WHERE id_hash = ?", "tt", now, hash);
    if (found) {
        r->logged_in = 1;
        snprintf(r->session_hash, sizeof r->session_hash, "%s", hash);
    }
    return expired || touch;
}

static void set_cookie(fr_req *r, fr_resp *w, const char *value, int max_age)
{
    /* Secure when the request came over TLS (directly or through a trusted
     * proxy that says so: proxy.c). */
    int secure = fr_proxy_https(r);
    fr_resp_cookie(w, COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%d%s", value, max_age,
                   secure ? "; Secure" : "");
}

typedef struct new_session {
    fr_req *r;
    int64_t user_id;
    const char *hash, *csrf, *now;
} new_session;

static int session_body(fr_store *st, const void *arg, fr_error *err)
{
    const new_session *n = arg;
    fr_req *r = n->r;
    /* A session id presented before login (planted by someone else) is
     * dropped, never promoted. */
    const char *old = fr_req_cookie(r, COOKIE);
    int rc = 0;
    if (valid_token(old)) {
        char oh[65];
        fr_token_hash(old, oh);
        rc = fr_store_execf(st, err, "DELETE FROM web_sessions WHERE id_hash = ?", "t", oh);
    }
    if (!rc)
        rc = fr_store_execf(st, err,
                            "INSERT INTO web_sessions (id_hash, user_id, csrf, created_at,"
                            " last_seen, remote) VALUES (?, ?, ?, ?, ?, ?)",
                            "tItttt", n->hash, n->user_id, n->csrf, n->now, n->now, r->remote);
    if (!rc) {
        json_t *d = json_pack("{s:s,s:s}", "via", "web", "remote", r->remote);
        char *text = json_dumps(d, JSON_COMPACT);
        rc = fr_audit_appendi(st, r->login[0] ? r->login : "system", "login", "user", n->user_id,
                              text ? text : "{}", err);
        free(text);
        json_decref(d);
    }
    return rc;
}

/* A session is the access record a read needs: written like an audit entry
 * (fr_audit_transaction), so that on a full disk people can still log in to
 * read while changes are refused. */
int fr_session_create(fr_req *r, fr_resp *w, int64_t user_id, fr_error *err)
{
    char token[65], hash[65], csrf[65], now[FR_TIME_LEN];
    fr_token_new(token);
    fr_token_hash(token, hash);
    fr_token_new(csrf);
    fr_clock_now(now);
    new_session n = {r, user_id, hash, csrf, now};
    int rc = fr_audit_transaction(r->site->store, session_body, &n, err);
    if (rc) {
        sodium_memzero(token, sizeof token);
        return rc;
    }
    set_cookie(r, w, token, 60 * 60 * 12);
    snprintf(r->csrf, sizeof r->csrf, "%s", csrf);
    snprintf(r->session_hash, sizeof r->session_hash, "%s", hash);
    r->logged_in = 1;
    r->user_id = user_id;
    sodium_memzero(token, sizeof token);
    return 0;
}

void fr_session_destroy(fr_req *r, fr_resp *w)
{
    fr_error err = {0};
    if (r->session_hash[0]) {
        fr_store_execf(r->site->store, &err, "DELETE FROM web_sessions WHERE id_hash = ?", "t",
                       r->session_hash);
        fr_audit_alone(r->site->store, r->login, "logout", "user", r->login, "{\"via\":\"web\"}",
                       &err);
    }
    set_cookie(r, w, "", 0);
    r->logged_in = 0;
}

int fr_session_stale(fr_req *r)
{
    return !r->logged_in && !r->session_failed && valid_token(fr_req_cookie(r, COOKIE));
}

int fr_session_csrf_ok(fr_req *r)
{
    if (r->bearer)
        return 1; /* no cookie: a forged cross-site request cannot carry it */
    const char *t = fr_req_header(r, "X-CSRF-Token");
    if (!t)
        t = fr_req_field(r, "_csrf");
    if (!t || !r->csrf[0] || strlen(t) != strlen(r->csrf))
        return 0;
    return sodium_memcmp(t, r->csrf, strlen(t)) == 0;
}

int fr_session_throttled(fr_req *r, const char *login)
{
    char now[FR_TIME_LEN], since[FR_TIME_LEN];
    fr_clock_now(now);
    fr_time_add_seconds(now, -FAILURE_WINDOW_SECONDS, since);
    int64_t by_login = 0, by_remote = 0;
    fr_error err = {0};
    fr_store_query_int(r->site->store, &err, &by_login,
                       "SELECT count(*) FROM web_login_failures WHERE login = ? AND at > ?", "tt",
                       login ? login : "", since);
    fr_store_query_int(r->site->store, &err, &by_remote,
                       "SELECT count(*) FROM web_login_failures WHERE remote = ? AND at > ?", "tt",
                       r->remote, since);
    return by_login >= MAX_FAILURES || by_remote >= 4 * MAX_FAILURES;
}

typedef struct failure {
    const char *login, *remote, *now, *detail;
} failure;

static int failure_body(fr_store *st, const void *arg, fr_error *err)
{
    const failure *f = arg;
    int rc = fr_store_execf(st, err,
                            "INSERT INTO web_login_failures (login, remote, at) VALUES (?, ?, ?)",
                            "ttt", f->login, f->remote, f->now);
    /* The trail keeps a login only when it is a user's: what was typed in
     * the login field may be a password (typed one field too early), and
     * the trail is never cleaned. The throttle's table, emptied after a
     * day, keeps the text. */
    int64_t known = 0;
    if (!rc)
        rc = fr_store_query_int(st, err, &known, "SELECT count(*) FROM users WHERE login = ?", "t",
                                f->login);
    if (!rc)
        rc = fr_audit_append(st, "system", "login-failed", "user", known ? f->login : "(unknown)",
                             f->detail, err);
    return rc;
}

void fr_session_login_failed(fr_req *r, const char *login)
{
    char now[FR_TIME_LEN];
    fr_clock_now(now);
    fr_error err = {0};
    char detail[200];
    json_t *d = json_pack("{s:s,s:s}", "via", "web", "remote", r->remote);
    char *text = json_dumps(d, JSON_COMPACT);
    snprintf(detail, sizeof detail, "%s", text ? text : "{}");
    free(text);
    json_decref(d);
    failure f = {login ? login : "", r->remote, now, detail};
    /* a refusal: kept on a full disk too, and it counts for the throttle */
    fr_audit_transaction(r->site->store, failure_body, &f, &err);
}

int fr_session_cleanup(fr_site *site, int idle_minutes, fr_error *err)
{
    char now[FR_TIME_LEN], oldest[FR_TIME_LEN], day_ago[FR_TIME_LEN];
    fr_clock_now(now);
    fr_time_add_seconds(now, -60L * idle_minutes, oldest);
    fr_time_add_seconds(now, -86400L, day_ago);
    int rc = fr_store_begin(site->store, err);
    if (rc)
        return rc;
    rc = fr_store_execf(site->store, err, "DELETE FROM web_sessions WHERE last_seen < ?", "t",
                        oldest);
    if (!rc)
        rc = fr_store_execf(site->store, err, "DELETE FROM web_login_failures WHERE at < ?", "t",
                            day_ago);
    if (!rc)
        rc = fr_store_commit(site->store, err);
    else
        fr_store_rollback(site->store);
    return rc;
}

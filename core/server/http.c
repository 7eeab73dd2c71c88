/* The HTTP server on GNU libmicrohttpd: a thread pool, request size limits,
 * one fr_site per worker (a pool guarded by a mutex), sessions and CSRF
 * checked before any handler runs, security headers on every response, a
 * background thread for outbox delivery and the daily tick, and signals
 * (SIGTERM/SIGINT: graceful stop; SIGHUP: reload hooks). What a page or an
 * API call does is in ui_*.c and api_*.c; this file only carries them. */
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <sodium.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "bus.h"
#include "clock.h"
#include "running.h"
#include "task.h"

#define MAX_POOL 32
/* libmicrohttpd's memory per connection: the request line and headers
 * (at most about half of it), the answer's headers. Request bodies do not
 * use it (on_request copies them out). Cleared at every request, so kept
 * small: 32 kB takes request headers of 12 kB (tests/web/test_security.py; a
 * larger header block is refused with 431, as nginx refuses a header line
 * over 8 kB by default). */
#define CONNECTION_MEMORY (32 * 1024)
#define INTAKE_SLOTS 256
#define INTAKES_PER_WINDOW 5
#define INTAKE_WINDOW_SECONDS 600

struct fr_server {
    fr_server_options opt;
    struct MHD_Daemon *daemon;
    pthread_mutex_t lock;
    pthread_cond_t freed;
    fr_site *pool[MAX_POOL];
    int busy[MAX_POOL];
    int npool;

    pthread_mutex_t log_lock;
    fr_site *log_site; /* pool[0], only for the log file's path */

    /* For a graceful stop: requests received and not yet answered, and
     * connections accepted whose first request has not begun (a client
     * that connected just before the stop and is sending). */
    atomic_int inflight;
    atomic_int fresh;
    atomic_int draining; /* stopping: answers say Connection: close */
    /* A database outage was logged (fr_server_outage_quiet); cleared, and
     * its end logged, by the first request that finds it reachable. */
    atomic_int outage_logged;

    /* background thread */
    pthread_t bg;
    int bg_started;
    int stopping;
    int reload; /* reopen every site between requests (plugins, hooks) */
    char reload_refused[FR_ERROR_MAX]; /* the last reload's refusal (lock), or "" */
    pthread_mutex_t bg_lock;
    pthread_cond_t bg_wake;
    fr_site *bg_site;
    int running_fd; /* run/serve-PID.pid, held (running.h); -1: none */

    /* group commit: every write request and every read's audit entries
     * (commit.c) */
    fr_committer *committer;
    /* other processes' outbox announcements (listen.c; NULL on SQLite) */
    fr_listener *listener;

    /* TLS (MHD with GnuTLS) when site.xml names a certificate and key */
    char *tls_cert, *tls_key;

    /* reverse proxies whose X-Forwarded-* headers are believed (proxy.c) */
    fr_proxies *proxies;

    /* intake rate limiting: a small table of addresses */
    struct {
        char remote[64];
        time_t window_start;
        int count;
    } intakes[INTAKE_SLOTS];
};

/* Per connection: the request body as it arrives, then, while the request
 * waits for the committer (the connection suspended), the request, its
 * response and its job. */
typedef struct conn_state {
    fr_buf body;
    int too_large;
    struct MHD_Connection *conn;
    fr_req *r;
    fr_resp w;
    int api;
    char remote[64]; /* the peer */
    char client[64]; /* the client, as a trusted proxy names it (else the peer) */
    fr_job job;
    fr_audit_batch audits;
    atomic_int state; /* 0 none, 1 waiting for the committer, 2 committed */
} conn_state;

/* ---- requests ---- */

const char *fr_req_query(fr_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

int fr_url_encode(const char *text, int keep_slash, char *out, size_t n, size_t *len)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *c = (const unsigned char *)text; *c; c++) {
        int plain = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                    (*c >= '0' && *c <= '9') || *c == '-' || *c == '.' || *c == '_' || *c == '~' ||
                    (keep_slash && *c == '/');
        if (*len + (plain ? 1 : 3) >= n)
            return -1;
        if (plain) {
            out[(*len)++] = (char)*c;
        } else {
            out[(*len)++] = '%';
            out[(*len)++] = hex[*c >> 4];
            out[(*len)++] = hex[*c & 15];
        }
    }
    out[*len] = '\0';
    return 0;
}

typedef struct {
    char url[400];
    size_t len;
    int first;
    int failed;
} query_text;

/* Appends one character; 0, or -1 when it does not fit. */
static int put_char(query_text *q, char ch)
{
    if (q->len + 1 >= sizeof q->url)
        return -1;
    q->url[q->len++] = ch;
    q->url[q->len] = '\0';
    return 0;
}

static enum MHD_Result add_query_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value)
{
    (void)kind;
    query_text *q = cls;
    if (put_char(q, q->first ? '?' : '&') ||
        fr_url_encode(key, 0, q->url, sizeof q->url, &q->len) ||
        (value && (put_char(q, '=') || fr_url_encode(value, 0, q->url, sizeof q->url, &q->len)))) {
        q->failed = 1;
        return MHD_NO;
    }
    q->first = 0;
    return MHD_YES;
}

/* The page asked for, path and query (re-encoded), itself percent-encoded
 * as the value of the login page's `next`, which brings the user back to
 * it (a draft's ?draft=N included); the path alone when the whole is too
 * long. */
static void next_url(fr_req *r, char *out, size_t n)
{
    query_text q = {.len = 0, .first = 1};
    q.url[0] = '\0';
    size_t len = 0;
    out[0] = '\0';
    if (fr_url_encode(r->path, 1, q.url, sizeof q.url, &q.len) == 0) {
        MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, add_query_arg, &q);
        if (!q.failed && fr_url_encode(q.url, 1, out, n, &len) == 0)
            return;
    }
    len = 0;
    if (fr_url_encode(r->path, 1, out, n, &len))
        snprintf(out, n, "/");
}

typedef struct {
    const char *const *names;
    const char *unknown;
} query_scan;

static enum MHD_Result find_unknown(void *cls, enum MHD_ValueKind kind, const char *key,
                                    const char *value)
{
    (void)kind;
    (void)value;
    query_scan *q = cls;
    for (const char *const *n = q->names; *n; n++)
        if (strcmp(*n, key) == 0)
            return MHD_YES;
    q->unknown = key;
    return MHD_NO;
}

const char *fr_req_query_unknown(fr_req *r, const char *const *names)
{
    query_scan q = {names, NULL};
    MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, find_unknown, &q);
    return q.unknown;
}

const char *fr_req_header(fr_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *fr_req_cookie(fr_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, name);
}

const char *fr_req_field(fr_req *r, const char *name)
{
    for (int i = 0; i < r->nfields; i++)
        if (strcmp(r->fields[i].name, name) == 0)
            return r->fields[i].value;
    return NULL;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static char *url_decode(const char *s, size_t n)
{
    char *out = malloc(n + 1), *o = out;
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '+') {
            *o++ = ' ';
        } else if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            *o++ = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            i += 2;
        } else {
            *o++ = s[i];
        }
    }
    *o = '\0';
    return out;
}

static void parse_form(fr_req *r)
{
    const char *p = r->body, *end = r->body + r->body_len;
    while (p && p < end && r->nfields < FR_MAX_FIELDS) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *stop = amp ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(stop - p));
        if (eq && eq > p) {
            char *name = url_decode(p, (size_t)(eq - p));
            char *value = url_decode(eq + 1, (size_t)(stop - eq - 1));
            if (name && value) {
                r->fields[r->nfields].name = name;
                r->fields[r->nfields].value = value;
                r->nfields++;
            } else {
                free(name);
                free(value);
            }
        }
        p = amp ? amp + 1 : NULL;
    }
}

/* ---- responses ---- */

void fr_resp_redirect(fr_resp *w, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->location, sizeof w->location, fmt, ap);
    va_end(ap);
    w->status = 303;
}

void fr_resp_cookie(fr_resp *w, const char *fmt, ...)
{
    if (w->ncookies >= 3)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->cookies[w->ncookies++], sizeof w->cookies[0], fmt, ap);
    va_end(ap);
}

void fr_resp_header(fr_resp *w, const char *name, const char *value)
{
    if (w->nextra >= 2)
        return;
    snprintf(w->extra_header[w->nextra++], sizeof w->extra_header[0], "%s\n%s", name, value);
}

void fr_resp_json(fr_resp *w, int status, json_t *value)
{
    w->status = status;
    w->content_type = "application/json; charset=utf-8";
    w->body.len = 0;
    char *text = value ? json_dumps(value, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    if (value && !text)
        w->body.failed = 1;
    fr_buf_puts(&w->body, text ? text : "null");
    fr_buf_puts(&w->body, "\n");
    free(text);
    json_decref(value);
}

int fr_http_status(int code)
{
    switch (code) {
    case FR_EINVAL:
        return 400;
    case FR_EACCESS:
        return 403;
    case FR_ENOTFOUND:
        return 404;
    case FR_EREFUSED:
    case FR_EVETO:
    case FR_ECONFLICT:
    case FR_EVERSION:
        return 409;
    case FR_EBUSY:
        return 503;
    default:
        return 500;
    }
}

void fr_resp_api_fail(fr_resp *w, int status, const char *code, const char *message)
{
    fr_resp_json(w, status, json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", message));
}

/* The answer to a change refused on a full disk (store.h, "A full disk"). */
static const char disk_full[] = "the server's disk is full: changes are refused until an "
                                "administrator frees space; nothing of this request was stored. "
                                "Reading records still works";

/* The answer when the database cannot be read or reached (PostgreSQL
 * restarting, a network cut): the store connects again by itself. */
static const char database_unavailable[] =
    "the database cannot be reached just now; nothing of this request was done. Try again in a "
    "moment: the server connects again by itself (the administrator finds the cause in the "
    "site's log)";

void fr_resp_unavailable(fr_req *r, fr_resp *w, int api)
{
    fr_buf_free(&w->body);
    memset(w, 0, sizeof *w);
    if (api)
        fr_resp_api_fail(w, 503, "database-unavailable", database_unavailable);
    else
        fr_page_message(r, w, 503, fr_t(r->lang, "error.database.title"),
                        fr_t(r->lang, "error.database.text"));
}

void fr_resp_api_error(fr_req *r, fr_resp *w, const fr_error *err)
{
    int status = fr_http_status(err->code);
    if (err->code == FR_EIO && r->site && fr_store_short_of_space(r->site->store)) {
        /* no log line: the log may be on the full disk */
        fr_resp_api_fail(w, 503, "disk-full", disk_full);
        return;
    }
    if (status >= 500) {
        /* Storage paths, SQL and bugs stay in the site log. */
        if (!fr_server_outage_quiet(r))
            fr_server_log(r->server, "%s %s: %s (%s)", r->method, r->path, err->message,
                          fr_error_code_name(err->code));
        if (err->code == FR_EIO && r->site && fr_store_unreachable(r->site->store)) {
            fr_resp_unavailable(r, w, 1);
            return;
        }
        fr_resp_api_fail(w, status, fr_error_code_name(err->code ? err->code : FR_EINTERNAL),
                         status == 503 ? "the server is busy; try again in a moment"
                                       : "internal error; it was logged for the administrator");
        return;
    }
    fr_resp_api_fail(w, status, fr_error_code_name(err->code), err->message);
}

/* A calendar feed's URL carries its secret token (ui_schedule.c): a line
 * naming the request's path shows "/calendar/…" instead. */
static void hide_calendar_tokens(char *msg)
{
    for (char *p = msg; (p = strstr(p, "/calendar/")) != NULL;) {
        p += strlen("/calendar/");
        char *end = p;
        while (*end && *end != '.' && *end != ' ' && *end != ':' && *end != '/')
            end++;
        static const char dots[] = "…"; /* never longer than what it hides */
        if ((size_t)(end - p) >= sizeof dots - 1) {
            memmove(p + sizeof dots - 1, end, strlen(end) + 1);
            memcpy(p, dots, sizeof dots - 1);
        }
    }
}

void fr_server_log(fr_server *s, const char *fmt, ...)
{
    char msg[1200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    hide_calendar_tokens(msg);
    if (!s) { /* a handler called without a server (tests/fuzz/fuzz_api.c) */
        fr_site_log(NULL, "web", "%s", msg);
        return;
    }
    pthread_mutex_lock(&s->log_lock);
    fr_site_log(s->log_site, "web", "%s", msg);
    pthread_mutex_unlock(&s->log_lock);
}

int fr_server_tls(const fr_server *s)
{
    return s->tls_cert != NULL;
}

int fr_server_outage_quiet(fr_req *r)
{
    if (!r->server || !r->site || !fr_store_unreachable(r->site->store))
        return 0;
    if (atomic_exchange(&r->server->outage_logged, 1) == 0) {
        fr_server_log(r->server, "the database cannot be reached: requests are answered 503 "
                                 "database-unavailable, and not logged one by one until it "
                                 "answers again (the first one's error follows)");
        return 0;
    }
    return 1;
}

long fr_server_commit_backlog(fr_server *s, long *waiting, long *running)
{
    *waiting = *running = 0;
    return s->committer ? fr_committer_backlog(s->committer, waiting, running) : 0;
}

const fr_proxies *fr_server_proxies(const fr_server *s)
{
    return s->proxies;
}

int fr_server_idle_minutes(const fr_server *s)
{
    return s->opt.idle_minutes;
}

int fr_server_intake_allowed(fr_server *s, const char *remote)
{
    time_t now = time(NULL);
    unsigned h = 5381;
    for (const char *p = remote; *p; p++)
        h = h * 33 + (unsigned char)*p;
    int slot = (int)(h % INTAKE_SLOTS), ok;
    pthread_mutex_lock(&s->lock);
    if (strcmp(s->intakes[slot].remote, remote) != 0 ||
        now - s->intakes[slot].window_start > INTAKE_WINDOW_SECONDS) {
        snprintf(s->intakes[slot].remote, sizeof s->intakes[slot].remote, "%s", remote);
        s->intakes[slot].window_start = now;
        s->intakes[slot].count = 0;
    }
    ok = ++s->intakes[slot].count <= INTAKES_PER_WINDOW;
    pthread_mutex_unlock(&s->lock);
    return ok;
}

/* ---- the site pool ---- */

fr_site *fr_server_site_acquire(fr_server *s)
{
    pthread_mutex_lock(&s->lock);
    for (;;) {
        for (int i = 0; i < s->npool; i++)
            if (!s->busy[i]) {
                s->busy[i] = 1;
                pthread_mutex_unlock(&s->lock);
                return s->pool[i];
            }
        pthread_cond_wait(&s->freed, &s->lock);
    }
}

void fr_server_site_release(fr_server *s, fr_site *site)
{
    pthread_mutex_lock(&s->lock);
    for (int i = 0; i < s->npool; i++)
        if (s->pool[i] == site)
            s->busy[i] = 0;
    pthread_cond_signal(&s->freed);
    pthread_mutex_unlock(&s->lock);
}

void fr_server_deliver(fr_req *r)
{
    /* no server when a handler is called directly (the fuzz targets) */
    if (r->server)
        fr_committer_deliver(r->server->committer);
}

/* ---- dispatch ---- */

static const char *const security_headers[][2] = {
    {"Content-Security-Policy",
     "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
     "object-src 'none'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"},
    {"X-Frame-Options", "DENY"},
    {"X-Content-Type-Options", "nosniff"},
    {"Referrer-Policy", "no-referrer"},
    {"Cross-Origin-Opener-Policy", "same-origin"},
};

static void not_found(fr_req *r, fr_resp *w, int api)
{
    if (api) {
        fr_resp_api_fail(w, 404, "not-found",
                         "no such API path (an {id} in a path is a record's number); see "
                         "docs/api.md");
        return;
    }
    fr_page_message(r, w, 404, fr_t(r->lang, "error.notfound.title"),
                    fr_t(r->lang, "error.notfound.text"));
}

static int is_api(const char *path)
{
    return strncmp(path, "/api/", 5) == 0;
}

/* ---- sessions in memory ----
 * A logged-in session as loaded from the database with its actor, kept in
 * the cache (cache.c) while nothing was committed to the database since
 * (a logout, a deactivated user, anything: the entry is not used again)
 * and for at most SESSION_TTL seconds, after which the database is read
 * again (and last_seen written when due, so idle expiry still works). */
#define SESSION_COOKIE "fr_session"
#define SESSION_TTL 20

typedef struct cached_session {
    int64_t user_id, actor_id;
    char csrf[65], login[128], display_name[160], role[16], lang[4];
    char actor[128], actor_role[16];
    char session_hash[65]; /* the stored session's SHA-256 of the token */
} cached_session;

_Static_assert(sizeof((fr_site *)0)->actor == sizeof((cached_session *)0)->actor &&
                   sizeof((fr_site *)0)->actor_role == sizeof((cached_session *)0)->actor_role,
               "a cached session's actor fits the site's");

static unsigned char session_mac_key[crypto_generichash_KEYBYTES];
static pthread_once_t session_mac_once = PTHREAD_ONCE_INIT;

static void session_mac_init(void)
{
    randombytes_buf(session_mac_key, sizeof session_mac_key);
}

/* The cache's key for a session: a BLAKE2b MAC of the cookie's token under
 * a key drawn at start (cheaper than the SHA-256 the database keeps, and
 * only meaningful to this process). */
static int session_key(fr_req *r, char key[72])
{
    /* a personal API token is checked each time (session.c), never cached */
    if (fr_req_header(r, "Authorization") && strncmp(r->path, "/api/", 5) == 0)
        return 0;
    const char *token = fr_req_cookie(r, SESSION_COOKIE);
    if (!token || strlen(token) != 64)
        return 0;
    unsigned char mac[32];
    pthread_once(&session_mac_once, session_mac_init);
    crypto_generichash(mac, sizeof mac, (const unsigned char *)token, 64, session_mac_key,
                       sizeof session_mac_key);
    key[0] = 's';
    key[1] = ':';
    sodium_bin2hex(key + 2, 70, mac, sizeof mac);
    return 1;
}

static int session_cached(fr_req *r)
{
    char key[72];
    cached_session c;
    if (!session_key(r, key) ||
        !fr_cache_get(r->site, fr_cache_req_generation(r), key, &c, sizeof c))
        return 0;
    r->logged_in = 1;
    r->user_id = c.user_id;
    memcpy(r->csrf, c.csrf, sizeof r->csrf);
    memcpy(r->login, c.login, sizeof r->login);
    memcpy(r->display_name, c.display_name, sizeof r->display_name);
    memcpy(r->role, c.role, sizeof r->role);
    memcpy(r->lang, c.lang, sizeof r->lang);
    memcpy(r->session_hash, c.session_hash, sizeof r->session_hash);
    memcpy(r->site->actor, c.actor, sizeof r->site->actor);
    memcpy(r->site->actor_role, c.actor_role, sizeof r->site->actor_role);
    r->site->actor_id = c.actor_id;
    explicit_bzero(&c, sizeof c);
    return 1;
}

static void session_cache(fr_req *r)
{
    char key[72];
    if (!r->logged_in || !session_key(r, key))
        return;
    cached_session c;
    memset(&c, 0, sizeof c);
    c.user_id = r->user_id;
    memcpy(c.csrf, r->csrf, sizeof c.csrf);
    memcpy(c.login, r->login, sizeof c.login);
    memcpy(c.display_name, r->display_name, sizeof c.display_name);
    memcpy(c.role, r->role, sizeof c.role);
    memcpy(c.lang, r->lang, sizeof c.lang);
    snprintf(c.actor, sizeof c.actor, "%s", r->site->actor);
    snprintf(c.actor_role, sizeof c.actor_role, "%s", r->site->actor_role);
    c.actor_id = r->site->actor_id;
    memcpy(c.session_hash, r->session_hash, sizeof c.session_hash);
    fr_cache_put(r->site, fr_cache_req_generation(r), key, &c, sizeof c, SESSION_TTL);
}

/* The committer has made the job's batch durable (or failed): the worker
 * thread answers (on_request is called again for the resumed connection). */
static void job_woken(fr_job *job)
{
    conn_state *cs = job->wake_arg;
    atomic_store(&cs->state, 2);
    MHD_resume_connection(cs->conn);
}

static void job_done_here(fr_job *job)
{
    (void)job; /* run by this very thread: nothing to wake */
}

/* Runs the request's job here when the committer is free, or hands it to
 * the committer and suspends its connection: 1 when suspended. */
static int submit_job(fr_req *r, conn_state *cs, fr_handler handler)
{
    fr_job *job = &cs->job; /* actor fields set by dispatch for a write */
    job->handler = handler;
    job->r = r;
    job->w = &cs->w;
    job->audits = &cs->audits;
    job->wake = job_done_here;
    job->wake_arg = cs;
    if (fr_committer_run_alone(r->server->committer, job))
        return 0;
    job->wake = job_woken;
    atomic_store(&cs->state, 1);
    MHD_suspend_connection(cs->conn);
    fr_committer_submit(r->server->committer, job);
    return 1;
}

/* Answers the request, or hands it to the committer: returns 1 when the
 * connection is suspended waiting for it. Writes (state-changing routes
 * without FR_ROUTE_ALONE) run in the committer's group commit; other
 * handlers run here with the read-audit entries collected, and the answer
 * waits until the committer has made those entries durable (the worker
 * runs the job itself when the committer is free: fr_committer_run_alone). */
static int dispatch(fr_req *r, conn_state *cs)
{
    fr_resp *w = &cs->w;
    int submitted = 0;
    const fr_route *route = NULL;
    int api = is_api(r->path);
    snprintf(r->lang, sizeof r->lang, "fr");
    int m = fr_router_match(r, &route);
    if (m <= 0) {
        fr_i18n_negotiate(r);
        if (m < 0) {
            char page[128];
            if (!api && (strcmp(r->method, "GET") == 0 || strcmp(r->method, "HEAD") == 0))
                fr_page_form_path(r, page, sizeof page);
            if (api)
                fr_resp_api_fail(w, 405, "method", "this method is not allowed on this path");
            else if ((strcmp(r->method, "GET") == 0 || strcmp(r->method, "HEAD") == 0) &&
                     strcmp(page, r->path) != 0)
                /* a form's address opened again (the address bar after a
                 * refused form, a bookmark): the page the form is on */
                fr_resp_redirect(w, "%s", page);
            else
                fr_page_message(r, w, 405, "405", fr_t(r->lang, "error.method"));
            return 0;
        }
        not_found(r, w, api);
        return 0;
    }
    cs->api = api || (route->flags & FR_ROUTE_API);
    if (route->flags & FR_ROUTE_NOSITE) {
        route->handler(r, w);
        return 0;
    }
    r->site = fr_server_site_acquire(r->server);
    fr_cache_req_refresh(r); /* the one data-version check of a cached answer */
    fr_error err = {0};
    if (!session_cached(r)) {
        if (fr_session_load(r))
            fr_cache_req_refresh(r); /* it wrote (expiry, last seen) */
        if (!r->logged_in)
            fr_i18n_negotiate(r);
        /* Every request acts as its user; public pages act as the system
         * but only do what their handler allows (login, intake, calendar). */
        if (r->logged_in && r->user_id > 0 && r->login[0] && r->role[0]) {
            /* read with the session or token, active */
            fr_site_set_actor_read(r->site, r->user_id, r->login, r->role, r->lang);
        } else if (fr_site_set_actor(r->site, r->logged_in ? r->login : NULL, &err) != 0) {
            r->logged_in = 0;
            fr_site_set_actor(r->site, NULL, &err);
        }
        session_cache(r);
    }
    /* Rules and hooks write their messages in the request's language. */
    snprintf(r->site->actor_lang, sizeof r->site->actor_lang, "%s", r->lang);
    r->site->break_glass_reason = NULL;
    int state_changing = strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0;
    if (r->session_failed) {
        /* not "log in first": the session may well be valid */
        fr_resp_unavailable(r, w, api || (route->flags & FR_ROUTE_API));
    } else if (!(route->flags & FR_ROUTE_PUBLIC) && !r->logged_in) {
        if (api || (route->flags & FR_ROUTE_API))
            fr_resp_api_fail(w, 401, "unauthenticated",
                             "log in first (POST /api/v1/session {login, password}) or send "
                             "a valid, unrevoked API token (Authorization: Bearer frt_…)");
        else if (state_changing && fr_session_stale(r)) {
            /* the session expired while a form was being filled: say so
             * on the login page, then back to the form's page */
            char back[96];
            fr_page_form_path(r, back, sizeof back);
            fr_resp_redirect(w, "/login?next=%s&expired=post", back);
        } else if (state_changing)
            fr_resp_redirect(w, "/login");
        else {
            char next[512];
            next_url(r, next, sizeof next);
            fr_resp_redirect(w, "/login?next=%s%s", next, fr_session_stale(r) ? "&expired=1" : "");
        }
    } else if (!(route->flags & FR_ROUTE_PUBLIC) && state_changing && !fr_session_csrf_ok(r)) {
        if (api)
            fr_resp_api_fail(w, 403, "csrf",
                             "missing or wrong CSRF token: send the X-CSRF-Token header given "
                             "at login (GET /api/v1/me)");
        else
            fr_page_message(r, w, 403, fr_t(r->lang, "error.csrf.title"),
                            fr_t(r->lang, "error.csrf.text"));
    } else if (state_changing && !(route->flags & FR_ROUTE_ALONE)) {
        /* Acting as the user checked above, on the committer's site. */
        snprintf(cs->job.actor, sizeof cs->job.actor, "%s", r->site->actor);
        snprintf(cs->job.actor_role, sizeof cs->job.actor_role, "%s", r->site->actor_role);
        cs->job.actor_id = r->site->actor_id;
        cs->job.access = (route->flags & FR_ROUTE_ACCESS) != 0;
        fr_handler prepare = fr_router_prepare(route);
        if (prepare) {
            /* read audits of the preparation go with the write's batch */
            fr_audit_collect(&cs->audits);
            prepare(r, w);
            fr_audit_collect(NULL);
        }
        submitted = 1;
    } else {
        fr_audit_collect(&cs->audits);
        route->handler(r, w);
        fr_audit_collect(NULL);
    }
    /* Every request with a site asked the database (its generation): when
     * it answered, an outage logged is over. */
    if (atomic_load(&r->server->outage_logged) && !fr_store_unreachable(r->site->store) &&
        atomic_exchange(&r->server->outage_logged, 0))
        fr_server_log(r->server, "the database answers again");
    /* Whatever the handler did, the site goes back clean. */
    if (fr_store_depth(r->site->store) > 0) {
        fr_server_log(r->server, "%s %s left a transaction open; rolled back", r->method, r->path);
        while (fr_store_depth(r->site->store) > 0)
            fr_store_rollback(r->site->store);
    }
    r->site->break_glass_reason = NULL;
    fr_site_set_actor(r->site, NULL, &err);
    fr_server_site_release(r->server, r->site);
    r->site = NULL;
    r->generation_site = NULL;
    if (submitted)
        return submit_job(r, cs, route->handler);
    if (cs->audits.n) {
        cs->job.access = 0;
        return submit_job(r, cs, NULL);
    }
    return 0;
}

static enum MHD_Result send_response(struct MHD_Connection *conn, fr_resp *w, int closing)
{
    if (w->body.failed) {
        w->status = 500;
        w->content_type = "text/plain; charset=utf-8";
        fr_buf_free(&w->body);
        fr_buf_puts(&w->body, "internal error\n");
    }
    struct MHD_Response *resp;
    if (w->body.release) /* a shared cached answer: released once sent */
        resp = MHD_create_response_from_buffer_with_free_callback_cls(
            w->body.len, w->body.data, w->body.release, w->body.owner);
    else
        resp = MHD_create_response_from_buffer_with_free_callback(
            w->body.len, w->body.data ? w->body.data : (char *)"", w->body.data ? free : NULL);
    if (!resp) {
        fr_buf_free(&w->body);
        return MHD_NO;
    }
    /* now owned by the response */
    w->body.data = NULL;
    w->body.release = NULL;
    w->body.owner = NULL;
    for (size_t i = 0; i < sizeof security_headers / sizeof *security_headers; i++)
        MHD_add_response_header(resp, security_headers[i][0], security_headers[i][1]);
    MHD_add_response_header(resp, "Content-Type",
                            w->content_type ? w->content_type : "text/html; charset=utf-8");
    MHD_add_response_header(resp, "Cache-Control",
                            w->cache_static ? "public, max-age=3600" : "no-store");
    if (w->location[0])
        MHD_add_response_header(resp, "Location", w->location);
    if (w->tls)
        MHD_add_response_header(resp, "Strict-Transport-Security", "max-age=31536000");
    for (int i = 0; i < w->ncookies; i++)
        MHD_add_response_header(resp, "Set-Cookie", w->cookies[i]);
    for (int i = 0; i < w->nextra; i++) {
        char *nl = strchr(w->extra_header[i], '\n');
        if (nl) {
            *nl = '\0';
            MHD_add_response_header(resp, w->extra_header[i], nl + 1);
        }
    }
    /* While the server stops: the client opens a new connection for its
     * next request (to this server once restarted, or another one). */
    if (closing)
        MHD_add_response_header(resp, "Connection", "close");
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)(w->status ? w->status : 200), resp);
    MHD_destroy_response(resp);
    return ret;
}

/* Frees what the request held (its fields, the request itself). */
static void free_request(conn_state *cs)
{
    fr_req *r = cs->r;
    if (r) {
        if (r->prep_free)
            r->prep_free(r->prep);
        for (int i = 0; i < r->nfields; i++) {
            free(r->fields[i].name);
            free(r->fields[i].value);
        }
        explicit_bzero(r, sizeof *r);
        free(r);
        cs->r = NULL;
    }
    fr_buf_free(&cs->w.body);
    fr_audit_batch_free(&cs->audits);
}

/* Sends the answer: after the committer when the request went through it
 * (its failure replaces the answer). */
static enum MHD_Result finish(fr_server *s, conn_state *cs)
{
    fr_req *r = cs->r;
    fr_resp *w = &cs->w;
    if (cs->job.failed && cs->job.full) {
        fr_buf_free(&w->body);
        memset(w, 0, sizeof *w);
        if (cs->api)
            fr_resp_api_fail(w, 503, "disk-full", disk_full);
        else
            fr_page_message(r, w, 503, fr_t(r->lang, "error.full.title"),
                            fr_t(r->lang, "error.full.text"));
    } else if (cs->job.failed) {
        fr_buf_free(&w->body);
        memset(w, 0, sizeof *w);
        if (cs->api)
            fr_resp_api_fail(w, 503, "storage",
                             "the server could not make this request durable (its change or the "
                             "audit entry of its read); nothing of it was stored; try again in a "
                             "moment");
        else
            fr_page_message(r, w, 503, fr_t(r->lang, "error.storage.title"),
                            fr_t(r->lang, "error.storage.text"));
    } else if (r && r->answer) {
        /* Durable now: the answer is read back here, off the committer. */
        r->site = fr_server_site_acquire(s);
        r->answer(r, w);
        fr_server_site_release(s, r->site);
        r->site = NULL;
    }
    w->tls = fr_server_tls(s);
    enum MHD_Result ret = send_response(cs->conn, w, atomic_load(&s->draining));
    free_request(cs);
    memset(w, 0, sizeof *w);
    atomic_store(&cs->state, 0);
    return ret;
}

/* Connections counted from their acceptance until their first request
 * begins (or they close without one), so that a graceful stop waits for a
 * client that connected just before it. Each connection's flag lives from
 * MHD_CONNECTION_NOTIFY_STARTED to _CLOSED; both, and the requests, run on
 * the connection's one thread. */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    fr_server *s = cls;
    (void)conn;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        int *asked = calloc(1, sizeof *asked);
        if (asked) /* else counted as having asked: a stop does not wait for it */
            atomic_fetch_add(&s->fresh, 1);
        *socket_context = asked;
    } else {
        int *asked = *socket_context;
        if (asked && !*asked)
            atomic_fetch_sub(&s->fresh, 1);
        free(asked);
        *socket_context = NULL;
    }
}

static void first_request(fr_server *s, struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    int *asked = ci ? ci->socket_context : NULL;
    if (asked && !*asked) {
        *asked = 1;
        atomic_fetch_sub(&s->fresh, 1);
    }
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    (void)version;
    fr_server *s = cls;
    conn_state *cs = *con_cls;
    if (!cs) {
        cs = calloc(1, sizeof *cs);
        if (!cs)
            return MHD_NO;
        *con_cls = cs;
        cs->conn = conn;
        atomic_fetch_add(&s->inflight, 1);
        first_request(s, conn);
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
        if (cl && strtoull(cl, NULL, 10) > s->opt.max_body)
            cs->too_large = 1;
        return MHD_YES;
    }
    if (atomic_load(&cs->state) == 2)
        return finish(s, cs); /* resumed: the committer is done */
    if (atomic_load(&cs->state) == 1)
        return MHD_YES; /* not expected: still waiting */
    if (*upload_data_size) {
        /* Keep reading (so the connection stays usable) but stop storing. */
        if (!cs->too_large && cs->body.len + *upload_data_size > s->opt.max_body) {
            cs->too_large = 1;
            fr_buf_free(&cs->body);
        }
        if (!cs->too_large)
            fr_buf_add(&cs->body, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    fr_req *r = cs->r = calloc(1, sizeof *r);
    fr_resp *w = &cs->w;
    if (!r)
        return MHD_NO;
    memset(w, 0, sizeof *w);
    r->server = s;
    r->conn = conn;
    r->method = method;
    r->path = url;
    r->body = cs->body.data ? cs->body.data : "";
    r->body_len = cs->body.len;
    snprintf(cs->remote, sizeof cs->remote, "?");
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)ci->client_addr)->sin_addr, cs->remote,
                  sizeof cs->remote);
    else if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ci->client_addr)->sin6_addr,
                  cs->remote, sizeof cs->remote);
    /* behind a trusted reverse proxy: the client it names (proxy.c) */
    r->peer = cs->remote;
    fr_proxy_client(s, r, cs->remote, cs->client);
    r->remote = cs->client;
    w->status = 200;
    cs->job.failed = cs->job.full = 0;
    if (cs->too_large || cs->body.failed) {
        snprintf(r->lang, sizeof r->lang, "fr");
        if (is_api(url))
            fr_resp_api_fail(w, 413, "too-large", "the request body is too large");
        else
            fr_page_message(r, w, 413, "413", fr_t(r->lang, "error.toolarge"));
    } else {
        const char *ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
        if (ct && strncmp(ct, "application/x-www-form-urlencoded", 33) == 0)
            parse_form(r);
        if (dispatch(r, cs))
            return MHD_YES; /* suspended until the committer wakes it */
    }
    return finish(s, cs);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    fr_server *s = cls;
    (void)conn;
    (void)toe;
    conn_state *cs = *con_cls;
    if (cs) {
        atomic_fetch_sub(&s->inflight, 1);
        free_request(cs);
        fr_buf_free(&cs->body);
        free(cs);
        *con_cls = NULL;
    }
}

/* ---- reloading: plugins enabled or disabled, hooks changed ---- */

void fr_server_request_reload(fr_server *s)
{
    pthread_mutex_lock(&s->bg_lock);
    s->reload = 1;
    pthread_cond_signal(&s->bg_wake);
    pthread_mutex_unlock(&s->bg_lock);
}

void fr_server_reload_refused(fr_server *s, char *out, size_t size)
{
    pthread_mutex_lock(&s->lock);
    snprintf(out, size, "%s", s->reload_refused);
    pthread_mutex_unlock(&s->lock);
}

/* Reopens every site, between requests: takes all the pool's sites (waiting
 * for the requests using them to end), opens a fresh site for each and
 * closes the old one; a site that cannot be reopened is kept as it was.
 * fr_site_reopen loads the enabled plugins, the site's forms and its Python
 * hooks, so the whole server sees a plugin enabled or disabled by one
 * request, and hooks changed on disk after SIGHUP. A site that fails to
 * open, or would drop a plugin that runs (fr_site_reopen refuses it), is
 * logged once and the old one kept everywhere (the committer logs its
 * own); the refusal stays visible (health check, /admin) until a reload
 * succeeds. */
static void reload_sites(fr_server *s)
{
    fr_site *held[MAX_POOL];
    int n = s->npool, reopened = 0;
    fr_error first = {0};
    for (int i = 0; i < n; i++)
        held[i] = fr_server_site_acquire(s);
    for (int i = 0; i < n && !first.code; i++) {
        fr_site *fresh = NULL;
        if (fr_site_reopen(held[i], &fresh, &first))
            break;
        pthread_mutex_lock(&s->lock);
        for (int k = 0; k < s->npool; k++)
            if (s->pool[k] == held[i])
                s->pool[k] = fresh;
        pthread_mutex_unlock(&s->lock);
        pthread_mutex_lock(&s->log_lock);
        if (s->log_site == held[i])
            s->log_site = fresh;
        pthread_mutex_unlock(&s->log_lock);
        fr_site_close(held[i]);
        held[i] = fresh;
        reopened++;
    }
    fr_site *fresh = NULL;
    fr_error err = {0};
    if (!first.code && fr_site_reopen(s->bg_site, &fresh, &err) == 0) {
        fr_site_close(s->bg_site);
        s->bg_site = fresh;
    } else if (!first.code) {
        fr_server_log(s, "reload: %s (the background thread keeps the site as it was)",
                      err.message);
    }
    if (!first.code)
        fr_committer_reopen(s->committer);
    /* A new site may have an old one's address: no entry survives. */
    fr_cache_forget_site(NULL);
    for (int i = 0; i < n; i++)
        fr_server_site_release(s, held[i]);
    pthread_mutex_lock(&s->lock);
    snprintf(s->reload_refused, sizeof s->reload_refused, "%s", first.code ? first.message : "");
    pthread_mutex_unlock(&s->lock);
    if (first.code)
        fr_server_log(s,
                      "reload: REFUSED, the server keeps the site as it was (plugins, "
                      "workflows, forms and hooks) until this is fixed and it is reloaded "
                      "again:\n%s",
                      first.message);
    fr_server_log(s, "reload: %d of %d workers reopened the site", reopened, n);
}

/* ---- background: outbox delivery, the daily tick ---- */

static void *background(void *arg)
{
    fr_server *s = arg;
    char last_tick[FR_TIME_LEN] = "";
    pthread_mutex_lock(&s->bg_lock);
    while (!s->stopping) {
        int reload = s->reload;
        s->reload = 0;
        pthread_mutex_unlock(&s->bg_lock);
        if (reload)
            reload_sites(s);
        char today[FR_TIME_LEN];
        fr_clock_today(today);
        fr_error err = {0};
        if (strcmp(today, last_tick) != 0) {
            /* The tick is idempotent (task.due/overdue emitted once), so
             * running it at every start and each new day is safe. */
            fr_tick_stats ts = {0};
            if (fr_task_tick(s->bg_site, &ts, &err))
                fr_server_log(s, "tick: %s", err.message);
            else
                fr_server_log(s, "tick %s: %d due, %d overdue, %d timers, %d delivered", today,
                              ts.due, ts.overdue, ts.timers, ts.delivered);
            snprintf(last_tick, sizeof last_tick, "%s", today);
            if (fr_store_optimize(s->bg_site->store, &err))
                fr_server_log(s, "optimize: %s", err.message);
            if (fr_session_cleanup(s->bg_site, s->opt.idle_minutes, &err))
                fr_server_log(s, "session cleanup: %s", err.message);
        } else {
            fr_committer_deliver(s->committer);
        }
        pthread_mutex_lock(&s->bg_lock);
        if (s->stopping)
            break;
        if (s->reload)
            continue;
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += s->opt.background_seconds;
        pthread_cond_timedwait(&s->bg_wake, &s->bg_lock, &until);
    }
    pthread_mutex_unlock(&s->bg_lock);
    return NULL;
}

/* ---- start and stop ---- */

#define DRAIN_MS 20000 /* at most, for requests in progress */
#define FRESH_MS 2000  /* at most, for a connection's first request */

/* A graceful stop. No more connections: those waiting in the listen
 * queue are refused at once (shutdown on the listening socket resets
 * them, and new ones are refused), so a client or a proxy knows its
 * request was not taken and may send it again elsewhere. Requests in
 * progress finish and their answers go out (at most DRAIN_MS); a
 * connection accepted before the stop whose request has not begun yet is
 * given FRESH_MS to send it (at most: a browser may open one and send
 * nothing); answers from now on close their connection. Connections idle
 * between two requests are then closed by MHD_stop_daemon (HTTP allows it:
 * a client sends again a request whose connection closed before any
 * answer began). No transaction is cut: the committer's jobs are
 * requests in progress. */
static void drain(fr_server *s)
{
    atomic_store(&s->draining, 1);
    MHD_socket listening = MHD_quiesce_daemon(s->daemon);
    /* Not closed: MHD's threads may hold it until MHD_stop_daemon. */
    if (listening != MHD_INVALID_SOCKET)
        shutdown(listening, SHUT_RDWR);
    for (int ms = 0; ms < DRAIN_MS; ms += 10) {
        int fresh = atomic_load(&s->fresh);
        if (atomic_load(&s->inflight) == 0 && (fresh == 0 || ms >= FRESH_MS))
            break;
        struct timespec ten_ms = {0, 10 * 1000 * 1000};
        nanosleep(&ten_ms, NULL);
    }
}

/* ADDRESS:PORT: an IPv4 address, or an IPv6 one in brackets ([::1]:8080);
 * a bare IPv6 address (::1) takes port 8080; an empty address is every
 * IPv4 address. */
static int parse_listen(const char *listen, struct sockaddr_storage *ss, fr_error *err)
{
    char host[64];
    const char *port_text = "8080";
    memset(ss, 0, sizeof *ss);
    if (listen[0] == '[') {
        const char *close = strchr(listen, ']');
        if (!close || (size_t)(close - listen - 1) >= sizeof host || (close[1] && close[1] != ':'))
            return fr_error_set(err, FR_EINVAL,
                                "--listen: '%s' is not [IPV6-ADDRESS]:PORT (e.g. [::1]:8080)",
                                listen);
        memcpy(host, listen + 1, (size_t)(close - listen - 1));
        host[close - listen - 1] = '\0';
        if (close[1])
            port_text = close + 2;
    } else if (strchr(listen, ':') != strrchr(listen, ':')) {
        if (strlen(listen) >= sizeof host)
            return fr_error_set(err, FR_EINVAL, "--listen: '%s' is too long", listen);
        snprintf(host, sizeof host, "%s", listen); /* a bare IPv6 address */
    } else {
        const char *colon = strrchr(listen, ':');
        if (!colon || (size_t)(colon - listen) >= sizeof host)
            return fr_error_set(err, FR_EINVAL,
                                "--listen: '%s' is not ADDRESS:PORT (e.g. 127.0.0.1:8080 or "
                                "[::1]:8080)",
                                listen);
        memcpy(host, listen, (size_t)(colon - listen));
        host[colon - listen] = '\0';
        port_text = colon + 1;
    }
    char *end;
    long port = strtol(port_text, &end, 10);
    if (*end || end == port_text || port < 0 || port > 65535)
        return fr_error_set(err, FR_EINVAL, "--listen: '%s': the port must be 0 to 65535", listen);
    struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, host[0] ? host : "0.0.0.0", &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
    } else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
    } else {
        return fr_error_set(err, FR_EINVAL,
                            "--listen: '%s' is not an IPv4 ADDRESS:PORT (127.0.0.1:8080) or an "
                            "IPv6 [ADDRESS]:PORT ([::1]:8080)",
                            listen);
    }
    return 0;
}

/* Reads a whole PEM file named by a site setting (relative to the site). */
static int read_pem(const fr_site *site, const char *setting, char **out, fr_error *err)
{
    const char *rel = fr_site_setting(site, NULL, setting);
    *out = NULL;
    if (!rel)
        return 0;
    char *path = fr_path_join(site->dir, rel);
    FILE *f = path ? fopen(path, "rb") : NULL;
    if (!f) {
        int rc = fr_error_set(err, FR_EIO, "site.xml setting %s: cannot read %s: %s", setting,
                              path ? path : rel, strerror(errno));
        free(path);
        return rc;
    }
    fr_buf b = {0};
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        fr_buf_add(&b, chunk, n);
    fclose(f);
    free(path);
    if (b.failed || !b.data) {
        fr_buf_free(&b);
        return fr_error_set(err, FR_EIO, "site.xml setting %s: %s is empty", setting, rel);
    }
    *out = b.data;
    return 0;
}

static void close_all(fr_server *s)
{
    fr_cache_forget_site(NULL);
    fr_listener_stop(s->listener);
    fr_committer_stop(s->committer);
    free(s->tls_cert);
    free(s->tls_key);
    fr_proxies_free(s->proxies);
    for (int i = 0; i < s->npool; i++)
        fr_site_close(s->pool[i]);
    fr_site_close(s->bg_site);
    fr_i18n_free();
    fr_running_leave(s->opt.site_dir, s->running_fd);
}

int fr_server_run(const fr_server_options *opt, fr_error *err)
{
    fr_server *s = calloc(1, sizeof *s);
    if (!s)
        return fr_error_set(err, FR_ENOMEM, "out of memory");
    s->opt = *opt;
    if (s->opt.threads <= 0)
        s->opt.threads = 4;
    if (s->opt.threads > MAX_POOL)
        s->opt.threads = MAX_POOL;
    if (!s->opt.max_body)
        s->opt.max_body = 1024 * 1024;
    if (s->opt.background_seconds <= 0)
        s->opt.background_seconds = 30;
    if (!s->opt.listen)
        s->opt.listen = "127.0.0.1:8080";
    pthread_mutex_init(&s->lock, NULL);
    pthread_mutex_init(&s->log_lock, NULL);
    pthread_mutex_init(&s->bg_lock, NULL);
    pthread_cond_init(&s->freed, NULL);
    pthread_cond_init(&s->bg_wake, NULL);
    /* Signals are taken by this thread with sigwait. They are blocked
     * before any thread starts (the committer, the listener, MHD's, the
     * background one), which all inherit the mask: a thread started with
     * them unblocked would take a SIGTERM or SIGHUP that came while this
     * one was not in sigwait (just after start, between two SIGHUPs) and
     * die of it, the whole process with it. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);
    struct sockaddr_storage sa;
    int rc = parse_listen(s->opt.listen, &sa, err);
    if (!rc)
        rc = fr_i18n_load(err);
    if (!rc)
        rc = fr_site_open(s->opt.site_dir, NULL, &s->bg_site, err);
    /* Known as this site's server (running.h): one per SQLite site; found
     * by the commands that must reload it or must not run under it. */
    s->running_fd = -1;
    if (!rc) {
        int alone = strcmp(fr_store_backend(s->bg_site->store), "sqlite") == 0;
        rc = fr_running_enter(s->opt.site_dir, alone, &s->running_fd, err);
        if (rc && rc != FR_EREFUSED) {
            fprintf(stderr,
                    "filrouge: warning: %s; `filrouge hooks reload` and `plugin "
                    "enable` will not reach this server (send it SIGHUP)\n",
                    err->message);
            fr_error_clear(err);
            rc = 0;
        }
    }
    if (!rc) {
        const char *idle = fr_site_setting(s->bg_site, NULL, "web.session-idle-minutes");
        if (idle && atoi(idle) > 0)
            s->opt.idle_minutes = atoi(idle);
    }
    if (s->opt.idle_minutes <= 0)
        s->opt.idle_minutes = 30;
    if (!rc)
        rc = fr_proxies_parse(fr_site_setting(s->bg_site, NULL, "web.trusted-proxies"), &s->proxies,
                              err);
    /* Planner statistics first, so that every worker's connection plans
     * with them (a caseload query is 5x slower without). */
    if (!rc && fr_store_optimize(s->bg_site->store, err) != 0) {
        fprintf(stderr, "filrouge: warning: %s\n", err->message);
        fr_error_clear(err);
    }
    /* One site per worker thread: fr_site is single-threaded. */
    for (int i = 0; !rc && i < s->opt.threads; i++) {
        rc = fr_site_open(s->opt.site_dir, NULL, &s->pool[i], err);
        if (!rc)
            s->npool++;
    }
    if (rc) {
        close_all(s);
        free(s);
        return rc;
    }
    s->log_site = s->pool[0];
    if ((rc = fr_committer_start(s, s->opt.site_dir, &s->committer, err))) {
        close_all(s);
        free(s);
        return rc;
    }
    if ((rc = fr_listener_start(s, s->bg_site->db_path, s->committer, &s->listener, err))) {
        close_all(s);
        free(s);
        return rc;
    }
    if ((rc = read_pem(s->bg_site, "web.tls-certificate", &s->tls_cert, err)) ||
        (rc = read_pem(s->bg_site, "web.tls-key", &s->tls_key, err)) ||
        (!s->tls_cert != !s->tls_key &&
         (rc = fr_error_set(err, FR_EINVAL,
                            "site.xml: give both web.tls-certificate and web.tls-key, or "
                            "neither")))) {
        close_all(s);
        free(s);
        return rc;
    }

    unsigned flags =
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ERROR_LOG | MHD_USE_ITC |
        MHD_ALLOW_SUSPEND_RESUME;
    if (sa.ss_family == AF_INET6) /* [::]: IPv6 and IPv4 both */
        flags |= IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)&sa)->sin6_addr)
                     ? MHD_USE_DUAL_STACK
                     : MHD_USE_IPv6;
    if (s->tls_cert)
        s->daemon = MHD_start_daemon(
            flags | MHD_USE_TLS, 0, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR,
            (struct sockaddr *)&sa, MHD_OPTION_THREAD_POOL_SIZE, (unsigned)s->opt.threads,
            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
            (size_t)CONNECTION_MEMORY, MHD_OPTION_CONNECTION_LIMIT, (unsigned)512,
            MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_NOTIFY_CONNECTION,
            on_connection, s, MHD_OPTION_HTTPS_MEM_KEY, s->tls_key, MHD_OPTION_HTTPS_MEM_CERT,
            s->tls_cert, MHD_OPTION_END);
    else
        s->daemon = MHD_start_daemon(
            flags, 0, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
            MHD_OPTION_THREAD_POOL_SIZE, (unsigned)s->opt.threads, MHD_OPTION_CONNECTION_TIMEOUT,
            (unsigned)30, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY,
            MHD_OPTION_CONNECTION_LIMIT, (unsigned)512, MHD_OPTION_NOTIFY_COMPLETED, on_completed,
            s, MHD_OPTION_NOTIFY_CONNECTION, on_connection, s, MHD_OPTION_END);
    if (!s->daemon) {
        rc = fr_error_set(err, FR_EIO, "cannot listen on %s (%s); is the port already in use?",
                          s->opt.listen, strerror(errno));
        close_all(s);
        free(s);
        return rc;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    char host[INET6_ADDRSTRLEN + 2] = "[", *h = host + 1;
    unsigned port;
    if (sa.ss_family == AF_INET6) {
        const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)&sa;
        inet_ntop(AF_INET6, &v6->sin6_addr, h, INET6_ADDRSTRLEN);
        strcat(host, "]");
        h = host;
        port = ntohs(v6->sin6_port);
    } else {
        const struct sockaddr_in *v4 = (const struct sockaddr_in *)&sa;
        inet_ntop(AF_INET, &v4->sin_addr, h, INET6_ADDRSTRLEN);
        port = ntohs(v4->sin_port);
    }
    printf("filrouge: serving %s on %s://%s:%u/ (%d threads); stop with Ctrl-C\n",
           s->bg_site->name ? s->bg_site->name : s->opt.site_dir, s->tls_cert ? "https" : "http", h,
           di ? (unsigned)di->port : port, s->opt.threads);
    fflush(stdout);
    fr_server_log(s, "serving on %s:%u", h, di ? (unsigned)di->port : 0u);
    if (pthread_create(&s->bg, NULL, background, s) == 0)
        s->bg_started = 1;

    for (;;) {
        int sig = 0;
        if (sigwait(&sigs, &sig) != 0)
            continue;
        if (sig == SIGHUP) {
            /* RELOAD HOOKS: every site is reopened between requests by
             * the background thread (reload_sites), which reloads plugins
             * and, through fr_site_open, the Python hooks. If the hooks
             * part prefers a lighter fr_python_reload, call it there on
             * each held site instead of reopening. */
            fr_server_log(s, "SIGHUP: reloading");
            fr_server_request_reload(s);
            continue;
        }
        break;
    }
    printf("filrouge: stopping (finishing requests in progress)\n");
    fflush(stdout);
    drain(s);
    MHD_stop_daemon(s->daemon);
    pthread_mutex_lock(&s->bg_lock);
    s->stopping = 1;
    pthread_cond_signal(&s->bg_wake);
    pthread_mutex_unlock(&s->bg_lock);
    if (s->bg_started)
        pthread_join(s->bg, NULL);
    fr_server_log(s, "stopped");
    close_all(s);
    pthread_mutex_destroy(&s->lock);
    pthread_mutex_destroy(&s->log_lock);
    pthread_mutex_destroy(&s->bg_lock);
    pthread_cond_destroy(&s->freed);
    pthread_cond_destroy(&s->bg_wake);
    free(s);
    return 0;
}

/* The web application's internal header: the server (http.c), requests and
 * responses, the route table (router.c), sessions (session.c), message
 * catalogues (i18n.c), HTML helpers (html.c) and the page and API handlers
 * (ui_*.c, api_*.c). Handlers only call the kernel (record.h, workflow.h,
 * task.h, bus.h, plugin.h, audit.h), exactly as the CLI does. */
#ifndef FR_SERVER_H
#define FR_SERVER_H

#include <jansson.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <filrouge/error.h>

#include "site.h"

/* ---- a growable text buffer ---- */

typedef struct fr_buf {
    char *data;
    size_t len, cap;
    int failed; /* out of memory: the response becomes a 500 */
    /* When set, `data` is borrowed (read-only, NUL-terminated) from `owner`,
     * a shared cached answer: freeing calls release(owner) instead of
     * free(data), and adding to the buffer copies it first. */
    void (*release)(void *owner);
    void *owner;
} fr_buf;

void fr_buf_add(fr_buf *b, const char *s, size_t n);
void fr_buf_puts(fr_buf *b, const char *s);
void fr_buf_printf(fr_buf *b, const char *fmt, ...) FR_PRINTF(2, 3);
/* Appends s escaped for HTML text and attribute values (& < > " '). */
void fr_buf_esc(fr_buf *b, const char *s);
void fr_buf_free(fr_buf *b);

/* ---- requests and responses ---- */

#define FR_MAX_PARAMS 4
#define FR_MAX_FIELDS 64

typedef struct fr_field {
    char *name, *value;
} fr_field;

typedef struct fr_server fr_server;

struct fr_resp;

typedef struct fr_req {
    fr_server *server;
    void *conn; /* struct MHD_Connection * */
    const char *method;
    const char *path;   /* without the query */
    const char *remote; /* the client's address as text (through trusted proxies) */
    const char *peer;   /* the address of the socket's other end */
    const char *body;
    size_t body_len;
    const char *params[FR_MAX_PARAMS]; /* {…} parts of the route, in order */
    char param_buf[256];
    fr_field fields[FR_MAX_FIELDS]; /* a urlencoded form body, decoded */
    int nfields;
    fr_site *site; /* borrowed from the pool for this request */
    /* The site's data version (fr_cache_generation) read once per request
     * when `generation_site` is `site`; see fr_cache_req_generation. */
    const fr_site *generation_site;
    int64_t generation;

    /* The session, when the request carries a valid one. */
    int logged_in;
    int64_t user_id;
    char login[128];
    char display_name[160];
    char role[16];
    char lang[4];
    char csrf[65];
    char session_hash[65];
    /* Authenticated by a personal API token (Authorization: Bearer, API
     * paths only): no cookie, so no CSRF token is needed. */
    int bearer;
    int64_t token_id;
    /* The session could not be read: the database failed (fr_session_load). */
    int session_failed;
    /* What a route's prepare step did on the worker for its handler on the
     * committer (see fr_route.prepare); freed with the request. */
    void *prep;
    void (*prep_free)(void *prep);
    /* A handler on the committer may leave its answer to be written on the
     * worker once its change is durable: `answer` runs there, on the
     * worker's own site (it reads what was committed), off the committer's
     * thread. Not called when the batch failed. */
    void (*answer)(struct fr_req *r, struct fr_resp *w);
    int64_t answer_id;
} fr_req;

typedef struct fr_resp {
    int status;
    const char *content_type; /* static string */
    fr_buf body;
    char location[512];
    char cookies[3][400];
    int ncookies;
    int cache_static; /* long caching for static files */
    char extra_header[2][200];
    int nextra;
    int tls; /* served over TLS: HSTS */
} fr_resp;

/* A query-string value, or NULL. */
const char *fr_req_query(fr_req *r, const char *name);
/* The first query parameter whose name is not one of `names` (NULL-ended),
 * or NULL when there is none (borrowed from the request). */
const char *fr_req_query_unknown(fr_req *r, const char *const *names);
/* A field of the urlencoded body, or NULL. */
const char *fr_req_field(fr_req *r, const char *name);
/* A request header, or NULL. */
const char *fr_req_header(fr_req *r, const char *name);
const char *fr_req_cookie(fr_req *r, const char *name);

void fr_resp_redirect(fr_resp *w, const char *fmt, ...) FR_PRINTF(2, 3);
/* Percent-encodes text (RFC 3986: all but the unreserved characters, and
 * '/' when keep_slash) onto out at *len; 0, or -1 when it does not fit. */
int fr_url_encode(const char *text, int keep_slash, char *out, size_t n, size_t *len);
void fr_resp_cookie(fr_resp *w, const char *fmt, ...) FR_PRINTF(2, 3);
void fr_resp_header(fr_resp *w, const char *name, const char *value);
/* A JSON body (steals value). */
void fr_resp_json(fr_resp *w, int status, json_t *value);
/* {error:{code,message}} with the HTTP status for code; internal errors
 * (storage, memory, bugs) are logged and answered without detail. */
void fr_resp_api_error(fr_req *r, fr_resp *w, const fr_error *err);
void fr_resp_api_fail(fr_resp *w, int status, const char *code, const char *message);
/* Checks the fields of a request body's object (or of an object nested in
 * it: `where` is then its place, "participants[2]."; else "") against
 * `fields`, each a type letter, ':' and the name ("s:name" text, "i:name"
 * a whole number, "b:name" true or false, "o:name" an object, "a:name" a
 * list), NULL-terminated: 0, or -1 after answering 400 naming the field
 * (w NULL: -1 without answering).
 * A field not in the list is refused (with the nearest name), since a
 * misspelt one would be dropped without a word, and with it what the
 * client meant to record; JSON null counts as absent. */
int fr_api_fields(json_t *obj, const char *const *fields, const char *where, fr_resp *w);
/* The list obj[key] (when given): at most max items, each an object with
 * those fields (fr_api_fields, where "key[i]."): 0, or -1 after answering
 * 400. */
int fr_api_items(json_t *obj, const char *key, const char *const *fields, size_t max, fr_resp *w);
/* 0 when every query parameter is one of `names` (NULL-ended); -1 after
 * answering 400 naming the unknown one, the nearest and the list. */
int fr_api_query(fr_req *r, fr_resp *w, const char *const *names);
/* 503: the database cannot be read or reached just now (api: JSON
 * {error:{code:"database-unavailable"}}, else a page), the answer so far
 * dropped. */
void fr_resp_unavailable(fr_req *r, fr_resp *w, int api);
/* The HTTP status for a kernel error code. */
int fr_http_status(int code);

/* ---- routes ---- */

enum {
    FR_ROUTE_PUBLIC = 1, /* no session needed */
    FR_ROUTE_API = 2,    /* JSON errors; CSRF from the X-CSRF-Token header */
    FR_ROUTE_NOSITE = 4, /* needs no site from the pool (static files) */
    /* A state-changing route that runs on its worker's site with
     * transactions of its own instead of in the committer's group commit:
     * slow work (argon2 password hashing, verifying the whole audit chain)
     * or work that reopens sites (enabling a plugin). */
    FR_ROUTE_ALONE = 8,
    /* A write that only records the access a read needs (break-glass): like
     * the audit entries of reads, it goes on while the disk is full and
     * other changes are refused (commit.c). */
    FR_ROUTE_ACCESS = 16
};

typedef void (*fr_handler)(fr_req *r, fr_resp *w);

typedef struct fr_route {
    const char *method;  /* "GET", "POST", "DELETE" */
    const char *pattern; /* "/cases/{id}/fire": {…} matches one path segment */
    fr_handler handler;
    int flags;
} fr_route;

/* A workflow's name for people in the request's language (its <title>),
 * else its id (ui_case.c). */
const char *fr_ui_workflow_name(fr_req *r, const char *workflow, json_int_t version);

/* The route tables, searched in order; each ends with {0}. Forms (and later
 * plugins) add their pages by adding a table here: see router.c. */
extern const fr_route fr_routes_ui[];
extern const fr_route fr_routes_api[];
extern const fr_route fr_routes_static[];
/* Forms, care plan, referrals, meetings (ui_forms.c). */
extern const fr_route fr_routes_forms[];
extern const fr_route fr_routes_case_dates[];
extern const fr_route fr_routes_case_notes[];
extern const fr_route fr_routes_admin_user[];
/* A capacity typed on a page (NULL: none given, *capacity untouched): a
 * whole number from 0 to FR_CAPACITY_MAX into *capacity, else its problem
 * under "capacity" in *problems. */
void fr_ui_capacity(fr_req *r, const char *text, int *capacity, json_t **problems);
/* A small form of the case page that was refused: which ("network",
 * "goal", "action", "referral") and its problems (an input's name → what
 * is wrong and what to do; "_": the form as a whole). The page comes back
 * (422) with that form open, filled with what was typed (the request's
 * fields), each problem under its field and the first one focused; the
 * other forms are left empty. */
typedef struct fr_refusal {
    const char *form;
    json_t *problems;
} fr_refusal;
/* The case page (ui_case.c); refused: NULL, or the form to show again. */
void fr_ui_case_page(fr_req *r, fr_resp *w, int64_t case_id, const fr_refusal *refused);
/* The case page's corrections of its opening date and of its last step's
 * (ui_case_dates.c): their forms. */
void fr_ui_case_opening(fr_req *r, fr_buf *b, int64_t case_id, const fr_refusal *refused);
void fr_ui_case_last_step(fr_req *r, fr_buf *b, int64_t case_id, const fr_refusal *refused);
/* The case page's notes and its form to add one (ui_case_notes.c). */
void fr_ui_case_notes(fr_req *r, fr_buf *b, int64_t case_id, json_t *cs, const fr_refusal *refused);
/* The case page's sections for forms and the care tools (ui_forms.c). */
void fr_ui_case_care(fr_req *r, fr_buf *b, int64_t case_id, json_t *cs, const fr_refusal *refused);
/* For the inputs of the case page's form `form`: when it is the refused
 * one, its problems (else NULL) and what was typed in `name` (else
 * NULL). */
json_t *fr_refusal_problems(const fr_refusal *refused, const char *form);
/* The case page again (422) with the refused form `form` as typed and its
 * problems (taken) (ui_forms.c). */
void fr_ui_case_refused(fr_req *r, fr_resp *w, int64_t case_id, const char *form, json_t *problems);
const char *fr_refusal_value(fr_req *r, const fr_refusal *refused, const char *form,
                             const char *name);

/* A write's work that needs no write transaction (parsing the body,
 * validating, computing), run on the worker's own site before the request
 * goes to the committer: `prepare` leaves its result in r->prep for
 * `handler`, which checks again, inside the transaction, whatever may have
 * changed since. A prepare step never writes and never answers. */
typedef struct fr_prepare {
    fr_handler handler;
    fr_handler prepare;
} fr_prepare;
extern const fr_prepare fr_prepares_api[];
extern const fr_prepare fr_prepares_forms[];
/* The prepare step of a route's handler, or NULL. */
fr_handler fr_router_prepare(const fr_route *route);

/* Finds the route; fills r->params. 1 found, 0 no such path, -1 path
 * exists with another method (405). */
int fr_router_match(fr_req *r, const fr_route **out);

/* ---- the server ---- */

typedef struct fr_server_options {
    const char *site_dir;
    const char *listen;     /* "127.0.0.1:8080" */
    int threads;            /* worker threads (and sites in the pool); 0: 4 */
    size_t max_body;        /* bytes; 0: 1 MiB */
    int idle_minutes;       /* session idle expiry; 0: 30 */
    int background_seconds; /* outbox delivery period; 0: 30 */
} fr_server_options;

/* Runs the server until SIGTERM or SIGINT (graceful: in-flight requests
 * finish); SIGHUP reloads hooks. Returns 0 after a clean stop. */
int fr_server_run(const fr_server_options *opt, fr_error *err);

/* Takes a site from the pool (waits for one) and gives it back. */
fr_site *fr_server_site_acquire(fr_server *s);
void fr_server_site_release(fr_server *s, fr_site *site);
int fr_server_idle_minutes(const fr_server *s);
/* 1 when the server speaks HTTPS itself (site.xml web.tls-certificate). */
int fr_server_tls(const fr_server *s);
/* Asks the background thread to reopen every site between requests
 * (after a plugin is enabled or disabled; on SIGHUP). Returns at once. */
void fr_server_request_reload(fr_server *s);
/* Why the last reload was refused (a plugin that runs would have stopped:
 * one "plugin ID: problem" per line; site.xml no longer valid), or "" when
 * it was taken. */
void fr_server_reload_refused(fr_server *s, char *out, size_t size);
/* What a reload refused while the server goes on with what worked: a new
 * array of problems (strings naming file and line): the plugins of
 * fr_server_reload_refused, then the hook files of `site` whose last good
 * version runs (fr_python_refused). For the health check and /admin. */
json_t *fr_server_reload_refusals(fr_server *s, fr_site *site);
/* 1 when the address may post one more intake now (rate limit). */
int fr_server_intake_allowed(fr_server *s, const char *remote);
void fr_server_log(fr_server *s, const char *fmt, ...) FR_PRINTF(2, 3);
/* How long the oldest write waiting for the committer has waited, or the
 * committer's work in progress has run, in milliseconds (0: nothing
 * waits, nothing runs); *waiting: the requests queued, *running: those
 * in the batch being committed (health.c). */
long fr_server_commit_backlog(fr_server *s, long *waiting, long *running);
/* 1 when the request's error need not be logged: the database cannot be
 * reached and that outage is logged already (once, by the first request
 * that met it, which this call lets log and announces). */
int fr_server_outage_quiet(fr_req *r);

/* ---- group commit (commit.c) ---- */

struct fr_audit_batch;
typedef struct fr_committer fr_committer;

/* A unit of work for the committer: a write request's handler (run on the
 * committer's site, acting as the request's user, in a savepoint of the
 * batch's transaction), and/or read-audit entries to append. */
typedef struct fr_job {
    struct fr_job *next;
    fr_handler handler; /* NULL: audits only */
    fr_req *r;
    fr_resp *w;
    char actor[128];
    char actor_role[16];
    int64_t actor_id;
    struct fr_audit_batch *audits; /* NULL or empty: none */
    /* an access record (FR_ROUTE_ACCESS): runs on a full disk too */
    int access;
    int failed; /* set by the committer: nothing of this job was stored */
    int full;   /* with failed: because the disk is full (changes are refused) */
    /* Called by the committer once the batch's COMMIT is durable (or has
     * failed); the job belongs to its submitter again from then on. */
    void (*wake)(struct fr_job *job);
    void *wake_arg;
    struct timespec queued_at; /* CLOCK_MONOTONIC, set by fr_committer_submit */
} fr_job;

/* Opens the committer's own site and starts its thread. */
int fr_committer_start(fr_server *s, const char *site_dir, fr_committer **out, fr_error *err);
/* Queues a job; job->wake is called from the committer's thread. */
void fr_committer_submit(fr_committer *c, fr_job *job);
/* Runs the job at once on the calling thread, as a batch of its own on the
 * committer's site, when nothing is queued and nothing runs there; 1 when
 * it did (job->wake was called, from this thread), 0 when the job must be
 * submitted. */
int fr_committer_run_alone(fr_committer *c, fr_job *job);
/* Asks for an outbox delivery pass, run by the committer between batches
 * (outside any transaction). Returns at once. */
void fr_committer_deliver(fr_committer *c);
/* See fr_server_commit_backlog. */
long fr_committer_backlog(fr_committer *c, long *waiting, long *running);
/* Reopens the committer's site between batches (plugins enabled, SIGHUP). */
void fr_committer_reopen(fr_committer *c);
/* Finishes the queued jobs, stops the thread, closes the site. */
void fr_committer_stop(fr_committer *c);

/* ---- the listener (listen.c) ---- */

typedef struct fr_listener fr_listener;
/* Listens on a connection of its own to `location` for other processes'
 * outbox announcements and asks `c` for a delivery pass at each. *out is
 * NULL (and 0 returned) when the store has none (SQLite). */
int fr_listener_start(fr_server *s, const char *location, fr_committer *c, fr_listener **out,
                      fr_error *err);
void fr_listener_stop(fr_listener *l);

/* ---- a cache of answers (cache.c) ---- */

/* The site connection's view of the database now (-1: do not cache). */
int64_t fr_cache_generation(fr_site *site);
/* The request's site's data version: read once per request (dispatch
 * reads it when it acquires the site, and again after a session load,
 * which may write), so that a cached answer costs one check. */
int64_t fr_cache_req_generation(fr_req *r);
/* Reads the data version of the request's site again (after a write). */
int64_t fr_cache_req_refresh(fr_req *r);
/* Copies the value into `out` (exactly `len` bytes) and returns 1; 0 when
 * missing, expired, stored under another generation or of another size. */
int fr_cache_get(fr_site *site, int64_t generation, const char *key, void *out, size_t len);
/* The same into `out`, 1 if found: an empty `out` borrows the cached
 * value without copying it (fr_buf.release; the response hands it to the
 * connection as it is), else the value is appended. */
int fr_cache_get_buf(fr_site *site, int64_t generation, const char *key, fr_buf *out);
void fr_cache_put(fr_site *site, int64_t generation, const char *key, const void *value,
                  size_t len, int ttl_seconds);
/* Drops the site's entries (NULL: every entry). */
void fr_cache_forget_site(const fr_site *site);

/* ---- sessions (session.c) ---- */

/* Reads the session cookie (or, on /api/ paths, a personal API token in
 * `Authorization: Bearer`); fills r->logged_in and the user's fields.
 * Expired sessions are removed. 1 when it may have written (an expired
 * session removed, a last use recorded), else 0. */
int fr_session_load(fr_req *r);
/* Creates a new session for the user (a fresh id: a session id presented
 * before login is never kept), sets the cookie and r's fields. */
int fr_session_create(fr_req *r, fr_resp *w, int64_t user_id, fr_error *err);
void fr_session_destroy(fr_req *r, fr_resp *w);
/* 1 when the request carries the session's CSRF token (field "_csrf" or
 * header X-CSRF-Token), compared in constant time; always 1 for a request
 * authenticated by an API token (a browser never sends one by itself). */
int fr_session_csrf_ok(fr_req *r);
/* 1 when the request carries a session cookie that opens no session any
 * more (it expired: idle for longer than the site allows). */
int fr_session_stale(fr_req *r);
/* Login throttling: 1 when too many recent failures for this login or
 * address. fr_session_login_failed records one. */
int fr_session_throttled(fr_req *r, const char *login);
void fr_session_login_failed(fr_req *r, const char *login);
/* Removes expired sessions and login failures older than a day (the
 * background thread, daily). */
int fr_session_cleanup(fr_site *site, int idle_minutes, fr_error *err);
/* A random token: 32 bytes as 64 hex digits, and its SHA-256 as hex. */
void fr_token_new(char out[65]);
void fr_token_hash(const char *token, char out[65]);

/* ---- administration (ui_admin.c) ---- */

/* 0 for an administrator; otherwise answers the audited 403 page, -1. */
int fr_ui_require_admin(fr_req *r, fr_resp *w);
/* A user's state for the administration (a row of fr_user_list):
 * "deactivated" when so, and the button that deactivates or reactivates
 * them (none to deactivate oneself); from_user_page: the answer comes back
 * to /admin/users/{id} rather than /admin. */
void fr_ui_admin_active(fr_req *r, fr_buf *b, json_t *user, int from_user_page);
/* The user page /admin/users/{id} again with form's problems (taken,
 * json_decref'd): 422 for what was typed, 409 when `meanwhile` (the user
 * or their teams changed since the page was shown). */
void fr_ui_admin_user_refused(fr_req *r, fr_resp *w, int64_t id, const char *form,
                              json_t *problems, int meanwhile);

/* ---- intakes linked to patients and cases (ui_triage.c) ---- */

/* The accepted intakes a patient (case_id 0) or a case came from, as a
 * section; nothing when none (or when the user may not read them).
 * Returns one of them not yet linked to a case, or 0. */
int64_t fr_ui_intakes_section(fr_req *r, fr_buf *b, int64_t patient_id, int64_t case_id);

/* ---- personal API tokens (ui_tokens.c) ---- */

extern const fr_route fr_routes_tokens[];
/* Authenticates r by the token of `Authorization: Bearer frt_…`: fills the
 * user's fields and r->bearer; a use is audited at most once a minute per
 * token (with last_used). 0 when the header holds no valid live token. */
int fr_token_authenticate(fr_req *r, const char *authorization);

/* ---- meetings: intervision (ui_meetings.c) ---- */

extern const fr_route fr_routes_meetings[];
/* GET /api/v1/health, for monitoring (health.c). */
extern const fr_route fr_routes_health[];
/* A meeting's form (a concertation's, an intervision's; ui_forms.c): the
 * date, the place and the participants table's head; then (after the
 * caller's rows, fr_ui_participant_row) up to three other participants,
 * minutes, convergences, divergences and the save button, closing the
 * form. problems: NULL at first; when the form was refused, its problems,
 * and every input shows what was typed. */
void fr_ui_participants_begin(fr_req *r, fr_buf *b, json_t *problems, int *focused);
void fr_ui_participants_end(fr_req *r, fr_buf *b, json_t *problems, int *focused);
/* A participant's row: name, role (input role-KEY, `role` at first),
 * invited (box `who`, value KEY: ticked at first) and present (box
 * "present": not ticked at first, the person ticks who was there); row
 * numbers the row's ids. */
void fr_ui_participant_row(fr_req *r, fr_buf *b, int row, const char *who, const char *key,
                           const char *name, const char *role, json_t *problems, int *focused);
/* What is wrong with a meeting's form, every problem at once, in the
 * user's language (NULL: nothing): the date (not in the future, nor
 * before the opening of case `case_id` when not 0), place,
 * minutes, a role for each person invited (`who`: "member" or "user") and
 * for each other participant named. The date held, when given, in held
 * (ISO) and *held_p. */
json_t *fr_ui_meeting_problems(fr_req *r, int64_t case_id, const char *who, char held[11],
                               const char **held_p);
/* The kernel's refusal of a meeting put with its problems (fr_page_refusal):
 * 1 when it was about what was typed. */
int fr_ui_meeting_refusal(fr_req *r, json_t **problems, const fr_error *err);
/* Adds the form's other participants (other1…3 with their roles, present)
 * to ps[n…max); returns the new count. */
struct fr_participant;
int fr_ui_participants_others(fr_req *r, struct fr_participant *ps, int n, int max);
/* A decision's inputs (title, responsible, user, due date) and button,
 * closing the form the caller opened; as typed, with their problems, when
 * refused is the decision's ("decision"). focused: NULL, or shared with
 * the caller's inputs. */
void fr_ui_decision_inputs(fr_req *r, fr_buf *b, const fr_refusal *refused, int *focused);
/* What is wrong with a decision of meeting `meeting_id` (as an action's: a
 * title, someone responsible, a date, not before the opening of the
 * meeting's case; NULL: nothing); the due date, when given, in due. A peer
 * case review's decision names its case: its date is the kernel's to
 * check, after the access to that case. */
json_t *fr_ui_decision_problems(fr_req *r, int64_t meeting_id, char due[11], const char **due_p);
/* A decision refused, by the page (problems, taken) or by the kernel (err):
 * the meeting's page again (422) with the form as typed; the error page
 * when the kernel's refusal is not about what was typed. */
void fr_ui_decision_refused(fr_req *r, fr_resp *w, int64_t meeting_id, json_t *problems,
                            const fr_error *err);
/* The form adding a decision to an intervision (on /meetings/{id}). */
void fr_ui_intervision_decision_form(fr_req *r, fr_buf *b, int64_t meeting_id,
                                     const fr_refusal *refused);

/* ---- reverse proxies (proxy.c) ---- */

/* The client's address for a request that came from `peer`: when peer is
 * one of the site's trusted proxies (site.xml web.trusted-proxies), the
 * right-most address of X-Forwarded-For that is not itself a trusted
 * proxy; else peer. out holds at least 64 bytes. */
void fr_proxy_client(fr_server *s, fr_req *r, const char *peer, char out[64]);
/* 1 when the request came over TLS: directly, or through a trusted proxy
 * that says X-Forwarded-Proto: https. */
int fr_proxy_https(fr_req *r);
/* 1 when `peer` is a trusted proxy address. */
int fr_proxy_trusted(const fr_server *s, const char *peer);
/* The trusted proxies of site.xml (comma- or space-separated IPv4/IPv6
 * addresses or CIDR ranges); FR_EINVAL naming the bad entry. */
typedef struct fr_proxies fr_proxies;
int fr_proxies_parse(const char *text, fr_proxies **out, fr_error *err);
void fr_proxies_free(fr_proxies *p);
int fr_proxies_match(const fr_proxies *p, const char *addr);
/* The server's list (NULL when none is configured). */
const fr_proxies *fr_server_proxies(const fr_server *s);

/* ---- i18n (i18n.c) ---- */

int fr_i18n_load(fr_error *err);
void fr_i18n_free(void);
/* The message `key` in `lang` (fr when missing there, the key itself when
 * missing everywhere). Borrowed; lives as long as the server. */
const char *fr_t(const char *lang, const char *key);
/* YYYY-MM-DD[THH:MM…] as DD/MM/YYYY[ HH:MM]. */
const char *fr_human_date(const char *iso, char out[32]);
/* The language for a request without a session: Accept-Language, else fr. */
void fr_i18n_negotiate(fr_req *r);

/* ---- HTML pages (html.c) ---- */

/* Starts a page: doctype, head, the header with navigation. */
void fr_page_begin(fr_req *r, fr_resp *w, const char *title);
void fr_page_end(fr_req *r, fr_resp *w);
/* A hidden CSRF input. */
void fr_page_csrf(fr_req *r, fr_buf *b);
/* An error page with the kernel's message (escaped) and status; after a
 * POST, saying that nothing was saved, with a link back to the form. */
void fr_page_error(fr_req *r, fr_resp *w, const fr_error *err);
void fr_page_message(fr_req *r, fr_resp *w, int status, const char *title, const char *text);
/* The page a POST's form most likely was on (its case, meeting or page;
 * the caseload when unknown), a local path safe in an attribute. */
void fr_page_form_path(fr_req *r, char *out, size_t n);
/* One labelled input of a page's own form (not a form definition's: those
 * are rendered by schemas/form-html.xsl). */
typedef struct fr_page_input {
    const char *id;      /* unique on the page */
    const char *name;    /* the body field */
    const char *label;   /* already translated */
    const char *type;    /* "text" when NULL */
    int required;        /* a " *" after the label, and `required` */
    int maxlength;       /* 0: none */
    const char *value;   /* what to show in it (NULL: empty) */
    const char *problem; /* what is wrong with it and what to do, or NULL */
    int date;            /* typed day/month/year: a numeric keyboard, the pattern */
    const char *placeholder; /* NULL: none */
    const char *list;        /* the id of a <datalist> offered (NULL: none) */
    const char *inputmode;   /* the keyboard a phone shows ("numeric"; NULL: its own) */
    int label_sr;            /* the label for screen readers only (in a table's row) */
    int rows;                /* > 0: a text of several lines (a <textarea> of that many rows) */
} fr_page_input;
/* Writes the label and the input; a problem goes under the input, tied to
 * it (aria-invalid, aria-describedby), and the first input with a problem
 * on the page (*focused still 0) takes the focus. */
void fr_page_field(fr_buf *b, const fr_page_input *in, int *focused);

/* ---- the pages' small forms checked (page_check.c) ---- */

/* An input of a page's small form and the kernel's rule for it, so that
 * every problem is found at once, before the kernel is asked (it checks
 * again). */
typedef struct fr_page_rule {
    const char *name;   /* the input's name */
    const char *kernel; /* the field's name in the kernel's messages (NULL: name) */
    int required;       /* blank (only spaces too) refused */
    int max;            /* the kernel's limit in bytes; 0: none */
    char kind;          /* 't' a line, 'm' lines, 'p' phone, 'e' e-mail, 'd' date;
                         * 'x' checked by the page itself (a password, any
                         * character welcome): fr_page_check skips it, the
                         * rule is there for the kernel's refusals */
} fr_page_rule;
/* What is wrong with the request's fields under the n rules, each under its
 * input's name, in the user's language; NULL when nothing (the caller
 * frees it). A blank optional field is not checked. */
json_t *fr_page_check(fr_req *r, const fr_page_rule *rules, size_t n);
/* A date of something that happened (an opening, a step) typed in the
 * input `rule` names (dd/mm/yyyy): the rule's problem, or one in the
 * future (the text of i18n key `future`), put into *problems with the
 * form's others; *on the date (YYYY-MM-DD), "" when none is given or it is
 * not one. The kernel checks the rest (before the person's birth, out of
 * the case's order). */
void fr_ui_past_date_check(fr_req *r, const fr_page_rule *rule, const char *future,
                           json_t **problems, char on[11]);
/* The rule of input `name` among the n rules (the first, when an input has
 * two: one per kernel name); NULL when none is: found by name, so that a
 * table can be reordered. */
const fr_page_rule *fr_page_rule_of(const fr_page_rule *rules, size_t n, const char *name);
/* The date `iso` typed in input `name` (one of the n rules) checked against
 * the opening of case `case_id` (fr_case_check_after_opening) with the
 * form's other problems, so that it is said in the first round: put under
 * the input when it is before; nothing when iso is NULL, case_id 0, the
 * rules have no such input, the input already has a problem, or the user
 * may not write to the case (the kernel then refuses the form, audited,
 * and the opening is not read). */
void fr_page_after_opening(fr_req *r, json_t **problems, int64_t case_id, const char *iso,
                           const fr_page_rule *rules, size_t n, const char *name);
/* A kernel refusal put into *problems (made when NULL) under the input of
 * the field its message names (the rules), in the user's language when its
 * shape is known, else in the kernel's words without the field's name;
 * under "_" (the form as a whole) when it names none. Returns 1 when it was
 * about what was typed (FR_EINVAL, or FR_ENOTFOUND naming a field: a login
 * that does not exist, or FR_ECONFLICT naming a field: a login taken), 0
 * when it is for an error page (access, storage…) and *problems is
 * untouched. */
int fr_page_refusal(fr_req *r, json_t **problems, const fr_error *err, const fr_page_rule *rules,
                    size_t n);
/* As fr_page_refusal, and a refusal due to the state of things (a
 * conflict: already so, changed meanwhile; a plugin's requirements, their
 * versions too) under
 * "_": the problems to show with the form (the caller frees them), or
 * NULL for an error page (access, not found, storage…). */
json_t *fr_page_refused(fr_req *r, const fr_error *err, const fr_page_rule *rules, size_t n);
/* The kernel refused a case page's form: the page again with it when it
 * was about what was typed (the rules), else the error page. */
void fr_ui_case_failed(fr_req *r, fr_resp *w, int64_t case_id, const char *form,
                       const fr_error *err, const fr_page_rule *rules, size_t n);
/* Puts text as the problem of input `name` in *problems (made when NULL),
 * unless that input has one already (the first is the one to fix first). */
void fr_page_put(json_t **problems, const char *name, const char *text);
/* A kernel's message for people: a known shape in the user's language
 * (into out, or a catalogue's text), else the kernel's words without the
 * field's name. */
const char *fr_page_worded(fr_req *r, const char *message, char *out, size_t size);
/* A kernel's message in the user's language when its shape is known
 * (into out, or a catalogue's text), else the message itself: what an
 * error page says. */
const char *fr_page_known(fr_req *r, const char *message, char *out, size_t size);
/* A field of the body, NULL when absent, empty or only spaces. */
const char *fr_page_opt(fr_req *r, const char *name);
/* 1 when the body has field `name` with `value` (a ticked checkbox among
 * several of that name). */
int fr_page_checked(fr_req *r, const char *name, const char *value);
/* The problem of input `name` (borrowed), or NULL. */
const char *fr_page_problem(json_t *problems, const char *name);
/* When problems is not NULL: "the form was not saved…" and the problem of
 * the form as a whole ("_"), as an alert at the top of the form. */
void fr_page_problems_alert(fr_req *r, fr_buf *b, json_t *problems);
/* A labelled <select> with its problem, as fr_page_field writes an input:
 * begin, the options (fr_page_option: `selected` when value is chosen),
 * end. */
void fr_page_select_begin(fr_buf *b, const char *id, const char *name, const char *label,
                          const char *problem, int *focused);
void fr_page_option(fr_buf *b, const char *value, const char *label, const char *chosen);
/* The message of a redirect after a change (?msg=flash.KEY, a key of the
 * catalogue: nothing else is shown), in the user's language. */
void fr_page_flash(fr_req *r, fr_buf *b);
/* The interface's four languages as a labelled <select> (each named in
 * its own language), `chosen` selected. */
void fr_page_languages(fr_req *r, fr_buf *b, const char *id, const char *name, const char *chosen,
                       const char *problem, int *focused);
/* A role for people (role.ROLE), its code when the catalogue has none. */
const char *fr_page_role_label(fr_req *r, const char *role);
/* The four roles as a labelled <select>, in the user's language. */
void fr_page_roles(fr_req *r, fr_buf *b, const char *id, const char *name, const char *chosen,
                   const char *problem, int *focused);
void fr_page_select_end(fr_buf *b, const char *id, const char *problem);

/* JSON helpers for pages. */
const char *fr_js(json_t *obj, const char *key); /* "" when absent */
json_int_t fr_ji(json_t *obj, const char *key);

/* text with "{n}" replaced by n, in out (which is returned). */
const char *fr_text_n(const char *text, long n, char *out, size_t size);
/* text with its first `slot` ("{who}") replaced by value, in out (which is
 * returned); text itself copied when it has no such slot. */
const char *fr_text_slot(const char *text, const char *slot, const char *value, char *out,
                         size_t size);
/* Parses a positive id; 0 when invalid. */
int64_t fr_parse_id(const char *s);
/* Parses DD/MM/YYYY (D/M/YYYY too, spaces around forgiven) or YYYY-MM-DD
 * into out (YYYY-MM-DD); 0 on success. */
int fr_parse_date(const char *s, char out[11]);

/* After a committed write: deliver the outbox now. Asks the committer for
 * a delivery pass and returns at once (the events are in the outbox,
 * durable; delivery is at least once; the background thread also asks
 * every few seconds). */
void fr_server_deliver(fr_req *r);

#endif

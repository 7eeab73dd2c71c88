/* GET /api/v1/health: the server's state for monitoring (docs/deploy.md,
 * "Monitoring"). Public: it says nothing of patients or users, only
 * whether the database answers, whether changes are accepted, how long
 * writes wait for the committer and how many deliveries of the outbox
 * are parked or being retried. It writes nothing and is not audited (it
 * reads no clinical data), so a probe every few seconds costs one small
 * read.
 *
 *   200 {"status":"ok", …}           everything works
 *   200 {"status":"degraded", …}     reads work; something needs an
 *                                    administrator (each check says what)
 *   503 {"status":"unavailable", …}  the database cannot be read */
#include "server.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "python.h"
#include "store.h"

/* A write waiting this long for the database is reported (a lone write
 * commits in about a millisecond; seconds mean that something holds the
 * database: another process's long transaction, a stalled disk); site
 * setting health.commit-slow-ms (100 … 600000). */
#define COMMIT_SLOW_MS 5000

static long commit_slow_ms(const fr_site *site)
{
    const char *v = fr_site_setting(site, NULL, "health.commit-slow-ms");
    char *end;
    long n = v ? strtol(v, &end, 10) : 0;
    return v && end != v && *end == '\0' && n >= 100 && n <= 600000 ? n : COMMIT_SLOW_MS;
}

/* 1 while the last probe found the database unreadable: the log says so
 * when it starts and when it ends, not at every probe (a monitor asks
 * every few seconds). One server per process. */
static atomic_int database_down;

static json_t *check(const char *status, const char *message)
{
    json_t *c = json_pack("{s:s}", "status", status);
    if (c && message)
        json_object_set_new(c, "message", json_string(message));
    return c;
}

/* A check: "ok" unless `bad`, then `status` with the message (and the
 * answer is degraded). */
static json_t *judge(int bad, int *degraded, const char *status, const char *fmt, ...)
    FR_PRINTF(4, 5);
static json_t *judge(int bad, int *degraded, const char *status, const char *fmt, ...)
{
    if (!bad)
        return check("ok", NULL);
    char msg[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    *degraded = 1;
    return check(status, msg);
}

/* Parked and retried deliveries: -1 when the database cannot be read. */
static int count_deliveries(fr_req *r, int64_t *failed, int64_t *retrying)
{
    fr_error err = {0};
    fr_stmt *st = NULL;
    int rc = fr_store_query(r->site->store, &err, &st,
                            "SELECT count(CASE WHEN status = 'failed' THEN 1 END), "
                            "count(CASE WHEN status = 'retry' THEN 1 END) "
                            "FROM bus_deliveries WHERE status IN ('failed', 'retry')",
                            "");
    if (rc == 0 && fr_stmt_step(st, &err) != 1)
        rc = -1;
    if (rc == 0) {
        *failed = fr_stmt_int(st, 0);
        *retrying = fr_stmt_int(st, 1);
    }
    fr_stmt_done(st);
    if (rc && atomic_exchange(&database_down, 1) == 0)
        fr_server_log(r->server,
                      "health: the database cannot be read: %s (said once, until it answers "
                      "again)",
                      err.message[0] ? err.message : "no row");
    else if (!rc && atomic_exchange(&database_down, 0) == 1)
        fr_server_log(r->server, "health: the database answers again");
    return rc ? -1 : 0;
}

json_t *fr_server_reload_refusals(fr_server *s, fr_site *site)
{
    char plugins[FR_ERROR_MAX];
    fr_server_reload_refused(s, plugins, sizeof plugins);
    json_t *refused = json_array();
    for (char *save = NULL, *line = strtok_r(plugins, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save))
        json_array_append_new(refused, json_string(line));
    json_t *files = fr_python_refused(site), *f;
    size_t i;
    json_array_foreach(files, i, f)
    {
        json_array_append(refused, json_object_get(f, "problem"));
    }
    json_decref(files);
    return refused;
}

/* A refused reload's problem as the public answer may name it: where
 * (a hook file and line within the site's folder, or "plugin ID"), not
 * the server's paths nor the error's text (a hook's source line may hold
 * anything); /admin and the log give the whole. */
static json_t *where_only(const char *problem, const char *dir)
{
    char text[FR_ERROR_MAX];
    snprintf(text, sizeof text, "%s", problem);
    size_t dn = strlen(dir);
    for (char *at; dn && (at = strstr(text, dir)) && at[dn] == '/';)
        memmove(at, at + dn + 1, strlen(at + dn + 1) + 1);
    char *colon = strchr(text, ':');
    if (colon && strncmp(text, "plugin ", 7) != 0 && colon[1] >= '0' && colon[1] <= '9')
        colon += 1 + strspn(colon + 1, "0123456789"); /* FILE:LINE */
    if (colon)
        *colon = '\0';
    return json_string(text);
}

/* The log as this public answer names it (fr_site_log_name): in the
 * site's folder by its name, elsewhere by the variable that puts it there
 * (no server path here). */
static const char *log_name(fr_req *r, char out[256])
{
    fr_site_log_name(r->site, out, 256);
    return out[0] == '/' ? "$FILROUGE_LOG" : out;
}

static json_t *reload_check(fr_req *r, int *degraded)
{
    char log[256];
    json_t *refused = fr_server_reload_refusals(r->server, r->site), *where = json_array(), *v;
    size_t i;
    json_array_foreach(refused, i, v)
        json_array_append_new(where, where_only(json_string_value(v), r->site->dir));
    json_t *c = judge(json_array_size(refused) > 0, degraded, "refused",
                      "a reload was refused: the server goes on with the last good version "
                      "of what is listed; fix it and reload (systemctl reload filrouge); "
                      "/admin and the log (%s) say what is wrong",
                      log_name(r, log));
    json_object_set_new(c, "refused", where);
    json_decref(refused);
    return c;
}

static void health(fr_req *r, fr_resp *w)
{
    int degraded = 0;
    json_t *out = json_pack("{s:s}", "status", "ok"); /* first, set last */
    json_t *db;
    int64_t failed = 0, retrying = 0;
    if (count_deliveries(r, &failed, &retrying)) {
        char log[256], msg[300];
        snprintf(msg, sizeof msg, "the database cannot be read; the server's log (%s) says why",
                 log_name(r, log));
        json_object_set_new(out, "status", json_string("unavailable"));
        json_object_set_new(out, "database", check("unavailable", msg));
        fr_resp_json(w, 503, out);
        return;
    }
    db = check("ok", NULL);
    json_object_set_new(db, "backend", json_string(fr_store_backend(r->site->store)));
    json_object_set_new(out, "database", db);

    json_object_set_new(out, "writes",
                        judge(fr_store_short_of_space(r->site->store), &degraded, "refused",
                              "the disk holding the database is full (or the site's "
                              "database.max-size-mb is reached): changes are refused, reads go "
                              "on; free some space"));

    long waiting = 0, running = 0;
    long oldest = fr_server_commit_backlog(r->server, &waiting, &running);
    json_t *commits = judge(oldest >= commit_slow_ms(r->site), &degraded, "slow",
                            "a write has waited %.1f s for the database: another program may "
                            "hold it (a long transaction), or its disk does not answer",
                            oldest / 1000.0);
    json_object_set_new(commits, "waiting", json_integer(waiting));
    json_object_set_new(commits, "running", json_integer(running));
    json_object_set_new(commits, "oldest_ms", json_integer(oldest));
    json_object_set_new(out, "commits", commits);

    json_t *deliveries = judge(failed > 0, &degraded, "failed",
                               "%lld deliveries were parked after their last attempt: see "
                               "`filrouge events failed`, fix the cause, then `filrouge events "
                               "retry --all`",
                               (long long)failed);
    json_object_set_new(deliveries, "failed", json_integer(failed));
    json_object_set_new(deliveries, "retrying", json_integer(retrying));
    json_object_set_new(out, "deliveries", deliveries);

    json_object_set_new(out, "reload", reload_check(r, &degraded));

    if (degraded)
        json_object_set_new(out, "status", json_string("degraded"));
    fr_resp_json(w, 200, out);
}

const fr_route fr_routes_health[] = {
    {"GET", "/api/v1/health", health, FR_ROUTE_API | FR_ROUTE_PUBLIC},
    {0},
};

/* The JSON API under /api/v1/ (docs/api.md, docs/openapi.yaml). Each
 * handler reads its input, calls the same kernel function as the CLI
 * command of the same name, and answers JSON: the kernel's data, or
 * {error:{code,message}} with an HTTP status. Access, audit and events are
 * the kernel's business, not this file's. Forms' API calls are added by
 * the forms part in its own table (router.c). */
#include "server.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "audit.h"
#include "bus.h"
#include "care.h"
#include "clock.h"
#include "form.h"
#include "intake.h"
#include "plugin.h"
#include "record.h"
#include "settings.h"
#include "task.h"
#include "workflow.h"

/* The JSON object of the body; NULL after answering 400. */
static json_t *body_object(fr_req *r, fr_resp *w)
{
    json_error_t je;
    json_t *j = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &je);
    if (!json_is_object(j)) {
        char msg[300];
        if (j)
            snprintf(msg, sizeof msg, "the body must be a JSON object");
        else
            snprintf(msg, sizeof msg, "the body is not valid JSON (line %d, column %d): %s",
                     je.line, je.column, je.text);
        json_decref(j);
        fr_resp_api_fail(w, 400, "invalid", msg);
        return NULL;
    }
    return j;
}

static const char *type_name(char t)
{
    switch (t) {
    case 's':
        return "text";
    case 'i':
        return "a whole number";
    case 'b':
        return "true or false";
    case 'o':
        return "an object";
    default:
        return "a list";
    }
}

static int has_type(json_t *v, char t)
{
    switch (t) {
    case 's':
        return json_is_string(v);
    case 'i':
        return json_is_integer(v);
    case 'b':
        return json_is_boolean(v);
    case 'o':
        return json_is_object(v);
    default:
        return json_is_array(v);
    }
}

int fr_api_fields(json_t *obj, const char *const *fields, const char *where, fr_resp *w)
{
    const char *key;
    json_t *v;
    char msg[700];
    json_object_foreach(obj, key, v)
    {
        const char *const *f = fields;
        while (*f && strcmp(*f + 2, key) != 0)
            f++;
        if (!*f) {
            const char *names[32];
            size_t n = 0;
            for (const char *const *g = fields; *g && n < 32; g++)
                names[n++] = *g + 2;
            fr_unknown_name(msg, sizeof msg, "field", where, key, *where ? "it" : "this request",
                            names, n);
            if (w)
                fr_resp_api_fail(w, 400, "invalid", msg);
            return -1;
        }
        if (!json_is_null(v) && !has_type(v, (*f)[0])) {
            snprintf(msg, sizeof msg, "field \"%s%s\" must be %s", where, key, type_name((*f)[0]));
            if (w)
                fr_resp_api_fail(w, 400, "invalid", msg);
            return -1;
        }
    }
    return 0;
}

/* The body's object, its fields checked (fr_api_fields); NULL after
 * answering 400. */
static json_t *body_with(fr_req *r, fr_resp *w, const char *const *fields)
{
    json_t *b = body_object(r, w);
    if (b && fr_api_fields(b, fields, "", w)) {
        json_decref(b);
        return NULL;
    }
    return b;
}

int fr_api_items(json_t *b, const char *key, const char *const *fields, size_t max, fr_resp *w)
{
    size_t i;
    json_t *v;
    if (json_array_size(json_object_get(b, key)) > max) {
        char msg[128];
        snprintf(msg, sizeof msg, "field \"%s\": at most %zu items", key, max);
        fr_resp_api_fail(w, 400, "invalid", msg);
        return -1;
    }
    json_array_foreach(json_object_get(b, key), i, v)
    {
        char where[64];
        snprintf(where, sizeof where, "%s[%zu].", key, i);
        if (!json_is_object(v)) {
            char msg[128];
            snprintf(msg, sizeof msg, "field \"%s[%zu]\" must be an object", key, i);
            fr_resp_api_fail(w, 400, "invalid", msg);
            return -1;
        }
        if (fr_api_fields(v, fields, where, w))
            return -1;
    }
    return 0;
}

static const char *jstr(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* The lists' query parameters. A misspelt filter would otherwise be
 * ignored and the whole list answered as if it applied, and a limit out
 * of range replaced without a word: both are refused (400), saying what
 * to write. */

int fr_api_query(fr_req *r, fr_resp *w, const char *const *names)
{
    const char *unknown = fr_req_query_unknown(r, names);
    if (!unknown)
        return 0;
    size_t n = 0;
    while (names[n])
        n++;
    char msg[600];
    fr_unknown_name(msg, sizeof msg, "query parameter", "", unknown, "this request", names, n);
    fr_resp_api_fail(w, 400, "invalid", msg);
    return -1;
}

/* The whole number `name`, from min to max (dflt when absent): 0, or -1
 * after answering 400. */
static int query_int(fr_req *r, fr_resp *w, const char *name, int dflt, int min, int max, int *out)
{
    const char *v = fr_req_query(r, name);
    *out = dflt;
    if (!v)
        return 0;
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (!*v || *end || errno || n < min || n > max) {
        char msg[200];
        snprintf(msg, sizeof msg, "%s: write a whole number from %d to %d, not \"%.40s\"%s", name,
                 min, max, v,
                 strcmp(name, "limit") == 0 && n > max && !*end ? "; page with offset" : "");
        fr_resp_api_fail(w, 400, "invalid", msg);
        return -1;
    }
    *out = (int)n;
    return 0;
}

/* The lists' `mine`: present alone, 1 or true (0 or false: not mine): 0,
 * or -1 after answering 400. */
static int query_mine(fr_req *r, fr_resp *w, int *mine)
{
    const char *v = fr_req_query(r, "mine");
    *mine = v && (!*v || strcmp(v, "1") == 0 || strcmp(v, "true") == 0);
    if (v && !*mine && strcmp(v, "0") && strcmp(v, "false")) {
        fr_resp_api_fail(w, 400, "invalid", "mine: write mine=1 (or mine=true), or leave it out");
        return -1;
    }
    return 0;
}

#define MAX_OFFSET (1 << 30)

/* A refusal by role (not by care relationship, which the kernel checks and
 * audits itself): audited here, then 403. */
static void deny_role(fr_req *r, fr_resp *w, const char *message)
{
    fr_access_refused_role(r->site, "api", r->path);
    fr_resp_api_fail(w, 403, "access-denied", message);
}

static void ok(fr_resp *w, int status, json_t *value)
{
    fr_resp_json(w, status, value);
}

/* A write succeeded: its events go out (after the commit), then the answer. */
static void written(fr_req *r, fr_resp *w, int status, json_t *value)
{
    fr_server_deliver(r);
    ok(w, status, value);
}

/* A date in the body: DD/MM/YYYY or YYYY-MM-DD; NULL when absent. */
static int body_date(json_t *b, const char *k, char out[11], const char **result, fr_resp *w)
{
    const char *v = jstr(b, k);
    *result = NULL;
    if (!v)
        return 0;
    if (fr_parse_date(v, out)) {
        char msg[200];
        snprintf(msg, sizeof msg, "%s: '%.40s' is not a date; write DD/MM/YYYY or YYYY-MM-DD", k,
                 v);
        fr_resp_api_fail(w, 400, "invalid", msg);
        return -1;
    }
    *result = out;
    return 0;
}

static void with_break_glass(fr_req *r)
{
    const char *bg = fr_req_header(r, "X-Break-Glass");
    if (bg && *bg)
        r->site->break_glass_reason = bg;
}

/* ---- session ---- */

static const char *const login_fields[] = {"s:login", "s:password", NULL};

static void api_login(fr_req *r, fr_resp *w)
{
    json_t *b = body_with(r, w, login_fields);
    if (!b)
        return;
    const char *login = jstr(b, "login"), *password = jstr(b, "password");
    fr_error err = {0};
    int64_t uid = 0;
    if (!login || !password) {
        fr_resp_api_fail(w, 400, "invalid", "send {\"login\": …, \"password\": …}");
    } else if (fr_session_throttled(r, login)) {
        fr_resp_api_fail(w, 429, "throttled",
                         "too many failed logins; wait a quarter of an hour and try again");
    } else if (fr_user_check_password(r->site, login, password, &uid, &err) &&
               err.code != FR_EACCESS) {
        fr_resp_api_error(r, w, &err); /* the database failed: not the password */
    } else if (err.code == FR_EACCESS) {
        fr_session_login_failed(r, login);
        fr_resp_api_fail(w, 401, "unauthenticated", "wrong login or password");
    } else {
        snprintf(r->login, sizeof r->login, "%s", login);
        if (fr_session_create(r, w, uid, &err))
            fr_resp_api_error(r, w, &err);
        else
            ok(w, 200, json_pack("{s:s,s:s}", "login", login, "csrf", r->csrf));
    }
    json_decref(b);
}

static void api_logout(fr_req *r, fr_resp *w)
{
    fr_session_destroy(r, w);
    ok(w, 200, json_pack("{s:b}", "ok", 1));
}

static void api_me(fr_req *r, fr_resp *w)
{
    ok(w, 200,
       json_pack("{s:s,s:s,s:s,s:s,s:s}", "login", r->login, "name", r->display_name, "role",
                 r->role, "language", r->lang, "csrf", r->csrf));
}

/* ---- patients ---- */

static const char *const patients_query[] = {"q", "limit", "offset", NULL};

static void api_patients(fr_req *r, fr_resp *w)
{
    json_t *out = NULL;
    fr_error err = {0};
    int limit, offset;
    if (fr_api_query(r, w, patients_query) || query_int(r, w, "limit", 50, 1, 500, &limit) ||
        query_int(r, w, "offset", 0, 0, MAX_OFFSET, &offset))
        return;
    if (fr_patient_find(r->site, fr_req_query(r, "q"), limit, offset, &out, &err))
        fr_resp_api_error(r, w, &err);
    else
        ok(w, 200, out);
}

static const char *const patient_add_fields[] = {
    "s:family_name", "s:given_names", "s:birth_date", "s:sex",         "s:address", "s:postal_code",
    "s:city",        "s:phone",       "s:language",   "a:identifiers", NULL};

static void api_patient_add(fr_req *r, fr_resp *w)
{
    static const char *const identifier_fields[] = {"s:system", "s:value", NULL};
    json_t *b = body_with(r, w, patient_add_fields);
    if (!b)
        return;
    if (fr_api_items(b, "identifiers", identifier_fields, 8, w)) {
        json_decref(b);
        return;
    }
    fr_patient_new p = {0};
    fr_identifier ids[8];
    char birth[11];
    p.family_name = jstr(b, "family_name");
    p.given_names = jstr(b, "given_names");
    p.sex = jstr(b, "sex");
    p.address = jstr(b, "address");
    p.postal_code = jstr(b, "postal_code");
    p.city = jstr(b, "city");
    p.phone = jstr(b, "phone");
    p.language = jstr(b, "language");
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(b, "identifiers"), i, v)
    {
        if (!jstr(v, "system") || !jstr(v, "value")) {
            char msg[128];
            snprintf(msg, sizeof msg, "identifiers[%zu]: give both system and value", i);
            fr_resp_api_fail(w, 400, "invalid", msg);
            json_decref(b);
            return;
        }
        ids[p.nidentifiers].system = jstr(v, "system");
        ids[p.nidentifiers].value = jstr(v, "value");
        p.nidentifiers++;
    }
    p.identifiers = ids;
    fr_error err = {0};
    int64_t id = 0;
    if (body_date(b, "birth_date", birth, &p.birth_date, w) == 0) {
        if (fr_patient_add(r->site, &p, &id, &err))
            fr_resp_api_error(r, w, &err);
        else
            ok(w, 201, json_pack("{s:I}", "id", (json_int_t)id));
    }
    json_decref(b);
}

static void api_patient_get(fr_req *r, fr_resp *w)
{
    json_t *out = NULL;
    fr_error err = {0};
    with_break_glass(r);
    if (fr_patient_get(r->site, fr_parse_id(r->params[0]), &out, &err))
        fr_resp_api_error(r, w, &err);
    else
        ok(w, 200, out);
}

/* GET /patients/{id}/export: the whole record (fr_patient_export), as a
 * file to save. */
static void api_patient_export(fr_req *r, fr_resp *w)
{
    json_t *out = NULL;
    fr_error err = {0};
    int64_t id = fr_parse_id(r->params[0]);
    with_break_glass(r);
    if (fr_patient_export(r->site, id, &out, &err)) {
        fr_resp_api_error(r, w, &err);
        return;
    }
    char name[80];
    snprintf(name, sizeof name, "attachment; filename=\"patient-%" PRId64 "-export.json\"", id);
    fr_resp_header(w, "Content-Disposition", name);
    ok(w, 200, out);
}

/* ---- cases ---- */

static const char *const cases_query[] = {"mine",  "manager", "status", "plugin",
                                          "limit", "offset",  NULL};

static void api_cases(fr_req *r, fr_resp *w)
{
    fr_case_filter f = {0};
    int mine;
    if (fr_api_query(r, w, cases_query) || query_int(r, w, "limit", 100, 1, 500, &f.limit) ||
        query_int(r, w, "offset", 0, 0, MAX_OFFSET, &f.offset) || query_mine(r, w, &mine))
        return;
    f.manager = fr_req_query(r, "manager");
    f.status = fr_req_query(r, "status");
    f.plugin = fr_req_query(r, "plugin");
    if (mine)
        f.manager = r->login;
    json_t *out = NULL;
    fr_error err = {0};
    if (fr_case_list(r->site, &f, &out, &err))
        fr_resp_api_error(r, w, &err);
    else
        ok(w, 200, out);
}

/* My caseload: my open cases (overdue first) and my load against my
 * capacity, as on the caseload page. */
/* The caseload answer is kept in memory (cache.c) while nothing was
 * committed to the database and for at most CASELOAD_TTL seconds (a
 * break-glass access that expires changes no row), per user, page and day
 * (the overdue counts depend on the date). */
#define CASELOAD_TTL 10

static const char *const caseload_query[] = {"limit", "offset", NULL};

static void api_caseload(fr_req *r, fr_resp *w)
{
    fr_case_filter f = {0};
    f.manager = r->login;
    f.status = "open";
    if (fr_api_query(r, w, caseload_query) || query_int(r, w, "limit", 100, 1, 500, &f.limit) ||
        query_int(r, w, "offset", 0, 0, MAX_OFFSET, &f.offset))
        return;
    char today[FR_TIME_LEN], key[256];
    fr_clock_today(today);
    snprintf(key, sizeof key, "caseload:%s:%d:%d:%s", r->login, f.limit, f.offset, today);
    int64_t generation = fr_cache_req_generation(r);
    if (fr_cache_get_buf(r->site, generation, key, &w->body)) {
        w->status = 200;
        w->content_type = "application/json; charset=utf-8";
        return;
    }
    json_t *cases = NULL;
    fr_error err = {0};
    if (fr_case_list(r->site, &f, &cases, &err)) {
        fr_resp_api_error(r, w, &err);
        return;
    }
    /* as `filrouge caseload` counts it (fr_caseload_of) */
    double load = 0, capacity = 0;
    fr_caseload_of(r->site, r->user_id, &load, &capacity, &err);
    ok(w, 200,
       json_pack("{s:s,s:f,s:f,s:o}", "login", r->login, "load", load, "capacity", capacity,
                 "cases", cases));
    if (!w->body.failed)
        fr_cache_put(r->site, generation, key, w->body.data, w->body.len, CASELOAD_TTL);
}

static const char *const case_open_fields[] = {"i:patient_id", "s:workflow",  "s:plugin",
                                               "s:manager",    "s:team",      "s:model",
                                               "i:intensity",  "s:opened_on", NULL};

static void api_case_open(fr_req *r, fr_resp *w)
{
    json_t *b = body_with(r, w, case_open_fields);
    if (!b)
        return;
    fr_case_new n = {0};
    char on[11];
    json_t *pid = json_object_get(b, "patient_id");
    n.patient_id = json_is_integer(pid) ? json_integer_value(pid) : 0;
    n.workflow = jstr(b, "workflow");
    n.plugin = jstr(b, "plugin");
    n.manager = jstr(b, "manager");
    n.team = jstr(b, "team");
    n.model = jstr(b, "model");
    n.intensity = (int)json_integer_value(json_object_get(b, "intensity"));
    fr_error err = {0};
    int64_t id = 0;
    if (body_date(b, "opened_on", on, &n.opened_on, w) == 0) {
        if (!n.patient_id || !n.workflow)
            fr_resp_api_fail(w, 400, "invalid", "patient_id (a number) and workflow are required");
        else if (fr_case_open(r->site, &n, &id, &err))
            fr_resp_api_error(r, w, &err);
        else
            written(r, w, 201, json_pack("{s:I}", "id", (json_int_t)id));
    }
    json_decref(b);
}

static void api_case_get(fr_req *r, fr_resp *w)
{
    json_t *out = NULL;
    fr_error err = {0};
    with_break_glass(r);
    if (fr_case_get(r->site, fr_parse_id(r->params[0]), &out, &err))
        fr_resp_api_error(r, w, &err);
    else
        ok(w, 200, out);
}

static void api_case_events(fr_req *r, fr_resp *w)
{
    char **events = NULL;
    fr_error err = {0};
    with_break_glass(r);
    if (fr_workflow_allowed(r->site, fr_parse_id(r->params[0]), &events, &err)) {
        fr_resp_api_error(r, w, &err);
        return;
    }
    json_t *list = json_array();
    for (char **e = events; e && *e; e++)
        json_array_append_new(list, json_string(*e));
    fr_strv_free(events);
    ok(w, 200, list);
}

static const char *const case_fire_fields[] = {"s:event", "s:on", "s:note", NULL};

static void api_case_fire(fr_req *r, fr_resp *w)
{
    json_t *b = body_with(r, w, case_fire_fields);
    if (!b)
        return;
    int64_t id = fr_parse_id(r->params[0]);
    char on[11];
    const char *eff = NULL, *event = jstr(b, "event");
    fr_error err = {0};
    with_break_glass(r);
    if (body_date(b, "on", on, &eff, w) == 0) {
        if (!event)
            fr_resp_api_fail(w, 400, "invalid", "event is required");
        else if (fr_workflow_fire(r->site, id, event, eff, jstr(b, "note"), &err))
            fr_resp_api_error(r, w, &err);
        else {
            fr_server_deliver(r);
            json_t *cs = NULL;
            if (fr_case_get(r->site, id, &cs, &err))
                fr_resp_api_error(r, w, &err);
            else
                ok(w, 200, cs);
        }
    }
    json_decref(b);
}

static const char *const case_assign_fields[] = {"s:manager", NULL};

static void api_case_assign(fr_req *r, fr_resp *w)
{
    json_t *b = body_with(r, w, case_assign_fields);
    if (!b)
        return;
    fr_error err = {0};
    if (!jstr(b, "manager"))
        fr_resp_api_fail(w, 400, "invalid", "manager (a login) is required");
    else if (fr_case_assign(r->site, fr_parse_id(r->params[0]), jstr(b, "manager"), &err))
        fr_resp_api_error(r, w, &err);
    else
        written(r, w, 200, json_pack("{s:b}", "ok", 1));
    json_decref(b);
}

static const char *const case_intensity_fields[] = {"i:intensity", NULL};

static void api_case_intensity(fr_req *r, fr_resp *w)
{
    json_t *b = body_with(r, w, case_intensity_fields);
    if (!b)
        return;
    fr_error err = {0};
    json_t *lv = json_object_get(b, "intensity");
    if (!json_is_integer(lv))
        fr_resp_api_fail(w, 400, "invalid", "intensity (1-4) is required");
    else if (fr_case_set_intensity(r->site, fr_parse_id(r->params[0]), (int)json_integer_value(lv),
                                   &err))
        fr_resp_api_error(r, w, &err);
    else
        written(r, w, 200, json_pack("{s:b}", "ok", 1));
    json_decref(b);
}

static const char *const close_or_reopen_fields[] = {"s:on", "s:note", NULL};

static void close_or_reopen(fr_req *r, fr_resp *w, int reopen)
{
    json_t *b = body_with(r, w, close_or_reopen_fields);
    if (!b)
        return;
    char on[11];
    const char *eff = NULL;
    fr_error err = {0};
    int64_t id = fr_parse_id(r->params[0]);
    if (body_date(b, "on", on, &eff, w) == 0) {
        int rc = reopen ? fr_case_reopen(r->site, id, eff, jstr(b, "note"), &err)
                        : fr_case_close(r->site, id, eff, jstr(b, "note"), &err);
        if (rc)
            fr_resp_api_error(r, w, &err);
        else
            written(r, w, 200, json_pack("{s:b}", "ok", 1));
    }
    json_decref(b);
}

static void api_case_close(fr_req *r, fr_resp *w)
{
    close_or_reopen(r, w, 0);
}
static void api_case_reopen(fr_req *r, fr_resp *w)
{
    close_or_reopen(r, w, 1);
}

static const char *const case_opened_fields[] = {"s:opened_on", "s:reason", NULL};
static const char *const case_step_on_fields[] = {"s:on", "s:reason", NULL};

/* POST cases/{id}/opened-on and cases/{id}/last-step-on: a date corrected
 * with a reason; the answer says how many tasks followed it. */
static void date_correction(fr_req *r, fr_resp *w, int last_step)
{
    json_t *b = body_with(r, w, last_step ? case_step_on_fields : case_opened_fields);
    if (!b)
        return;
    char d[11];
    const char *date = NULL;
    fr_error err = {0};
    int moved = 0;
    int64_t id = fr_parse_id(r->params[0]);
    if (body_date(b, last_step ? "on" : "opened_on", d, &date, w) == 0) {
        if (!date)
            fr_resp_api_fail(w, 400, "invalid",
                             last_step ? "on (the date the last step really happened) and "
                                         "reason are required"
                                       : "opened_on (the date the case really began) and reason "
                                         "are required");
        else if (last_step
                     ? fr_case_set_last_step_on(r->site, id, date, jstr(b, "reason"), &moved, &err)
                     : fr_case_set_opened(r->site, id, date, jstr(b, "reason"), &moved, &err))
            fr_resp_api_error(r, w, &err);
        else
            written(r, w, 200, json_pack("{s:b,s:i}", "ok", 1, "tasks_moved", moved));
    }
    json_decref(b);
}

static void api_case_opened_on(fr_req *r, fr_resp *w)
{
    date_correction(r, w, 0);
}

static void api_case_last_step_on(fr_req *r, fr_resp *w)
{
    date_correction(r, w, 1);
}

static const char *const case_date_fields[] = {"s:name", "s:date", NULL};

static void api_case_date(fr_req *r, fr_resp *w)
{
    json_t *b = body_with(r, w, case_date_fields);
    if (!b)
        return;
    char d[11];
    const char *date = NULL;
    fr_error err = {0};
    int moved = 0;
    if (body_date(b, "date", d, &date, w) == 0) {
        if (!date || !jstr(b, "name"))
            fr_resp_api_fail(w, 400, "invalid", "name and date are required");
        else if (fr_case_set_date(r->site, fr_parse_id(r->params[0]), jstr(b, "name"), date, &moved,
                                  &err))
            fr_resp_api_error(r, w, &err);
        else
            written(r, w, 200, json_pack("{s:b,s:i}", "ok", 1, "tasks_moved", moved));
    }
    json_decref(b);
}

static const char *const break_glass_fields[] = {"s:reason", NULL};

static void api_break_glass(fr_req *r, fr_resp *w)
{
    json_t *b = body_with(r, w, break_glass_fields);
    if (!b)
        return;
    fr_error err = {0};
    if (fr_access_break_glass(r->site, fr_parse_id(r->params[0]), jstr(b, "reason"), 0, &err))
        fr_resp_api_error(r, w, &err);
    else
        ok(w, 200, json_pack("{s:b}", "ok", 1));
    json_decref(b);
}

/* ---- network ---- */

static void api_network(fr_req *r, fr_resp *w)
{
    json_t *out = NULL;
    fr_error err = {0};
    with_break_glass(r);
    if (fr_network_list(r->site, fr_parse_id(r->params[0]), &out, &err))
        fr_resp_api_error(r, w, &err);
    else
        ok(w, 200, out);
}

/* GET cases/{id}/notes: the case's notes, oldest first (audited read);
 * POST: a person's note, signed by the caller. */
static void api_notes(fr_req *r, fr_resp *w)
{
    json_t *out = NULL;
    fr_error err = {0};
    with_break_glass(r);
    if (fr_case_notes(r->site, fr_parse_id(r->params[0]), &out, &err))
        fr_resp_api_error(r, w, &err);
    else
        ok(w, 200, out);
}

static const char *const note_add_fields[] = {"s:text", "s:on", NULL};

static void api_note_add(fr_req *r, fr_resp *w)
{
    json_t *b = body_with(r, w, note_add_fields);
    if (!b)
        return;
    fr_error err = {0};
    int64_t id = 0;
    char d[11];
    const char *on = NULL;
    if (body_date(b, "on", d, &on, w) == 0) {
        if (fr_case_add_note_on(r->site, fr_parse_id(r->params[0]), jstr(b, "text"), on, "person",
                                NULL, &id, &err))
            fr_resp_api_error(r, w, &err);
        else
            written(r, w, 201, json_pack("{s:I}", "id", (json_int_t)id));
    }
    json_decref(b);
}

static const char *const network_add_fields[] = {
    "s:kind", "s:name",  "s:role",  "s:relation", "s:organisation", "s:phone", "s:email",
    "s:user", "s:since", "s:until", NULL};

static void api_network_add(fr_req *r, fr_resp *w)
{
    json_t *b = body_with(r, w, network_add_fields);
    if (!b)
        return;
    fr_member_new m = {0};
    char s1[11], s2[11];
    m.kind = jstr(b, "kind");
    m.name = jstr(b, "name");
    m.role = jstr(b, "role");
    m.relation = jstr(b, "relation");
    m.organisation = jstr(b, "organisation");
    m.phone = jstr(b, "phone");
    m.email = jstr(b, "email");
    m.user = jstr(b, "user");
    fr_error err = {0};
    int64_t id = 0;
    if (body_date(b, "since", s1, &m.since, w) == 0 &&
        body_date(b, "until", s2, &m.until, w) == 0) {
        if (fr_network_add(r->site, fr_parse_id(r->params[0]), &m, &id, &err))
            fr_resp_api_error(r, w, &err);
        else
            written(r, w, 201, json_pack("{s:I}", "id", (json_int_t)id));
    }
    json_decref(b);
}

/* ---- tasks ---- */

static const char *const tasks_query[] = {"mine",  "assignee", "case", "status", "due_before",
                                          "limit", "offset",   "lang", NULL};

static const char *api_lang(fr_req *r);

static void api_tasks(fr_req *r, fr_resp *w)
{
    fr_task_filter f = {0};
    char before[11];
    int mine;
    if (fr_api_query(r, w, tasks_query) || query_int(r, w, "limit", 100, 1, 500, &f.limit) ||
        query_int(r, w, "offset", 0, 0, MAX_OFFSET, &f.offset) || query_mine(r, w, &mine))
        return;
    f.assignee = mine ? r->login : fr_req_query(r, "assignee");
    f.status = fr_req_query(r, "status");
    const char *cs = fr_req_query(r, "case");
    if (cs && (f.case_id = fr_parse_id(cs)) <= 0) {
        fr_resp_api_fail(w, 400, "invalid", "case: write a case's number");
        return;
    }
    const char *db = fr_req_query(r, "due_before");
    if (db && fr_parse_date(db, before)) {
        fr_resp_api_fail(w, 400, "invalid", "due_before: write DD/MM/YYYY or YYYY-MM-DD");
        return;
    }
    f.due_before = db ? before : NULL;
    f.lang = api_lang(r);
    json_t *out = NULL;
    fr_error err = {0};
    if (fr_task_list(r->site, &f, &out, &err))
        fr_resp_api_error(r, w, &err);
    else
        ok(w, 200, out);
}

static const char *const task_add_fields[] = {"i:case_id", "s:title",    "s:due_on", "s:anchor",
                                              "s:offset",  "s:assignee", NULL};

static void api_task_add(fr_req *r, fr_resp *w)
{
    json_t *b = body_with(r, w, task_add_fields);
    if (!b)
        return;
    fr_task_new t = {0};
    char due[11];
    t.case_id = json_integer_value(json_object_get(b, "case_id"));
    t.title = jstr(b, "title");
    t.anchor = jstr(b, "anchor");
    t.offset = jstr(b, "offset");
    t.origin = "person";
    fr_error err = {0};
    int64_t id = 0;
    if (body_date(b, "due_on", due, &t.due_on, w) == 0) {
        if (!t.title || (!t.due_on && !t.anchor))
            fr_resp_api_fail(w, 400, "invalid", "title and due_on (or anchor) are required");
        else if (jstr(b, "assignee") &&
                 fr_user_id(r->site, jstr(b, "assignee"), &t.assignee_id, &err))
            fr_resp_api_error(r, w, &err);
        else if (fr_task_create(r->site, &t, &id, &err))
            fr_resp_api_error(r, w, &err);
        else
            written(r, w, 201, json_pack("{s:I}", "id", (json_int_t)id));
    }
    json_decref(b);
}

static void api_task_done(fr_req *r, fr_resp *w)
{
    fr_error err = {0};
    if (fr_task_done(r->site, fr_parse_id(r->params[0]), &err))
        fr_resp_api_error(r, w, &err);
    else
        written(r, w, 200, json_pack("{s:b}", "ok", 1));
}

static const char *const task_cancel_fields[] = {"s:reason", NULL};

static void api_task_cancel(fr_req *r, fr_resp *w)
{
    json_t *b = body_with(r, w, task_cancel_fields);
    if (!b)
        return;
    fr_error err = {0};
    if (!jstr(b, "reason") || !*jstr(b, "reason"))
        fr_resp_api_fail(w, 400, "invalid", "reason is required: why the task is cancelled");
    else if (fr_task_cancel(r->site, fr_parse_id(r->params[0]), jstr(b, "reason"), &err))
        fr_resp_api_error(r, w, &err);
    else
        written(r, w, 200, json_pack("{s:b}", "ok", 1));
    json_decref(b);
}

static const char *const task_assign_fields[] = {"s:assignee", NULL};

static void api_task_assign(fr_req *r, fr_resp *w)
{
    json_t *b = body_with(r, w, task_assign_fields);
    if (!b)
        return;
    fr_error err = {0};
    if (!jstr(b, "assignee"))
        fr_resp_api_fail(w, 400, "invalid", "assignee (a login) is required");
    else if (fr_task_assign(r->site, fr_parse_id(r->params[0]), jstr(b, "assignee"), &err))
        fr_resp_api_error(r, w, &err);
    else
        written(r, w, 200, json_pack("{s:b}", "ok", 1));
    json_decref(b);
}

/* ---- users, teams ---- */

static void api_users(fr_req *r, fr_resp *w)
{
    json_t *out = NULL;
    fr_error err = {0};
    if (fr_user_list(r->site, &out, &err))
        fr_resp_api_error(r, w, &err);
    else
        ok(w, 200, out);
}

static const char *const user_add_fields[] = {
    "s:login", "s:display_name", "s:role", "s:language", "i:capacity", "s:password", NULL};

static void api_user_add(fr_req *r, fr_resp *w)
{
    json_t *b = body_with(r, w, user_add_fields);
    if (!b)
        return;
    fr_user_new u = {0};
    u.login = jstr(b, "login");
    u.display_name = jstr(b, "display_name");
    u.role = jstr(b, "role");
    u.language = jstr(b, "language");
    json_int_t cap = json_integer_value(json_object_get(b, "capacity"));
    /* beyond int's range: still refused by the kernel as out of range */
    u.capacity = cap < -1 ? -1 : cap > INT_MAX ? INT_MAX : (int)cap;
    u.password = jstr(b, "password");
    fr_error err = {0};
    int64_t id = 0;
    if (fr_user_add(r->site, &u, &id, &err))
        fr_resp_api_error(r, w, &err);
    else
        ok(w, 201, json_pack("{s:I}", "id", (json_int_t)id));
    json_decref(b);
}

/* POST /users/{id}: {display_name, role, language, capacity}, each
 * optional (fr_user_edit). */
static void api_user_edit(fr_req *r, fr_resp *w)
{
    static const char *const fields[] = {"s:display_name", "s:role", "s:language", "i:capacity",
                                         NULL};
    json_t *b = body_with(r, w, fields);
    if (!b)
        return;
    fr_user_change u = {0};
    u.display_name = jstr(b, "display_name");
    u.role = jstr(b, "role");
    u.language = jstr(b, "language");
    json_t *cap = json_object_get(b, "capacity");
    if ((u.has_capacity = cap != NULL)) { /* beyond int's range: still refused */
        json_int_t v = json_integer_value(cap);
        u.capacity = v < INT_MIN ? INT_MIN : v > INT_MAX ? INT_MAX : (int)v;
    }
    fr_error err = {0};
    char *login = NULL;
    if (fr_user_login_of(r->site, fr_parse_id(r->params[0]), &login, &err) ||
        fr_user_edit(r->site, login, &u, &err))
        fr_resp_api_error(r, w, &err);
    else
        written(r, w, 200, json_pack("{s:s}", "login", login));
    free(login);
    json_decref(b);
}

/* POST /users/{id}/deactivate and /activate: no body (or an empty
 * object). */
static void api_user_set_active(fr_req *r, fr_resp *w, int active)
{
    static const char *const no_fields[] = {NULL};
    json_t *b = r->body_len ? body_with(r, w, no_fields) : json_object();
    if (!b)
        return;
    json_decref(b);
    fr_error err = {0};
    char *login = NULL;
    int64_t cases = 0, tasks = 0;
    if (fr_user_login_of(r->site, fr_parse_id(r->params[0]), &login, &err) ||
        fr_user_set_active(r->site, login, active, &cases, &tasks, &err))
        fr_resp_api_error(r, w, &err);
    else
        written(r, w, 200,
                json_pack("{s:s,s:b,s:I,s:I}", "login", login, "active", active, "open_cases",
                          (json_int_t)cases, "open_tasks", (json_int_t)tasks));
    free(login);
}

static void api_user_deactivate(fr_req *r, fr_resp *w)
{
    api_user_set_active(r, w, 0);
}

static void api_user_activate(fr_req *r, fr_resp *w)
{
    api_user_set_active(r, w, 1);
}

static void api_teams(fr_req *r, fr_resp *w)
{
    json_t *out = NULL;
    fr_error err = {0};
    if (fr_team_list(r->site, &out, &err))
        fr_resp_api_error(r, w, &err);
    else
        ok(w, 200, out);
}

/* ---- plugins, events, audit, workflows ---- */

static void api_plugins(fr_req *r, fr_resp *w)
{
    const fr_plugin_info *list = NULL;
    int n = 0;
    fr_plugins_list(r->site, &list, &n);
    json_t *out = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(out, json_pack("{s:s,s:s?,s:s?,s:b,s:b,s:s?}", "id", list[i].id,
                                             "version", list[i].version, "description",
                                             list[i].description, "enabled", list[i].enabled,
                                             "loaded", list[i].loaded, "problem", list[i].problem));
    ok(w, 200, out);
}

static void api_plugin_switch(fr_req *r, fr_resp *w, int enable)
{
    fr_error err = {0};
    if (!fr_access_has_role(r->site, "admin")) {
        deny_role(r, w, "only administrators can enable or disable plugins");
        return;
    }
    char *warnings = NULL;
    int rc = enable ? fr_plugins_enable_report(r->site, r->params[0], &warnings, &err)
                    : fr_plugins_disable(r->site, r->params[0], &err);
    if (rc) {
        fr_resp_api_error(r, w, &err);
        return;
    }
    /* Every worker reopens its site between requests (a moment later). */
    fr_server_request_reload(r->server);
    json_t *out = json_pack("{s:b}", "ok", 1), *list = json_array();
    char *save = NULL;
    for (char *line = warnings ? strtok_r(warnings, "\n", &save) : NULL; line;
         line = strtok_r(NULL, "\n", &save))
        json_array_append_new(list, json_string(line));
    free(warnings);
    if (enable)
        json_object_set_new(out, "warnings", list);
    else
        json_decref(list);
    ok(w, 200, out);
}

static void api_plugin_enable(fr_req *r, fr_resp *w)
{
    api_plugin_switch(r, w, 1);
}
static void api_plugin_disable(fr_req *r, fr_resp *w)
{
    api_plugin_switch(r, w, 0);
}

static const char *const events_query[] = {"which", "limit", NULL};

static void api_events(fr_req *r, fr_resp *w)
{
    json_t *out = NULL;
    fr_error err = {0};
    const char *which = fr_req_query(r, "which");
    int limit;
    if (!fr_access_has_role(r->site, "admin")) {
        deny_role(r, w, "only administrators can list events");
        return;
    }
    if (fr_api_query(r, w, events_query) || query_int(r, w, "limit", 50, 1, 500, &limit))
        return;
    if (which && strcmp(which, "failed") && strcmp(which, "pending")) {
        fr_resp_api_fail(w, 400, "invalid", "which: failed or pending");
        return;
    }
    if (fr_bus_list(r->site, which, limit, &out, &err))
        fr_resp_api_error(r, w, &err);
    else
        ok(w, 200, out);
}

static void api_event_retry(fr_req *r, fr_resp *w)
{
    fr_error err = {0};
    int count = 0;
    if (!fr_access_has_role(r->site, "admin")) {
        deny_role(r, w, "only administrators can retry events");
        return;
    }
    if (fr_bus_retry(r->site, fr_parse_id(r->params[0]), NULL, &count, &err))
        fr_resp_api_error(r, w, &err);
    else
        written(r, w, 200, json_pack("{s:i}", "retried", count));
}

static const char *const audit_query[] = {"type", "id", "limit", NULL};

static void api_audit(fr_req *r, fr_resp *w)
{
    json_t *out = NULL;
    fr_error err = {0};
    int limit;
    if (fr_api_query(r, w, audit_query) || query_int(r, w, "limit", 100, 1, 1000, &limit))
        return;
    if (fr_audit_list(r->site, fr_req_query(r, "type"), fr_req_query(r, "id"), limit, &out, &err))
        fr_resp_api_error(r, w, &err);
    else
        ok(w, 200, out);
}

static void api_audit_verify(fr_req *r, fr_resp *w)
{
    fr_error err = {0};
    fr_audit_report rep = {0};
    if (!fr_access_has_role(r->site, "admin")) {
        deny_role(r, w, "only administrators can verify the audit trail");
        return;
    }
    if (fr_audit_verify(r->site->store, &rep, &err))
        fr_resp_api_error(r, w, &err);
    else
        ok(w, 200,
           json_pack("{s:I,s:b,s:I,s:s}", "entries", (json_int_t)rep.entries, "intact",
                     rep.first_bad == 0, "first_bad", (json_int_t)rep.first_bad, "reason",
                     rep.reason));
}

/* ---- intakes ---- */

static const char *const intakes_query[] = {"status", "limit", "offset", NULL};

static void api_intakes(fr_req *r, fr_resp *w)
{
    json_t *out = NULL;
    fr_error err = {0};
    int limit, offset;
    if (fr_api_query(r, w, intakes_query) || query_int(r, w, "limit", 100, 1, 500, &limit) ||
        query_int(r, w, "offset", 0, 0, MAX_OFFSET, &offset))
        return;
    if (fr_intake_list(r->site, fr_req_query(r, "status"), limit, offset, &out, &err))
        fr_resp_api_error(r, w, &err);
    else
        ok(w, 200, out);
}

static const char *const intake_decide_fields[] = {"s:note", NULL};

static void intake_decide(fr_req *r, fr_resp *w, int accept)
{
    json_t *b = body_with(r, w, intake_decide_fields);
    if (!b)
        return;
    fr_error err = {0};
    json_t *row = NULL;
    if (fr_intake_decide(r->site, fr_parse_id(r->params[0]), accept, jstr(b, "note"), &row, &err)) {
        fr_resp_api_error(r, w, &err);
        json_decref(row); /* who handled it, on a conflict */
    } else {
        ok(w, 200, row);
    }
    json_decref(b);
}

static void api_intake_accept(fr_req *r, fr_resp *w)
{
    intake_decide(r, w, 1);
}

static void api_intake_dismiss(fr_req *r, fr_resp *w)
{
    intake_decide(r, w, 0);
}

static const char *const intake_submit_fields[] = {"i:case_id", NULL};

/* The answers of an accepted intake's request form onto its case. */
static void api_intake_submit(fr_req *r, fr_resp *w)
{
    json_t *b = body_with(r, w, intake_submit_fields);
    if (!b)
        return;
    fr_error err = {0};
    int64_t sid = 0;
    if (fr_intake_submit(r->site, fr_parse_id(r->params[0]),
                         json_integer_value(json_object_get(b, "case_id")), &sid, &err))
        fr_resp_api_error(r, w, &err);
    else
        ok(w, 201, json_pack("{s:I}", "submission", (json_int_t)sid));
    json_decref(b);
}

static const char *const intake_link_fields[] = {"i:patient_id", "i:case_id", NULL};

static void api_intake_link(fr_req *r, fr_resp *w)
{
    json_t *b = body_with(r, w, intake_link_fields);
    if (!b)
        return;
    fr_error err = {0};
    int64_t id = fr_parse_id(r->params[0]);
    if (fr_intake_link(r->site, id, fr_ji(b, "patient_id"), fr_ji(b, "case_id"), &err))
        fr_resp_api_error(r, w, &err);
    else
        ok(w, 200,
           json_pack("{s:I,s:I,s:I}", "id", (json_int_t)id, "patient_id", fr_ji(b, "patient_id"),
                     "case_id", fr_ji(b, "case_id")));
    json_decref(b);
}

static void api_patient_intakes(fr_req *r, fr_resp *w)
{
    json_t *list = NULL;
    fr_error err = {0};
    if (fr_intake_of(r->site, fr_parse_id(r->params[0]), 0, &list, &err))
        fr_resp_api_error(r, w, &err);
    else
        ok(w, 200, list);
}

static void api_workflows(fr_req *r, fr_resp *w)
{
    json_t *out = NULL;
    fr_error err = {0};
    if (fr_workflows_list(r->site, &out, &err))
        fr_resp_api_error(r, w, &err);
    else
        ok(w, 200, out);
}

/* ---- forms and submissions ---- */

static const char *api_lang(fr_req *r)
{
    const char *l = fr_req_query(r, "lang");
    return l && *l && strlen(l) < 8 ? l : r->lang;
}

static const char *const forms_query[] = {"lang", NULL};

static void api_forms(fr_req *r, fr_resp *w)
{
    json_t *out = NULL;
    fr_error err = {0};
    if (fr_api_query(r, w, forms_query))
        return;
    if (fr_forms_list(r->site, api_lang(r), &out, &err))
        fr_resp_api_error(r, w, &err);
    else
        ok(w, 200, out);
}

static const char *const form_query[] = {"version", "lang", NULL};

static void api_form_get(fr_req *r, fr_resp *w)
{
    const fr_form *f = NULL;
    fr_error err = {0};
    int version;
    if (fr_api_query(r, w, form_query) || query_int(r, w, "version", 0, 1, 1 << 20, &version))
        return;
    if (fr_forms_get(r->site, r->params[0], version, &f, &err)) {
        fr_resp_api_error(r, w, &err);
        return;
    }
    json_t *d = fr_form_describe(f, api_lang(r), "en");
    if (!d)
        fr_resp_api_fail(w, 500, "out-of-memory", "internal error");
    else
        ok(w, 200, d);
}

static void api_form_html(fr_req *r, fr_resp *w)
{
    const fr_form *f = NULL;
    fr_error err = {0};
    char *html = NULL;
    int version;
    if (fr_api_query(r, w, form_query) || query_int(r, w, "version", 0, 1, 1 << 20, &version))
        return;
    if (fr_forms_get(r->site, r->params[0], version, &f, &err) ||
        fr_form_render(r->site, f, api_lang(r), NULL, NULL, &html, &err)) {
        fr_resp_api_error(r, w, &err);
        return;
    }
    ok(w, 200,
       json_pack("{s:s,s:i,s:s}", "form", fr_form_id(f), "version", fr_form_version(f), "html",
                 html));
    free(html);
}

/* A submission's request, read once: by the prepare step on the worker
 * (with the evaluation done there) or else by the handler. */
typedef struct api_submission {
    json_t *body;
    char *text; /* the data object as JSON text */
    fr_submit s;
    fr_submit_prep *prep;
} api_submission;

static void api_submission_free(void *p)
{
    api_submission *a = p;
    if (!a)
        return;
    fr_submit_prep_free(a->prep);
    json_decref(a->body);
    free(a->text);
    free(a);
}

static const char *const submit_fields[] = {"s:form",   "i:version",  "o:data",
                                            "b:draft",  "i:draft_id", "i:amends",
                                            "s:reason", "s:lang",     NULL};

/* NULL when the body is not a submission or memory runs out. */
static api_submission *api_submission_read(fr_req *r)
{
    json_t *b = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, NULL);
    json_t *data = json_object_get(b, "data");
    api_submission *a = NULL;
    /* a refused field: api_submit says which */
    int fields_bad = json_is_object(b) && fr_api_fields(b, submit_fields, "", NULL);
    if (!json_is_object(b) || fields_bad || !jstr(b, "form") || !json_is_object(data) ||
        !(a = calloc(1, sizeof *a)) || !(a->text = json_dumps(data, JSON_COMPACT))) {
        free(a);
        json_decref(b);
        return NULL;
    }
    a->body = b;
    fr_submit *s = &a->s;
    s->form_id = jstr(b, "form");
    s->form_version = (int)json_integer_value(json_object_get(b, "version"));
    s->case_id = fr_parse_id(r->params[0]);
    s->draft = json_is_true(json_object_get(b, "draft"));
    s->draft_id = json_integer_value(json_object_get(b, "draft_id"));
    s->amends = json_integer_value(json_object_get(b, "amends"));
    s->reason = jstr(b, "reason");
    s->lang = jstr(b, "lang") ? jstr(b, "lang") : r->lang;
    s->data = a->text;
    s->len = strlen(a->text);
    return a;
}

/* On the worker: reads the body and validates and computes the submission
 * (fr_form_submit_prepare), for api_submit on the committer. */
static void api_submit_prepare(fr_req *r, fr_resp *w)
{
    (void)w;
    api_submission *a = api_submission_read(r);
    if (!a)
        return; /* api_submit answers */
    a->prep = fr_form_submit_prepare(r->site, &a->s);
    r->prep = a;
    r->prep_free = api_submission_free;
}

/* On the worker, once the submission is durable: 201 with it as stored. */
static void api_submit_answer(fr_req *r, fr_resp *w)
{
    api_submission *a = r->prep_free == api_submission_free ? r->prep : NULL;
    json_t *sub = fr_form_submission_as_written(a ? a->prep : NULL);
    ok(w, 201, sub ? sub : json_pack("{s:I}", "id", (json_int_t)r->answer_id));
}

/* POST /cases/{id}/submissions {form, version, data, draft, draft_id,
 * amends, reason, lang}: 201 {id}; invalid answers: 400 with every
 * problem in error.problems [{field, message}]. */
static void api_submit(fr_req *r, fr_resp *w)
{
    api_submission *a = r->prep_free == api_submission_free ? r->prep : NULL;
    if (!a) {
        json_t *b = body_with(r, w, submit_fields);
        if (!b)
            return;
        json_decref(b);
        if (!(a = api_submission_read(r))) {
            fr_resp_api_fail(w, 400, "invalid",
                             "send {\"form\": …, \"data\": {field: value, …}} (draft, draft_id, "
                             "amends, reason optional)");
            return;
        }
        r->prep = a;
        r->prep_free = api_submission_free;
    }
    with_break_glass(r);
    int64_t id = 0;
    json_t *problems = NULL;
    fr_error err = {0};
    if (fr_form_submit_prepared(r->site, &a->s, a->prep, &id, &problems, &err)) {
        if (err.code == FR_EINVAL && problems)
            fr_resp_json(w, 400,
                         json_pack("{s:{s:s,s:s,s:O}}", "error", "code", "invalid", "message",
                                   err.message, "problems", problems));
        else
            fr_resp_api_error(r, w, &err);
    } else {
        fr_server_deliver(r);
        r->answer = api_submit_answer;
        r->answer_id = id;
    }
    json_decref(problems);
}

static const char *const submissions_query[] = {"form", "drafts", NULL};

static void api_submissions(fr_req *r, fr_resp *w)
{
    json_t *out = NULL;
    fr_error err = {0};
    const char *drafts = fr_req_query(r, "drafts");
    if (fr_api_query(r, w, submissions_query))
        return;
    if (drafts && strcmp(drafts, "0") && strcmp(drafts, "1")) {
        fr_resp_api_fail(w, 400, "invalid", "drafts: write drafts=1 (or 0, the default)");
        return;
    }
    with_break_glass(r);
    if (fr_form_history(r->site, fr_parse_id(r->params[0]), fr_req_query(r, "form"),
                        drafts && strcmp(drafts, "1") == 0, &out, &err))
        fr_resp_api_error(r, w, &err);
    else
        ok(w, 200, out);
}

static void api_submission_get(fr_req *r, fr_resp *w)
{
    json_t *out = NULL;
    fr_error err = {0};
    with_break_glass(r);
    if (fr_form_submission_get(r->site, fr_parse_id(r->params[0]), &out, &err))
        fr_resp_api_error(r, w, &err);
    else
        ok(w, 200, out);
}

static void api_drafts(fr_req *r, fr_resp *w)
{
    json_t *out = NULL;
    fr_error err = {0};
    if (fr_form_drafts(r->site, &out, &err))
        fr_resp_api_error(r, w, &err);
    else
        ok(w, 200, out);
}

/* ---- care plan, referrals, meetings ---- */

static void api_careplan(fr_req *r, fr_resp *w)
{
    json_t *out = NULL;
    fr_error err = {0};
    with_break_glass(r);
    if (fr_care_plan_get(r->site, fr_parse_id(r->params[0]), &out, &err))
        fr_resp_api_error(r, w, &err);
    else
        ok(w, 200, out);
}

static const char *const goal_add_fields[] = {"s:title", NULL};

static void api_goal_add(fr_req *r, fr_resp *w)
{
    json_t *b = body_with(r, w, goal_add_fields);
    if (!b)
        return;
    fr_error err = {0};
    int64_t id = 0;
    if (fr_care_goal_add(r->site, fr_parse_id(r->params[0]), jstr(b, "title"), &id, &err))
        fr_resp_api_error(r, w, &err);
    else
        written(r, w, 201, json_pack("{s:I}", "id", (json_int_t)id));
    json_decref(b);
}

static const char *const goal_close_fields[] = {"s:status", NULL};

static void api_goal_close(fr_req *r, fr_resp *w)
{
    json_t *b = body_with(r, w, goal_close_fields);
    if (!b)
        return;
    fr_error err = {0};
    if (fr_care_goal_close(r->site, fr_parse_id(r->params[0]), jstr(b, "status"), &err))
        fr_resp_api_error(r, w, &err);
    else
        written(r, w, 200, json_pack("{s:b}", "ok", 1));
    json_decref(b);
}

static const char *const action_add_fields[] = {
    "i:goal_id", "s:title", "s:responsible", "s:user", "i:member_id", "s:due_on", NULL};

static void api_action_add(fr_req *r, fr_resp *w)
{
    json_t *b = body_with(r, w, action_add_fields);
    if (!b)
        return;
    fr_action_new a = {0};
    char due[11];
    a.case_id = fr_parse_id(r->params[0]);
    a.goal_id = json_integer_value(json_object_get(b, "goal_id"));
    a.title = jstr(b, "title");
    a.responsible = jstr(b, "responsible");
    a.user = jstr(b, "user");
    a.member_id = json_integer_value(json_object_get(b, "member_id"));
    fr_error err = {0};
    int64_t id = 0;
    if (body_date(b, "due_on", due, &a.due_on, w) == 0) {
        if (fr_care_action_add(r->site, &a, &id, &err))
            fr_resp_api_error(r, w, &err);
        else
            written(r, w, 201, json_pack("{s:I}", "id", (json_int_t)id));
    }
    json_decref(b);
}

static void api_action_done(fr_req *r, fr_resp *w)
{
    fr_error err = {0};
    if (fr_care_action_done(r->site, fr_parse_id(r->params[0]), &err))
        fr_resp_api_error(r, w, &err);
    else
        written(r, w, 200, json_pack("{s:b}", "ok", 1));
}

static const char *const careplan_approve_fields[] = {"s:by", "s:how", "s:on", "s:note", NULL};

static void api_careplan_approve(fr_req *r, fr_resp *w)
{
    json_t *b = body_with(r, w, careplan_approve_fields);
    if (!b)
        return;
    char on[11];
    const char *on_p = NULL;
    fr_error err = {0};
    if (body_date(b, "on", on, &on_p, w) == 0) {
        if (fr_care_plan_approve(r->site, fr_parse_id(r->params[0]), jstr(b, "by"),
                                 jstr(b, "how"), on_p, jstr(b, "note"), &err))
            fr_resp_api_error(r, w, &err);
        else {
            fr_server_deliver(r);
            json_t *plan = NULL;
            if (fr_care_plan_get(r->site, fr_parse_id(r->params[0]), &plan, &err))
                plan = json_pack("{s:b}", "ok", 1);
            ok(w, 200, plan);
        }
    }
    json_decref(b);
}

static void api_referrals(fr_req *r, fr_resp *w)
{
    json_t *out = NULL;
    fr_error err = {0};
    with_break_glass(r);
    if (fr_referral_list(r->site, fr_parse_id(r->params[0]), &out, &err))
        fr_resp_api_error(r, w, &err);
    else
        ok(w, 200, out);
}

/* Every unanswered referral the user may see, late ones first. */
static void api_referrals_open(fr_req *r, fr_resp *w)
{
    json_t *out = NULL;
    fr_error err = {0};
    if (fr_referral_list(r->site, 0, &out, &err))
        fr_resp_api_error(r, w, &err);
    else
        ok(w, 200, out);
}

static const char *const referral_add_fields[] = {"s:specialty", "s:to",      "s:reason",
                                                  "s:follow_up", "s:sent_on", NULL};

static void api_referral_add(fr_req *r, fr_resp *w)
{
    json_t *b = body_with(r, w, referral_add_fields);
    if (!b)
        return;
    fr_error err = {0};
    int64_t id = 0;
    char sent[11];
    const char *sent_p = NULL;
    if (body_date(b, "sent_on", sent, &sent_p, w) == 0) {
        if (fr_referral_add(r->site, fr_parse_id(r->params[0]), jstr(b, "specialty"), jstr(b, "to"),
                            jstr(b, "reason"), jstr(b, "follow_up"), sent_p, &id, &err))
            fr_resp_api_error(r, w, &err);
        else
            written(r, w, 201, json_pack("{s:I}", "id", (json_int_t)id));
    }
    json_decref(b);
}

static const char *const referral_answer_fields[] = {"s:answer", "s:on", NULL};

static void api_referral_answer(fr_req *r, fr_resp *w)
{
    json_t *b = body_with(r, w, referral_answer_fields);
    if (!b)
        return;
    char on[11];
    const char *on_p = NULL;
    fr_error err = {0};
    if (body_date(b, "on", on, &on_p, w) == 0) {
        if (fr_referral_answer(r->site, fr_parse_id(r->params[0]), jstr(b, "answer"), on_p,
                               &err))
            fr_resp_api_error(r, w, &err);
        else
            written(r, w, 200, json_pack("{s:b}", "ok", 1));
    }
    json_decref(b);
}

static void api_meetings(fr_req *r, fr_resp *w)
{
    json_t *out = NULL;
    fr_error err = {0};
    with_break_glass(r);
    if (fr_meeting_list(r->site, fr_parse_id(r->params[0]), &out, &err))
        fr_resp_api_error(r, w, &err);
    else
        ok(w, 200, out);
}

static const char *const meeting_add_fields[] = {
    "s:kind",         "s:held_on",     "s:place",        "s:minutes",
    "s:convergences", "s:divergences", "a:participants", NULL};

/* POST /cases/{id}/meetings {kind, held_on, place, minutes, convergences,
 * divergences, participants: [{name, role, member_id, user, present}]} */
static void api_meeting_add(fr_req *r, fr_resp *w)
{
    static const char *const participant_fields[] = {"s:name", "s:role",    "i:member_id",
                                                     "s:user", "b:present", NULL};
    json_t *b = body_with(r, w, meeting_add_fields);
    if (!b)
        return;
    if (fr_api_items(b, "participants", participant_fields, 64, w)) {
        json_decref(b);
        return;
    }
    fr_meeting_new m = {0};
    fr_participant ps[64];
    char held[11];
    m.case_id = fr_parse_id(r->params[0]);
    m.kind = jstr(b, "kind");
    m.place = jstr(b, "place");
    m.minutes = jstr(b, "minutes");
    m.convergences = jstr(b, "convergences");
    m.divergences = jstr(b, "divergences");
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(b, "participants"), i, v)
    {
        fr_participant *p = &ps[m.nparticipants++];
        memset(p, 0, sizeof *p);
        p->name = jstr(v, "name");
        p->role = jstr(v, "role");
        p->member_id = json_integer_value(json_object_get(v, "member_id"));
        p->user = jstr(v, "user");
        p->present = !json_is_false(json_object_get(v, "present"));
    }
    m.participants = ps;
    fr_error err = {0};
    int64_t id = 0;
    if (body_date(b, "held_on", held, &m.held_on, w) == 0) {
        if (fr_meeting_add(r->site, &m, &id, &err))
            fr_resp_api_error(r, w, &err);
        else
            written(r, w, 201, json_pack("{s:I}", "id", (json_int_t)id));
    }
    json_decref(b);
}

static void api_meeting_get(fr_req *r, fr_resp *w)
{
    json_t *out = NULL;
    fr_error err = {0};
    with_break_glass(r);
    if (fr_meeting_get(r->site, fr_parse_id(r->params[0]), &out, &err))
        fr_resp_api_error(r, w, &err);
    else
        ok(w, 200, out);
}

static const char *const meeting_decide_fields[] = {"s:title", "s:responsible", "s:user",
                                                    "s:due_on", NULL};

static void api_meeting_decide(fr_req *r, fr_resp *w)
{
    json_t *b = body_with(r, w, meeting_decide_fields);
    if (!b)
        return;
    char due[11];
    const char *due_p = NULL;
    fr_error err = {0};
    int64_t id = 0;
    if (body_date(b, "due_on", due, &due_p, w) == 0) {
        if (fr_meeting_decide(r->site, fr_parse_id(r->params[0]), jstr(b, "title"),
                              jstr(b, "responsible"), jstr(b, "user"), due_p, &id, &err))
            fr_resp_api_error(r, w, &err);
        else
            written(r, w, 201, json_pack("{s:I}", "action_id", (json_int_t)id));
    }
    json_decref(b);
}

const fr_route fr_routes_api[] = {
    {"POST", "/api/v1/session", api_login, FR_ROUTE_API | FR_ROUTE_PUBLIC | FR_ROUTE_ALONE},
    {"DELETE", "/api/v1/session", api_logout, FR_ROUTE_API},
    {"GET", "/api/v1/me", api_me, FR_ROUTE_API},
    {"GET", "/api/v1/patients", api_patients, FR_ROUTE_API},
    {"POST", "/api/v1/patients", api_patient_add, FR_ROUTE_API},
    {"GET", "/api/v1/patients/{id}", api_patient_get, FR_ROUTE_API},
    {"GET", "/api/v1/patients/{id}/export", api_patient_export, FR_ROUTE_API},
    {"GET", "/api/v1/caseload", api_caseload, FR_ROUTE_API},
    {"GET", "/api/v1/cases", api_cases, FR_ROUTE_API},
    {"POST", "/api/v1/cases", api_case_open, FR_ROUTE_API},
    {"GET", "/api/v1/cases/{id}", api_case_get, FR_ROUTE_API},
    {"GET", "/api/v1/cases/{id}/events", api_case_events, FR_ROUTE_API},
    {"POST", "/api/v1/cases/{id}/events", api_case_fire, FR_ROUTE_API},
    {"POST", "/api/v1/cases/{id}/assign", api_case_assign, FR_ROUTE_API},
    {"POST", "/api/v1/cases/{id}/intensity", api_case_intensity, FR_ROUTE_API},
    {"POST", "/api/v1/cases/{id}/close", api_case_close, FR_ROUTE_API},
    {"POST", "/api/v1/cases/{id}/reopen", api_case_reopen, FR_ROUTE_API},
    {"POST", "/api/v1/cases/{id}/dates", api_case_date, FR_ROUTE_API},
    {"POST", "/api/v1/cases/{id}/opened-on", api_case_opened_on, FR_ROUTE_API},
    {"POST", "/api/v1/cases/{id}/last-step-on", api_case_last_step_on, FR_ROUTE_API},
    {"POST", "/api/v1/cases/{id}/break-glass", api_break_glass, FR_ROUTE_API | FR_ROUTE_ACCESS},
    {"GET", "/api/v1/cases/{id}/network", api_network, FR_ROUTE_API},
    {"POST", "/api/v1/cases/{id}/network", api_network_add, FR_ROUTE_API},
    {"GET", "/api/v1/cases/{id}/notes", api_notes, FR_ROUTE_API},
    {"POST", "/api/v1/cases/{id}/notes", api_note_add, FR_ROUTE_API},
    {"GET", "/api/v1/tasks", api_tasks, FR_ROUTE_API},
    {"POST", "/api/v1/tasks", api_task_add, FR_ROUTE_API},
    {"POST", "/api/v1/tasks/{id}/done", api_task_done, FR_ROUTE_API},
    {"POST", "/api/v1/tasks/{id}/cancel", api_task_cancel, FR_ROUTE_API},
    {"POST", "/api/v1/tasks/{id}/assign", api_task_assign, FR_ROUTE_API},
    {"GET", "/api/v1/users", api_users, FR_ROUTE_API},
    {"POST", "/api/v1/users", api_user_add, FR_ROUTE_API | FR_ROUTE_ALONE},
    {"POST", "/api/v1/users/{id}", api_user_edit, FR_ROUTE_API},
    {"POST", "/api/v1/users/{id}/deactivate", api_user_deactivate, FR_ROUTE_API},
    {"POST", "/api/v1/users/{id}/activate", api_user_activate, FR_ROUTE_API},
    {"GET", "/api/v1/teams", api_teams, FR_ROUTE_API},
    {"GET", "/api/v1/plugins", api_plugins, FR_ROUTE_API},
    {"POST", "/api/v1/plugins/{plugin}/enable", api_plugin_enable, FR_ROUTE_API | FR_ROUTE_ALONE},
    {"POST", "/api/v1/plugins/{plugin}/disable", api_plugin_disable, FR_ROUTE_API | FR_ROUTE_ALONE},
    {"GET", "/api/v1/events", api_events, FR_ROUTE_API},
    {"POST", "/api/v1/events/{id}/retry", api_event_retry, FR_ROUTE_API},
    {"GET", "/api/v1/audit", api_audit, FR_ROUTE_API},
    {"GET", "/api/v1/audit/verify", api_audit_verify, FR_ROUTE_API},
    {"GET", "/api/v1/workflows", api_workflows, FR_ROUTE_API},
    {"GET", "/api/v1/intakes", api_intakes, FR_ROUTE_API},
    {"POST", "/api/v1/intakes/{id}/accept", api_intake_accept, FR_ROUTE_API},
    {"POST", "/api/v1/intakes/{id}/dismiss", api_intake_dismiss, FR_ROUTE_API},
    {"POST", "/api/v1/intakes/{id}/submit", api_intake_submit, FR_ROUTE_API},
    {"POST", "/api/v1/intakes/{id}/link", api_intake_link, FR_ROUTE_API},
    {"GET", "/api/v1/patients/{id}/intakes", api_patient_intakes, FR_ROUTE_API},
    {"GET", "/api/v1/forms", api_forms, FR_ROUTE_API},
    {"GET", "/api/v1/forms/{form}", api_form_get, FR_ROUTE_API},
    {"GET", "/api/v1/forms/{form}/html", api_form_html, FR_ROUTE_API},
    {"GET", "/api/v1/cases/{id}/submissions", api_submissions, FR_ROUTE_API},
    {"POST", "/api/v1/cases/{id}/submissions", api_submit, FR_ROUTE_API},
    {"GET", "/api/v1/submissions/{id}", api_submission_get, FR_ROUTE_API},
    {"GET", "/api/v1/drafts", api_drafts, FR_ROUTE_API},
    {"GET", "/api/v1/cases/{id}/careplan", api_careplan, FR_ROUTE_API},
    {"POST", "/api/v1/cases/{id}/careplan/goals", api_goal_add, FR_ROUTE_API},
    {"POST", "/api/v1/cases/{id}/careplan/actions", api_action_add, FR_ROUTE_API},
    {"POST", "/api/v1/cases/{id}/careplan/approve", api_careplan_approve, FR_ROUTE_API},
    {"POST", "/api/v1/goals/{id}/close", api_goal_close, FR_ROUTE_API},
    {"POST", "/api/v1/actions/{id}/done", api_action_done, FR_ROUTE_API},
    {"GET", "/api/v1/referrals", api_referrals_open, FR_ROUTE_API},
    {"GET", "/api/v1/cases/{id}/referrals", api_referrals, FR_ROUTE_API},
    {"POST", "/api/v1/cases/{id}/referrals", api_referral_add, FR_ROUTE_API},
    {"POST", "/api/v1/referrals/{id}/answer", api_referral_answer, FR_ROUTE_API},
    {"GET", "/api/v1/cases/{id}/meetings", api_meetings, FR_ROUTE_API},
    {"POST", "/api/v1/cases/{id}/meetings", api_meeting_add, FR_ROUTE_API},
    {"GET", "/api/v1/meetings/{id}", api_meeting_get, FR_ROUTE_API},
    {"POST", "/api/v1/meetings/{id}/decisions", api_meeting_decide, FR_ROUTE_API},
    {0},
};

const fr_prepare fr_prepares_api[] = {
    {api_submit, api_submit_prepare},
    {0},
};

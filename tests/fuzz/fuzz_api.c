/* Fuzz target: JSON API request bodies — the handlers of the API's
 * state-changing routes (fr_routes_api: POST, DELETE) called directly, as
 * the server's dispatch calls them after the session and CSRF checks, with
 * any bytes as the body, over a real site (fixture.h). The first byte picks
 * the route, its low bit the acting user (the case manager "marie" or the
 * administrator); path parameters are "1" (the case, the submission...).
 * Left out: the login (its password hashing is deliberately slow) and the
 * plugin switches (they reload the server's sites).
 *
 * Besides crashes and sanitizer reports, a finding is: a handler that
 * leaves a transaction open, an answer of 500 (bad input must be a 4xx with
 * a clear message, never an internal error), or no answer at all. */
#include <stddef.h>
#include <stdint.h>

#include "fixture.h"
#include "server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const fr_route *routes[128];
static int nroutes;

static void pick_routes(void)
{
    for (const fr_route *rt = fr_routes_api; rt->pattern && nroutes < 128; rt++) {
        if (strcmp(rt->method, "GET") == 0 || strcmp(rt->pattern, "/api/v1/session") == 0 ||
            strstr(rt->pattern, "/plugins/"))
            continue;
        routes[nroutes++] = rt;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static fr_site *site;
    if (!site) {
        site = fixture_open();
        pick_routes();
    }
    if (size < 1)
        return 0;
    const fr_route *rt = routes[(data[0] >> 1) % nroutes];
    const char *login = data[0] & 1 ? "admin" : "marie";
    fr_req *r = calloc(1, sizeof *r);
    fr_resp w = {0};
    if (!r)
        return 0;
    r->method = rt->method;
    r->path = rt->pattern;
    r->remote = "127.0.0.1";
    r->body = (const char *)data + 1;
    r->body_len = size - 1;
    for (int i = 0; i < FR_MAX_PARAMS; i++)
        r->params[i] = "1";
    r->site = site;
    r->logged_in = 1;
    snprintf(r->login, sizeof r->login, "%s", login);
    snprintf(r->role, sizeof r->role, "%s", data[0] & 1 ? "admin" : "case_manager");
    snprintf(r->lang, sizeof r->lang, "fr");
    fr_error err = {0};
    fixture_check(fr_site_set_actor(site, login, &err), "actor", &err);
    fr_user_id(site, login, &r->user_id, &err);
    rt->handler(r, &w);
    int open = fr_store_depth(site->store) > 0;
    while (fr_store_depth(site->store) > 0)
        fr_store_rollback(site->store);
    site->break_glass_reason = NULL;
    fr_site_set_actor(site, NULL, &err);
    if (open || w.status == 0 || w.status >= 500) {
        fprintf(stderr, "%s %s answered %d%s: %.*s\n", rt->method, rt->pattern, w.status,
                open ? " leaving a transaction open" : "", (int)w.body.len,
                w.body.data ? w.body.data : "");
        abort();
    }
    if (getenv("FUZZ_API_VERBOSE"))
        fprintf(stderr, "%s %s as %s: %d %.*s", rt->method, rt->pattern, login, w.status,
                (int)w.body.len, w.body.data ? w.body.data : "");
    fr_buf_free(&w.body);
    free(r);
    return 0;
}

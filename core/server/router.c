/* The route table: which handler answers which method and path. Patterns
 * are literal segments and {name} segments (one path segment, kept in
 * r->params in order); an {id} segment is a record's number (digits
 * only: /patients/abc is no path, 404, rather than "no patient 0"). This file only matches; access
 * rules (session, CSRF) are applied by http.c from the route's flags.
 *
 * EXTENSION POINT: a part adds its pages by defining a table of its own
 * and adding it to `tables` below, as ui_forms.c does with fr_routes_forms
 * (form pages, care plan, referrals, meetings). Earlier tables win. */
#include "server.h"

#include <string.h>

static const fr_route *const tables[] = {
    fr_routes_static,
    fr_routes_api,
    fr_routes_ui,
    fr_routes_forms,
    fr_routes_tokens,
    fr_routes_meetings,
    fr_routes_health,
    fr_routes_case_dates,
    fr_routes_admin_user,
    fr_routes_case_notes,
    NULL,
};

static const fr_prepare *const prepares[] = {
    fr_prepares_api,
    fr_prepares_forms,
    NULL,
};

fr_handler fr_router_prepare(const fr_route *route)
{
    for (int t = 0; prepares[t]; t++)
        for (const fr_prepare *p = prepares[t]; p->handler; p++)
            if (p->handler == route->handler)
                return p->prepare;
    return NULL;
}

/* 1 when path matches pattern; params point into r->param_buf. */
static int match(fr_req *r, const char *pattern, const char *path)
{
    int np = 0;
    size_t used = 0;
    const char *p = pattern, *q = path;
    while (*p && *q) {
        if (*p == '{') {
            const char *close = strchr(p, '}');
            const char *seg_end = strchr(q, '/');
            size_t n = seg_end ? (size_t)(seg_end - q) : strlen(q);
            if (!close || n == 0 || np >= FR_MAX_PARAMS || used + n + 1 > sizeof r->param_buf)
                return 0;
            if (close - p == 3 && strncmp(p, "{id}", 4) == 0 &&
                (n > 18 || strspn(q, "0123456789") < n))
                return 0;
            memcpy(r->param_buf + used, q, n);
            r->param_buf[used + n] = '\0';
            r->params[np++] = r->param_buf + used;
            used += n + 1;
            p = close + 1;
            q += n;
            continue;
        }
        if (*p != *q)
            return 0;
        p++;
        q++;
    }
    return *p == '\0' && *q == '\0';
}

int fr_router_match(fr_req *r, const fr_route **out)
{
    int other_method = 0;
    for (int t = 0; tables[t]; t++)
        for (const fr_route *rt = tables[t]; rt->pattern; rt++) {
            if (!match(r, rt->pattern, r->path))
                continue;
            if (strcmp(rt->method, r->method) == 0 ||
                (strcmp(rt->method, "GET") == 0 && strcmp(r->method, "HEAD") == 0)) {
                *out = rt;
                return 1;
            }
            other_method = 1;
        }
    memset(r->params, 0, sizeof r->params);
    return other_method ? -1 : 0;
}

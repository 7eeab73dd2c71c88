/* Static files (CSS, JavaScript), embedded in the program at build time
 * (core/meson.build embedded_files, "static/…"). Nothing is read from the
 * file system, so no request path can reach outside this set: a name is
 * looked up as is, and names with "..", "/" or "%" are refused first. */
#include "server.h"

#include <string.h>

#include "embedded.h"

static void serve_static(fr_req *r, fr_resp *w)
{
    const char *name = r->params[0];
    char key[128];
    if (!name || strstr(name, "..") || strchr(name, '/') || strchr(name, '\\') ||
        strlen(name) > 64) {
        w->status = 404;
        w->content_type = "text/plain; charset=utf-8";
        fr_buf_puts(&w->body, "not found\n");
        return;
    }
    snprintf(key, sizeof key, "static/%s", name);
    const fr_embedded_file *f = fr_embedded_find(key);
    if (!f) {
        w->status = 404;
        w->content_type = "text/plain; charset=utf-8";
        fr_buf_puts(&w->body, "not found\n");
        return;
    }
    const char *dot = strrchr(name, '.');
    if (dot && strcmp(dot, ".css") == 0)
        w->content_type = "text/css; charset=utf-8";
    else if (dot && strcmp(dot, ".js") == 0)
        w->content_type = "text/javascript; charset=utf-8";
    else if (dot && strcmp(dot, ".svg") == 0)
        w->content_type = "image/svg+xml";
    else
        w->content_type = "application/octet-stream";
    w->cache_static = 1;
    fr_buf_add(&w->body, f->data, f->size);
    (void)r;
}

const fr_route fr_routes_static[] = {
    {"GET", "/static/{name}", serve_static, FR_ROUTE_PUBLIC | FR_ROUTE_NOSITE},
    {0},
};

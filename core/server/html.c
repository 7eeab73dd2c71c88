/* HTML output: a growable buffer with escaping, the page frame (head,
 * navigation, footer), error pages, and small parsing helpers shared by
 * the handlers. Every piece of user text goes through fr_buf_esc. */
#include "server.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"

/* A borrowed buffer becomes the buffer's own before it changes. */
static void own(fr_buf *b)
{
    char *d = malloc(b->len + 1 > 4096 ? b->len + 1 : 4096);
    if (d)
        memcpy(d, b->data, b->len + 1);
    b->release(b->owner);
    b->release = NULL;
    b->owner = NULL;
    b->data = d;
    b->cap = b->len + 1 > 4096 ? b->len + 1 : 4096;
    if (!d) {
        b->failed = 1;
        b->len = b->cap = 0;
    }
}

void fr_buf_add(fr_buf *b, const char *s, size_t n)
{
    if (b->release)
        own(b);
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *d = realloc(b->data, cap);
        if (!d) {
            b->failed = 1;
            return;
        }
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void fr_buf_puts(fr_buf *b, const char *s)
{
    fr_buf_add(b, s, strlen(s));
}

void fr_buf_printf(fr_buf *b, const char *fmt, ...)
{
    char small[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof small) {
        fr_buf_add(b, small, (size_t)n);
        return;
    }
    char *big = malloc((size_t)n + 1);
    if (!big) {
        b->failed = 1;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    fr_buf_add(b, big, (size_t)n);
    free(big);
}

void fr_buf_esc(fr_buf *b, const char *s)
{
    if (!s)
        return;
    const char *start = s;
    for (; *s; s++) {
        const char *rep = NULL;
        switch (*s) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '"':
            rep = "&quot;";
            break;
        case '\'':
            rep = "&#39;";
            break;
        default:
            continue;
        }
        fr_buf_add(b, start, (size_t)(s - start));
        fr_buf_puts(b, rep);
        start = s + 1;
    }
    fr_buf_add(b, start, (size_t)(s - start));
}

void fr_buf_free(fr_buf *b)
{
    if (b->release)
        b->release(b->owner);
    else
        free(b->data);
    b->release = NULL;
    b->owner = NULL;
    b->data = NULL;
    b->len = b->cap = 0;
}

const char *fr_js(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_string(v) ? json_string_value(v) : "";
}

json_int_t fr_ji(json_t *obj, const char *key)
{
    return json_integer_value(json_object_get(obj, key));
}

int64_t fr_parse_id(const char *s)
{
    if (!s || !*s)
        return 0;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || v <= 0)
        return 0;
    return (int64_t)v;
}

const char *fr_text_slot(const char *text, const char *slot, const char *value, char *out,
                         size_t size)
{
    const char *at = strstr(text, slot);
    if (at)
        snprintf(out, size, "%.*s%s%s", (int)(at - text), text, value, at + strlen(slot));
    else
        snprintf(out, size, "%s", text);
    return out;
}

const char *fr_text_n(const char *text, long n, char *out, size_t size)
{
    char number[24];
    snprintf(number, sizeof number, "%ld", n);
    return fr_text_slot(text, "{n}", number, out, size);
}

int fr_parse_date(const char *s, char out[11])
{
    int d, m, y, n = 0;
    out[0] = '\0';
    if (!s || strlen(s) > 20)
        return -1;
    /* As people type them: 5/3/1941 as well as 05/03/1941, spaces around
     * forgiven (what a date field's pattern and the form pages accept). */
    if (sscanf(s, " %2d/%2d/%4d%n", &d, &m, &y, &n) == 3 && s[n + strspn(s + n, " ")] == '\0' &&
        d > 0 && m > 0 && y >= 1000)
        snprintf(out, 11, "%04d-%02d-%02d", y, m, d);
    else if (strlen(s) == 10)
        snprintf(out, 11, "%s", s);
    if (!fr_date_valid(out)) {
        out[0] = '\0';
        return -1;
    }
    return 0;
}

void fr_page_field(fr_buf *b, const fr_page_input *in, int *focused)
{
    fr_buf_printf(b, "<label for=\"%s\"%s>", in->id, in->label_sr ? " class=\"sr\"" : "");
    fr_buf_esc(b, in->label);
    if (in->rows > 0)
        fr_buf_printf(b, "%s</label><textarea id=\"%s\" name=\"%s\" rows=\"%d\"",
                      in->required ? " *" : "", in->id, in->name, in->rows);
    else
        fr_buf_printf(b, "%s</label><input id=\"%s\" name=\"%s\" type=\"%s\"",
                      in->required ? " *" : "", in->id, in->name, in->type ? in->type : "text");
    if (in->required)
        fr_buf_puts(b, " required");
    if (in->maxlength > 0)
        fr_buf_printf(b, " maxlength=\"%d\"", in->maxlength);
    if (in->date)
        fr_buf_puts(b, " inputmode=\"numeric\" "
                       "pattern=\"[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}|[0-9]{4}-[0-9]{2}-[0-9]{2}\"");
    if (in->list)
        fr_buf_printf(b, " list=\"%s\" autocomplete=\"off\"", in->list);
    if (in->inputmode)
        fr_buf_printf(b, " inputmode=\"%s\"", in->inputmode);
    if (in->placeholder) {
        fr_buf_puts(b, " placeholder=\"");
        fr_buf_esc(b, in->placeholder);
        fr_buf_puts(b, "\"");
    }
    if (in->problem) {
        fr_buf_printf(b, " aria-invalid=\"true\" aria-describedby=\"%s-problem\"", in->id);
        if (focused && !*focused) {
            fr_buf_puts(b, " autofocus");
            *focused = 1;
        }
    }
    fr_buf_puts(b, in->rows > 0 ? ">" : " value=\"");
    fr_buf_esc(b, in->value ? in->value : "");
    fr_buf_puts(b, in->rows > 0 ? "</textarea>" : "\">");
    if (in->problem) {
        fr_buf_printf(b, "<p class=\"fr-error\" id=\"%s-problem\">", in->id);
        fr_buf_esc(b, in->problem);
        fr_buf_puts(b, "</p>");
    }
}

void fr_page_csrf(fr_req *r, fr_buf *b)
{
    fr_buf_printf(b, "<input type=\"hidden\" name=\"_csrf\" value=\"%s\">", r->csrf);
}

static void nav_link(fr_req *r, fr_buf *b, const char *href, const char *key)
{
    int current = strncmp(r->path, href, strlen(href)) == 0;
    fr_buf_printf(b, "<a href=\"%s\"%s>", href, current ? " aria-current=\"page\"" : "");
    fr_buf_esc(b, fr_t(r->lang, key));
    fr_buf_puts(b, "</a>");
}

void fr_page_begin(fr_req *r, fr_resp *w, const char *title)
{
    fr_buf *b = &w->body;
    w->content_type = "text/html; charset=utf-8";
    fr_buf_printf(b,
                  "<!doctype html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\">"
                  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                  "<title>",
                  r->lang);
    fr_buf_esc(b, title);
    /* an empty icon: no request for /favicon.ico, a 404 on every page */
    fr_buf_puts(b, " · Filrouge</title><link rel=\"icon\" href=\"data:,\">"
                   "<link rel=\"stylesheet\" href=\"/static/app.css\">"
                   "<script src=\"/static/app.js\" defer></script></head><body>"
                   "<a class=\"skip\" href=\"#main\">");
    fr_buf_esc(b, fr_t(r->lang, "nav.skip"));
    fr_buf_puts(b, "</a><header class=\"top\"><a class=\"brand\" href=\"/\">Filrouge</a>");
    if (r->logged_in) {
        fr_buf_puts(b, "<nav aria-label=\"");
        fr_buf_esc(b, fr_t(r->lang, "nav.label"));
        fr_buf_puts(b, "\">");
        nav_link(r, b, "/caseload", "nav.caseload");
        nav_link(r, b, "/patients", "nav.patients");
        nav_link(r, b, "/schedule", "nav.schedule");
        if (strcmp(r->role, "admin") == 0 || strcmp(r->role, "case_manager") == 0)
            nav_link(r, b, "/triage", "nav.triage");
        if (strcmp(r->role, "case_manager") == 0 || strcmp(r->role, "admin") == 0)
            nav_link(r, b, "/intervisions", "nav.intervisions");
        if (strcmp(r->role, "admin") == 0)
            nav_link(r, b, "/admin", "nav.admin");
        nav_link(r, b, "/settings", "nav.settings");
        fr_buf_puts(b, "</nav><form class=\"logout\" method=\"post\" action=\"/logout\">");
        fr_page_csrf(r, b);
        fr_buf_puts(b, "<span class=\"who\">");
        fr_buf_esc(b, r->display_name);
        fr_buf_puts(b, "</span> <button type=\"submit\">");
        fr_buf_esc(b, fr_t(r->lang, "nav.logout"));
        fr_buf_puts(b, "</button></form>");
    }
    fr_buf_puts(b, "</header><main id=\"main\"><h1>");
    fr_buf_esc(b, title);
    fr_buf_puts(b, "</h1>");
}

void fr_page_end(fr_req *r, fr_resp *w)
{
    fr_buf_puts(&w->body, "</main><footer><p>");
    fr_buf_esc(&w->body, fr_t(r->lang, "footer"));
    fr_buf_puts(&w->body, "</p></footer></body></html>\n");
}

void fr_page_message(fr_req *r, fr_resp *w, int status, const char *title, const char *text)
{
    w->status = status;
    w->body.len = 0;
    fr_page_begin(r, w, title);
    fr_buf_puts(&w->body, "<p class=\"error\" role=\"alert\">");
    fr_buf_esc(&w->body, text);
    fr_buf_puts(&w->body, "</p>");
    fr_page_end(r, w);
}

/* Where the form of a refused POST most likely was: its case, meeting or
 * page (the case or meeting a small form names in its fields, the "back"
 * a task's form gives), else the caseload. Used when the browser cannot
 * go back in its history (no script). */
void fr_page_form_path(fr_req *r, char *out, size_t n)
{
    static const char *const pages[] = {
        "/settings/tokens", "/admin/tokens", "/settings",     "/admin", "/patients",
        "/schedule",        "/triage",       "/intervisions", "/refer", NULL};
    const char *p = r->path;
    char kind[16];
    long long on = 0;
    if (sscanf(p, "/%15[a-z]/%lld", kind, &on) == 2 && on > 0 &&
        (strcmp(kind, "cases") == 0 || strcmp(kind, "meetings") == 0 ||
         strcmp(kind, "intervisions") == 0)) {
        /* an intervision's decisions are added on its meeting page */
        snprintf(out, n, "/%s/%lld", strcmp(kind, "cases") == 0 ? "cases" : "meetings", on);
        return;
    }
    int64_t id;
    if ((id = fr_parse_id(fr_req_field(r, "meeting"))) > 0) {
        snprintf(out, n, "/meetings/%" PRId64, id);
        return;
    }
    if ((id = fr_parse_id(fr_req_field(r, "case"))) > 0) {
        snprintf(out, n, "/cases/%" PRId64, id);
        return;
    }
    const char *back = fr_req_field(r, "back");
    /* (only letters, digits, '-' and '/': nothing to escape) */
    if (back && back[0] == '/' && back[1] != '/' && strlen(back) < n &&
        strspn(back, "/abcdefghijklmnopqrstuvwxyz0123456789-") == strlen(back)) {
        snprintf(out, n, "%s", back);
        return;
    }
    for (int i = 0; pages[i]; i++)
        if (strncmp(p, pages[i], strlen(pages[i])) == 0) {
            snprintf(out, n, "%s", pages[i]);
            return;
        }
    snprintf(out, n, "/caseload");
}

void fr_page_error(fr_req *r, fr_resp *w, const fr_error *err)
{
    int status = fr_http_status(err->code);
    if (status >= 500) {
        if (!fr_server_outage_quiet(r))
            fr_server_log(r->server, "%s %s: %s", r->method, r->path, err->message);
        if (err->code == FR_EIO && r->site && fr_store_unreachable(r->site->store)) {
            fr_resp_unavailable(r, w, 0);
            return;
        }
        fr_page_message(r, w, status, fr_t(r->lang, "error.internal.title"),
                        fr_t(r->lang, "error.internal.text"));
        return;
    }
    char text[FR_ERROR_MAX];
    const char *said = fr_page_known(r, err->message, text, sizeof text);
    if (strcmp(r->method, "POST") != 0) {
        fr_page_message(r, w, status, fr_t(r->lang, "error.title"), said);
        return;
    }
    /* A form was refused: nothing was saved; say so and lead back to it
     * (app.js makes the link go back in the history, where the browser
     * keeps what was typed). */
    char back[96];
    fr_page_form_path(r, back, sizeof back);
    fr_buf *b = &w->body;
    w->status = status;
    b->len = 0;
    fr_page_begin(r, w, fr_t(r->lang, "error.title"));
    fr_buf_puts(b, "<p class=\"error\" role=\"alert\">");
    fr_buf_esc(b, said);
    fr_buf_puts(b, "</p><p>");
    fr_buf_esc(b, fr_t(r->lang, "error.back.text"));
    fr_buf_printf(b, "</p><p><a class=\"back\" data-back href=\"%s\">", back);
    fr_buf_esc(b, fr_t(r->lang, "error.back.link"));
    fr_buf_puts(b, "</a></p>");
    fr_page_end(r, w);
}

void fr_page_languages(fr_req *r, fr_buf *b, const char *id, const char *name, const char *chosen,
                       const char *problem, int *focused)
{
    static const char *const langs[][2] = {
        {"fr", "Français"}, {"nl", "Nederlands"}, {"de", "Deutsch"}, {"en", "English"}};
    fr_page_select_begin(b, id, name, fr_t(r->lang, "settings.language"), problem, focused);
    for (size_t i = 0; i < sizeof langs / sizeof langs[0]; i++)
        fr_page_option(b, langs[i][0], langs[i][1], chosen);
    fr_page_select_end(b, id, problem);
}

const char *fr_page_role_label(fr_req *r, const char *role)
{
    char key[40];
    snprintf(key, sizeof key, "role.%s", role);
    const char *name = fr_t(r->lang, key);
    return strcmp(name, key) == 0 ? role : name;
}

void fr_page_roles(fr_req *r, fr_buf *b, const char *id, const char *name, const char *chosen,
                   const char *problem, int *focused)
{
    static const char *const roles[] = {"case_manager", "provider", "read_only", "admin"};
    fr_page_select_begin(b, id, name, fr_t(r->lang, "admin.role"), problem, focused);
    for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++)
        fr_page_option(b, roles[i], fr_page_role_label(r, roles[i]), chosen);
    fr_page_select_end(b, id, problem);
}

void fr_page_flash(fr_req *r, fr_buf *b)
{
    const char *m = fr_req_query(r, "msg");
    if (!m || strncmp(m, "flash.", 6) != 0 || strlen(m) > 40)
        return;
    /* a count the text says ({n}: tasks moved…), digits only */
    const char *n = fr_req_query(r, "n");
    char text[512];
    const char *said = fr_t(r->lang, m);
    if (n && *n && strlen(n) <= 6 && strspn(n, "0123456789") == strlen(n))
        said = fr_text_n(said, atol(n), text, sizeof text);
    fr_buf_puts(b, "<p class=\"flash\" role=\"status\">");
    fr_buf_esc(b, said);
    fr_buf_puts(b, "</p>");
}

/* Personal API tokens: a user makes named tokens for scripts and other
 * programs (`Authorization: Bearer frt_…` on /api/ paths), sees each one
 * once, and revokes them. A token acts exactly as its user: the kernel's
 * care-relationship rules and audit apply unchanged. Only the token's
 * SHA-256 (libsodium) is stored (table api_tokens, core-007-tokens.sql).
 * Tokens are managed from a logged-in session (page /settings/tokens and
 * /api/v1/tokens); a token cannot make or revoke tokens. Administrators
 * also see every user's tokens (/admin/tokens, /api/v1/tokens?all=1) and
 * may revoke any of them (a leaked token, a user who leaves). */
#include "server.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "clock.h"
#include "text.h"

#define T(key) fr_t(r->lang, key)
#define PREFIX "frt_"
#define MAX_TOKENS 20

/* ---- the kernel-side operations ---- */

int fr_token_authenticate(fr_req *r, const char *authorization)
{
    if (strncmp(authorization, "Bearer ", 7) != 0)
        return 0;
    const char *token = authorization + 7;
    if (strncmp(token, PREFIX, 4) != 0 || strlen(token) != 4 + 64)
        return 0;
    char hash[65], now[FR_TIME_LEN], recent[FR_TIME_LEN];
    fr_token_hash(token, hash);
    fr_clock_now(now);
    fr_time_add_seconds(now, -60, recent);
    fr_error err = {0};
    json_t *row = NULL;
    int rc = fr_store_query_row(r->site->store, &err, &row,
                                "SELECT t.id, t.user_id, coalesce(t.last_used, '') AS last_used,"
                                " u.login, u.display_name, u.role, u.language"
                                " FROM api_tokens t JOIN users u ON u.id = t.user_id"
                                " WHERE t.token_hash = ? AND t.revoked_at IS NULL AND u.active = 1",
                                "t", hash);
    if (rc) {
        if (rc != FR_ENOTFOUND) { /* the database failed: not the token */
            r->session_failed = 1;
            if (!fr_server_outage_quiet(r))
                fr_server_log(r->server, "%s %s: reading the API token: %s", r->method, r->path,
                              err.message);
        }
        return 0;
    }
    r->token_id = fr_ji(row, "id");
    r->user_id = fr_ji(row, "user_id");
    snprintf(r->login, sizeof r->login, "%s", fr_js(row, "login"));
    snprintf(r->display_name, sizeof r->display_name, "%s", fr_js(row, "display_name"));
    snprintf(r->role, sizeof r->role, "%s", fr_js(row, "role"));
    snprintf(r->lang, sizeof r->lang, "%s", fr_js(row, "language"));
    int touch = strcmp(fr_js(row, "last_used"), recent) < 0;
    json_decref(row);
    r->csrf[0] = '\0';
    r->logged_in = 1;
    r->bearer = 1;
    /* The use is recorded at most once a minute per token (a write per
     * request would serialise readers); what the request reads or writes
     * is audited by the kernel under the user's login, as always. */
    if (touch && fr_store_begin(r->site->store, &err) == 0) {
        json_t *d = json_pack("{s:s,s:s}", "via", "api-token", "remote", r->remote);
        char *text = json_dumps(d, JSON_COMPACT);
        int rc =
            fr_store_execf(r->site->store, &err, "UPDATE api_tokens SET last_used = ? WHERE id = ?",
                           "tI", now, r->token_id);
        if (!rc)
            rc = fr_audit_appendi(r->site->store, r->login, "use", "api-token", r->token_id, text,
                                  &err);
        if (!rc)
            rc = fr_store_commit(r->site->store, &err);
        else
            fr_store_rollback(r->site->store);
        free(text);
        json_decref(d);
    }
    return 1;
}

static int is_admin(fr_req *r)
{
    return strcmp(r->role, "admin") == 0;
}

/* The user's tokens, newest first (never the secret); all: every user's,
 * live ones first, for an administrator. */
static int token_list(fr_req *r, int all, json_t **out, fr_error *err)
{
    if (all && !is_admin(r)) {
        fr_audit_alone(r->site->store, r->login, "denied", "api-token", "all",
                       "{\"reason\":\"not an administrator\"}", err);
        return fr_error_set(err, FR_EACCESS,
                            "only administrators see the tokens of every user; yours are at "
                            "/settings/tokens");
    }
    return fr_store_query_json(r->site->store, err, out,
                               "SELECT t.id, u.login AS owner, t.name, t.created_at, t.last_used,"
                               " t.revoked_at FROM api_tokens t JOIN users u ON u.id = t.user_id"
                               " WHERE ?1 = 1 OR t.user_id = ?2"
                               " ORDER BY t.revoked_at IS NOT NULL, t.id DESC LIMIT 1000",
                               "iI", all, r->user_id);
}

/* Makes a token; *secret (65+4 bytes) receives it, to be shown once. */
static int token_create(fr_req *r, const char *name, int64_t *id, char secret[69], fr_error *err)
{
    if (fr_text_blank(name) || strlen(name) > FR_TEXT_TOKEN_MAX)
        return fr_error_set(err, FR_EINVAL,
                            "name: give the token a name of 1 to %d characters (what it is for)",
                            FR_TEXT_TOKEN_MAX);
    int rc = fr_text_check("name", name, FR_TEXT_TOKEN_MAX, 0, err);
    if (rc)
        return rc;
    int64_t live = 0;
    rc = fr_store_query_int(r->site->store, err, &live,
                            "SELECT count(*) FROM api_tokens WHERE user_id = ? AND"
                            " revoked_at IS NULL",
                            "I", r->user_id);
    if (rc)
        return rc;
    if (live >= MAX_TOKENS)
        return fr_error_set(err, FR_ECONFLICT,
                            "you already have %d live tokens; revoke one you no longer use",
                            MAX_TOKENS);
    char raw[65], hash[65], now[FR_TIME_LEN];
    fr_token_new(raw);
    snprintf(secret, 69, PREFIX "%s", raw);
    sodium_memzero(raw, sizeof raw);
    fr_token_hash(secret, hash);
    fr_clock_now(now);
    if ((rc = fr_store_begin(r->site->store, err)))
        return rc;
    rc = fr_store_execf(r->site->store, err,
                        "INSERT INTO api_tokens (user_id, name, token_hash, created_at)"
                        " VALUES (?, ?, ?, ?)",
                        "Ittt", r->user_id, name, hash, now);
    *id = fr_store_last_id(r->site->store);
    if (!rc) {
        json_t *d = json_pack("{s:s,s:s}", "name", name, "remote", r->remote);
        char *text = json_dumps(d, JSON_COMPACT);
        rc = fr_audit_appendi(r->site->store, r->login, "create", "api-token", *id, text, err);
        free(text);
        json_decref(d);
    }
    if (!rc)
        rc = fr_store_commit(r->site->store, err);
    else
        fr_store_rollback(r->site->store);
    if (rc)
        sodium_memzero(secret, 69);
    return rc;
}

/* The user revokes one of their tokens; an administrator any token (its
 * owner named in the audit entry). */
static int token_revoke(fr_req *r, int64_t id, fr_error *err)
{
    char now[FR_TIME_LEN], *owner = NULL;
    fr_clock_now(now);
    int rc = fr_store_query_text(r->site->store, err, &owner,
                                 "SELECT u.login FROM api_tokens t JOIN users u ON u.id = t.user_id"
                                 " WHERE t.id = ? AND t.revoked_at IS NULL AND"
                                 " (t.user_id = ? OR ? = 1)",
                                 "IIi", id, r->user_id, is_admin(r));
    if (rc == FR_ENOTFOUND)
        return fr_error_set(err, FR_ENOTFOUND, "you have no live token %" PRId64, id);
    if (!rc)
        rc = fr_store_begin(r->site->store, err);
    if (rc) {
        free(owner);
        return rc;
    }
    rc = fr_store_execf(r->site->store, err,
                        "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                        "tI", now, id);
    if (!rc && fr_store_changes(r->site->store) != 1)
        rc = fr_error_set(err, FR_ENOTFOUND, "you have no live token %" PRId64, id);
    if (!rc)
        rc = fr_audit_appendj(r->site->store, r->login, "revoke", "api-token", id,
                              json_pack("{s:s}", "owner", owner), err);
    free(owner);
    if (!rc)
        rc = fr_store_commit(r->site->store, err);
    else
        fr_store_rollback(r->site->store);
    return rc;
}

/* ---- the API ---- */

/* Tokens are managed from a session: a stolen token cannot make more. */
static int session_only(fr_req *r, fr_resp *w)
{
    if (!r->bearer)
        return 0;
    fr_resp_api_fail(w, 403, "session-required",
                     "API tokens are managed from a logged-in session (POST /api/v1/session), "
                     "not with a token");
    return 1;
}

static void api_tokens(fr_req *r, fr_resp *w)
{
    json_t *list = NULL;
    fr_error err = {0};
    const char *all = fr_req_query(r, "all");
    static const char *const query[] = {"all", NULL};
    if (fr_api_query(r, w, query))
        return;
    if (all && strcmp(all, "0") && strcmp(all, "1")) {
        fr_resp_api_fail(w, 400, "invalid", "all: write all=1 (or 0, the default)");
        return;
    }
    if (token_list(r, all && strcmp(all, "1") == 0, &list, &err))
        fr_resp_api_error(r, w, &err);
    else
        fr_resp_json(w, 200, json_pack("{s:o}", "items", list));
}

static void api_token_create(fr_req *r, fr_resp *w)
{
    if (session_only(r, w))
        return;
    json_error_t je;
    json_t *b = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &je);
    static const char *const fields[] = {"s:name", NULL};
    if (!json_is_object(b)) {
        json_decref(b);
        fr_resp_api_fail(w, 400, "invalid", "the body must be a JSON object {\"name\": \"…\"}");
        return;
    }
    if (fr_api_fields(b, fields, "", w)) {
        json_decref(b);
        return;
    }
    char secret[69];
    int64_t id = 0;
    fr_error err = {0};
    if (token_create(r, json_string_value(json_object_get(b, "name")), &id, secret, &err))
        fr_resp_api_error(r, w, &err);
    else
        fr_resp_json(w, 201,
                     json_pack("{s:I,s:s,s:s,s:s}", "id", (json_int_t)id, "name",
                               json_string_value(json_object_get(b, "name")), "token", secret,
                               "note", "shown once: keep it now; only its hash is stored"));
    sodium_memzero(secret, sizeof secret);
    json_decref(b);
}

static void api_token_revoke(fr_req *r, fr_resp *w)
{
    if (session_only(r, w))
        return;
    fr_error err = {0};
    if (token_revoke(r, fr_parse_id(r->params[0]), &err))
        fr_resp_api_error(r, w, &err);
    else
        fr_resp_json(w, 200, json_pack("{s:b}", "revoked", 1));
}

/* ---- the page /settings/tokens ---- */

/* The table of tokens; all: with their owner, revoked from /admin/tokens. */
static void tokens_table(fr_req *r, fr_buf *b, json_t *list, int all)
{
    fr_buf_puts(b, "<div class=\"scroll\"><table><thead><tr>");
    const char *heads[] = {"tokens.owner", "tokens.name", "tokens.created", "tokens.last_used", ""};
    for (int i = all ? 0 : 1; i < 5; i++) {
        fr_buf_puts(b, "<th scope=\"col\">");
        if (*heads[i])
            fr_buf_esc(b, T(heads[i]));
        fr_buf_puts(b, "</th>");
    }
    fr_buf_puts(b, "</tr></thead><tbody>");
    size_t i;
    json_t *t;
    char d[32];
    json_array_foreach(list, i, t)
    {
        int revoked = *fr_js(t, "revoked_at") != '\0';
        fr_buf_printf(b, "<tr%s>", revoked ? " class=\"muted\"" : "");
        if (all) {
            fr_buf_puts(b, "<td>");
            fr_buf_esc(b, fr_js(t, "owner"));
            fr_buf_puts(b, "</td>");
        }
        fr_buf_puts(b, "<td>");
        fr_buf_esc(b, fr_js(t, "name"));
        fr_buf_puts(b, "</td><td>");
        fr_buf_esc(b, fr_human_date(fr_js(t, "created_at"), d));
        fr_buf_puts(b, "</td><td>");
        fr_buf_esc(b, *fr_js(t, "last_used") ? fr_human_date(fr_js(t, "last_used"), d) : "—");
        fr_buf_puts(b, "</td><td>");
        if (revoked) {
            fr_buf_esc(b, T("tokens.revoked"));
        } else {
            fr_buf_printf(
                b, "<form method=\"post\" action=\"/%s/tokens/%" JSON_INTEGER_FORMAT "/revoke\">",
                all ? "admin" : "settings", fr_ji(t, "id"));
            fr_page_csrf(r, b);
            fr_buf_puts(b, "<button type=\"submit\" class=\"secondary\">");
            fr_buf_esc(b, T("tokens.revoke"));
            fr_buf_puts(b, "</button></form>");
        }
        fr_buf_puts(b, "</td></tr>");
    }
    fr_buf_puts(b, "</tbody></table></div>");
}

/* A tokens page's head: its title, the way back, what it is for. */
static fr_buf *page_head(fr_req *r, fr_resp *w, const char *title, const char *back,
                         const char *back_label, const char *explain)
{
    fr_page_begin(r, w, title);
    fr_buf *b = &w->body;
    fr_buf_printf(b, "<p><a href=\"%s\">← ", back);
    fr_buf_esc(b, back_label);
    fr_buf_puts(b, "</a></p><p class=\"muted\">");
    fr_buf_esc(b, explain);
    fr_buf_puts(b, "</p>");
    return b;
}

/* The user's tokens page; after a refusal (422), the name as typed and
 * its problems. */
static void tokens_page(fr_req *r, fr_resp *w, const char *secret, json_t *problems)
{
    json_t *list = NULL;
    fr_error err = {0};
    if (token_list(r, 0, &list, &err)) {
        fr_page_error(r, w, &err);
        return;
    }
    if (problems)
        w->status = 422;
    fr_buf *b = page_head(r, w, T("tokens.title"), "/settings", T("settings.title"),
                          T("tokens.explain"));
    if (secret) {
        fr_buf_puts(b, "<div class=\"card flash\" role=\"status\" id=\"new-token\"><p>");
        fr_buf_esc(b, T("tokens.shown_once"));
        fr_buf_puts(b, "</p><p><code class=\"secret\">");
        fr_buf_esc(b, secret);
        fr_buf_puts(b, "</code></p></div>");
    }
    fr_buf_puts(b, "<form method=\"post\" action=\"/settings/tokens\" class=\"card narrow\"><h2>");
    fr_buf_esc(b, T("tokens.new"));
    fr_buf_puts(b, "</h2>");
    fr_page_problems_alert(r, b, problems);
    fr_page_csrf(r, b);
    int focused = 0;
    fr_page_input in = {.id = "f-token-name",
                        .name = "name",
                        .label = T("tokens.name"),
                        .required = 1,
                        .maxlength = FR_TEXT_TOKEN_MAX,
                        .value = problems ? fr_req_field(r, "name") : NULL,
                        .problem = fr_page_problem(problems, "name")};
    fr_page_field(b, &in, &focused);
    fr_buf_puts(b, "<button type=\"submit\">");
    fr_buf_esc(b, T("tokens.create"));
    fr_buf_puts(b, "</button></form><section class=\"card\"><h2>");
    fr_buf_esc(b, T("tokens.list"));
    fr_buf_puts(b, "</h2>");
    tokens_table(r, b, list, 0);
    fr_buf_puts(b, "</section>");
    json_decref(list);
    fr_page_end(r, w);
}

static void ui_tokens(fr_req *r, fr_resp *w)
{
    tokens_page(r, w, NULL, NULL);
}

static void ui_token_create(fr_req *r, fr_resp *w)
{
    static const fr_page_rule rules[] = {{"name", NULL, 1, FR_TEXT_TOKEN_MAX, 't'}};
    char secret[69];
    int64_t id = 0;
    fr_error err = {0};
    json_t *problems = fr_page_check(r, rules, 1);
    if (!problems && token_create(r, fr_req_field(r, "name"), &id, secret, &err) &&
        !(problems = fr_page_refused(r, &err, rules, 1))) {
        fr_page_error(r, w, &err);
        return;
    }
    if (problems) {
        tokens_page(r, w, NULL, problems);
        json_decref(problems);
        return;
    }
    /* shown once, on this answer only (never in a URL) */
    tokens_page(r, w, secret, NULL);
    sodium_memzero(secret, sizeof secret);
}

/* Revokes the token of the path, then back to the page it was listed on. */
static void revoke_then(fr_req *r, fr_resp *w, const char *page)
{
    fr_error err = {0};
    if (token_revoke(r, fr_parse_id(r->params[0]), &err))
        fr_page_error(r, w, &err);
    else
        fr_resp_redirect(w, "%s?msg=flash.saved", page);
}

static void ui_token_revoke(fr_req *r, fr_resp *w)
{
    revoke_then(r, w, "/settings/tokens");
}

/* ---- the page /admin/tokens ---- */

static void ui_admin_tokens(fr_req *r, fr_resp *w)
{
    json_t *list = NULL;
    fr_error err = {0};
    if (fr_ui_require_admin(r, w))
        return;
    if (token_list(r, 1, &list, &err)) {
        fr_page_error(r, w, &err);
        return;
    }
    fr_buf *b =
        page_head(r, w, T("tokens.all"), "/admin", T("admin.title"), T("tokens.all_explain"));
    fr_buf_puts(b, "<section class=\"card\">");
    tokens_table(r, b, list, 1);
    fr_buf_puts(b, "</section>");
    json_decref(list);
    fr_page_end(r, w);
}

static void ui_admin_token_revoke(fr_req *r, fr_resp *w)
{
    if (!fr_ui_require_admin(r, w))
        revoke_then(r, w, "/admin/tokens");
}

const fr_route fr_routes_tokens[] = {
    {"GET", "/api/v1/tokens", api_tokens, FR_ROUTE_API},
    {"POST", "/api/v1/tokens", api_token_create, FR_ROUTE_API},
    {"DELETE", "/api/v1/tokens/{id}", api_token_revoke, FR_ROUTE_API},
    {"GET", "/settings/tokens", ui_tokens, 0},
    {"POST", "/settings/tokens", ui_token_create, 0},
    {"POST", "/settings/tokens/{id}/revoke", ui_token_revoke, 0},
    {"GET", "/admin/tokens", ui_admin_tokens, 0},
    {"POST", "/admin/tokens/{id}/revoke", ui_admin_token_revoke, 0},
    {0},
};

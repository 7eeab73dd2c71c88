/* The web server's pieces that need no socket: route matching (and its
 * extension tables), HTML escaping, dates as people write them, message
 * catalogues with their fallback, session tokens. The server itself is
 * tested over HTTP by tests/web/ and tests/browser/. */
#include "server.h"
#include "test.h"

static int route(const char *method, const char *path, fr_req *r, const fr_route **rt)
{
    memset(r, 0, sizeof *r);
    r->method = method;
    r->path = path;
    return fr_router_match(r, rt);
}

static void routes_match_segments(void)
{
    fr_req r;
    const fr_route *rt = NULL;
    CHECK(route("GET", "/cases/42", &r, &rt) == 1);
    CHECK_STR(rt->pattern, "/cases/{id}");
    CHECK_STR(r.params[0], "42");
    CHECK(route("POST", "/api/v1/cases/7/events", &r, &rt) == 1);
    CHECK_STR(r.params[0], "7");
    CHECK(rt->flags & FR_ROUTE_API);
    /* a parameter is one segment, never a path */
    CHECK(route("GET", "/cases/1/2", &r, &rt) == 0);
    CHECK(route("GET", "/static/../site.xml", &r, &rt) == 0);
    CHECK(route("GET", "/static/", &r, &rt) == 0);
    CHECK(route("GET", "/cases/", &r, &rt) == 0);
    /* the path exists, the method does not: 405 */
    CHECK(route("DELETE", "/cases/3", &r, &rt) == -1);
    /* HEAD is answered like GET */
    CHECK(route("HEAD", "/login", &r, &rt) == 1);
    CHECK(route("GET", "/refer", &r, &rt) == 1 && (rt->flags & FR_ROUTE_PUBLIC));
    CHECK(route("GET", "/caseload", &r, &rt) == 1 && !(rt->flags & FR_ROUTE_PUBLIC));
}

static void every_route_but_a_few_needs_a_session(void)
{
    const fr_route *tables[] = {fr_routes_ui, fr_routes_api, NULL};
    const char *public_ok[] = {"/", "/login", "/api/v1/session", "/refer", "/calendar/{token}",
                               NULL};
    for (int t = 0; tables[t]; t++)
        for (const fr_route *rt = tables[t]; rt->pattern; rt++) {
            if (!(rt->flags & FR_ROUTE_PUBLIC))
                continue;
            int known = 0;
            for (int i = 0; public_ok[i]; i++)
                known |= strcmp(public_ok[i], rt->pattern) == 0;
            if (!known)
                fprintf(stderr, "unexpected public route %s %s\n", rt->method, rt->pattern);
            CHECK(known);
        }
}

static void html_is_escaped(void)
{
    fr_buf b = {0};
    fr_buf_esc(&b, "<script>alert('x') & \"y\"</script>");
    CHECK_STR(b.data, "&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt;");
    fr_buf_free(&b);
    fr_buf_esc(&b, "Élise Müller");
    CHECK_STR(b.data, "Élise Müller");
    fr_buf_free(&b);
    for (int i = 0; i < 2000; i++)
        fr_buf_printf(&b, "%d,", i);
    CHECK(b.len > 8000 && !b.failed);
    fr_buf_free(&b);
}

static void dates_as_people_write_them(void)
{
    char out[11], human[32];
    CHECK(fr_parse_date("23/11/2026", out) == 0);
    CHECK_STR(out, "2026-11-23");
    CHECK(fr_parse_date("2026-11-23", out) == 0);
    CHECK(fr_parse_date("31/02/2026", out) != 0);
    CHECK(fr_parse_date("5/3/1941", out) == 0); /* as the form pages take it */
    CHECK_STR(out, "1941-03-05");
    CHECK(fr_parse_date(" 1/12/2026 ", out) == 0);
    CHECK_STR(out, "2026-12-01");
    CHECK(fr_parse_date("1/1/26", out) != 0);
    CHECK(fr_parse_date("1/1/2026x", out) != 0);
    CHECK(fr_parse_date("123/1/2026", out) != 0);
    CHECK(fr_parse_date("", out) != 0);
    CHECK_STR(fr_human_date("2026-11-23", human), "23/11/2026");
    CHECK_STR(fr_human_date("2026-11-23T09:30:00Z", human), "23/11/2026 09:30");
    CHECK(fr_parse_id("12") == 12 && fr_parse_id("0") == 0 && fr_parse_id("1x") == 0 &&
          fr_parse_id("-3") == 0 && fr_parse_id(NULL) == 0);
}

static void catalogues_fall_back_to_french(void)
{
    fr_error err = {0};
    CHECK_OK(fr_i18n_load(&err), &err);
    CHECK_STR(fr_t("fr", "nav.schedule"), "Échéancier");
    CHECK_STR(fr_t("nl", "nav.schedule"), "Planning");
    CHECK_STR(fr_t("de", "login.title"), "Anmeldung");
    CHECK_STR(fr_t("en", "login.title"), "Log in");
    CHECK_STR(fr_t("xx", "login.title"), "Connexion");
    CHECK_STR(fr_t("en", "no.such.key"), "no.such.key");
    fr_i18n_free();
}

static void tokens_are_random_and_hashed(void)
{
    char a[65], b[65], h[65];
    fr_token_new(a);
    fr_token_new(b);
    CHECK(strlen(a) == 64 && strcmp(a, b) != 0);
    fr_token_hash(a, h);
    CHECK(strlen(h) == 64 && strcmp(h, a) != 0);
    fr_token_hash("abc", h);
    CHECK_STR(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

/* A calendar feed's URL is its secret: a request logged with its path (a
 * database error while the feed is read) must not put it in the log. */
static void the_log_never_holds_a_calendar_token(void)
{
    char log[4200], token[65], text[8192] = "";
    snprintf(log, sizeof log, "%s/calendar.log", test_tmpdir());
    setenv("FILROUGE_LOG", log, 1);
    fr_token_new(token);
    fr_server_log(NULL, "%s %s/%s.ics: %s", "GET", "/calendar", token, "disk I/O error");
    FILE *f = fopen(log, "r");
    CHECK(f != NULL);
    if (f) {
        size_t n = fread(text, 1, sizeof text - 1, f);
        text[n] = '\0';
        fclose(f);
    }
    CHECK(strstr(text, "GET /calendar/") != NULL && strstr(text, "disk I/O error") != NULL);
    CHECK(strstr(text, token) == NULL);
    /* other paths are logged as they are */
    fr_server_log(NULL, "GET /cases/%s: boom", "0123456789");
    f = fopen(log, "r");
    if (f) {
        size_t n = fread(text, 1, sizeof text - 1, f);
        text[n] = '\0';
        fclose(f);
    }
    CHECK(strstr(text, "GET /cases/0123456789: boom") != NULL);
    unsetenv("FILROUGE_LOG");
}

TEST_MAIN({"routes_match_segments", routes_match_segments},
          {"every_route_but_a_few_needs_a_session", every_route_but_a_few_needs_a_session},
          {"html_is_escaped", html_is_escaped},
          {"dates_as_people_write_them", dates_as_people_write_them},
          {"catalogues_fall_back_to_french", catalogues_fall_back_to_french},
          {"tokens_are_random_and_hashed", tokens_are_random_and_hashed},
          {"the_log_never_holds_a_calendar_token", the_log_never_holds_a_calendar_token})

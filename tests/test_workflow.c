/* Workflows: loading definitions (XSD and meaning errors with file:line),
 * the registry and its versions, starting and firing (allowed events,
 * required forms, XPath and C guards, closing and reopening, back-dated
 * transitions, all-or-nothing on failure) and migrating cases. */
#include <inttypes.h>
#include <jansson.h>
#include <libxml/parser.h>

#include "access.h"
#include "case_fixture.h"
#include "clock.h"
#include "record.h"
#include "task.h"
#include "wfdef.h"

static const char *today_is = "FILROUGE_NOW";

static void at(const char *now)
{
    setenv(today_is, now, 1);
}

/* The site closed and opened again (a new process: nothing cached, no
 * plugin loaded), or NULL. */
static fr_site *reopened(fr_site *site)
{
    fr_error err = {0};
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", site->dir);
    fr_site_close(site);
    site = NULL;
    CHECK_OK(fr_site_open(dir, NULL, &site, &err), &err);
    return site;
}

/* text with the first `from` replaced by `to` (malloc'd). */
static char *replaced(const char *text, const char *from, const char *to)
{
    const char *at_ = strstr(text, from);
    CHECK(at_ != NULL);
    if (!at_)
        return strdup(text);
    size_t n = strlen(text) - strlen(from) + strlen(to);
    char *out = malloc(n + 1);
    snprintf(out, n + 1, "%.*s%s%s", (int)(at_ - text), text, to, at_ + strlen(from));
    return out;
}

static char *fixture_text_of(const char *file)
{
    FILE *f = fopen(test_data(file), "rb");
    char *buf = calloc(1, 65536);
    size_t n = f ? fread(buf, 1, 65535, f) : 0;
    buf[n] = '\0';
    if (f)
        fclose(f);
    return buf;
}

/* The identity of the definition once `from` became `to` in frailty-v1,
 * compared with the original's: 1 when the same. */
static int same_identity(const char *from, const char *to)
{
    char *text = fixture_text_of("workflows/frailty-v1.xml");
    char *changed = replaced(text, from, to);
    fr_workflow *a = NULL, *b = NULL;
    fr_error err = {0};
    CHECK_OK(wf_parse("a.xml", text, strlen(text), &a, &err), &err);
    CHECK_OK(wf_parse("b.xml", changed, strlen(changed), &b, &err), &err);
    int same = a && b && strcmp(a->identity, b->identity) == 0;
    if (a && b && strcmp(text, changed) != 0)
        CHECK(strcmp(a->sha256, b->sha256) != 0);
    fr_workflow_free(a);
    fr_workflow_free(b);
    free(changed);
    free(text);
    return same;
}

/* What people read (titles, a task's title attribute, a guard's message,
 * comments, layout) is outside a definition's identity; what the engine
 * acts on is inside. */
static void titles_are_outside_the_identity(void)
{
    CHECK(same_identity("", ""));
    CHECK(same_identity("<title lang=\"fr\">Signalement</title>",
                        "<title lang=\"fr\">Signalement</title>\n"
                        "    <title lang=\"nl\">Aanmelding</title>"
                        "<title lang=\"de\">Meldung</title>"));
    CHECK(same_identity("Rappeler la personne qui signale", "Rappeler la personne signalante"));
    CHECK(same_identity("<task title=\"Global assessment\" due=\"P14D\"/>",
                        "<task title=\"Évaluation globale\" due=\"P14D\">\n"
                        "        <title lang=\"de\">Gesamtbeurteilung</title>\n      </task>"));
    CHECK(same_identity("<state id=\"plan\">", "<state id=\"plan\">\n    <!-- a comment -->"));
    CHECK(same_identity("an informal carer must be", "an informal carer (family) must be"));
    CHECK(same_identity("<title lang=\"en\">Frail elderly at home</title>", ""));
    CHECK(!same_identity("due=\"P14D\"", "due=\"P15D\""));
    CHECK(!same_identity("event=\"follow\" from=\"plan\" to=\"follow-up\"",
                         "event=\"follow\" from=\"plan\" to=\"closed\""));
    CHECK(!same_identity("network/@informal &gt;= 1", "network/@informal &gt;= 2"));
    CHECK(!same_identity("<requires-form form=\"katz\"/>", "<requires-form form=\"efs\"/>"));
    CHECK(!same_identity("every=\"P3M\"", "every=\"P2M\""));
    CHECK(!same_identity("<emit event=\"frailty.assessment-started\"/>", ""));
    /* The order of on-enter actions is behaviour (and names the tasks). */
    CHECK(!same_identity(
        "<task title=\"Global assessment\" due=\"P14D\"/>\n"
        "      <task title=\"Meet before treatment ends\" anchor=\"treatment_end\" "
        "offset=\"-P7D\"/>",
        "<task title=\"Meet before treatment ends\" anchor=\"treatment_end\" offset=\"-P7D\"/>\n"
        "      <task title=\"Global assessment\" due=\"P14D\"/>"));
}

/* A new translation of a loaded version replaces its text in the database
 * and in memory: no new version, the cases under it show the new titles. */
static void a_new_translation_keeps_the_version(void)
{
    at("2026-03-10T09:00:00Z");
    fr_site *site = fixture_site("retitle");
    fr_error err = {0};
    fixture_workflow(site, "workflows/frailty-v1.xml");
    int64_t c = fixture_case(site, "frailty", 1, 0, "2026-03-01");
    const fr_workflow *got = NULL;
    CHECK_OK(fr_workflows_get(site, "frailty", 1, &got, &err), &err);
    CHECK(got && strcmp(fr_workflow_state_title(got, "referral", "nl"), "Signalement") == 0);

    char *text = fixture_text_of("workflows/frailty-v1.xml");
    char *nl = replaced(text, "<title lang=\"fr\">Signalement</title>",
                        "<title lang=\"fr\">Signalement</title>\n"
                        "    <title lang=\"nl\">Aanmelding</title>");
    const char *path = test_path("wf/frailty-v1-nl.xml");
    test_write_file(path, nl);
    fr_workflow *wf = NULL;
    CHECK_OK(fr_workflow_load_file(path, &wf, &err), &err);
    CHECK_OK(fr_workflows_add(site, "test-plugin", wf, &err), &err);
    CHECK(fixture_int(site, "SELECT count(*) FROM workflows WHERE id = 'frailty' AND ? > 0", 1) ==
          1);
    CHECK(fixture_int(site,
                      "SELECT count(*) FROM workflows WHERE definition LIKE '%Aanmelding%'"
                      " AND version = ?",
                      1) == 1);
    CHECK_OK(fr_workflows_get(site, "frailty", 1, &got, &err), &err);
    CHECK(got && strcmp(fr_workflow_state_title(got, "referral", "nl"), "Aanmelding") == 0);
    CHECK(got && strcmp(fr_workflow_state_title(got, "referral", "de"), "Signalement") == 0);
    CHECK(fixture_int(site, "SELECT workflow_version FROM cases WHERE id = ?", c) == 1);
    /* Loaded again (the plugin enabled again): nothing changes. */
    CHECK_OK(fr_workflow_load_file(path, &wf, &err), &err);
    CHECK_OK(fr_workflows_add(site, "test-plugin", wf, &err), &err);

    /* Read back from the database by a new process: the new titles. */
    if (!(site = reopened(site)))
        return;
    CHECK_OK(fr_workflows_get(site, "frailty", 1, &got, &err), &err);
    CHECK(got && strcmp(fr_workflow_state_title(got, "referral", "nl"), "Aanmelding") == 0);
    /* The same translation with a behaviour change: refused, nothing
     * written. */
    char *worse = replaced(nl, "due=\"P2D\"", "due=\"P3D\"");
    test_write_file(path, worse);
    CHECK_OK(fr_workflow_load_file(path, &wf, &err), &err);
    CHECK_ERR(fr_workflows_add(site, "test-plugin", wf, &err), FR_ECONFLICT, &err,
              "more than its titles changed");
    CHECK(fixture_int(site,
                      "SELECT count(*) FROM workflows WHERE definition LIKE '%P3D%'"
                      " AND version = ?",
                      1) == 0);
    free(worse);
    free(nl);
    free(text);
    fr_site_close(site);
}

static void loads_a_valid_definition(void)
{
    fr_error err = {0};
    fr_workflow *wf = NULL;
    CHECK_OK(fr_workflow_load_file(test_data("workflows/frailty-v1.xml"), &wf, &err), &err);
    if (!wf)
        return;
    CHECK_STR(fr_workflow_id(wf), "frailty");
    CHECK(fr_workflow_version(wf) == 1);
    CHECK_STR(fr_workflow_initial(wf), "referral");
    /* Names for people: the <title> in the language asked, else French,
     * else English, else the first one, else the id. */
    CHECK_STR(fr_workflow_state_title(wf, "referral", "fr"), "Signalement");
    CHECK_STR(fr_workflow_state_title(wf, "referral", "de"), "Signalement");
    CHECK_STR(fr_workflow_state_title(wf, "referral", "en"), "Referral");
    CHECK_STR(fr_workflow_state_title(wf, "assessment", "fr"), "assessment");
    CHECK_STR(fr_workflow_event_title(wf, "accept", "nl"), "Signalering aanvaarden");
    CHECK_STR(fr_workflow_event_title(wf, "accept", NULL), "Accepter le signalement");
    CHECK_STR(fr_workflow_event_title(wf, "assess", "fr"), "assess");
    CHECK_STR(fr_workflow_title(wf, "nl"), "Frail elderly at home");
    /* A task: its <title> in the language, French, English, else its
     * title attribute. */
    const wf_state *s = wf_state_find(wf, "referral");
    CHECK(s && s->nactions == 1);
    if (s && s->nactions == 1) {
        CHECK_STR(wf_task_title(&s->actions[0].task, "en"), "Call back the referrer");
        CHECK_STR(wf_task_title(&s->actions[0].task, "nl"), "Rappeler la personne qui signale");
    }
    s = wf_state_find(wf, "assessment");
    if (s && s->nactions > 0)
        CHECK_STR(wf_task_title(&s->actions[0].task, "de"), "Global assessment");
    fr_workflow_free(wf);
}

static void malformed_xml_names_file_and_line(void)
{
    fr_error err = {0};
    fr_workflow *wf = NULL;
    CHECK_ERR(fr_workflow_load_file(test_data("workflows/malformed.xml"), &wf, &err), FR_EINVAL,
              &err, "malformed.xml:4");
    CHECK(wf == NULL);
    CHECK_ERR(fr_workflow_load_file(test_data("workflows/not-there.xml"), &wf, &err), FR_ENOTFOUND,
              &err, "not-there.xml: cannot be read");
}

static void schema_errors_name_file_and_line(void)
{
    fr_error err = {0};
    fr_workflow *wf = NULL;
    CHECK_ERR(fr_workflow_load_file(test_data("workflows/unknown-element.xml"), &wf, &err),
              FR_EINVAL, &err, "unknown-element.xml:4");
    CHECK(strstr(err.message, "colour") != NULL);
    CHECK_ERR(fr_workflow_load_file(test_data("workflows/missing-attribute.xml"), &wf, &err),
              FR_EINVAL, &err, "missing-attribute.xml:5");
    CHECK(strstr(err.message, "event") != NULL);
}

static void meaning_errors_are_reported_together(void)
{
    fr_error err = {0};
    fr_workflow *wf = NULL;
    CHECK_ERR(fr_workflow_load_file(test_data("workflows/meaning-errors.xml"), &wf, &err),
              FR_EINVAL, &err, "meaning-errors.xml:4: state 'b' is also marked initial");
    CHECK(strstr(err.message, "meaning-errors.xml:5: transition 'go' goes to state 'nowhere'"));
    CHECK(strstr(err.message, "meaning-errors.xml:6: guard"));
    CHECK(strstr(err.message, "not a valid XPath"));
    CHECK(wf == NULL);

    /* Timers, durations, migrations, and guard with guard-ref. */
    const char *path = test_path("wf/more-errors.xml");
    test_write_file(path,
                    "<workflow xmlns=\"urn:filrouge:workflow:1\" id=\"m\" version=\"2\">\n"
                    "  <state id=\"a\" initial=\"true\">\n"
                    "    <timer id=\"t\" title=\"T\" every=\"P1M\"/>\n"
                    "  </state>\n"
                    "  <state id=\"a\">\n"
                    "    <timer id=\"t\" title=\"T\" every=\"-P1D\"/>\n"
                    "  </state>\n"
                    "  <transition event=\"x\" from=\"a ghost\" to=\"a\" guard=\"1\" "
                    "guard-ref=\"g\"/>\n"
                    "  <migration from-version=\"1\"><map from=\"old\" to=\"gone\"/></migration>\n"
                    "</workflow>\n");
    CHECK_ERR(fr_workflow_load_file(path, &wf, &err), FR_EINVAL, &err,
              "more-errors.xml:5: state 'a' is defined twice");
    CHECK(strstr(err.message,
                 "more-errors.xml:6: timer 't': every=\"-P1D\" must be a positive duration"));
    CHECK(strstr(err.message, "more-errors.xml:6: timer id 't' is already used"));
    CHECK(strstr(err.message, "more-errors.xml:8: transition 'x' comes from state 'ghost'"));
    CHECK(strstr(err.message, "more-errors.xml:8: transition 'x' has both guard and guard-ref"));
    CHECK(strstr(err.message, "more-errors.xml:9: migration from version 1 maps 'old' to 'gone'"));

    /* Durations: a task due before its step, or any of them longer than a
     * due date may be ahead (FR_TASK_DUE_YEARS); an offset before its
     * anchor, a task due the day itself, ten years exactly are fine. */
    path = test_path("wf/durations.xml");
    test_write_file(path, "<workflow xmlns=\"urn:filrouge:workflow:1\" id=\"d\" version=\"1\">\n"
                          "  <state id=\"a\" initial=\"true\">\n"
                          "    <on-enter>\n"
                          "      <task title=\"Late\" due=\"-P2D\"/>\n"
                          "      <task title=\"Far\" due=\"P10Y1D\"/>\n"
                          "      <task title=\"Before\" anchor=\"end\" offset=\"-P7D\"/>\n"
                          "      <task title=\"Way before\" anchor=\"end\" offset=\"-P121M\"/>\n"
                          "      <task title=\"Today\" due=\"P0D\"/>\n"
                          "      <task title=\"Ten years\" due=\"P10Y\"/>\n"
                          "    </on-enter>\n"
                          "    <timer id=\"t\" title=\"T\" every=\"P11Y\"/>\n"
                          "  </state>\n"
                          "</workflow>\n");
    CHECK_ERR(fr_workflow_load_file(path, &wf, &err), FR_EINVAL, &err,
              "durations.xml:4: task 'Late': due=\"-P2D\" is negative: a task is due on or after "
              "the day the state is entered");
    CHECK(strstr(err.message, "durations.xml:5: task 'Far': due=\"P10Y1D\" is longer than 10 "
                              "years: a task due that far ahead would never come"));
    CHECK(strstr(err.message, "write at most P10Y"));
    CHECK(strstr(err.message, "durations.xml:7: task 'Way before': offset=\"-P121M\" is longer"));
    CHECK(strstr(err.message, "durations.xml:11: timer 't': every=\"P11Y\" is longer"));
    CHECK(!strstr(err.message, ":6:") && !strstr(err.message, ":8:") &&
          !strstr(err.message, ":9:"));
}

/* A guard calling a function that does not exist is refused when its file
 * is loaded; the same text read back from the database (stored before the
 * check existed) still parses, so that the cases under it stay readable. */
static void unknown_guard_functions_are_refused_in_files_only(void)
{
    static const char text[] =
        "<workflow xmlns=\"urn:filrouge:workflow:1\" id=\"u\" version=\"1\">\n"
        "  <state id=\"a\" initial=\"true\"/>\n"
        "  <state id=\"b\"/>\n"
        "  <transition event=\"go\" from=\"a\" to=\"b\" guard=\"frobnicate(1) = 1\"/>\n"
        "  <transition event=\"var\" from=\"a\" to=\"b\" guard=\"$limit &gt; 1\"/>\n"
        "  <transition event=\"fine\" from=\"a\" to=\"b\" guard=\"score('efs.efs') &gt;= 6\"/>\n"
        "</workflow>\n";
    const char *path = test_path("wf/unknown-function.xml");
    test_write_file(path, text);
    fr_error err = {0};
    fr_workflow *wf = NULL;
    CHECK_ERR(fr_workflow_load_file(path, &wf, &err), FR_EINVAL, &err,
              "unknown-function.xml:4: guard \"frobnicate(1) = 1\" calls frobnicate()");
    CHECK(strstr(err.message, "unknown-function.xml:5: guard \"$limit > 1\" uses the variable"));
    CHECK(strstr(err.message, "score()") && !strstr(err.message, ":6:"));
    char *report = NULL;
    CHECK_ERR(fr_workflow_check_file(path, &report, &err), FR_EINVAL, &err, "frobnicate");
    CHECK(report && strstr(report, "2 problems in"));
    free(report);
    CHECK_OK(wf_parse("stored", text, strlen(text), &wf, &err), &err);
    fr_workflow_free(wf);
}

/* Only UTF-8, as forms: a declared ISO-8859-1 (which libxml2 would convert)
 * or a UTF-16 file is refused naming the file and what to do; "utf-8" in
 * any case, or no declaration, is fine. */
static void encodings_other_than_utf8_are_refused(void)
{
    static const char body[] = "<workflow xmlns=\"urn:filrouge:workflow:1\" id=\"e\" "
                               "version=\"1\">\n  <!-- Pr\xe9"
                               "alable -->\n"
                               "  <state id=\"a\" initial=\"true\"/>\n</workflow>\n";
    const char *path = test_path("wf/latin1.xml");
    char text[1024];
    snprintf(text, sizeof text, "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n%s", body);
    test_write_file(path, text);
    fr_error err = {0};
    fr_workflow *wf = NULL;
    CHECK_ERR(fr_workflow_load_file(path, &wf, &err), FR_EINVAL, &err,
              "latin1.xml:1: the XML declaration names the encoding ISO-8859-1: only UTF-8 is "
              "accepted; save the file as UTF-8");
    char *report = NULL;
    CHECK_ERR(fr_workflow_check_file(path, &report, &err), FR_EINVAL, &err, "ISO-8859-1");
    free(report);
    path = test_path("wf/utf16.xml");
    FILE *f = fopen(path, "wb");
    if (f) {
        fwrite("\xff\xfe<\0?\0x\0m\0l\0", 1, 12, f);
        fclose(f);
    }
    CHECK_ERR(fr_workflow_load_file(path, &wf, &err), FR_EINVAL, &err,
              "utf16.xml: the XML is UTF-16 or holds NUL bytes: only UTF-8 XML is accepted");
    static const char good[] = "<?xml version='1.0' encoding='utf-8'?>\n"
                               "<workflow xmlns=\"urn:filrouge:workflow:1\" id=\"e\" "
                               "version=\"1\">\n  <!-- Pr\xc3\xa9"
                               "alable -->\n"
                               "  <state id=\"a\" initial=\"true\"/>\n</workflow>\n";
    path = test_path("wf/utf8.xml");
    test_write_file(path, good);
    CHECK_OK(fr_workflow_load_file(path, &wf, &err), &err);
    fr_workflow_free(wf);
}

static void same_version_with_another_text_is_refused(void)
{
    at("2026-03-10T09:00:00Z");
    fr_site *site = fixture_site("registry");
    fr_error err = {0};
    fixture_workflow(site, "workflows/frailty-v1.xml");
    /* The same text again (a plugin enabled again) is fine. */
    fixture_workflow(site, "workflows/frailty-v1.xml");
    CHECK(fixture_int(site, "SELECT count(*) FROM workflows WHERE version = ?", 1) == 1);

    const char *path = test_path("wf/frailty-v1-changed.xml");
    char *text = NULL;
    CHECK_OK(fr_store_query_text(site->store, &err, &text,
                                 "SELECT definition FROM workflows WHERE id = 'frailty'", NULL),
             &err);
    /* A behaviour change (a due date) under the same version. */
    char *changed = replaced(text ? text : "", "due=\"P14D\"", "due=\"P15D\"");
    free(text);
    test_write_file(path, changed);
    free(changed);
    fr_workflow *wf = NULL;
    CHECK_OK(fr_workflow_load_file(path, &wf, &err), &err);
    CHECK_ERR(fr_workflows_add(site, "test-plugin", wf, &err), FR_ECONFLICT, &err,
              "workflow frailty version 1 already exists with a different definition (more "
              "than its titles changed): bump the version and add a <migration from-version=");

    /* Another plugin cannot take the id, not even with a new version. */
    CHECK_OK(fr_workflow_load_file(test_data("workflows/frailty-v1.xml"), &wf, &err), &err);
    CHECK_ERR(fr_workflows_add(site, "thief", wf, &err), FR_ECONFLICT, &err,
              "workflow id frailty belongs to plugin test-plugin on this site: give yours "
              "another id");
    CHECK(fixture_int(site, "SELECT count(*) FROM workflows WHERE plugin = 'thief' AND version > ?",
                      0) == 0);

    const fr_workflow *got = NULL;
    CHECK_OK(fr_workflows_get(site, "frailty", 0, &got, &err), &err);
    CHECK(got && fr_workflow_version(got) == 1);
    CHECK_ERR(fr_workflows_get(site, "frailty", 7, &got, &err), FR_ENOTFOUND, &err, "no version 7");
    CHECK_ERR(fr_workflows_get(site, "nothing", 0, &got, &err), FR_ENOTFOUND, &err,
              "no workflow 'nothing'");
    fr_site_close(site);
}

static void stored_versions_are_read_back_from_the_database(void)
{
    at("2026-03-10T09:00:00Z");
    fr_site *site = fixture_site("reread");
    fr_error err = {0};
    fixture_workflow(site, "workflows/frailty-v1.xml");
    int64_t c = fixture_case(site, "frailty", 1, 0, "2026-03-01");
    /* Reopened without the plugin: the case still runs under version 1. */
    if (!(site = reopened(site)))
        return;
    CHECK_OK(fr_workflow_fire(site, c, "accept", NULL, NULL, &err), &err);
    CHECK_STR(fixture_text(site, "SELECT state FROM cases WHERE id = ?", c), "assessment");
    json_t *list = NULL;
    CHECK_OK(fr_workflows_list(site, &list, &err), &err);
    CHECK(list && json_array_size(list) == 1);
    json_t *first = json_array_get(list, 0);
    CHECK_STR(json_string_value(json_object_get(first, "id")), "frailty");
    CHECK_STR(json_string_value(json_object_get(first, "plugin")), "test-plugin");
    CHECK(json_is_false(json_object_get(first, "loaded")));
    CHECK(json_integer_value(json_object_get(first, "open_cases")) == 1);
    json_decref(list);
    fr_site_close(site);
}

static void start_and_fire_record_the_timeline(void)
{
    at("2026-03-10T09:00:00Z");
    fr_site *site = fixture_site("fire");
    fr_error err = {0};
    fixture_workflow(site, "workflows/frailty-v1.xml");
    int64_t anne = fixture_user(site, "anne", "case_manager");
    int64_t c = fixture_case(site, "frailty", 1, anne, "2026-03-01");
    CHECK_STR(fixture_text(site, "SELECT state FROM cases WHERE id = ?", c), "referral");
    CHECK_STR(fixture_text(site,
                           "SELECT event || ':' || coalesce(from_state, '-') || ':' || to_state"
                           " || ':' || effective_on FROM transitions WHERE case_id = ?",
                           c),
              "open:-:referral:2026-03-01");
    /* The initial state's task, titled in the site's first language. */
    CHECK_STR(fixture_text(site,
                           "SELECT title || '|' || due_on || '|' || origin_ref || '|' ||"
                           " assignee_id FROM tasks WHERE case_id = ?",
                           c),
              "Rappeler la personne qui signale|2026-03-03|state:referral|1");

    CHECK_OK(fr_workflow_fire(site, c, "accept", NULL, "first call done", &err), &err);
    CHECK_STR(fixture_text(site,
                           "SELECT state || ':' || state_since || ':' || row_version"
                           " FROM cases WHERE id = ?",
                           c),
              "assessment:2026-03-10:2");
    CHECK_STR(fixture_text(site,
                           "SELECT from_state || '>' || to_state || '|' || effective_on || '|' ||"
                           " recorded_at || '|' || actor || '|' || note || '|' ||"
                           " workflow_version FROM transitions WHERE case_id = ? ORDER BY id DESC",
                           c),
              "referral>assessment|2026-03-10|2026-03-10T09:00:00Z|system|first call done|1");
    CHECK_STR(fixture_text(site,
                           "SELECT due_on FROM tasks WHERE case_id = ?"
                           " AND title = 'Global assessment'",
                           c),
              "2026-03-24");
    /* Anchored on a date the case does not have yet: no due date. */
    CHECK_STR(fixture_text(site,
                           "SELECT coalesce(due_on, 'none') FROM tasks WHERE case_id = ?"
                           " AND anchor = 'treatment_end'",
                           c),
              "none");
    CHECK_STR(fixture_text(site,
                           "SELECT detail FROM audit WHERE action = 'transition'"
                           " AND object_id = CAST(? AS TEXT)",
                           c),
              "{\"event\":\"accept\",\"from\":\"referral\",\"to\":\"assessment\","
              "\"effective_on\":\"2026-03-10\"}");
    fr_site_close(site);
}

static void an_event_not_allowed_names_the_allowed_ones(void)
{
    at("2026-03-10T09:00:00Z");
    fr_site *site = fixture_site("notallowed");
    fr_error err = {0};
    fixture_workflow(site, "workflows/frailty-v1.xml");
    int64_t c = fixture_case(site, "frailty", 1, 0, "2026-03-01");
    CHECK_ERR(fr_workflow_fire(site, c, "assess", NULL, NULL, &err), FR_EREFUSED, &err,
              "event 'assess' is not allowed in state 'referral' of workflow 'frailty'; allowed "
              "now: accept, close");
    char **events = NULL;
    CHECK_OK(fr_workflow_allowed(site, c, &events, &err), &err);
    CHECK(events && events[0] && events[1] && !events[2]);
    if (events && events[0] && events[1]) {
        CHECK_STR(events[0], "accept");
        CHECK_STR(events[1], "close");
    }
    fr_strv_free(events);
    CHECK_OK(fr_workflow_fire(site, c, "accept", NULL, NULL, &err), &err);
    CHECK_OK(fr_workflow_allowed(site, c, &events, &err), &err);
    /* Guards are not evaluated for the list; `*` adds close. */
    CHECK(events && events[0] && events[1] && events[2] && !events[3]);
    if (events && events[2]) {
        CHECK_STR(events[0], "assess");
        CHECK_STR(events[1], "close");
        CHECK_STR(events[2], "skip-plan");
    }
    fr_strv_free(events);
    CHECK_ERR(fr_workflow_fire(site, 999, "accept", NULL, NULL, &err), FR_ENOTFOUND, &err,
              "no case 999");
    fr_site_close(site);
}

static void required_form_and_xpath_guard(void)
{
    at("2026-03-10T09:00:00Z");
    fr_site *site = fixture_site("guards");
    fr_error err = {0};
    fixture_workflow(site, "workflows/frailty-v1.xml");
    int64_t c = fixture_case(site, "frailty", 1, 0, "2026-03-01");
    CHECK_OK(fr_workflow_fire(site, c, "accept", NULL, NULL, &err), &err);
    /* No katz form on this site: not the user's to fill in. */
    CHECK_ERR(fr_workflow_fire(site, c, "assess", NULL, NULL, &err), FR_EREFUSED, &err,
              "needs a final submission of form 'katz', which this site does not have");
    /* A draft is not enough. */
    CHECK_OK(fr_store_execf(site->store, &err,
                            "INSERT INTO submissions (case_id, form_id, form_version, status, data,"
                            " submitted_at, actor) VALUES (?, 'katz', '1', 'draft', '{}',"
                            " '2026-03-09T10:00:00Z', 'system')",
                            "I", c),
             &err);
    CHECK_ERR(fr_workflow_fire(site, c, "assess", NULL, NULL, &err), FR_EREFUSED, &err,
              "form 'katz'");
    CHECK_OK(fr_store_execf(site->store, &err,
                            "UPDATE submissions SET status = 'final' WHERE case_id = ?", "I", c),
             &err);
    CHECK_ERR(fr_workflow_fire(site, c, "assess", NULL, NULL, &err), FR_EREFUSED, &err,
              "an informal carer must be in the network before planning: add one");
    CHECK_STR(fixture_text(site, "SELECT state FROM cases WHERE id = ?", c), "assessment");
    CHECK_OK(fr_store_execf(site->store, &err,
                            "INSERT INTO network_members (case_id, kind, name, relation,"
                            " created_at) VALUES (?, 'informal', 'Jan', 'son',"
                            " '2026-03-01T00:00:00Z')",
                            "I", c),
             &err);
    CHECK_OK(fr_workflow_fire(site, c, "assess", NULL, NULL, &err), &err);
    CHECK_STR(fixture_text(site, "SELECT state FROM cases WHERE id = ?", c), "plan");
    /* A guard that cannot be evaluated is an error, not a refusal. */
    CHECK_ERR(fr_workflow_fire(site, c, "strange", NULL, NULL, &err), FR_EINVAL, &err,
              "could not be evaluated");
    CHECK(strstr(err.message, "count(@intensity + 1)") != NULL);
    CHECK_STR(fixture_text(site, "SELECT state FROM cases WHERE id = ?", c), "plan");
    fr_site_close(site);
}

typedef struct consent {
    int allowed;
    int calls;
    char seen_state[64];
} consent;

static int consent_guard(const fr_guard_call *call, void *userdata, int *allowed, fr_error *err)
{
    consent *c = userdata;
    c->calls++;
    snprintf(c->seen_state, sizeof c->seen_state, "%s", call->from);
    if (!strstr(call->case_xml, "<case ") || strcmp(call->to, "follow-up") != 0)
        return fr_error_set(err, FR_EINTERNAL, "unexpected call");
    *allowed = c->allowed;
    if (!c->allowed)
        fr_error_set(err, 0, "the person has not given consent yet");
    return 0;
}

static void named_c_guard(void)
{
    at("2026-03-10T09:00:00Z");
    fr_site *site = fixture_site("cguard");
    fr_error err = {0};
    fixture_workflow(site, "workflows/frailty-v1.xml");
    int64_t c = fixture_case(site, "frailty", 1, 0, "2026-03-01");
    CHECK_OK(fr_workflow_fire(site, c, "accept", NULL, NULL, &err), &err);
    CHECK_ERR(fr_workflow_fire(site, c, "skip-plan", NULL, NULL, &err), FR_EREFUSED, &err,
              "guard 'test-consent' is not registered: is plugin 'test-plugin' enabled?");
    consent state = {0};
    CHECK_OK(
        fr_workflows_add_guard(site, "test-plugin", "test-consent", consent_guard, &state, &err),
        &err);
    CHECK_ERR(fr_workflows_add_guard(site, "other", "test-consent", consent_guard, NULL, &err),
              FR_ECONFLICT, &err, "already registered by 'test-plugin'");
    CHECK_ERR(fr_workflow_fire(site, c, "skip-plan", NULL, NULL, &err), FR_EREFUSED, &err,
              "the person has not given consent yet");
    CHECK(state.calls == 1);
    CHECK_STR(state.seen_state, "assessment");
    state.allowed = 1;
    CHECK_OK(fr_workflow_fire(site, c, "skip-plan", NULL, NULL, &err), &err);
    CHECK_STR(fixture_text(site, "SELECT state FROM cases WHERE id = ?", c), "follow-up");
    /* Disabling the plugin removes its guards. */
    fr_workflows_remove_owner(site, "test-plugin");
    CHECK_OK(fr_workflow_fire(site, c, "close", NULL, NULL, &err), &err);
    fr_site_close(site);
}

static void final_state_closes_and_reopen_opens(void)
{
    at("2026-03-10T09:00:00Z");
    fr_site *site = fixture_site("close");
    fr_error err = {0};
    fixture_workflow(site, "workflows/frailty-v1.xml");
    int64_t c = fixture_case(site, "frailty", 1, 0, "2026-03-01");
    CHECK_OK(fr_workflow_fire(site, c, "close", "2026-03-08", "moved to a nursing home", &err),
             &err);
    CHECK_STR(fixture_text(site,
                           "SELECT state || ':' || status || ':' || closed_on FROM cases"
                           " WHERE id = ?",
                           c),
              "closed:closed:2026-03-08");
    CHECK_ERR(fr_workflow_fire(site, c, "accept", NULL, NULL, &err), FR_EREFUSED, &err,
              "the case is closed: event 'accept' is not allowed in state 'closed' of workflow "
              "'frailty'; allowed now: reopen");
    CHECK_ERR(fr_workflow_fire(site, c, "close", NULL, NULL, &err), FR_EREFUSED, &err,
              "allowed now: reopen");
    CHECK_OK(fr_workflow_fire(site, c, "reopen", NULL, "called back", &err), &err);
    CHECK_STR(fixture_text(site,
                           "SELECT state || ':' || status || ':' ||"
                           " coalesce(closed_on, 'null') FROM cases WHERE id = ?",
                           c),
              "follow-up:open:null");
    CHECK(fixture_int(site, "SELECT count(*) FROM transitions WHERE case_id = ?", c) == 3);
    fr_site_close(site);
}

static void effective_date_can_be_in_the_past_not_the_future(void)
{
    at("2026-03-10T09:00:00Z");
    fr_site *site = fixture_site("effective");
    fr_error err = {0};
    fixture_workflow(site, "workflows/frailty-v1.xml");
    int64_t c = fixture_case(site, "frailty", 1, 0, "2026-03-01");
    CHECK_ERR(fr_workflow_fire(site, c, "accept", "2026-03-11", NULL, &err), FR_EINVAL, &err,
              "in the future");
    CHECK_ERR(fr_workflow_fire(site, c, "accept", "5 March", NULL, &err), FR_EINVAL, &err,
              "date must be YYYY-MM-DD");
    CHECK_OK(fr_workflow_fire(site, c, "accept", "2026-03-05", NULL, &err), &err);
    CHECK_STR(fixture_text(site,
                           "SELECT effective_on || '|' || recorded_at FROM transitions"
                           " WHERE case_id = ? AND event = 'accept'",
                           c),
              "2026-03-05|2026-03-10T09:00:00Z");
    CHECK_STR(fixture_text(site, "SELECT state_since FROM cases WHERE id = ?", c), "2026-03-05");
    /* Due dates of on-enter tasks count from the effective date. */
    CHECK_STR(fixture_text(site,
                           "SELECT due_on FROM tasks WHERE case_id = ?"
                           " AND title = 'Global assessment'",
                           c),
              "2026-03-19");
    fr_site_close(site);
}

static void a_failing_action_leaves_nothing(void)
{
    at("2026-03-10T09:00:00Z");
    fr_site *site = fixture_site("rollback");
    fr_error err = {0};
    fixture_workflow(site, "workflows/frailty-v1.xml");
    int64_t c = fixture_case(site, "frailty", 1, 0, "2026-03-01");
    CHECK_OK(fr_workflow_fire(site, c, "accept", NULL, NULL, &err), &err);
    CHECK_OK(fr_store_execf(site->store, &err,
                            "INSERT INTO submissions (case_id, form_id, form_version, status, data,"
                            " submitted_at, actor) VALUES (?, 'katz', '1', 'final', '{}',"
                            " '2026-03-09T10:00:00Z', 'system')",
                            "I", c),
             &err);
    CHECK_OK(fr_store_execf(site->store, &err,
                            "INSERT INTO network_members (case_id, kind, name, created_at)"
                            " VALUES (?, 'informal', 'Jan', '2026-03-01T00:00:00Z')",
                            "I", c),
             &err);
    /* The on-enter task of "plan" cannot be written. */
    CHECK_OK(fr_store_exec(site->store,
                           test_on_pg()
                               ? "CREATE FUNCTION no_boom() RETURNS trigger LANGUAGE plpgsql AS"
                                 " $$ BEGIN RAISE EXCEPTION 'boom refused'; END $$;"
                                 " CREATE TRIGGER no_boom BEFORE INSERT ON tasks FOR EACH ROW"
                                 " WHEN (NEW.title = 'Boom') EXECUTE FUNCTION no_boom()"
                               : "CREATE TRIGGER no_boom BEFORE INSERT ON tasks WHEN NEW.title ="
                                 " 'Boom' BEGIN SELECT RAISE(ABORT, 'boom refused'); END",
                           &err),
             &err);
    int64_t transitions = fixture_int(site, "SELECT count(*) FROM transitions WHERE ? > 0", 1);
    int64_t audit = fixture_int(site, "SELECT count(*) FROM audit WHERE ? > 0", 1);
    int64_t tasks = fixture_int(site, "SELECT count(*) FROM tasks WHERE ? > 0", 1);
    int64_t outbox = fixture_int(site, "SELECT count(*) FROM outbox WHERE ? > 0", 1);
    int rc = fr_workflow_fire(site, c, "assess", NULL, NULL, &err);
    CHECK(rc < 0);
    CHECK(strstr(err.message, "on entering state 'plan'") != NULL);
    CHECK(fr_store_depth(site->store) == 0);
    CHECK_STR(fixture_text(site, "SELECT state || ':' || row_version FROM cases WHERE id = ?", c),
              "assessment:2");
    CHECK(fixture_int(site, "SELECT count(*) FROM transitions WHERE ? > 0", 1) == transitions);
    CHECK(fixture_int(site, "SELECT count(*) FROM audit WHERE ? > 0", 1) == audit);
    CHECK(fixture_int(site, "SELECT count(*) FROM tasks WHERE ? > 0", 1) == tasks);
    CHECK(fixture_int(site, "SELECT count(*) FROM outbox WHERE ? > 0", 1) == outbox);
    /* Inside a caller's transaction, only this operation is undone. */
    CHECK_OK(fr_store_begin(site->store, &err), &err);
    CHECK_OK(
        fr_store_execf(site->store, &err, "UPDATE cases SET intensity = 3 WHERE id = ?", "I", c),
        &err);
    CHECK(fr_workflow_fire(site, c, "assess", NULL, NULL, &err) < 0);
    CHECK_OK(fr_store_commit(site->store, &err), &err);
    CHECK_STR(fixture_text(site, "SELECT state || ':' || intensity FROM cases WHERE id = ?", c),
              "assessment:3");
    fr_site_close(site);
}

static void a_user_without_relationship_cannot_fire(void)
{
    at("2026-03-10T09:00:00Z");
    fr_site *site = fixture_site("access");
    fr_error err = {0};
    fixture_workflow(site, "workflows/frailty-v1.xml");
    int64_t anne = fixture_user(site, "anne", "case_manager");
    fixture_user(site, "bob", "provider");
    int64_t c = fixture_case(site, "frailty", 1, anne, "2026-03-01");
    CHECK_OK(fr_site_set_actor(site, "bob", &err), &err);
    CHECK_ERR(fr_workflow_fire(site, c, "accept", NULL, NULL, &err), FR_EACCESS, &err,
              "no care relationship");
    char **events = NULL;
    CHECK_ERR(fr_workflow_allowed(site, c, &events, &err), FR_EACCESS, &err,
              "no care relationship");
    CHECK_OK(fr_site_set_actor(site, "anne", &err), &err);
    CHECK_OK(fr_workflow_fire(site, c, "accept", NULL, NULL, &err), &err);
    CHECK_STR(
        fixture_text(site, "SELECT actor FROM transitions WHERE case_id = ? ORDER BY id DESC", c),
        "anne");
    fr_site_close(site);
}

static void the_case_view_shows_what_guards_see(void)
{
    at("2026-03-10T09:00:00Z");
    fr_site *site = fixture_site("view");
    fr_error err = {0};
    fixture_workflow(site, "workflows/frailty-v1.xml");
    int64_t c = fixture_case(site, "frailty", 1, 0, "2026-03-01");
    CHECK_OK(fr_store_execf(site->store, &err,
                            "INSERT INTO submissions (case_id, form_id, form_version, status, data,"
                            " submitted_at, actor) VALUES (?, 'a<b&\"c', '1', 'final', '{}',"
                            " '2026-03-09T10:00:00Z', 'system')",
                            "I", c),
             &err);
    CHECK_OK(fr_store_execf(site->store, &err,
                            "INSERT INTO case_dates (case_id, name, date) VALUES (?,"
                            " 'treatment_end', '2026-04-30')",
                            "I", c),
             &err);
    char *xml = NULL;
    CHECK_OK(fr_workflow_case_xml(site, c, &xml, &err), &err);
    if (!xml)
        return;
    CHECK(strstr(xml, "state=\"referral\""));
    CHECK(strstr(xml, "<patient birth-date=\"1940-05-02\" sex=\"female\" age=\"85\"/>"));
    CHECK(strstr(xml, "<date name=\"treatment_end\" value=\"2026-04-30\"/>"));
    CHECK(strstr(xml, "<network formal=\"0\" informal=\"0\"/>"));
    CHECK(strstr(xml, "<tasks open=\"1\" overdue=\"1\"/>"));
    CHECK(strstr(xml, "id=\"a&lt;b&amp;&quot;c\""));
    /* It parses back: the odd form id was escaped. */
    xmlDocPtr doc = xmlReadMemory(xml, (int)strlen(xml), "case.xml", NULL, XML_PARSE_NONET);
    CHECK(doc != NULL);
    if (doc)
        xmlFreeDoc(doc);
    free(xml);
    fr_site_close(site);
}

static void an_older_case_keeps_its_version(void)
{
    at("2026-03-10T09:00:00Z");
    fr_site *site = fixture_site("versions");
    fr_error err = {0};
    fixture_workflow(site, "workflows/frailty-v1.xml");
    int64_t c = fixture_case(site, "frailty", 1, 0, "2026-03-01");
    fixture_workflow(site, "workflows/frailty-v2.xml");
    const fr_workflow *newest = NULL;
    CHECK_OK(fr_workflows_get(site, "frailty", 0, &newest, &err), &err);
    CHECK(newest && fr_workflow_version(newest) == 2);
    /* Version 1's "referral" and "accept" still apply to this case. */
    CHECK_OK(fr_workflow_fire(site, c, "accept", NULL, NULL, &err), &err);
    CHECK_STR(
        fixture_text(site, "SELECT state || ':' || workflow_version FROM cases WHERE id = ?", c),
        "assessment:1");
    int64_t c2 = fixture_case(site, "frailty", 2, 0, "2026-03-02");
    CHECK_STR(fixture_text(site, "SELECT state FROM cases WHERE id = ?", c2), "intake");
    fr_site_close(site);
}

static void migration_moves_all_or_nothing(void)
{
    at("2026-03-10T09:00:00Z");
    fr_site *site = fixture_site("migrate");
    fr_error err = {0};
    fixture_workflow(site, "workflows/frailty-v1.xml");
    int64_t in_plan = fixture_case(site, "frailty", 1, 0, "2026-03-01");
    int64_t in_assessment = fixture_case(site, "frailty", 1, 0, "2026-03-01");
    int64_t in_referral = fixture_case(site, "frailty", 1, 0, "2026-03-01");
    CHECK_OK(fr_store_execf(site->store, &err, "UPDATE cases SET state = 'plan' WHERE id = ?", "I",
                            in_plan),
             &err);
    CHECK_OK(fr_workflow_fire(site, in_assessment, "accept", NULL, NULL, &err), &err);
    fixture_workflow(site, "workflows/frailty-v2.xml");

    fr_migration_plan_item *plan = NULL;
    int n = -1;
    CHECK_ERR(fr_workflow_migrate(site, "frailty", 1, &plan, &n, &err), FR_EREFUSED, &err,
              "nothing was moved");
    char expected[128];
    snprintf(expected, sizeof expected, "case %" PRId64 " (version 1, state 'referral')",
             in_referral);
    CHECK(strstr(err.message, expected) != NULL);
    CHECK(plan == NULL && n == 0);
    CHECK_ERR(fr_workflow_migrate(site, "frailty", 0, &plan, &n, &err), FR_EREFUSED, &err,
              "no mapping");
    CHECK(fixture_int(site, "SELECT count(*) FROM cases WHERE workflow_version = ?", 2) == 0);

    /* Closed cases stay where they are. */
    CHECK_OK(fr_workflow_fire(site, in_referral, "close", NULL, NULL, &err), &err);
    CHECK_OK(fr_workflow_migrate(site, "frailty", 1, &plan, &n, &err), &err);
    CHECK(n == 2);
    if (plan && n == 2) {
        CHECK(plan[0].case_id == in_plan);
        CHECK_STR(plan[0].from_state, "plan");
        CHECK_STR(plan[0].to_state, "care-plan");
        CHECK(plan[1].case_id == in_assessment);
        CHECK_STR(plan[1].to_state, "assessment");
    }
    free(plan);
    CHECK(fixture_int(site, "SELECT count(*) FROM cases WHERE workflow_version = ?", 2) == 0);
    CHECK_OK(fr_workflow_migrate(site, "frailty", 0, &plan, &n, &err), &err);
    free(plan);
    CHECK(n == 2);
    CHECK_STR(fixture_text(site, "SELECT state || ':' || workflow_version FROM cases WHERE id = ?",
                           in_plan),
              "care-plan:2");
    CHECK_STR(fixture_text(site, "SELECT state || ':' || workflow_version FROM cases WHERE id = ?",
                           in_referral),
              "closed:1");
    CHECK_STR(fixture_text(site,
                           "SELECT from_state || '>' || to_state || ':' || workflow_version FROM"
                           " transitions WHERE case_id = ? AND event = 'migrate'",
                           in_plan),
              "plan>care-plan:2");
    CHECK(fixture_int(site, "SELECT count(*) FROM audit WHERE action = 'migrate' AND ? > 0", 1) ==
          2);
    /* Migrated cases run under version 2. */
    CHECK_OK(fr_workflow_fire(site, in_plan, "follow", NULL, NULL, &err), &err);
    /* Nothing left to migrate. */
    CHECK_OK(fr_workflow_migrate(site, "frailty", 0, &plan, &n, &err), &err);
    CHECK(n == 0);
    free(plan);
    fr_site_close(site);
}

/* A step cannot be dated before the case began; a case registered after
 * the fact has its opening corrected first (audited), never past its first
 * step nor into the future. */
static void a_step_before_the_opening_needs_the_opening_corrected(void)
{
    at("2026-03-10T09:00:00Z");
    fr_site *site = fixture_site("opening");
    fr_error err = {0};
    fixture_workflow(site, "workflows/frailty-v1.xml");
    int64_t c = fixture_case(site, "frailty", 1, 0, "2026-03-08");
    CHECK_ERR(fr_workflow_fire(site, c, "accept", "2026-03-05", NULL, &err), FR_EINVAL, &err,
              "on: 05/03/2026 is before the case's opening (08/03/2026); if the case began "
              "earlier, correct its opening date first (`filrouge case opened-on");
    CHECK_ERR(fr_case_close(site, c, "1990-01-01", NULL, &err), FR_EINVAL, &err,
              "before the case's opening (08/03/2026)");
    CHECK(fixture_int(site, "SELECT count(*) FROM transitions WHERE case_id = ?", c) == 1);
    CHECK_ERR(fr_case_set_opened(site, c, "2026-03-04", "  ", NULL, &err), FR_EINVAL, &err,
              "reason: say why");
    CHECK_ERR(fr_case_set_opened(site, c, "2026-03-11", "late", NULL, &err), FR_EINVAL, &err,
              "not in the future");
    CHECK_ERR(fr_case_set_opened(site, c, "1940-05-01", "late", NULL, &err), FR_EINVAL, &err,
              "opened: 01/05/1940 is before the patient's birth (02/05/1940)");
    CHECK_OK(fr_case_set_opened(site, c, "2026-03-04", "registered after the fact", NULL, &err),
             &err);
    CHECK_STR(fixture_text(site,
                           "SELECT c.opened_on || '|' || c.state_since || '|' || t.effective_on"
                           " FROM cases c JOIN transitions t ON t.case_id = c.id AND"
                           " t.event = 'open' WHERE c.id = ?",
                           c),
              "2026-03-04|2026-03-04|2026-03-04");
    CHECK_STR(fixture_text(site,
                           "SELECT detail FROM audit WHERE object_type = 'case' AND action ="
                           " 'update' AND object_id = CAST(? AS TEXT) ORDER BY id DESC",
                           c),
              "{\"from\":\"2026-03-08\",\"to\":\"2026-03-04\",\"reason\":\"registered after "
              "the fact\",\"tasks_moved\":[1]}");
    CHECK(fixture_int(site,
                      "SELECT count(*) FROM outbox WHERE topic = 'case.opened-on-changed'"
                      " AND case_id = ?",
                      c) == 1);
    CHECK_OK(fr_workflow_fire(site, c, "accept", "2026-03-05", NULL, &err), &err);
    CHECK_ERR(fr_case_set_opened(site, c, "2026-03-06", "late", NULL, &err), FR_EINVAL, &err,
              "opened: 06/03/2026 is after the case's first step accept (05/03/2026)");
    /* Moving it earlier again keeps the state's own start. */
    CHECK_OK(fr_case_set_opened(site, c, "2026-03-01", "earlier still", NULL, &err), &err);
    CHECK_STR(
        fixture_text(site, "SELECT opened_on || '|' || state_since FROM cases WHERE id = ?", c),
        "2026-03-01|2026-03-05");
    fr_site_close(site);
}

/* The opening's own tasks nobody touched are due from the corrected
 * opening; one done keeps its date. A note, a form or a task done before
 * the new opening refuses it (something happened before the case existed),
 * named; a network member known earlier does not. */
static void a_corrected_opening_moves_its_tasks_not_past_what_was_recorded(void)
{
    at("2026-03-10T09:00:00Z");
    fr_site *site = fixture_site("opening-tasks");
    fr_error err = {0};
    fixture_workflow(site, "workflows/frailty-v1.xml");
    static const char due[] = "SELECT due_on || '|' || due_emitted FROM tasks WHERE case_id = ?";
    int64_t c = fixture_case(site, "frailty", 1, 0, "2026-03-08");
    CHECK_STR(fixture_text(site, due, c), "2026-03-10|0");
    CHECK_OK(fr_store_execf(site->store, &err, "UPDATE tasks SET due_emitted = 1", NULL), &err);
    fr_member_new gp = {.kind = "formal", .name = "Dr Claes", .role = "GP", .since = "2001-01-01"};
    int64_t member = 0;
    CHECK_OK(fr_network_add(site, c, &gp, &member, &err), &err);
    CHECK_OK(fr_case_set_opened(site, c, "2026-03-02", "registered after the fact", NULL, &err),
             &err);
    CHECK_STR(fixture_text(site, due, c), "2026-03-04|0");
    CHECK(strstr(fixture_text(site,
                              "SELECT detail FROM audit WHERE object_type = 'case' AND action ="
                              " 'update' AND object_id = CAST(? AS TEXT) ORDER BY id DESC",
                              c),
                 "\"tasks_moved\":[") != NULL);

    /* Done late in the evening of the 5th, Brussels: the 6th. */
    int64_t d = fixture_case(site, "frailty", 1, 0, "2026-03-01");
    int64_t task = fixture_int(site, "SELECT id FROM tasks WHERE case_id = ?", d);
    at("2026-03-05T23:30:00Z");
    CHECK_OK(fr_task_done(site, task, &err), &err);
    at("2026-03-10T09:00:00Z");
    char expected[160];
    snprintf(expected, sizeof expected,
             "opened: 07/03/2026 is after the case's first completed task %" PRId64
             " (06/03/2026); a case opens before what happens in it",
             task);
    CHECK_ERR(fr_case_set_opened(site, d, "2026-03-07", "typo", NULL, &err), FR_EINVAL, &err,
              expected);
    CHECK_OK(fr_case_set_opened(site, d, "2026-03-06", "typo", NULL, &err), &err);
    CHECK_STR(fixture_text(site, due, d), "2026-03-03|0");

    /* A note, then a form, written before. */
    at("2026-03-04T10:00:00Z");
    int64_t e = fixture_case(site, "frailty", 1, 0, "2026-03-01"), note = 0;
    CHECK_OK(fr_case_add_note(site, e, "Appel de la fille", "person", NULL, &note, &err), &err);
    CHECK_OK(fr_store_execf(site->store, &err,
                            "INSERT INTO submissions (case_id, form_id, form_version, status, data,"
                            " submitted_at, actor) VALUES (?, 'katz', '1', 'final', '{}',"
                            " '2026-03-03T10:00:00Z', 'system')",
                            "I", e),
             &err);
    at("2026-03-10T09:00:00Z");
    CHECK_ERR(fr_case_set_opened(site, e, "2026-03-05", "typo", NULL, &err), FR_EINVAL, &err,
              "after the case's first submission ");
    CHECK(strstr(err.message, " of form katz (03/03/2026)") != NULL);
    CHECK_OK(fr_store_execf(site->store, &err, "DELETE FROM submissions WHERE case_id = ?", "I", e),
             &err);
    snprintf(expected, sizeof expected,
             "opened: 05/03/2026 is after the case's first note %" PRId64 " (04/03/2026)", note);
    CHECK_ERR(fr_case_set_opened(site, e, "2026-03-05", "typo", NULL, &err), FR_EINVAL, &err,
              expected);
    CHECK(fixture_int(site, "SELECT count(*) FROM cases WHERE id = ? AND opened_on = '2026-03-01'",
                      e) == 1);
    CHECK_OK(fr_case_set_opened(site, e, "2026-03-04", "typo", NULL, &err), &err);

    /* After a step, the first state's tasks are no longer the opening's. */
    int64_t f = fixture_case(site, "frailty", 1, 0, "2026-03-08");
    CHECK_OK(fr_workflow_fire(site, f, "accept", "2026-03-09", NULL, &err), &err);
    CHECK_OK(fr_case_set_opened(site, f, "2026-03-02", "registered after the fact", NULL, &err),
             &err);
    CHECK(fixture_int(site,
                      "SELECT count(*) FROM tasks WHERE case_id = ? AND status = 'open' AND"
                      " due_on < '2026-03-09'",
                      f) == 0);

    /* A migration is no step: the opening's tasks and the state's start
     * still follow it, but the opening does not go past it. */
    int64_t g = fixture_case(site, "frailty", 1, 0, "2026-03-08");
    CHECK_OK(fr_store_execf(site->store, &err,
                            "INSERT INTO transitions (case_id, event, from_state, to_state,"
                            " workflow_version, effective_on, recorded_at, actor, migration)"
                            " VALUES (?, 'migrate', 'referral', 'referral', 1, '2026-03-09',"
                            " '2026-03-09T09:00:00Z', 'admin', 1)",
                            "I", g),
             &err);
    CHECK_ERR(fr_case_set_opened(site, g, "2026-03-10", "typo", NULL, &err), FR_EINVAL, &err,
              "opened: 10/03/2026 is after the case's first migration (09/03/2026)");
    CHECK_OK(fr_case_set_opened(site, g, "2026-03-02", "typo", NULL, &err), &err);
    CHECK_STR(fixture_text(site, due, g), "2026-03-04|0");
    CHECK_STR(fixture_text(site, "SELECT state_since FROM cases WHERE id = ?", g), "2026-03-02");
    fr_site_close(site);
}

/* A case's transitions in the order recorded: "event:migration,…". */
static const char events_and_migrations[] =
    "SELECT group_concat(event || ':' || migration, ',') FROM (SELECT event, migration FROM"
    " transitions WHERE case_id = ? ORDER BY id) AS t";

/* Steps are recorded in the order they happened: one dated before the
 * case's last step is refused, saying how to correct that step. The last
 * step's date is corrected (audited) within the step before it and what
 * was recorded since; its untouched tasks, the state's start, the closing
 * and a timer's first task follow it. */
static void steps_in_order_and_the_last_one_corrected(void)
{
    at("2026-03-10T09:00:00Z");
    fr_site *site = fixture_site("steps");
    fr_error err = {0};
    char expected[320];
    fixture_workflow(site, "workflows/frailty-v1.xml");
    int64_t c = fixture_case(site, "frailty", 1, 0, "2026-03-01");
    CHECK_ERR(fr_case_set_last_step_on(site, c, "2026-03-02", "typo", NULL, &err), FR_EINVAL, &err,
              "step: case ");
    CHECK(strstr(err.message, "has taken no step since its opening; to correct the opening's "
                              "date: `filrouge case opened-on") != NULL);
    CHECK_OK(fr_workflow_fire(site, c, "accept", NULL, NULL, &err), &err);
    snprintf(expected, sizeof expected,
             "on: 05/03/2026 is before the case's last step, accept (10/03/2026); steps are "
             "recorded in the order they happened: give that day or a later one, or correct "
             "that step's date first (`filrouge case last-step-on %" PRId64
             " DD/MM/YYYY --reason TEXT`)",
             c);
    CHECK_ERR(fr_workflow_fire(site, c, "close", "2026-03-05", NULL, &err), FR_EINVAL, &err,
              expected);
    CHECK(fixture_int(site, "SELECT count(*) FROM transitions WHERE case_id = ?", c) == 2);

    /* Recorded on the 10th with the day's date, it happened on the 4th. */
    static const char due[] = "SELECT group_concat(due_on, ',') FROM tasks WHERE case_id = ? AND"
                              " status = 'open' AND due_on IS NOT NULL";
    CHECK_STR(fixture_text(site, due, c), "2026-03-24");
    CHECK_ERR(fr_case_set_last_step_on(site, c, "2026-03-04", " ", NULL, &err), FR_EINVAL, &err,
              "reason: say why the step's date is corrected");
    CHECK_ERR(fr_case_set_last_step_on(site, c, "2026-03-11", "typo", NULL, &err), FR_EINVAL, &err,
              "on: 11/03/2026 is in the future (today is 10/03/2026)");
    CHECK_ERR(fr_case_set_last_step_on(site, c, "2026-02-27", "typo", NULL, &err), FR_EINVAL, &err,
              "on: 27/02/2026 is before the case's opening (01/03/2026)");
    int moved = -1;
    CHECK_OK(
        fr_case_set_last_step_on(site, c, "2026-03-04", "recorded after the fact", &moved, &err),
        &err);
    CHECK(moved == 1);
    CHECK_STR(fixture_text(site, due, c), "2026-03-18");
    CHECK_STR(fixture_text(site,
                           "SELECT c.state_since || '|' || t.effective_on FROM cases c JOIN"
                           " transitions t ON t.case_id = c.id AND t.event = 'accept'"
                           " WHERE c.id = ?",
                           c),
              "2026-03-04|2026-03-04");
    CHECK(strstr(fixture_text(site,
                              "SELECT detail FROM audit WHERE object_type = 'case' AND action ="
                              " 'update' AND object_id = CAST(? AS TEXT) ORDER BY id DESC",
                              c),
                 "\"step\":\"accept\",\"from\":\"2026-03-10\",\"to\":\"2026-03-04\",\"reason\":"
                 "\"recorded after the fact\",\"tasks_moved\":[") != NULL);
    CHECK(fixture_int(site,
                      "SELECT count(*) FROM outbox WHERE topic = 'case.last-step-on-changed'"
                      " AND case_id = ?",
                      c) == 1);
    CHECK_OK(fr_workflow_fire(site, c, "close", "2026-03-05", NULL, &err), &err);

    /* Not past what was recorded since (a note of the 7th), nor before the
     * step before it; a closing moves the case's closing date. */
    int64_t d = fixture_case(site, "frailty", 1, 0, "2026-03-01"), note = 0;
    at("2026-03-06T09:00:00Z");
    CHECK_OK(fr_workflow_fire(site, d, "close", NULL, NULL, &err), &err);
    at("2026-03-07T09:00:00Z");
    CHECK_OK(fr_case_add_note(site, d, "Appel de la fille", "person", NULL, &note, &err), &err);
    at("2026-03-10T09:00:00Z");
    snprintf(expected, sizeof expected,
             "on: 08/03/2026 is after what was recorded since that step: note %" PRId64
             " (07/03/2026); a step comes before what happens after it",
             note);
    CHECK_ERR(fr_case_set_last_step_on(site, d, "2026-03-08", "typo", NULL, &err), FR_EINVAL, &err,
              expected);
    CHECK_OK(fr_case_set_last_step_on(site, d, "2026-03-07", "typo", &moved, &err), &err);
    CHECK(moved == 0);
    CHECK_OK(fr_workflow_fire(site, d, "reopen", "2026-03-08", NULL, &err), &err);
    CHECK_ERR(fr_case_set_last_step_on(site, d, "2026-03-06", "typo", NULL, &err), FR_EINVAL, &err,
              "on: 06/03/2026 is before the step before it, close (07/03/2026); a step comes "
              "after the one before it: give that day or a later one");
    CHECK_STR(fixture_text(site, "SELECT coalesce(closed_on, '-') FROM cases WHERE id = ?", d),
              "-");
    /* The follow-up's timer counts from the reopening, and follows it. */
    fr_tick_stats stats = {0};
    CHECK_OK(fr_task_tick(site, &stats, &err), &err);
    CHECK_STR(fixture_text(site, due, d), "2026-06-08");
    CHECK_OK(fr_case_set_last_step_on(site, d, "2026-03-09", "typo", &moved, &err), &err);
    CHECK(moved == 1);
    CHECK_STR(fixture_text(site, due, d), "2026-06-09");
    CHECK_OK(fr_case_close(site, d, "2026-03-09", NULL, &err), &err);
    CHECK_OK(fr_case_set_last_step_on(site, d, "2026-03-10", "typo", NULL, &err), &err);
    CHECK_STR(
        fixture_text(site, "SELECT closed_on || '|' || state_since FROM cases WHERE id = ?", d),
        "2026-03-10|2026-03-10");

    /* Moved to version 2 (a migration, no step: the last step is still
     * the reopening), its timer task, made at the reopening under version
     * 1, stays and follows the reopening too. Version 2's own event
     * "migrate" is a step. */
    int64_t f = fixture_case(site, "frailty", 1, 0, "2026-03-01");
    CHECK_OK(fr_case_close(site, f, "2026-03-02", NULL, &err), &err);
    CHECK_OK(fr_case_reopen(site, f, "2026-03-03", NULL, &err), &err);
    fixture_workflow(site, "workflows/frailty-v2.xml");
    fr_migration_plan_item *plan = NULL;
    int n = 0;
    CHECK_OK(fr_workflow_migrate(site, "frailty", 0, &plan, &n, &err), &err);
    free(plan);
    CHECK(n == 1);
    CHECK_OK(fr_task_tick(site, &stats, &err), &err);
    CHECK_STR(fixture_text(site,
                           "SELECT title_ref || ' ' || due_on FROM tasks WHERE case_id = ? AND"
                           " status = 'open'",
                           f),
              "frailty/1/timer:reassess 2026-06-03");
    CHECK_OK(fr_case_set_last_step_on(site, f, "2026-03-04", "typo", &moved, &err), &err);
    CHECK(moved == 1);
    CHECK_STR(fixture_text(site, due, f), "2026-06-04");
    CHECK(strstr(fixture_text(site,
                              "SELECT detail FROM audit WHERE object_type = 'case' AND action ="
                              " 'update' AND object_id = CAST(? AS TEXT) ORDER BY id DESC",
                              f),
                 "\"step\":\"reopen\",\"from\":\"2026-03-03\",\"to\":\"2026-03-04\"") != NULL);
    CHECK_OK(fr_workflow_fire(site, f, "migrate", "2026-03-10", NULL, &err), &err);
    CHECK_STR(fixture_text(site, events_and_migrations, f),
              "open:0,close:0,reopen:0,migrate:1,migrate:0");
    CHECK_ERR(fr_workflow_fire(site, f, "close", "2026-03-09", NULL, &err), FR_EINVAL, &err,
              "on: 09/03/2026 is before the case's last step, migrate (10/03/2026)");
    CHECK_OK(fr_case_set_last_step_on(site, f, "2026-03-09", "typo", NULL, &err), &err);
    CHECK_STR(fixture_text(site,
                           "SELECT group_concat(effective_on, ',') FROM (SELECT effective_on"
                           " FROM transitions WHERE case_id = ? ORDER BY id) AS t",
                           f),
              "2026-03-01,2026-03-02,2026-03-04,2026-03-10,2026-03-09");

    /* case opened-on says how many tasks followed. */
    int64_t e = fixture_case(site, "frailty", 1, 0, "2026-03-08");
    CHECK_OK(fr_case_set_opened(site, e, "2026-03-02", "late", &moved, &err), &err);
    CHECK(moved == 1);
    fr_site_close(site);
}

/* A transition written as the code before the check wrote it: a step or
 * a migration alike, known by its event. */
static void older_transition(fr_site *site, int64_t case_id, const char *event, const char *from,
                             const char *to, int version, const char *on)
{
    fr_error err = {0};
    CHECK_OK(fr_store_execf(site->store, &err,
                            "INSERT INTO transitions (case_id, event, from_state, to_state,"
                            " workflow_version, effective_on, recorded_at, actor) VALUES"
                            " (?, ?, ?, ?, ?, ?, '2026-03-09T09:00:00Z', 'alice')",
                            "Itttit", case_id, event, from, to, version, on),
             &err);
    CHECK_OK(fr_store_execf(site->store, &err,
                            "UPDATE cases SET state = ?, state_since = ?, workflow_version = ?"
                            " WHERE id = ?",
                            "ttiI", to, on, version, case_id),
             &err);
}

/* Data from before the checks: steps recorded out of their order, whose
 * latest dated is not the last, bound a new step and the last step's
 * correction; migrations known by their event get their mark (core-013),
 * a workflow's own step of that name does not. */
static void steps_recorded_out_of_order_and_older_migrations(void)
{
    at("2026-03-10T09:00:00Z");
    fr_site *site = fixture_site("older");
    fr_error err = {0};
    fixture_workflow(site, "workflows/frailty-v1.xml");
    fixture_workflow(site, "workflows/frailty-v2.xml");
    int64_t c = fixture_case(site, "frailty", 1, 0, "2026-03-01");
    older_transition(site, c, "accept", "referral", "assessment", 1, "2026-03-08");
    older_transition(site, c, "assess", "assessment", "plan", 1, "2026-03-05");
    CHECK_ERR(fr_workflow_fire(site, c, "follow", "2026-03-06", NULL, &err), FR_EINVAL, &err,
              "on: 06/03/2026 is before the case's latest step, accept (08/03/2026), recorded "
              "before its last one; steps are recorded in the order they happened: give that "
              "day or a later one");
    CHECK_ERR(fr_case_set_last_step_on(site, c, "2026-03-07", "typo", NULL, &err), FR_EINVAL, &err,
              "on: 07/03/2026 is before the step before it, accept (08/03/2026); a step comes "
              "after the one before it");
    CHECK_OK(fr_case_set_last_step_on(site, c, "2026-03-08", "typo", NULL, &err), &err);
    CHECK_OK(fr_workflow_fire(site, c, "follow", "2026-03-08", NULL, &err), &err);

    /* As stored before core-013 (and core-014, which came after it): a migration to version 2 and
     * version 2's own step "migrate", both known by their event. */
    int64_t d = fixture_case(site, "frailty", 1, 0, "2026-03-01");
    older_transition(site, d, "close", "referral", "closed", 1, "2026-03-02");
    older_transition(site, d, "reopen", "closed", "follow-up", 1, "2026-03-03");
    older_transition(site, d, "migrate", "follow-up", "follow-up", 2, "2026-03-04");
    older_transition(site, d, "migrate", "follow-up", "assessment", 2, "2026-03-06");
    CHECK_OK(fr_store_exec(site->store,
                           "ALTER TABLE transitions DROP COLUMN migration;"
                           " ALTER TABLE case_notes DROP COLUMN contact_on;"
                           " DELETE FROM schema_migrations WHERE owner = 'core' AND version >= 13",
                           &err),
             &err);
    site = reopened(site);
    if (!site)
        return;
    CHECK_STR(fixture_text(site, events_and_migrations, d),
              "open:0,close:0,reopen:0,migrate:1,migrate:0");
    CHECK_ERR(fr_workflow_fire(site, d, "close", "2026-03-05", NULL, &err), FR_EINVAL, &err,
              "on: 05/03/2026 is before the case's last step, migrate (06/03/2026)");
    CHECK_OK(fr_case_set_last_step_on(site, d, "2026-03-05", "typo", NULL, &err), &err);
    fr_site_close(site);
}

TEST_MAIN({"steps_in_order_and_the_last_one_corrected", steps_in_order_and_the_last_one_corrected},
          {"steps_recorded_out_of_order_and_older_migrations",
           steps_recorded_out_of_order_and_older_migrations},
          {"loads_a_valid_definition", loads_a_valid_definition},
          {"a_corrected_opening_moves_its_tasks_not_past_what_was_recorded",
           a_corrected_opening_moves_its_tasks_not_past_what_was_recorded},
          {"titles_are_outside_the_identity", titles_are_outside_the_identity},
          {"a_new_translation_keeps_the_version", a_new_translation_keeps_the_version},
          {"malformed_xml_names_file_and_line", malformed_xml_names_file_and_line},
          {"schema_errors_name_file_and_line", schema_errors_name_file_and_line},
          {"meaning_errors_are_reported_together", meaning_errors_are_reported_together},
          {"unknown_guard_functions_are_refused_in_files_only",
           unknown_guard_functions_are_refused_in_files_only},
          {"encodings_other_than_utf8_are_refused", encodings_other_than_utf8_are_refused},
          {"same_version_with_another_text_is_refused", same_version_with_another_text_is_refused},
          {"stored_versions_are_read_back_from_the_database",
           stored_versions_are_read_back_from_the_database},
          {"start_and_fire_record_the_timeline", start_and_fire_record_the_timeline},
          {"an_event_not_allowed_names_the_allowed_ones",
           an_event_not_allowed_names_the_allowed_ones},
          {"required_form_and_xpath_guard", required_form_and_xpath_guard},
          {"named_c_guard", named_c_guard},
          {"final_state_closes_and_reopen_opens", final_state_closes_and_reopen_opens},
          {"effective_date_can_be_in_the_past_not_the_future",
           effective_date_can_be_in_the_past_not_the_future},
          {"a_step_before_the_opening_needs_the_opening_corrected",
           a_step_before_the_opening_needs_the_opening_corrected},
          {"a_failing_action_leaves_nothing", a_failing_action_leaves_nothing},
          {"a_user_without_relationship_cannot_fire", a_user_without_relationship_cannot_fire},
          {"the_case_view_shows_what_guards_see", the_case_view_shows_what_guards_see},
          {"an_older_case_keeps_its_version", an_older_case_keeps_its_version},
          {"migration_moves_all_or_nothing", migration_moves_all_or_nothing})

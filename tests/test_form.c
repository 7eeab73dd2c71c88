/* Forms: definitions and their checks, submissions (validation, skip
 * logic, repeats, calculations, scores and bands computed by hand, flags),
 * drafts and amendments, storage with events and audit, workflow guards
 * reading scores, rendering, FHIR export, hostile input. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "case_fixture.h"
#include "form.h"
#include "plugin.h"

static fr_site *forms_site(const char *name)
{
    fr_site *site = fixture_site(name);
    fr_error err = {0};
    CHECK_OK(fr_plugins_enable(site, "forms", &err), &err);
    return site;
}

static const fr_form *get_form(fr_site *site, const char *id)
{
    fr_error err = {0};
    const fr_form *f = NULL;
    CHECK_OK(fr_forms_get(site, id, 0, &f, &err), &err);
    if (!f)
        exit(99);
    return f;
}

/* Evaluates a final submission; returns the result (NULL on problems, with
 * *problems set). */
static json_t *evaluate(fr_site *site, const char *form, const char *data, json_t **problems,
                        fr_error *err)
{
    json_t *result = NULL;
    *problems = NULL;
    fr_form_evaluate(site, get_form(site, form), data, strlen(data), 1, "en", &result, problems,
                     err);
    return result;
}

static json_t *score_of(json_t *result, const char *id)
{
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(result, "scores"), i,
                       s) if (strcmp(json_string_value(json_object_get(s, "id")), id) ==
                              0) return s;
    return NULL;
}

static int has_problem(json_t *problems, const char *field, const char *needle)
{
    size_t i;
    json_t *p;
    json_array_foreach(problems, i, p)
    {
        if (strcmp(json_string_value(json_object_get(p, "field")), field) == 0 &&
            strstr(json_string_value(json_object_get(p, "message")), needle))
            return 1;
    }
    return 0;
}

static void test_fixtures_load(void)
{
    const char *files[] = {"phq9.xml", "iadl.xml", "situation.xml", "efs.xml"};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/forms/%s", TEST_PLUGIN_DIR, files[i]);
        fr_error err = {0};
        fr_form *f = NULL;
        CHECK_OK(fr_form_load_file(path, &f, &err), &err);
        fr_form_free(f);
    }
}

static void test_check_errors_name_file_line_element(void)
{
    fr_error err = {0};
    fr_form *f = NULL;
    int rc = fr_form_load_file(test_data("forms/bad-ref.xml"), &f, &err);
    CHECK(rc == FR_EINVAL && f == NULL);
    CHECK(strstr(err.message, "bad-ref.xml:5: <field id='b'>: relevant refers to 'missing-field'"));
    CHECK(strstr(err.message, "bad-ref.xml:6: <field id='c'>: choices=\"nolist\""));
    CHECK(strstr(err.message, "bad-ref.xml:7: <field id='a'>: the id is already used"));
    CHECK(strstr(err.message, "bad-ref.xml:8: <field id='d'>: constraint \"a +\" is not a valid"));
    CHECK(strstr(err.message, "<score id='s'>: items names 'ghost'"));
    CHECK(strstr(err.message, "<flag id='f'>: when calls score(), which is not"));
    CHECK(strstr(err.message, "6 problems"));

    CHECK_ERR(fr_form_load_file(test_data("forms/cycle.xml"), &f, &err), FR_EINVAL, &err,
              "calculations form a cycle: x → y → z → x");
    CHECK_ERR(fr_form_load_file(test_data("forms/bad-schema.xml"), &f, &err), FR_EINVAL, &err,
              "bad-schema.xml:4:");
    CHECK_ERR(fr_form_load_file(test_data("forms/not-xml.xml"), &f, &err), FR_EINVAL, &err,
              "not-xml.xml:");
    CHECK_ERR(fr_form_load_file(test_data("forms/missing.xml"), &f, &err), FR_ENOTFOUND, &err,
              "cannot be read");

    /* Checks added later refuse files, not the texts stored before them:
     * their submissions stay readable. */
    CHECK_ERR(fr_form_load_file(test_data("forms/variable.xml"), &f, &err), FR_EINVAL, &err,
              "relevant uses the variable $limit");
    static const char stored[] =
        "<form xmlns=\"urn:filrouge:form:1\" id=\"old\" version=\"1\">"
        "<title lang=\"en\">Old</title>"
        "<group id=\"g\" repeat=\"true\" min-rows=\"3\" max-rows=\"1\"><label lang=\"en\">G</label>"
        "<field id=\"a\" type=\"integer\" relevant=\"$x = 1\"><label lang=\"en\">A</label></field>"
        "</group></form>";
    CHECK_OK(fr_form_parse("stored", stored, strlen(stored), &f, &err), &err);
    fr_form_free(f);
}

static void test_hostile_definitions_refused(void)
{
    fr_error err = {0};
    fr_form *f = NULL;
    /* Refused before parsing: no expansion, no file read. */
    CHECK_ERR(fr_form_load_file(test_data("forms/bomb.xml"), &f, &err), FR_EINVAL, &err,
              "DOCTYPE declaration is not accepted");
    CHECK_ERR(fr_form_load_file(test_data("forms/external-entity.xml"), &f, &err), FR_EINVAL, &err,
              "DOCTYPE declaration is not accepted");
    CHECK(!strstr(err.message, "root:"));
    CHECK(f == NULL);
}

/* PHQ-9: totals and bands computed by hand, including every boundary. */
static void test_phq9_scores_by_hand(void)
{
    fr_site *site = forms_site("phq9");
    static const struct {
        int items[9];
        double total;
        const char *band;
        int flagged;
    } cases[] = {
        {{0, 0, 0, 0, 0, 0, 0, 0, 0}, 0, "minimal", 0},
        {{1, 1, 1, 1, 0, 0, 0, 0, 0}, 4, "minimal", 0},
        {{1, 1, 1, 1, 1, 0, 0, 0, 0}, 5, "mild", 0},
        {{3, 3, 3, 0, 0, 0, 0, 0, 0}, 9, "mild", 0},
        {{3, 3, 3, 1, 0, 0, 0, 0, 0}, 10, "moderate", 0},
        {{3, 3, 3, 3, 2, 0, 0, 0, 0}, 14, "moderate", 0},
        {{3, 3, 3, 3, 3, 0, 0, 0, 0}, 15, "moderately-severe", 0},
        {{3, 3, 3, 3, 3, 3, 1, 0, 0}, 19, "moderately-severe", 0},
        {{3, 3, 3, 3, 3, 3, 2, 0, 0}, 20, "severe", 0},
        {{3, 3, 3, 3, 3, 3, 3, 3, 3}, 27, "severe", 1},
        /* item 9 alerts whatever the total */
        {{0, 0, 0, 0, 0, 0, 0, 0, 1}, 1, "minimal", 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char data[256];
        const int *q = cases[i].items;
        snprintf(data, sizeof data,
                 "{\"q1\":\"%d\",\"q2\":\"%d\",\"q3\":\"%d\",\"q4\":%d,\"q5\":\"%d\",\"q6\":\"%d\","
                 "\"q7\":\"%d\",\"q8\":\"%d\",\"q9\":\"%d\"}",
                 q[0], q[1], q[2], q[3], q[4], q[5], q[6], q[7], q[8]);
        fr_error err = {0};
        json_t *problems;
        json_t *r = evaluate(site, "phq9", data, &problems, &err);
        CHECK_OK(r ? 0 : -1, &err);
        json_t *s = score_of(r, "total");
        CHECK(s && json_number_value(json_object_get(s, "value")) == cases[i].total);
        CHECK_STR(json_string_value(json_object_get(s, "band")), cases[i].band);
        CHECK_STR(json_string_value(json_object_get(s, "band_scheme")), "kroenke-2001/1");
        CHECK((json_array_size(json_object_get(r, "flags")) == 1) == cases[i].flagged);
        json_decref(r);
        json_decref(problems);
    }
    fr_site_close(site);
}

static void test_phq9_missing_items(void)
{
    fr_site *site = forms_site("phq9missing");
    fr_error err = {0};
    json_t *problems = NULL;
    const char *data = "{\"q1\":\"1\",\"q2\":\"1\",\"q3\":\"1\",\"q4\":\"1\",\"q5\":\"1\","
                       "\"q6\":\"1\",\"q7\":\"1\",\"q8\":\"1\"}";
    json_t *r = evaluate(site, "phq9", data, &problems, &err);
    CHECK(r == NULL && err.code == FR_EINVAL);
    CHECK(has_problem(problems, "q9", "this field is required"));
    CHECK(strstr(err.message, "q9: this field is required"));
    json_decref(problems);
    /* As a draft the missing item is fine, and the score is incomplete. */
    const fr_form *f = get_form(site, "phq9");
    CHECK_OK(fr_form_evaluate(site, f, data, strlen(data), 0, "en", &r, &problems, &err), &err);
    json_t *s = score_of(r, "total");
    CHECK(s && json_is_null(json_object_get(s, "value")));
    CHECK(json_integer_value(json_object_get(s, "answered")) == 8);
    json_decref(r);
    fr_site_close(site);
}

/* Points per option, not per position: housekeeping's fourth answer scores
 * 1, shopping's second scores 0. */
static void test_points_per_option(void)
{
    fr_site *site = forms_site("iadl");
    fr_error err = {0};
    json_t *problems;
    json_t *r = evaluate(site, "iadl",
                         "{\"phone\":\"answers\",\"shopping\":\"small\",\"laundry\":\"small\","
                         "\"housekeeping\":\"helped\"}",
                         &problems, &err);
    CHECK_OK(r ? 0 : -1, &err);
    json_t *s = score_of(r, "total");
    CHECK(json_number_value(json_object_get(s, "value")) == 3);
    CHECK_STR(json_string_value(json_object_get(s, "band")), "partial");
    json_decref(r);
    r = evaluate(site, "iadl",
                 "{\"phone\":\"none\",\"shopping\":\"alone\",\"laundry\":\"none\","
                 "\"housekeeping\":\"none\"}",
                 &problems, &err);
    s = score_of(r, "total");
    CHECK(json_number_value(json_object_get(s, "value")) == 1);
    CHECK_STR(json_string_value(json_object_get(s, "band")), "dependent");
    json_decref(r);
    fr_site_close(site);
}

static const char *situation_ok =
    "{\"birth\":\"1940-05-02\",\"lives-alone\":true,\"distress\":5,\"areas\":[\"physical\","
    "\"social\"],\"onset\":\"2024-05\",\"visits\":3,"
    "\"member\":[{\"member-name\":\"Dr "
    "Wauters\",\"member-kind\":\"formal\",\"member-role\":\"GP\"},"
    "{\"member-name\":\"Anne\",\"member-kind\":\"informal\",\"member-role\":\"ignored\"}],"
    "\"medication\":[{\"drug\":\"paracetamol\",\"dose\":1000}]}";

static void test_skip_logic_repeats_calculations(void)
{
    setenv("FILROUGE_NOW", "2026-03-10T09:00:00Z", 1);
    fr_site *site = forms_site("situation");
    fr_error err = {0};
    json_t *problems;
    /* carer is required but hidden (lives alone): no error. */
    json_t *r = evaluate(site, "situation", situation_ok, &problems, &err);
    CHECK_OK(r ? 0 : -1, &err);
    json_t *v = json_object_get(r, "values");
    CHECK(json_integer_value(json_object_get(v, "age")) == 85);
    CHECK(json_integer_value(json_object_get(v, "informal-count")) == 1);
    CHECK(json_array_size(json_object_get(v, "areas")) == 2);
    CHECK_STR(json_string_value(json_object_get(v, "onset")), "2024-05");
    json_t *members = json_object_get(v, "member");
    CHECK(json_array_size(members) == 2);
    /* the informal member's role is not relevant: dropped, not an error */
    CHECK(json_object_get(json_array_get(members, 1), "member-role") == NULL);
    CHECK_STR(json_string_value(json_object_get(json_array_get(members, 0), "member-role")), "GP");
    json_t *s = score_of(r, "distress");
    CHECK_STR(json_string_value(json_object_get(s, "band")), "evaluate");
    json_decref(r);

    /* Rows may come with the names the HTML rendering gives its inputs. */
    r = evaluate(site, "situation",
                 "{\"birth\":\"1940-05-02\",\"lives-alone\":true,\"distress\":2,"
                 "\"member[2].member-name\":\"B\",\"member[2].member-kind\":\"informal\","
                 "\"member[1].member-name\":\"A\",\"member[1].member-kind\":\"formal\","
                 "\"member[1].member-role\":\"GP\"}",
                 &problems, &err);
    CHECK_OK(r ? 0 : -1, &err);
    members = json_object_get(json_object_get(r, "values"), "member");
    CHECK(json_array_size(members) == 2);
    CHECK_STR(json_string_value(json_object_get(json_array_get(members, 1), "member-name")), "B");
    json_decref(r);
    r = evaluate(site, "situation", "{\"member[x].member-name\":\"B\"}", &problems, &err);
    CHECK(r == NULL && has_problem(problems, "member[x].member-name", "not a field"));
    json_decref(problems);

    /* A value sent for a hidden field is dropped. */
    r = evaluate(site, "situation",
                 "{\"birth\":\"1940-05-02\",\"lives-alone\":true,\"carer\":\"Paul\",\"distress\":2,"
                 "\"areas\":[\"physical\"],\"member\":[{\"member-name\":\"A\",\"member-kind\":"
                 "\"informal\"}]}",
                 &problems, &err);
    CHECK_OK(r ? 0 : -1, &err);
    CHECK(json_object_get(json_object_get(r, "values"), "carer") == NULL);
    CHECK(json_object_get(json_object_get(r, "values"), "areas") == NULL);
    json_decref(r);

    /* Shown again, the required field is enforced; every problem at once. */
    r = evaluate(site, "situation",
                 "{\"birth\":\"1940-02-30\",\"lives-alone\":false,\"distress\":11,\"onset\":"
                 "\"2024-13\",\"visits\":\"many\",\"colour\":\"blue\",\"member\":[{\"member-kind\":"
                 "\"formal\"}],\"medication\":[{\"drug\":\"x\",\"dose\":-1}]}",
                 &problems, &err);
    CHECK(r == NULL && err.code == FR_EINVAL);
    CHECK(has_problem(problems, "carer", "required"));
    CHECK(has_problem(problems, "birth", "must be a date"));
    CHECK(has_problem(problems, "distress", "above the maximum"));
    CHECK(has_problem(problems, "onset", "year, a year and month"));
    CHECK(has_problem(problems, "visits", "whole number"));
    CHECK(has_problem(problems, "colour", "not a field of this form"));
    CHECK(has_problem(problems, "member[1].member-name", "required"));
    CHECK(has_problem(problems, "member[1].member-role", "required"));
    CHECK(has_problem(problems, "medication[1].dose", "below the minimum"));
    CHECK(json_array_size(problems) == 9);
    json_decref(problems);

    /* min-rows of a repeat; a constraint with its own message. */
    r = evaluate(site, "situation",
                 "{\"birth\":\"1940-05-02\",\"lives-alone\":true,\"distress\":1,\"visits\":9}",
                 &problems, &err);
    CHECK(r == NULL);
    CHECK(has_problem(problems, "member", "needs more rows"));
    CHECK(has_problem(problems, "visits", "More than 7 visits"));
    json_decref(problems);
    fr_site_close(site);
    unsetenv("FILROUGE_NOW");
}

static void test_messages_in_the_users_language(void)
{
    fr_site *site = forms_site("lang");
    const fr_form *f = get_form(site, "situation");
    fr_error err = {0};
    json_t *r = NULL, *problems = NULL;
    const char *data = "{\"birth\":\"1940-05-02\",\"lives-alone\":true,\"distress\":1,"
                       "\"visits\":9,\"member\":[{\"member-name\":\"A\",\"member-kind\":"
                       "\"informal\"}]}";
    CHECK(fr_form_evaluate(site, f, data, strlen(data), 1, "fr", &r, &problems, &err) == FR_EINVAL);
    CHECK(has_problem(problems, "visits", "Plus de 7 visites"));
    json_decref(problems);
    /* German: no constraint message in German, the site's first language (fr) is used. */
    CHECK(fr_form_evaluate(site, f, data, strlen(data), 1, "de", &r, &problems, &err) == FR_EINVAL);
    CHECK(has_problem(problems, "visits", "Plus de 7 visites"));
    json_decref(problems);
    CHECK(fr_form_evaluate(site, f, "{\"distress\":\"x\"}", 16, 0, "nl", &r, &problems, &err) ==
          FR_EINVAL);
    CHECK(has_problem(problems, "distress", "geheel getal"));
    json_decref(problems);
    /* Titles: German falls back to the site's first language. */
    CHECK_STR(fr_form_title(f, "de", site->languages[0]), "Situation de la personne");
    CHECK_STR(fr_form_title(f, "nl", site->languages[0]), "Situatie van de persoon");
    fr_site_close(site);
}

static void test_xml_instance_and_hostile_submissions(void)
{
    fr_site *site = forms_site("xmlsub");
    fr_error err = {0};
    json_t *problems = NULL;
    json_t *r = evaluate(site, "situation",
                         "<data><birth>1940-05-02</birth><lives-alone>false</lives-alone>"
                         "<carer>Paul</carer><distress>6</distress><areas>practical emotional"
                         "</areas><member><member-name>B</member-name><member-kind>informal"
                         "</member-kind></member></data>",
                         &problems, &err);
    CHECK_OK(r ? 0 : -1, &err);
    CHECK_STR(json_string_value(json_object_get(json_object_get(r, "values"), "carer")), "Paul");
    CHECK(json_array_size(json_object_get(json_object_get(r, "values"), "areas")) == 2);
    json_decref(r);

    r = evaluate(site, "situation",
                 "<?xml version=\"1.0\"?><!DOCTYPE data [<!ENTITY x SYSTEM "
                 "\"file:///etc/passwd\">]><data><carer>&x;</carer></data>",
                 &problems, &err);
    CHECK(r == NULL);
    CHECK_ERR(err.code, FR_EINVAL, &err, "DOCTYPE declaration is not accepted");
    r = evaluate(site, "situation",
                 "<!DOCTYPE d [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;\">]>"
                 "<data><carer>&b;</carer></data>",
                 &problems, &err);
    CHECK(r == NULL);
    CHECK_ERR(err.code, FR_EINVAL, &err, "DOCTYPE");
    /* the same in UTF-7, where "<!DOCTYPE" does not appear as such */
    r = evaluate(
        site, "situation",
        "<?xml version=\"1.0\" encoding=\"UTF-7\"?>+ADw-!DOCTYPE data +AFs-+ADw-!ENTITY x "
        "SYSTEM +ACI-file:///etc/passwd+ACI-+AD4-+AF0-+AD4-<data><carer>&x;</carer></data>",
        &problems, &err);
    CHECK(r == NULL);
    CHECK_ERR(err.code, FR_EINVAL, &err, "names the encoding UTF-7: only UTF-8 is accepted");
    r = evaluate(site, "situation", "this is not a form", &problems, &err);
    CHECK(r == NULL);
    CHECK_ERR(err.code, FR_EINVAL, &err, "neither JSON nor XML");
    r = evaluate(site, "situation", "<data><unclosed></data>", &problems, &err);
    CHECK(r == NULL);
    CHECK_ERR(err.code, FR_EINVAL, &err, "submission:1:");

    /* 10 MB: refused by the size limit before parsing. */
    size_t big = 10 * 1024 * 1024;
    char *data = malloc(big + 1);
    memset(data, ' ', big);
    memcpy(data, "{\"remark\":\"", 11);
    data[big - 2] = '"';
    data[big - 1] = '}';
    data[big] = '\0';
    r = evaluate(site, "situation", data, &problems, &err);
    CHECK(r == NULL);
    CHECK_ERR(err.code, FR_EINVAL, &err, "more than the limit of 1048576 bytes");
    free(data);
    fr_site_close(site);
}

static int64_t submit(fr_site *site, const char *form, int64_t case_id, const char *data, int draft,
                      int64_t draft_id, int64_t amends, const char *reason, fr_error *err)
{
    fr_submit s = {.form_id = form,
                   .case_id = case_id,
                   .data = data,
                   .len = strlen(data),
                   .draft = draft,
                   .draft_id = draft_id,
                   .amends = amends,
                   .reason = reason,
                   .lang = "en"};
    int64_t id = 0;
    json_t *problems = NULL;
    int rc = fr_form_submit(site, &s, &id, &problems, err);
    json_decref(problems);
    return rc ? rc : id;
}

static void test_storage_drafts_amendments(void)
{
    fr_site *site = forms_site("store");
    int64_t c = fixture_case(site, "assess", 1, 0, "2026-01-01");
    fr_error err = {0};
    int64_t outbox0 = fixture_int(site, "SELECT count(*) FROM outbox WHERE ? > 0", 1);
    int64_t audit0 = fixture_int(site, "SELECT count(*) FROM audit WHERE ? > 0", 1);

    /* Invalid: nothing stored. */
    CHECK(submit(site, "phq9", c, "{\"q1\":\"7\"}", 0, 0, 0, NULL, &err) == FR_EINVAL);
    CHECK(fixture_int(site, "SELECT count(*) FROM submissions WHERE case_id = ?", c) == 0);
    CHECK(fixture_int(site, "SELECT count(*) FROM outbox WHERE ? > 0", 1) == outbox0);

    /* A draft, then completed. */
    int64_t d = submit(site, "phq9", c, "{\"q1\":\"1\",\"q2\":\"2\"}", 1, 0, 0, NULL, &err);
    CHECK(d > 0);
    CHECK_STR(fixture_text(site, "SELECT status FROM submissions WHERE id = ?", d), "draft");
    CHECK(fixture_int(site, "SELECT count(*) FROM submission_scores WHERE submission_id = ?", d) ==
          0);
    json_t *drafts = NULL;
    CHECK_OK(fr_form_drafts(site, &drafts, &err), &err);
    CHECK(json_array_size(drafts) == 1);
    json_decref(drafts);
    const char *full = "{\"q1\":\"1\",\"q2\":\"2\",\"q3\":\"0\",\"q4\":\"3\",\"q5\":\"0\","
                       "\"q6\":\"0\",\"q7\":\"0\",\"q8\":\"0\",\"q9\":\"1\"}";
    CHECK(submit(site, "phq9", c, full, 0, d, 0, NULL, &err) == d);
    CHECK_STR(fixture_text(site, "SELECT status FROM submissions WHERE id = ?", d), "final");
    CHECK(fixture_int(site,
                      "SELECT CAST(value AS INTEGER) FROM submission_scores"
                      " WHERE submission_id = ? AND score = 'total'",
                      d) == 7);
    CHECK_STR(fixture_text(site, "SELECT band FROM submission_scores WHERE submission_id = ?", d),
              "mild");
    CHECK_STR(fixture_text(site, "SELECT flag FROM submission_flags WHERE submission_id = ?", d),
              "self-harm");
    CHECK(fixture_int(site,
                      "SELECT count(*) FROM outbox WHERE topic = 'form.submitted'"
                      " AND case_id = ?",
                      c) == 1);
    CHECK(fixture_int(site,
                      "SELECT count(*) FROM outbox WHERE topic = 'form.flagged'"
                      " AND case_id = ?",
                      c) == 1);
    CHECK(fixture_int(site,
                      "SELECT count(*) FROM audit WHERE object_type = 'submission'"
                      " AND object_id = CAST(? AS TEXT)",
                      d) == 2);
    CHECK(fixture_int(site, "SELECT count(*) FROM audit WHERE ? > 0", 1) > audit0);
    /* A final submission is not a draft any more. */
    CHECK_ERR(submit(site, "phq9", c, full, 0, d, 0, NULL, &err), FR_EREFUSED, &err,
              "is final, not a draft");

    /* Amend: needs a reason; the old stays, superseded. */
    CHECK_ERR(submit(site, "phq9", c, full, 0, 0, d, NULL, &err), FR_EINVAL, &err,
              "needs a reason");
    const char *fixed = "{\"q1\":\"1\",\"q2\":\"2\",\"q3\":\"0\",\"q4\":\"3\",\"q5\":\"0\","
                        "\"q6\":\"0\",\"q7\":\"0\",\"q8\":\"0\",\"q9\":\"0\"}";
    int64_t a = submit(site, "phq9", c, fixed, 0, 0, d, "item 9 misread", &err);
    CHECK(a > d);
    CHECK(fixture_int(site, "SELECT superseded_by FROM submissions WHERE id = ?", d) == a);
    CHECK_STR(fixture_text(site, "SELECT reason FROM submissions WHERE id = ?", a),
              "item 9 misread");
    CHECK_ERR(submit(site, "phq9", c, fixed, 0, 0, d, "again", &err), FR_ECONFLICT, &err,
              "already amended by submission");
    json_t *history = NULL;
    CHECK_OK(fr_form_history(site, c, "phq9", 0, &history, &err), &err);
    CHECK(json_array_size(history) == 2);
    json_decref(history);

    /* The events' payloads, as subscribers read them (docs/forms.md). */
    char want[512];
    snprintf(want, sizeof want,
             "{\"submission\":%lld,\"form\":\"phq9\",\"version\":1,\"status\":\"draft\"}",
             (long long)d);
    CHECK_STR(fixture_text(site, "SELECT payload FROM outbox WHERE topic = 'form.draft-saved'"
                                 " AND case_id = ?",
                           c),
              want);
    snprintf(want, sizeof want,
             "{\"submission\":%lld,\"form\":\"phq9\",\"version\":1,\"status\":\"final\","
             "\"scores\":{\"total\":{\"value\":6.0,\"band\":\"mild\"}},\"flags\":[],"
             "\"amends\":%lld,\"reason\":\"item 9 misread\"}",
             (long long)a, (long long)d);
    CHECK_STR(fixture_text(site, "SELECT payload FROM outbox WHERE topic = 'form.amended'"
                                 " AND case_id = ?",
                           c),
              want);

    /* The latest score of every case is a plain query. */
    CHECK(fixture_int(site,
                      "SELECT CAST(sc.value AS INTEGER) FROM submission_scores sc JOIN"
                      " submissions s ON s.id = sc.submission_id WHERE s.case_id = ?"
                      " AND s.superseded_by IS NULL AND sc.score = 'total'",
                      c) == 6);
    fr_site_close(site);
}

static void test_workflow_guard_reads_scores(void)
{
    fr_site *site = forms_site("guard");
    int64_t c = fixture_case(site, "assess", 1, 0, "2026-01-01");
    fr_error err = {0};
    CHECK_ERR(fr_workflow_fire(site, c, "include", NULL, NULL, &err), FR_EREFUSED, &err,
              "needs a final submission of form 'efs'");
    const char *efs5 = "{\"total\":5,\"date\":\"2026-02-01\",\"assessor\":\"N. Dupont\","
                       "\"instrument-version\":\"EFS 2006\",\"licence\":\"UA-2026-0042\"}";
    int64_t s = submit(site, "efs", c, efs5, 0, 0, 0, NULL, &err);
    CHECK(s > 0);
    CHECK_STR(fixture_text(site, "SELECT band FROM submission_scores WHERE submission_id = ?", s),
              "vulnerable");
    CHECK_ERR(fr_workflow_fire(site, c, "include", NULL, NULL, &err), FR_EREFUSED, &err,
              "Edmonton Frail Scale of 6 or more");
    const char *efs7 = "{\"total\":7,\"date\":\"2026-02-01\",\"assessor\":\"N. Dupont\","
                       "\"instrument-version\":\"EFS 2006\",\"licence\":\"UA-2026-0042\"}";
    CHECK(submit(site, "efs", c, efs7, 0, 0, s, "total recounted", &err) > s);
    CHECK_OK(fr_workflow_fire(site, c, "include", NULL, NULL, &err), &err);
    CHECK_STR(fixture_text(site, "SELECT state FROM cases WHERE id = ?", c), "included");

    /* The case view carries the scores too (C guards read it). */
    char *xml = NULL;
    CHECK_OK(fr_workflow_case_xml(site, c, &xml, &err), &err);
    CHECK(xml && strstr(xml, "<score name=\"efs\" value=\"7\" band=\"mild\"/>"));
    /* both final submissions are listed (the amended one says so) */
    CHECK(xml && strstr(xml, "superseded-by=\"2\""));
    free(xml);

    /* value(): item 9 of the PHQ-9 */
    int64_t c2 = fixture_case(site, "assess", 1, 0, "2026-01-01");
    CHECK(fr_workflow_fire(site, c2, "refer", NULL, NULL, &err) == FR_EREFUSED);
    const char *phq = "{\"q1\":\"0\",\"q2\":\"0\",\"q3\":\"0\",\"q4\":\"0\",\"q5\":\"0\","
                      "\"q6\":\"0\",\"q7\":\"0\",\"q8\":\"0\",\"q9\":\"2\"}";
    CHECK(submit(site, "phq9", c2, phq, 0, 0, 0, NULL, &err) > 0);
    CHECK_OK(fr_workflow_fire(site, c2, "refer", NULL, NULL, &err), &err);
    fr_site_close(site);
}

static void test_external_result(void)
{
    fr_site *site = forms_site("external");
    fr_error err = {0};
    json_t *problems = NULL;
    json_t *r = evaluate(site, "efs", "{\"total\":18,\"date\":\"2099-02-01\"}", &problems, &err);
    CHECK(r == NULL);
    CHECK(has_problem(problems, "date", "cannot be in the future"));
    CHECK(has_problem(problems, "total", "above the maximum"));
    CHECK(has_problem(problems, "assessor", "required"));
    CHECK(has_problem(problems, "instrument-version", "required"));
    CHECK(has_problem(problems, "licence", "required"));
    json_decref(problems);
    r = evaluate(site, "efs",
                 "{\"total\":11,\"date\":\"2026-02-01\",\"assessor\":\"A\",\"instrument-version\":"
                 "\"1\",\"licence\":\"L\"}",
                 &problems, &err);
    CHECK_STR(json_string_value(json_object_get(score_of(r, "efs"), "band")), "severe");
    json_decref(r);
    fr_site_close(site);
}

/* A site overrides published cut-offs in site.xml. */
static void test_site_band_override(void)
{
    fr_site *site = forms_site("bands");
    char path[1024];
    snprintf(path, sizeof path, "%s/site.xml", site->dir);
    fr_site_close(site);
    FILE *fp = fopen(path, "r");
    char text[4096] = "";
    size_t n = fp ? fread(text, 1, sizeof text - 1, fp) : 0;
    text[n] = '\0';
    if (fp)
        fclose(fp);
    char *end = strstr(text, "</site>");
    CHECK(end != NULL);
    if (!end)
        return;
    *end = '\0';
    char out[5000];
    snprintf(out, sizeof out,
             "%s  <setting name=\"bands.efs.efs\">other-source: 0-5 fit; 6-7 vulnerable; 8- "
             "frail</setting>\n  <setting name=\"licence.efs\">UA-SITE-7</setting>\n</site>\n",
             text);
    test_write_file(path, out);
    fr_error err = {0};
    *strstr(path, "/site.xml") = '\0';
    CHECK_OK(fr_site_open(path, NULL, &site, &err), &err);
    if (!site)
        return;
    json_t *problems = NULL;
    json_t *r = evaluate(site, "efs",
                         "{\"total\":6,\"date\":\"2026-02-01\",\"assessor\":\"A\","
                         "\"instrument-version\":\"1\"}",
                         &problems, &err);
    CHECK_OK(r ? 0 : -1, &err);
    json_decref(problems);
    json_t *s = score_of(r, "efs");
    CHECK_STR(json_string_value(json_object_get(s, "band")), "vulnerable");
    CHECK_STR(json_string_value(json_object_get(s, "band_scheme")), "other-source");
    /* the site's licence reference fills the external result's */
    CHECK_STR(json_string_value(json_object_get(json_object_get(r, "values"), "licence")),
              "UA-SITE-7");
    json_decref(r);
    fr_site_close(site);
}

static void test_versions(void)
{
    fr_site *site = forms_site("versions");
    int64_t c = fixture_case(site, "assess", 1, 0, "2026-01-01");
    fr_error err = {0};
    const char *d = "{\"phone\":\"alone\",\"shopping\":\"alone\",\"laundry\":\"all\","
                    "\"housekeeping\":\"alone\"}";
    int64_t s1 = submit(site, "iadl", c, d, 0, 0, 0, NULL, &err);
    CHECK(s1 > 0);
    fr_form *f = NULL;
    CHECK_OK(fr_form_load_file(test_data("forms/phq9-v2-changed.xml"), &f, &err), &err);
    CHECK_ERR(fr_forms_add(site, "site", f, &err), FR_ECONFLICT, &err, "version=\"2\"");
    CHECK_OK(fr_form_load_file(test_data("forms/iadl-v2.xml"), &f, &err), &err);
    CHECK_ERR(fr_forms_add(site, "thief", f, &err), FR_ECONFLICT, &err,
              "form id iadl belongs to plugin forms on this site: require it");
    CHECK_OK(fr_form_load_file(test_data("forms/iadl-v2.xml"), &f, &err), &err);
    CHECK_OK(fr_forms_add(site, "site", f, &err), &err);
    /* The site's newer version takes nothing from the plugin. */
    CHECK_OK(fr_form_load_file(test_data("forms/iadl-v2.xml"), &f, &err), &err);
    CHECK_OK(fr_forms_add(site, "site", f, &err), &err);
    int64_t s2 = submit(site, "iadl", c, d, 0, 0, 0, NULL, &err);
    CHECK_STR(fixture_text(site, "SELECT form_version FROM submissions WHERE id = ?", s1), "1");
    CHECK_STR(fixture_text(site, "SELECT form_version FROM submissions WHERE id = ?", s2), "2");
    /* the old one is still readable under version 1 */
    json_t *resp = NULL;
    CHECK_OK(fr_form_fhir_response(site, s1, &resp, &err), &err);
    CHECK_STR(json_string_value(json_object_get(resp, "questionnaire")),
              "https://filrouge.org/fhir/Questionnaire/iadl|1");
    json_decref(resp);
    json_t *list = NULL;
    CHECK_OK(fr_forms_list(site, "en", &list, &err), &err);
    CHECK(json_array_size(list) == 5);
    json_decref(list);
    fr_site_close(site);
}

static void test_site_forms_folder(void)
{
    fr_site *site = forms_site("sitedir");
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", site->dir);
    fr_site_close(site);
    char path[1100];
    snprintf(path, sizeof path, "%s/forms/iadl-v2.xml", dir);
    FILE *in = fopen(test_data("forms/iadl-v2.xml"), "r");
    char text[8192];
    size_t n = in ? fread(text, 1, sizeof text - 1, in) : 0;
    text[n] = '\0';
    if (in)
        fclose(in);
    test_write_file(path, text);
    snprintf(path, sizeof path, "%s/forms/broken.xml", dir);
    test_write_file(path, "<form");
    fr_error err = {0};
    CHECK_OK(fr_site_open(dir, NULL, &site, &err), &err);
    if (!site)
        return;
    const fr_form *f = NULL;
    CHECK_OK(fr_forms_get(site, "iadl", 0, &f, &err), &err);
    CHECK(f && fr_form_version(f) == 2);
    fr_site_close(site);
}

static void test_render_html(void)
{
    fr_site *site = forms_site("render");
    fr_error err = {0};
    char *html = NULL;
    json_t *values = json_pack("{s:s,s:[s],s:[{s:s},{s:s}]}", "carer", "Paul", "areas", "social",
                               "member", "member-name", "Anne", "member-name", "Bob");
    json_t *problems =
        json_pack("[{s:s,s:s},{s:s,s:s}]", "field", "birth", "message", "ce champ est obligatoire",
                  "field", "member[2].member-kind", "message", "ce champ est obligatoire");
    CHECK_OK(fr_form_render(site, get_form(site, "situation"), "fr", values, problems, &html, &err),
             &err);
    CHECK(html && strstr(html, "<h1>Situation de la personne</h1>"));
    CHECK(html && strstr(html, "<label for=\"f-birth\">Date de naissance"));
    CHECK(html && strstr(html, "id=\"f-birth\" name=\"birth\""));
    CHECK(html && strstr(html, "data-date=\"dmy\""));
    CHECK(html && strstr(html, "value=\"delrow:member[2]\""));
    CHECK(html && strstr(html, "value=\"addrow:member\""));
    CHECK(html && strstr(html, "aria-invalid=\"true\""));
    CHECK(html && strstr(html, "id=\"err-birth\""));
    CHECK(html && strstr(html, "value=\"Paul\""));
    CHECK(html && strstr(html, "type=\"checkbox\""));
    CHECK(html && strstr(html, "checked"));
    CHECK(html && strstr(html, "type=\"range\""));
    CHECK(html && strstr(html, "<p class=\"fr-hint\" id=\"hint-carer\">Nom et lien</p>"));
    /* repeat rows: one block each, names carry the row, errors follow */
    CHECK(html && strstr(html, "name=\"member[2].member-name\" value=\"Bob\""));
    CHECK(html && strstr(html, "id=\"f-member-1-member-name\""));
    CHECK(html && strstr(html, "id=\"err-member-2-member-kind\""));
    CHECK(html && strstr(html, "data-row=\"2\""));
    free(html);
    /* German falls back to French (the site's first language) */
    CHECK_OK(fr_form_render(site, get_form(site, "situation"), "de", NULL, NULL, &html, &err),
             &err);
    CHECK(html && strstr(html, "Geburtsdatum"));
    CHECK(html && strstr(html, "Situation de la personne"));
    free(html);
    CHECK_OK(fr_form_render(site, get_form(site, "efs"), "en", NULL, NULL, &html, &err), &err);
    CHECK(html && strstr(html, "Licence reference"));
    free(html);
    json_decref(values);
    json_decref(problems);
    fr_site_close(site);
}

static void test_fhir_export(void)
{
    fr_site *site = forms_site("fhir");
    fr_error err = {0};
    json_t *q = NULL;
    CHECK_OK(fr_form_fhir_questionnaire(get_form(site, "phq9"), "en", "fr", &q, &err), &err);
    CHECK_STR(json_string_value(json_object_get(q, "resourceType")), "Questionnaire");
    json_t *section = json_array_get(json_object_get(q, "item"), 0);
    CHECK_STR(json_string_value(json_object_get(section, "type")), "group");
    json_t *q1 = json_array_get(json_object_get(section, "item"), 0);
    CHECK_STR(json_string_value(json_object_get(q1, "type")), "choice");
    CHECK(json_is_true(json_object_get(q1, "required")));
    json_t *opt = json_array_get(json_object_get(q1, "answerOption"), 3);
    CHECK_STR(json_string_value(json_object_get(json_object_get(opt, "valueCoding"), "code")), "3");
    CHECK(json_number_value(json_object_get(json_array_get(json_object_get(opt, "extension"), 0),
                                            "valueDecimal")) == 3);
    json_decref(q);
    CHECK_OK(fr_form_fhir_questionnaire(get_form(site, "situation"), "en", "fr", &q, &err), &err);
    char *text = json_dumps(q, 0);
    CHECK(text && strstr(text, "\"repeats\": true"));
    CHECK(text && strstr(text, "relevant-xpath"));
    free(text);
    json_decref(q);

    int64_t c = fixture_case(site, "assess", 1, 0, "2026-01-01");
    fr_submit s = {
        .form_id = "situation", .case_id = c, .data = situation_ok, .len = strlen(situation_ok)};
    int64_t id = 0;
    CHECK_OK(fr_form_submit(site, &s, &id, NULL, &err), &err);
    json_t *r = NULL;
    CHECK_OK(fr_form_fhir_response(site, id, &r, &err), &err);
    CHECK_STR(json_string_value(json_object_get(r, "resourceType")), "QuestionnaireResponse");
    CHECK_STR(json_string_value(json_object_get(r, "status")), "completed");
    text = json_dumps(r, 0);
    CHECK(text && strstr(text, "\"valueDate\": \"2024-05\""));
    CHECK(text && strstr(text, "\"linkId\": \"member\""));
    free(text);
    json_decref(r);
    fr_site_close(site);
}

static void test_access_is_checked(void)
{
    fr_site *site = forms_site("access");
    int64_t c = fixture_case(site, "assess", 1, 0, "2026-01-01");
    fixture_user(site, "stranger", "provider");
    fr_error err = {0};
    CHECK_OK(fr_site_set_actor(site, "stranger", &err), &err);
    CHECK(submit(site, "iadl", c, "{}", 1, 0, 0, NULL, &err) == FR_EACCESS);
    json_t *h = NULL;
    CHECK(fr_form_history(site, c, NULL, 0, &h, &err) == FR_EACCESS);
    fr_site_close(site);
}

/* The two phases of a submission (the server prepares on a worker's read
 * connection and stores on the committer's): whatever changed in between
 * is decided again by the second phase, with its usual error and audit. */
static int prepared(fr_site *site, fr_submit *s, fr_submit_prep *p, int64_t *id, fr_error *err)
{
    json_t *problems = NULL;
    int rc = fr_form_submit_prepared(site, s, p, id, &problems, err);
    json_decref(problems);
    fr_submit_prep_free(p);
    return rc;
}

static void test_two_phases_check_again(void)
{
    fr_site *site = forms_site("phases");
    int64_t c = fixture_case(site, "assess", 1, 0, "2026-01-01");
    int64_t nurse = fixture_user(site, "nurse", "provider");
    fixture_user(site, "stranger", "provider");
    fr_error err = {0};
    CHECK_OK(fr_store_execf(site->store, &err,
                            "INSERT INTO network_members (case_id, kind, name, user_id, created_at)"
                            " VALUES (?, 'formal', 'Nurse', ?, '2026-01-01T00:00:00Z')",
                            "II", c, nurse),
             &err);
    const char *full = "{\"q1\":\"1\",\"q2\":\"2\",\"q3\":\"0\",\"q4\":\"3\",\"q5\":\"0\","
                       "\"q6\":\"0\",\"q7\":\"0\",\"q8\":\"0\",\"q9\":\"0\"}";
    fr_submit s = {.form_id = "phq9", .case_id = c, .data = full, .len = strlen(full),
                   .lang = "en"};
    int64_t id = 0;

    /* Prepared then stored: the prepared scores are the ones stored, and
     * the answer built from what was stored is what a read gives. */
    fr_submit_prep *p = fr_form_submit_prepare(site, &s);
    CHECK(p != NULL);
    CHECK(fr_form_submission_as_written(p) == NULL);
    CHECK_OK(fr_form_submit_prepared(site, &s, p, &id, NULL, &err), &err);
    json_t *written = fr_form_submission_as_written(p), *read = NULL;
    fr_submit_prep_free(p);
    CHECK_OK(fr_form_submission_get(site, id, &read, &err), &err);
    CHECK(written && read && json_equal(written, read));
    json_decref(written);
    json_decref(read);
    CHECK(fixture_int(site,
                      "SELECT CAST(value AS INTEGER) FROM submission_scores"
                      " WHERE submission_id = ? AND score = 'total'",
                      id) == 6);

    /* The draft finalised by someone else in between: refused. */
    fr_submit d = s;
    d.draft = 1;
    int64_t draft = 0;
    CHECK_OK(fr_form_submit(site, &d, &draft, NULL, &err), &err);
    fr_submit fin = s;
    fin.draft_id = draft;
    p = fr_form_submit_prepare(site, &fin);
    CHECK(p != NULL);
    int64_t other = 0;
    CHECK_OK(fr_form_submit(site, &fin, &other, NULL, &err), &err);
    int64_t subs = fixture_int(site, "SELECT count(*) FROM submissions WHERE ? > 0", 1);
    CHECK_ERR(prepared(site, &fin, p, &id, &err), FR_EREFUSED, &err, "is final, not a draft");
    CHECK(fixture_int(site, "SELECT count(*) FROM submissions WHERE ? > 0", 1) == subs);

    /* Amended by someone else in between: a conflict. */
    fr_submit am = s;
    am.amends = draft;
    am.reason = "typo";
    p = fr_form_submit_prepare(site, &am);
    CHECK(p != NULL);
    CHECK_OK(fr_form_submit(site, &am, &other, NULL, &err), &err);
    CHECK_ERR(prepared(site, &am, p, &id, &err), FR_ECONFLICT, &err, "already amended");

    /* The care relationship ended in between: refused and audited, and an
     * invalid submission is refused for its access first, as before. */
    CHECK_OK(fr_site_set_actor(site, "nurse", &err), &err);
    fr_submit bad = s;
    bad.data = "{\"q1\":\"7\"}";
    bad.len = strlen(bad.data);
    fr_submit_prep *pgood = fr_form_submit_prepare(site, &s);
    fr_submit_prep *pbad = fr_form_submit_prepare(site, &bad);
    CHECK(pgood != NULL && pbad != NULL);
    CHECK_OK(fr_store_execf(site->store, &err, "DELETE FROM network_members WHERE user_id = ?",
                            "I", nurse),
             &err);
    int64_t denied =
        fixture_int(site, "SELECT count(*) FROM audit WHERE action = 'denied' AND ? > 0", 1);
    subs = fixture_int(site, "SELECT count(*) FROM submissions WHERE ? > 0", 1);
    CHECK_ERR(prepared(site, &s, pgood, &id, &err), FR_EACCESS, &err, "no care relationship");
    CHECK_ERR(prepared(site, &bad, pbad, &id, &err), FR_EACCESS, &err, "no care relationship");
    CHECK(fixture_int(site, "SELECT count(*) FROM audit WHERE action = 'denied' AND ? > 0", 1) ==
          denied + 2);
    CHECK(fixture_int(site, "SELECT count(*) FROM submissions WHERE ? > 0", 1) == subs);

    /* No relationship: nothing is evaluated, and nothing is written by
     * trying (the refusal and its audit entry are the second phase's). */
    CHECK_OK(fr_site_set_actor(site, "stranger", &err), &err);
    int64_t audit0 = fixture_int(site, "SELECT count(*) FROM audit WHERE ? > 0", 1);
    p = fr_form_submit_prepare(site, &s);
    CHECK(p != NULL);
    CHECK(fixture_int(site, "SELECT count(*) FROM audit WHERE ? > 0", 1) == audit0);
    CHECK_ERR(fr_form_submit_prepared(site, &s, p, &id, NULL, &err), FR_EACCESS, &err,
              "no care relationship");
    CHECK(fr_form_submission_as_written(p) == NULL);
    fr_submit_prep_free(p);
    CHECK_ERR(prepared(site, &s, NULL, &id, &err), FR_EACCESS, &err, "no care relationship");
    fr_site_close(site);
}

static void test_functions_expr_scores_nested_repeats(void)
{
    setenv("FILROUGE_NOW", "2026-03-10T09:00:00Z", 1);
    fr_site *site = forms_site("functions");
    fr_error err = {0};
    fr_form *nf = NULL;
    CHECK_OK(fr_form_load_file(test_data("forms/functions.xml"), &nf, &err), &err);
    CHECK_OK(fr_forms_add(site, "site", nf, &err), &err);
    json_t *problems = NULL;
    json_t *r = evaluate(site, "functions",
                         "{\"birth\":\"1940-03-11\",\"seen\":\"2026-03-01\",\"pick\":[\"a\","
                         "\"b\"],\"visit\":[{\"visit-date\":\"2026-01-02\",\"act\":[{\"act-"
                         "minutes\":20},{\"act-minutes\":25}]},{\"visit-date\":\"2026-02-02\","
                         "\"act\":[{\"act-minutes\":5}]}]}",
                         &problems, &err);
    CHECK_OK(r ? 0 : -1, &err);
    json_t *v = json_object_get(r, "values");
    CHECK(json_integer_value(json_object_get(v, "age-now")) == 85); /* birthday tomorrow */
    CHECK(json_integer_value(json_object_get(v, "age-seen")) == 85);
    CHECK(json_integer_value(json_object_get(v, "days")) == 9);
    CHECK_STR(json_string_value(json_object_get(v, "today")), "2026-03-10");
    CHECK(json_is_true(json_object_get(v, "has-b")));
    CHECK(json_integer_value(json_object_get(v, "npick")) == 2);
    CHECK_STR(json_string_value(json_object_get(v, "unit")), "mg");
    /* (2 + 3) * 10 + 2 visits = 52 */
    CHECK(json_number_value(json_object_get(score_of(r, "weighted"), "value")) == 52);
    CHECK_STR(json_string_value(json_object_get(score_of(r, "weighted"), "band")), "high");
    /* items inside nested repeats add up over every row */
    CHECK(json_number_value(json_object_get(score_of(r, "minutes"), "value")) == 50);
    CHECK(json_integer_value(json_object_get(score_of(r, "minutes"), "answered")) == 3);
    json_decref(r);

    /* a group shown by a calculation; nested rows named in errors */
    r = evaluate(site, "functions",
                 "{\"pick\":[\"a\",\"b\",\"c\"],\"visit\":[{\"visit-date\":\"2026-01-02\","
                 "\"act\":[{},{\"act-minutes\":1},{\"act-minutes\":2}]}]}",
                 &problems, &err);
    CHECK(r == NULL);
    CHECK(has_problem(problems, "why", "required"));
    CHECK(has_problem(problems, "visit[1].act[1].act-minutes", "required"));
    CHECK(has_problem(problems, "visit[1].act", "too many rows"));
    CHECK(json_array_size(problems) == 3);
    json_decref(problems);
    fr_site_close(site);
    unsetenv("FILROUGE_NOW");
}

/* The names of a submission's scores and flags, in the order read back. */
static void read_order(fr_site *site, int64_t sid, char *scores, char *flags, size_t n)
{
    fr_error err = {0};
    json_t *row = NULL;
    scores[0] = flags[0] = '\0';
    CHECK_OK(fr_form_submission_get(site, sid, &row, &err), &err);
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(row, "scores"), i, x)
    {
        strncat(scores, json_string_value(json_object_get(x, "score")), n - strlen(scores) - 2);
        strcat(scores, " ");
    }
    json_array_foreach(json_object_get(row, "flags"), i, x)
    {
        strncat(flags, json_string_value(json_object_get(x, "flag")), n - strlen(flags) - 2);
        strcat(flags, " ");
    }
    json_decref(row);
}

/* Scores and flags are read back in the form's order (core-008's ordinal
 * column), not in their names' order nor the rows' physical order: rows
 * stored before core-008 are numbered in insertion order by it, and a row
 * updated since (which PostgreSQL moves) keeps its place. */
static void test_scores_and_flags_keep_the_form_order(void)
{
    fr_site *site = forms_site("order");
    fr_error err = {0};
    fr_form *nf = NULL;
    CHECK_OK(fr_form_load_file(test_data("forms/order.xml"), &nf, &err), &err);
    if (!nf) {
        fr_site_close(site);
        return;
    }
    CHECK_OK(fr_forms_add(site, "site", nf, &err), &err);
    int64_t c = fixture_case(site, "assess", 1, 0, "2026-01-01");
    int64_t sid = submit(site, "order", c, "{\"a\":1,\"b\":2}", 0, 0, 0, NULL, &err);
    CHECK(sid > 0);
    char scores[128], flags[128];
    read_order(site, sid, scores, flags, sizeof scores);
    CHECK_STR(scores, "zeta alpha mid ");
    CHECK_STR(flags, "z-flag a-flag ");

    /* As stored before core-008 (and core-009 to core-014, which came
     * after it): no ordinal column; the migration numbers the rows when
     * the site is opened again. */
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", site->dir);
    CHECK_OK(fr_store_exec(site->store,
                           "ALTER TABLE submission_scores DROP COLUMN ordinal;"
                           " ALTER TABLE submission_flags DROP COLUMN ordinal;"
                           " ALTER TABLE bus_subscribers DROP COLUMN settled_through;"
                           " DROP INDEX bus_deliveries_by_subscriber;"
                           " ALTER TABLE tasks DROP COLUMN title_ref;"
                           " ALTER TABLE transitions DROP COLUMN migration;"
                           " ALTER TABLE case_notes DROP COLUMN contact_on;"
                           " DELETE FROM schema_migrations WHERE owner = 'core' AND version >= 8",
                           &err),
             &err);
    fr_site_close(site);
    site = NULL;
    CHECK_OK(fr_site_open(dir, NULL, &site, &err), &err);
    if (!site)
        return;
    CHECK(fixture_int(site,
                      "SELECT count(*) FROM schema_migrations WHERE owner = 'core'"
                      " AND version >= ?",
                      8) == 7);
    read_order(site, sid, scores, flags, sizeof scores);
    CHECK_STR(scores, "zeta alpha mid ");
    CHECK_STR(flags, "z-flag a-flag ");

    /* Updated rows keep their place (PostgreSQL writes them elsewhere). */
    CHECK_OK(fr_store_exec(site->store,
                           "UPDATE submission_scores SET band = band WHERE score = 'zeta';"
                           " UPDATE submission_flags SET severity = severity"
                           " WHERE flag = 'z-flag'",
                           &err),
             &err);
    read_order(site, sid, scores, flags, sizeof scores);
    CHECK_STR(scores, "zeta alpha mid ");
    CHECK_STR(flags, "z-flag a-flag ");
    fr_site_close(site);
}

static void test_disabled_plugin_forms_stay_readable(void)
{
    fr_site *site = forms_site("disable");
    int64_t c = fixture_case(site, "assess", 1, 0, "2026-01-01");
    fr_error err = {0};
    const char *d = "{\"phone\":\"alone\",\"shopping\":\"alone\",\"laundry\":\"all\","
                    "\"housekeeping\":\"alone\"}";
    int64_t s = submit(site, "iadl", c, d, 0, 0, 0, NULL, &err);
    CHECK(s > 0);
    CHECK_OK(fr_plugins_disable(site, "forms", &err), &err);
    json_t *list = NULL;
    CHECK_OK(fr_forms_list(site, "en", &list, &err), &err);
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v) CHECK(json_is_false(json_object_get(v, "loaded")));
    json_decref(list);
    json_t *resp = NULL;
    CHECK_OK(fr_form_fhir_response(site, s, &resp, &err), &err);
    json_decref(resp);
    fr_site_close(site);
}

TEST_MAIN({"fixtures load", test_fixtures_load},
          {"scores and flags keep the form order", test_scores_and_flags_keep_the_form_order},
          {"check errors name file, line and element", test_check_errors_name_file_line_element},
          {"hostile definitions refused", test_hostile_definitions_refused},
          {"PHQ-9 scores by hand", test_phq9_scores_by_hand},
          {"PHQ-9 missing items", test_phq9_missing_items},
          {"points per option", test_points_per_option},
          {"skip logic, repeats, calculations", test_skip_logic_repeats_calculations},
          {"messages in the user's language", test_messages_in_the_users_language},
          {"XML instances and hostile submissions", test_xml_instance_and_hostile_submissions},
          {"storage, drafts, amendments", test_storage_drafts_amendments},
          {"workflow guards read scores", test_workflow_guard_reads_scores},
          {"external result", test_external_result},
          {"site band override", test_site_band_override}, {"versions", test_versions},
          {"site forms folder", test_site_forms_folder}, {"render HTML", test_render_html},
          {"FHIR export", test_fhir_export}, {"access is checked", test_access_is_checked},
          {"two phases check again", test_two_phases_check_again},
          {"functions, expression scores, nested repeats",
           test_functions_expr_scores_nested_repeats},
          {"disabled plugin: forms stay readable", test_disabled_plugin_forms_stay_readable})

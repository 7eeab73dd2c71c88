/* Forms as JSON: the definition described for the CLI and the web UI, a
 * FHIR R4 Questionnaire of a definition and a QuestionnaireResponse of a
 * stored submission (hl7.org/fhir/R4/questionnaire.html). Expressions are
 * XPath, which FHIR does not evaluate: they travel in extensions of ours
 * so that nothing is lost, and points go in the R4 ordinalValue
 * extension. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formdef.h"
#include "xmldoc.h"

#define EXT_BASE "https://filrouge.org/fhir/StructureDefinition/"
#define ORDINAL "http://hl7.org/fhir/StructureDefinition/ordinalValue"

static json_t *options_json(const fm_choices *c, const char *lang, const char *fallback, int fhir)
{
    json_t *a = json_array();
    for (int i = 0; c && i < c->nopts; i++) {
        const fm_option *o = &c->opts[i];
        const char *label = fm_text_get(&o->label, lang, fallback);
        json_t *item;
        if (fhir) {
            item = json_pack("{s:{s:s,s:s}}", "valueCoding", "code", o->code, "display",
                             label ? label : o->code);
            if (o->has_points)
                json_object_set_new(
                    item, "extension",
                    json_pack("[{s:s,s:f}]", "url", ORDINAL, "valueDecimal", o->points));
        } else {
            item = json_pack("{s:s,s:s}", "code", o->code, "label", label ? label : o->code);
            if (o->has_points)
                json_object_set_new(item, "points", json_real(o->points));
        }
        json_array_append_new(a, item);
    }
    return a;
}

static const char *fhir_type(fm_type t)
{
    switch (t) {
    case FT_TEXT:
        return "string";
    case FT_LONGTEXT:
        return "text";
    case FT_INTEGER:
    case FT_SCALE:
        return "integer";
    case FT_DECIMAL:
        return "decimal";
    case FT_DATE:
    case FT_PARTIAL_DATE: /* FHIR dates may be YYYY or YYYY-MM */
        return "date";
    case FT_DATETIME:
        return "dateTime";
    case FT_BOOLEAN:
        return "boolean";
    case FT_CHOICE:
    case FT_MULTI:
        return "choice";
    case FT_NOTE:
        return "display";
    }
    return "string";
}

static void add_ext(json_t *item, const char *name, const char *value)
{
    if (!value)
        return;
    json_t *ext = json_object_get(item, "extension");
    if (!ext) {
        ext = json_array();
        json_object_set_new(item, "extension", ext);
    }
    char url[256];
    snprintf(url, sizeof url, EXT_BASE "%s", name);
    json_array_append_new(ext, json_pack("{s:s,s:s}", "url", url, "valueString", value));
}

static json_t *field_json(const fm_field *fd, const char *lang, const char *fallback, int fhir)
{
    const char *label = fm_text_get(&fd->label, lang, fallback);
    const char *hint = fm_text_get(&fd->hint, lang, fallback);
    json_t *o;
    if (fhir) {
        o = json_pack("{s:s,s:s,s:s}", "linkId", fd->id, "text", label ? label : fd->id, "type",
                      fhir_type(fd->type));
        if (fd->required)
            json_object_set_new(o, "required", json_true());
        if (fd->type == FT_MULTI)
            json_object_set_new(o, "repeats", json_true());
        if (fd->calculate)
            json_object_set_new(o, "readOnly", json_true());
        if (fd->choices)
            json_object_set_new(o, "answerOption", options_json(fd->choices, lang, fallback, 1));
        add_ext(o, "relevant-xpath", fd->relevant);
        add_ext(o, "constraint-xpath", fd->constraint);
        add_ext(o, "calculate-xpath", fd->calculate);
        add_ext(o, "field-type", fm_type_name(fd->type));
        if (hint) {
            json_t *items = json_array();
            json_array_append_new(
                items, json_pack("{s:s,s:s,s:s}", "linkId", "", "text", hint, "type", "display"));
            char id[160];
            snprintf(id, sizeof id, "%s-hint", fd->id);
            json_object_set_new(json_array_get(items, 0), "linkId", json_string(id));
            json_object_set_new(o, "item", items);
        }
        return o;
    }
    o = json_pack("{s:s,s:s,s:s,s:b}", "id", fd->id, "type", fm_type_name(fd->type), "label",
                  label ? label : fd->id, "required", fd->required);
    if (hint)
        json_object_set_new(o, "hint", json_string(hint));
    if (fd->relevant)
        json_object_set_new(o, "relevant", json_string(fd->relevant));
    if (fd->constraint)
        json_object_set_new(o, "constraint", json_string(fd->constraint));
    if (fd->calculate)
        json_object_set_new(o, "calculate", json_string(fd->calculate));
    if (fd->has_min)
        json_object_set_new(o, "min", json_real(fd->min));
    if (fd->has_max)
        json_object_set_new(o, "max", json_real(fd->max));
    if (fd->choices)
        json_object_set_new(o, "options", options_json(fd->choices, lang, fallback, 0));
    return o;
}

static const fm_container *container_by_node(const fr_form *f, xmlNodePtr n, char *id_out)
{
    char *id = fr_xml_attr(n, "id");
    const fm_container *c = NULL;
    for (int i = 0; id && i < f->ncontainers; i++)
        if (strcmp(f->containers[i].id, id) == 0)
            c = &f->containers[i];
    if (id_out)
        snprintf(id_out, 128, "%s", id ? id : "");
    free(id);
    return c;
}

/* The items under a definition element, in document order. */
static json_t *items_json(const fr_form *f, xmlNodePtr parent, const char *lang,
                          const char *fallback, int fhir)
{
    json_t *a = json_array();
    for (xmlNodePtr n = fr_xml_next(parent->children, NULL); n; n = fr_xml_next(n->next, NULL)) {
        const char *tag = (const char *)n->name;
        if (strcmp(tag, "field") == 0) {
            char *id = fr_xml_attr(n, "id");
            const fm_field *fd = id ? fm_field_find(f, id) : NULL;
            free(id);
            if (fd)
                json_array_append_new(a, field_json(fd, lang, fallback, fhir));
        } else if (strcmp(tag, "section") == 0 || strcmp(tag, "group") == 0) {
            char id[128];
            const fm_container *c = container_by_node(f, n, id);
            if (!c)
                continue;
            const char *label = fm_text_get(&c->label, lang, fallback);
            json_t *o;
            if (fhir) {
                o = json_pack("{s:s,s:s}", "linkId", c->id, "type", "group");
                if (label)
                    json_object_set_new(o, "text", json_string(label));
                if (c->repeat)
                    json_object_set_new(o, "repeats", json_true());
                add_ext(o, "relevant-xpath", c->relevant);
            } else {
                o = json_pack("{s:s,s:s,s:b}", "id", c->id, "type", tag, "repeat", c->repeat);
                if (label)
                    json_object_set_new(o, "label", json_string(label));
                if (c->relevant)
                    json_object_set_new(o, "relevant", json_string(c->relevant));
            }
            json_object_set_new(o, fhir ? "item" : "items", items_json(f, n, lang, fallback, fhir));
            json_array_append_new(a, o);
        }
    }
    if (strcmp(f->kind, "external") == 0 && parent == xmlDocGetRootElement(f->doc))
        for (int i = 0; i < f->nfields; i++)
            json_array_append_new(a, field_json(&f->fields[i], lang, fallback, fhir));
    return a;
}

static json_t *scores_json(const fr_form *f, const char *lang, const char *fallback)
{
    json_t *a = json_array();
    for (int i = 0; i < f->nscores; i++) {
        const fm_score *s = &f->scores[i];
        const char *label = fm_text_get(&s->label, lang, fallback);
        json_t *o = json_pack("{s:s,s:s}", "id", s->id, "label", label ? label : s->id);
        if (s->nitems) {
            json_t *items = json_array();
            for (int k = 0; k < s->nitems; k++)
                json_array_append_new(items, json_string(s->items[k]));
            json_object_set_new(o, "items", items);
        }
        if (s->expr)
            json_object_set_new(o, "expr", json_string(s->expr));
        if (s->min_answered)
            json_object_set_new(o, "min_answered", json_integer(s->min_answered));
        json_t *bands = json_array();
        for (int b = 0; b < s->nbands; b++) {
            const fm_band *bd = &s->bands[b];
            const char *bl = fm_text_get(&bd->label, lang, fallback);
            json_t *bo = json_pack("{s:s,s:s}", "code", bd->code, "label", bl ? bl : bd->code);
            if (bd->has_min)
                json_object_set_new(bo, "min", json_real(bd->min));
            if (bd->has_max)
                json_object_set_new(bo, "max", json_real(bd->max));
            json_array_append_new(bands, bo);
        }
        json_object_set_new(o, "bands", bands);
        if (s->scheme)
            json_object_set_new(o, "scheme", json_string(s->scheme));
        json_array_append_new(a, o);
    }
    return a;
}

json_t *fr_form_describe(const fr_form *f, const char *lang, const char *fallback)
{
    json_t *flags = json_array();
    for (int i = 0; i < f->nflags; i++) {
        const char *m = fm_text_get(&f->flags[i].message, lang, fallback);
        json_array_append_new(flags, json_pack("{s:s,s:s,s:s,s:s}", "id", f->flags[i].id,
                                               "severity", f->flags[i].severity, "when",
                                               f->flags[i].when, "message", m ? m : ""));
    }
    return json_pack("{s:s,s:i,s:s,s:s,s:o,s:o,s:o}", "id", f->id, "version", f->version, "kind",
                     f->kind, "title", fr_form_title(f, lang, fallback), "items",
                     items_json(f, xmlDocGetRootElement(f->doc), lang, fallback, 0), "scores",
                     scores_json(f, lang, fallback), "flags", flags);
}

int fr_form_fhir_questionnaire(const fr_form *f, const char *lang, const char *fallback,
                               json_t **out, fr_error *err)
{
    char version[16], url[256];
    snprintf(version, sizeof version, "%d", f->version);
    snprintf(url, sizeof url, "https://filrouge.org/fhir/Questionnaire/%s", f->id);
    json_t *q = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:o}", "resourceType", "Questionnaire",
                          "id", f->id, "url", url, "version", version, "name", f->id, "title",
                          fr_form_title(f, lang, fallback), "status", "active", "item",
                          items_json(f, xmlDocGetRootElement(f->doc), lang, fallback, 1));
    if (!q)
        return fr_error_set(err, FR_ENOMEM, "out of memory");
    if (lang)
        json_object_set_new(q, "language", json_string(lang));
    *out = q;
    return 0;
}

/* ---- QuestionnaireResponse ---------------------------------------------- */

static json_t *answer_value(const fm_field *fd, json_t *v, const char *lang, const char *fallback)
{
    json_t *answers = json_array();
    json_t *list = json_is_array(v) ? v : NULL;
    size_t n = list ? json_array_size(list) : 1;
    for (size_t i = 0; i < n; i++) {
        json_t *x = list ? json_array_get(list, i) : v;
        json_t *a = NULL;
        switch (fd->type) {
        case FT_INTEGER:
        case FT_SCALE:
            a = json_pack("{s:I}", "valueInteger", (json_int_t)json_number_value(x));
            break;
        case FT_DECIMAL:
            a = json_pack("{s:f}", "valueDecimal", json_number_value(x));
            break;
        case FT_BOOLEAN:
            a = json_pack("{s:b}", "valueBoolean", json_is_true(x));
            break;
        case FT_DATE:
        case FT_PARTIAL_DATE:
            a = json_pack("{s:s}", "valueDate", json_string_value(x));
            break;
        case FT_DATETIME:
            a = json_pack("{s:s}", "valueDateTime", json_string_value(x));
            break;
        case FT_CHOICE:
        case FT_MULTI: {
            const char *code = json_string_value(x);
            const char *display = code;
            for (int k = 0; code && fd->choices && k < fd->choices->nopts; k++)
                if (strcmp(fd->choices->opts[k].code, code) == 0) {
                    const char *l = fm_text_get(&fd->choices->opts[k].label, lang, fallback);
                    display = l ? l : code;
                }
            a = json_pack("{s:{s:s,s:s}}", "valueCoding", "code", code ? code : "", "display",
                          display ? display : "");
            break;
        }
        default:
            a = json_pack("{s:s}", "valueString", json_is_string(x) ? json_string_value(x) : "");
        }
        if (a)
            json_array_append_new(answers, a);
    }
    return answers;
}

static json_t *response_items(const fr_form *f, xmlNodePtr parent, json_t *values, const char *lang,
                              const char *fallback)
{
    json_t *a = json_array();
    int external = strcmp(f->kind, "external") == 0 && parent == xmlDocGetRootElement(f->doc);
    for (int i = 0; external && i < f->nfields; i++) {
        json_t *v = json_object_get(values, f->fields[i].id);
        if (v)
            json_array_append_new(a, json_pack("{s:s,s:o}", "linkId", f->fields[i].id, "answer",
                                               answer_value(&f->fields[i], v, lang, fallback)));
    }
    for (xmlNodePtr n = fr_xml_next(parent->children, NULL); n; n = fr_xml_next(n->next, NULL)) {
        const char *tag = (const char *)n->name;
        char *id = fr_xml_attr(n, "id");
        if (!id)
            continue;
        if (strcmp(tag, "field") == 0) {
            const fm_field *fd = fm_field_find(f, id);
            json_t *v = json_object_get(values, id);
            if (fd && v && fd->type != FT_NOTE)
                json_array_append_new(a, json_pack("{s:s,s:o}", "linkId", id, "answer",
                                                   answer_value(fd, v, lang, fallback)));
        } else if (strcmp(tag, "section") == 0 || strcmp(tag, "group") == 0) {
            const fm_container *c = container_by_node(f, n, NULL);
            if (c && c->repeat) {
                size_t k;
                json_t *row;
                json_array_foreach(json_object_get(values, id), k, row)
                    json_array_append_new(a, json_pack("{s:s,s:o}", "linkId", id, "item",
                                                       response_items(f, n, row, lang, fallback)));
            } else {
                json_t *sub = response_items(f, n, values, lang, fallback);
                if (json_array_size(sub))
                    json_array_append_new(a, json_pack("{s:s,s:o}", "linkId", id, "item", sub));
                else
                    json_decref(sub);
            }
        }
        free(id);
    }
    return a;
}

int fr_form_fhir_response(fr_site *site, int64_t submission_id, json_t **out, fr_error *err)
{
    *out = NULL;
    json_t *row = NULL;
    int rc = fr_form_submission_get(site, submission_id, &row, err);
    if (rc)
        return rc;
    const fr_form *f;
    const char *version = json_string_value(json_object_get(row, "form_version"));
    if ((rc = fr_forms_get(site, json_string_value(json_object_get(row, "form_id")),
                           version ? atoi(version) : 0, &f, err))) {
        json_decref(row);
        return rc;
    }
    const char *fallback = site->nlanguages ? site->languages[0] : "en";
    const char *lang = json_string_value(json_object_get(row, "language"));
    const char *status = json_string_value(json_object_get(row, "status"));
    char id[32], canonical[300], subject[64];
    snprintf(id, sizeof id, "%" PRId64, submission_id);
    snprintf(canonical, sizeof canonical, "https://filrouge.org/fhir/Questionnaire/%s|%d", f->id,
             f->version);
    snprintf(subject, sizeof subject, "EpisodeOfCare/%" JSON_INTEGER_FORMAT,
             json_integer_value(json_object_get(row, "case_id")));
    const char *fstatus = strcmp(status, "draft") == 0                          ? "in-progress"
                          : json_is_null(json_object_get(row, "superseded_by")) ? "completed"
                                                                                : "amended";
    json_t *r =
        json_pack("{s:s,s:s,s:s,s:s,s:s,s:{s:s},s:o}", "resourceType", "QuestionnaireResponse",
                  "id", id, "questionnaire", canonical, "status", fstatus, "authored",
                  json_string_value(json_object_get(row, "submitted_at")), "subject", "reference",
                  subject, "item",
                  response_items(f, xmlDocGetRootElement(f->doc), json_object_get(row, "data"),
                                 lang ? lang : fallback, fallback));
    json_decref(row);
    if (!r)
        return fr_error_set(err, FR_ENOMEM, "out of memory");
    *out = r;
    return 0;
}

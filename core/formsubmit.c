/* Submissions: reading what the client sent (JSON or an XML instance),
 * building the XML instance the expressions see, dropping values of fields
 * that are not relevant, checking types, ranges, required fields and
 * constraints, computing calculations, scores, bands and flags, and storing
 * a submission with its scores, flags, events and audit entry in one
 * transaction. Drafts, amendments, history. Rendering is formrender.c. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <libxml/xpathInternals.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "audit.h"
#include "bus.h"
#include "clock.h"
#include "formdef.h"
#include "python.h"
#include "xmldoc.h"

#define MARK_DROPPED ((void *)1) /* not relevant: value dropped */
#define MARK_INVALID ((void *)2) /* wrong type: already reported */

typedef struct eval {
    const fr_form *f;
    const char *lang;
    int final;
    fr_site *site;
    xmlDocPtr doc;
    xmlXPathContextPtr ctx;
    json_t *problems;
} eval;

static void add_problem(eval *e, const char *field, const char *message)
{
    json_array_append_new(e->problems, json_pack("{s:s,s:s}", "field", field, "message", message));
}

/* "meds[2].dose" for a field inside the second row of meds. */
static void node_path(xmlNodePtr n, char *buf, size_t size)
{
    char tmp[512] = "";
    for (xmlNodePtr p = n;
         p && p->type == XML_ELEMENT_NODE && p->parent && p->parent->type == XML_ELEMENT_NODE;
         p = p->parent) {
        char part[600];
        if (p == n) {
            snprintf(part, sizeof part, "%s%s%s", (const char *)p->name, tmp[0] ? "." : "", tmp);
        } else {
            int idx = 1;
            for (xmlNodePtr s = p->prev; s; s = s->prev)
                if (s->type == XML_ELEMENT_NODE && xmlStrEqual(s->name, p->name))
                    idx++;
            snprintf(part, sizeof part, "%s[%d]%s%s", (const char *)p->name, idx, tmp[0] ? "." : "",
                     tmp);
        }
        snprintf(tmp, sizeof tmp, "%s", part);
    }
    snprintf(buf, size, "%s", tmp);
}

static void field_problem(eval *e, xmlNodePtr n, const char *message)
{
    char path[512];
    node_path(n, path, sizeof path);
    add_problem(e, path, message);
}

/* ---- levels: the root and the rows of repeat groups -------------------- */

/* The nearest repeat container enclosing container ci (itself excluded). */
static int outer_repeat(const fr_form *f, int ci)
{
    for (int p = f->containers[ci].parent; p >= 0; p = f->containers[p].parent)
        if (f->containers[p].repeat)
            return p;
    return -1;
}

/* ---- converting one value ---------------------------------------------- */

static int parse_number(const char *s, double *out)
{
    char *end;
    errno = 0;
    while (isspace((unsigned char)*s))
        s++;
    if (!*s)
        return -1;
    *out = strtod(s, &end);
    while (isspace((unsigned char)*end))
        end++;
    return (end != s && *end == '\0' && errno == 0 && isfinite(*out)) ? 0 : -1;
}

static int valid_partial_date(const char *s)
{
    size_t n = strlen(s);
    char buf[16];
    if (n == 4)
        return isdigit((unsigned char)s[0]) && isdigit((unsigned char)s[1]) &&
               isdigit((unsigned char)s[2]) && isdigit((unsigned char)s[3]);
    if (n == 7) {
        snprintf(buf, sizeof buf, "%s-01", s);
        return fr_date_valid(buf);
    }
    return n == 10 && fr_date_valid(s);
}

static int valid_datetime(const char *s)
{
    char date[11];
    if (strlen(s) < 16 || s[10] != 'T')
        return 0;
    memcpy(date, s, 10);
    date[10] = '\0';
    if (!fr_date_valid(date))
        return 0;
    int hh, mm, n = 0;
    if (sscanf(s + 11, "%2d:%2d%n", &hh, &mm, &n) != 2 || n != 5 || hh > 23 || mm > 59)
        return 0;
    const char *rest = s + 16;
    if (*rest == ':') {
        if (!isdigit((unsigned char)rest[1]) || !isdigit((unsigned char)rest[2]))
            return 0;
        rest += 3;
    }
    if (*rest == 'Z')
        rest++;
    else if (*rest == '+' || *rest == '-') {
        if (strlen(rest) != 6 || rest[3] != ':')
            return 0;
        rest += 6;
    }
    return *rest == '\0';
}

static const fm_option *find_option(const fm_choices *c, const char *code)
{
    for (int i = 0; c && i < c->nopts; i++)
        if (strcmp(c->opts[i].code, code) == 0)
            return &c->opts[i];
    return NULL;
}

/* The canonical text of a JSON value for field fd, or NULL with *why set
 * to a message key. Points of chosen options go to *points. */
static char *convert(const fm_field *fd, json_t *v, double *points, int *has_points,
                     const char **why)
{
    char buf[64];
    const char *s = json_is_string(v) ? json_string_value(v) : NULL;
    *has_points = 0;
    *points = 0;
    switch (fd->type) {
    case FT_TEXT:
    case FT_LONGTEXT:
        if (s)
            return strdup(s);
        if (json_is_number(v)) {
            snprintf(buf, sizeof buf, "%.15g", json_number_value(v));
            return strdup(buf);
        }
        *why = "text";
        return NULL;
    case FT_INTEGER:
    case FT_SCALE:
    case FT_DECIMAL: {
        double d;
        if (json_is_number(v))
            d = json_number_value(v);
        else if (!s || parse_number(s, &d) != 0) {
            *why = fd->type == FT_DECIMAL ? "decimal" : "integer";
            return NULL;
        }
        if (fd->type != FT_DECIMAL && d != floor(d)) {
            *why = "integer";
            return NULL;
        }
        snprintf(buf, sizeof buf, "%.15g", d);
        return strdup(buf);
    }
    case FT_DATE:
        if (s && strlen(s) == 10 && fr_date_valid(s))
            return strdup(s);
        *why = "date";
        return NULL;
    case FT_DATETIME:
        if (s && valid_datetime(s))
            return strdup(s);
        *why = "date-time";
        return NULL;
    case FT_PARTIAL_DATE:
        if (json_is_integer(v)) {
            snprintf(buf, sizeof buf, "%04d", (int)json_integer_value(v));
            s = buf;
        }
        if (s && valid_partial_date(s))
            return strdup(s);
        *why = "partial-date";
        return NULL;
    case FT_BOOLEAN:
        if (json_is_boolean(v))
            return strdup(json_is_true(v) ? "true" : "false");
        if (s && (strcmp(s, "true") == 0 || strcmp(s, "false") == 0))
            return strdup(s);
        *why = "boolean";
        return NULL;
    case FT_CHOICE: {
        if (json_is_integer(v)) {
            snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
            s = buf;
        }
        const fm_option *o = s ? find_option(fd->choices, s) : NULL;
        if (!o) {
            *why = "option";
            return NULL;
        }
        *has_points = o->has_points;
        *points = o->points;
        return strdup(o->code);
    }
    case FT_MULTI: {
        /* An array of codes, or a space-separated string (XML instances). */
        json_t *arr = json_is_array(v) ? json_incref(v) : NULL;
        if (!arr && s) {
            arr = json_array();
            char *copy = strdup(s);
            for (char *save = NULL, *t = copy ? strtok_r(copy, " ", &save) : NULL; t;
                 t = strtok_r(NULL, " ", &save))
                json_array_append_new(arr, json_string(t));
            free(copy);
        }
        if (!arr) {
            *why = "option";
            return NULL;
        }
        size_t i, len = 0, cap = 64;
        char *out = malloc(cap);
        json_t *c;
        if (out)
            out[0] = '\0';
        json_array_foreach(arr, i, c)
        {
            char cb[32];
            const char *code = json_string_value(c);
            if (json_is_integer(c)) {
                snprintf(cb, sizeof cb, "%" JSON_INTEGER_FORMAT, json_integer_value(c));
                code = cb;
            }
            const fm_option *o = code ? find_option(fd->choices, code) : NULL;
            if (!o || !out) {
                free(out);
                json_decref(arr);
                *why = "option";
                return NULL;
            }
            if (o->has_points) {
                *has_points = 1;
                *points += o->points;
            }
            size_t cl = strlen(o->code);
            if (len + cl + 2 > cap) {
                cap = (len + cl + 2) * 2;
                char *no = realloc(out, cap);
                if (!no) {
                    free(out);
                    json_decref(arr);
                    *why = "option";
                    return NULL;
                }
                out = no;
            }
            len += (size_t)snprintf(out + len, cap - len, "%s%s", len ? " " : "", o->code);
        }
        json_decref(arr);
        return out;
    }
    case FT_NOTE:
        return strdup("");
    }
    *why = "text";
    return NULL;
}

/* A number outside the field's min/max: -1 and the problem in `lang`
 * ("is below the minimum (0)"); 0 otherwise, and for other types. The one
 * rule for answers and for a definition's defaults. */
static int out_of_range(const fm_field *fd, const char *text, const char *lang, char *why,
                        size_t size)
{
    if (fd->type != FT_INTEGER && fd->type != FT_DECIMAL && fd->type != FT_SCALE)
        return 0;
    double d = strtod(text, NULL);
    if (fd->has_min && d < fd->min)
        snprintf(why, size, "%s (%g)", fm_msg(lang, "min"), fd->min);
    else if (fd->has_max && d > fd->max)
        snprintf(why, size, "%s (%g)", fm_msg(lang, "max"), fd->max);
    else
        return 0;
    return -1;
}

int fm_check_default(const fm_field *fd, char *why, size_t size)
{
    why[0] = '\0';
    if (!fd->dflt || fd->calculate || fd->type == FT_NOTE)
        return 0;
    json_t *v = json_string(fd->dflt);
    double points;
    int has_points;
    const char *key = NULL;
    char *text = v ? convert(fd, v, &points, &has_points, &key) : NULL;
    json_decref(v);
    if (!text) {
        snprintf(why, size, "%s", fm_msg("en", key ? key : "text"));
        return -1;
    }
    int rc = out_of_range(fd, text, "en", why, size);
    free(text);
    return rc;
}

/* ---- building the instance --------------------------------------------- */

static int is_empty_value(json_t *v)
{
    return !v || json_is_null(v) || (json_is_string(v) && json_string_value(v)[0] == '\0') ||
           (json_is_array(v) && json_array_size(v) == 0);
}

static void build_level(eval *e, xmlNodePtr parent, json_t *obj, int level, const char *where)
{
    const fr_form *f = e->f;
    char path[512];
    /* Unknown names first, so that every problem is listed. */
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        int known = 0;
        for (int i = 0; i < f->nfields && !known; i++)
            known = f->fields[i].repeat == level && strcmp(f->fields[i].id, key) == 0;
        for (int i = 0; i < f->ncontainers && !known; i++)
            known = f->containers[i].repeat && outer_repeat(f, i) == level &&
                    strcmp(f->containers[i].id, key) == 0;
        if (!known) {
            snprintf(path, sizeof path, "%s%s%s", where, where[0] ? "." : "", key);
            char msg[256];
            snprintf(msg, sizeof msg, "%s", fm_msg(e->lang, "unknown"));
            add_problem(e, path, msg);
        }
    }
    for (int i = 0; i < f->nfields; i++) {
        const fm_field *fd = &f->fields[i];
        if (fd->repeat != level)
            continue;
        json_t *val = json_object_get(obj, fd->id);
        xmlNodePtr n = xmlNewChild(parent, NULL, (const xmlChar *)fd->id, NULL);
        /* Calculations are the server's: whatever was sent is replaced. */
        if (fd->calculate || fd->type == FT_NOTE)
            continue;
        json_t *dflt = NULL;
        if (!val && fd->dflt)
            val = dflt = json_string(fd->dflt);
        /* An external result's licence reference defaults to the site's
         * (site.xml: <setting name="licence.FORM">…</setting>). */
        if (!val && e->site && strcmp(f->kind, "external") == 0 && strcmp(fd->id, "licence") == 0) {
            char name[160];
            snprintf(name, sizeof name, "licence.%s", f->id);
            const char *lic = fr_site_setting(e->site, NULL, name);
            if (lic)
                val = dflt = json_string(lic);
        }
        if (!is_empty_value(val)) {
            double points;
            int has_points;
            const char *why = NULL;
            char *text = convert(fd, val, &points, &has_points, &why);
            if (!text) {
                n->_private = MARK_INVALID;
                field_problem(e, n, fm_msg(e->lang, why));
            } else {
                xmlNodeAddContent(n, (const xmlChar *)text);
                free(text);
                if (has_points) {
                    char pb[64];
                    snprintf(pb, sizeof pb, "%.15g", points);
                    xmlNewProp(n, (const xmlChar *)"points", (const xmlChar *)pb);
                }
                if (fd->type == FT_PARTIAL_DATE) {
                    size_t len = strlen((const char *)n->children->content);
                    xmlNewProp(n, (const xmlChar *)"precision",
                               (const xmlChar *)(len == 4   ? "year"
                                                 : len == 7 ? "month"
                                                            : "day"));
                }
            }
        }
        json_decref(dflt);
    }
    for (int c = 0; c < f->ncontainers; c++) {
        const fm_container *ct = &f->containers[c];
        if (!ct->repeat || outer_repeat(f, c) != level)
            continue;
        json_t *rows = json_object_get(obj, ct->id);
        if (!rows || json_is_null(rows))
            continue;
        snprintf(path, sizeof path, "%s%s%s", where, where[0] ? "." : "", ct->id);
        if (!json_is_array(rows)) {
            add_problem(e, path, fm_msg(e->lang, "rows"));
            continue;
        }
        size_t i;
        json_t *row;
        json_array_foreach(rows, i, row)
        {
            char rp[560];
            snprintf(rp, sizeof rp, "%s[%zu]", path, i + 1);
            xmlNodePtr rn = xmlNewChild(parent, NULL, (const xmlChar *)ct->id, NULL);
            if (!json_is_object(row)) {
                add_problem(e, rp, fm_msg(e->lang, "rows"));
                continue;
            }
            build_level(e, rn, row, c, rp);
        }
    }
}

/* Every element named `name` under n, in document order. */
typedef struct nodes {
    xmlNodePtr *v;
    int n, cap;
} nodes;

static void collect(xmlNodePtr n, const char *name, nodes *out)
{
    for (xmlNodePtr c = n->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (strcmp((const char *)c->name, name) == 0) {
            if (out->n == out->cap) {
                int cap = out->cap ? out->cap * 2 : 8;
                xmlNodePtr *nv = realloc(out->v, (size_t)cap * sizeof *nv);
                if (!nv)
                    return;
                out->v = nv;
                out->cap = cap;
            }
            out->v[out->n++] = c;
        }
        collect(c, name, out);
    }
}

static void field_nodes(eval *e, const char *id, nodes *out)
{
    out->n = 0;
    collect(xmlDocGetRootElement(e->doc), id, out);
}

/* ---- evaluation -------------------------------------------------------- */

/* Expressions run with the field's level (the root <data>, or the row of
 * its repeat group) as context node. */
static int eval_bool_at(eval *e, xmlXPathCompExprPtr x, xmlNodePtr context)
{
    e->ctx->node = context;
    return fm_eval_bool(x, e->ctx);
}

static void set_value(xmlNodePtr n, const char *text)
{
    xmlNodeSetContent(n, NULL);
    if (text && *text)
        xmlNodeAddContent(n, (const xmlChar *)text);
}

static void run_calculations(eval *e)
{
    nodes ns = {0};
    for (int k = 0; k < e->f->ncalc; k++) {
        const fm_field *fd = &e->f->fields[e->f->calc_order[k]];
        field_nodes(e, fd->id, &ns);
        for (int i = 0; i < ns.n; i++) {
            if (ns.v[i]->_private == MARK_DROPPED)
                continue;
            e->ctx->node = ns.v[i]->parent;
            xmlXPathObjectPtr o = xmlXPathCompiledEval(fd->calculate_x, e->ctx);
            char buf[64];
            const char *text = "";
            xmlChar *s = NULL;
            if (o && o->type == XPATH_NUMBER) {
                if (!isnan(o->floatval)) {
                    snprintf(buf, sizeof buf, "%.15g", o->floatval);
                    text = buf;
                }
            } else if (o && o->type == XPATH_BOOLEAN) {
                text = o->boolval ? "true" : "false";
            } else if (o) {
                s = xmlXPathCastToString(o);
                text = s ? (const char *)s : "";
            }
            set_value(ns.v[i], text);
            xmlFree(s);
            xmlXPathFreeObject(o);
        }
    }
    free(ns.v);
}

/* 1 when the chain of containers from ci up to (excluding) the level's
 * repeat container is relevant at `context`. */
static int containers_relevant(eval *e, int ci, int level, xmlNodePtr context)
{
    for (int c = ci; c >= 0 && c != level; c = e->f->containers[c].parent) {
        const fm_container *ct = &e->f->containers[c];
        if (ct->relevant_x && eval_bool_at(e, ct->relevant_x, context) != 1)
            return 0;
    }
    return 1;
}

static void apply_relevance(eval *e)
{
    const fr_form *f = e->f;
    nodes ns = {0};
    /* Rows of repeat groups that are not relevant go entirely. */
    for (int c = 0; c < f->ncontainers; c++) {
        const fm_container *ct = &f->containers[c];
        if (!ct->repeat)
            continue;
        field_nodes(e, ct->id, &ns);
        for (int i = 0; i < ns.n; i++) {
            xmlNodePtr row = ns.v[i];
            if (!containers_relevant(e, c, outer_repeat(f, c), row->parent)) {
                xmlUnlinkNode(row);
                xmlFreeNode(row);
            }
        }
    }
    for (int i = 0; i < f->nfields; i++) {
        const fm_field *fd = &f->fields[i];
        field_nodes(e, fd->id, &ns);
        for (int k = 0; k < ns.n; k++) {
            xmlNodePtr n = ns.v[k];
            int ok = containers_relevant(e, fd->container, fd->repeat, n->parent) &&
                     (!fd->relevant_x || eval_bool_at(e, fd->relevant_x, n->parent) == 1);
            if (!ok) {
                /* A value for a field that is not relevant is dropped, not an error. */
                set_value(n, NULL);
                xmlUnsetProp(n, (const xmlChar *)"points");
                n->_private = MARK_DROPPED;
            }
        }
    }
    free(ns.v);
}

static const char *field_message(eval *e, const fm_field *fd, const char *key)
{
    const char *fallback = e->site && e->site->nlanguages ? e->site->languages[0] : "en";
    const char *m = fm_text_get(&fd->message, e->lang, fallback);
    return m ? m : fm_msg(e->lang, key);
}

static void validate(eval *e)
{
    const fr_form *f = e->f;
    nodes ns = {0};
    for (int i = 0; i < f->nfields; i++) {
        const fm_field *fd = &f->fields[i];
        if (fd->type == FT_NOTE)
            continue;
        field_nodes(e, fd->id, &ns);
        for (int k = 0; k < ns.n; k++) {
            xmlNodePtr n = ns.v[k];
            if (n->_private == MARK_DROPPED || n->_private == MARK_INVALID)
                continue;
            xmlChar *text = xmlNodeGetContent(n);
            int empty = !text || !text[0];
            if (empty) {
                if (fd->required && e->final)
                    field_problem(e, n, fm_msg(e->lang, "required"));
                xmlFree(text);
                continue;
            }
            char msg[300];
            if (out_of_range(fd, (const char *)text, e->lang, msg, sizeof msg))
                field_problem(e, n, msg);
            xmlFree(text);
            if (fd->constraint_x && eval_bool_at(e, fd->constraint_x, n->parent) != 1)
                field_problem(e, n, field_message(e, fd, "constraint"));
        }
    }
    for (int c = 0; c < f->ncontainers; c++) {
        const fm_container *ct = &f->containers[c];
        if (!ct->repeat || (!ct->min_rows && !ct->max_rows))
            continue;
        /* Count rows per parent (the root, or each row of the outer group). */
        int level = outer_repeat(f, c);
        nodes parents = {0};
        if (level < 0) {
            parents.v = malloc(sizeof *parents.v);
            if (parents.v) {
                parents.v[0] = xmlDocGetRootElement(e->doc);
                parents.n = 1;
            }
        } else {
            field_nodes(e, f->containers[level].id, &parents);
        }
        for (int p = 0; p < parents.n; p++) {
            int rows = 0;
            for (xmlNodePtr r = parents.v[p]->children; r; r = r->next)
                rows +=
                    r->type == XML_ELEMENT_NODE && xmlStrEqual(r->name, (const xmlChar *)ct->id);
            if (level >= 0 && !containers_relevant(e, c, level, parents.v[p]))
                continue;
            if (level < 0 && !containers_relevant(e, c, -1, parents.v[p]))
                continue;
            char msg[300], path[512];
            if (level >= 0) {
                /* the row itself: "visit[1]" */
                int idx = 1;
                for (xmlNodePtr sib = parents.v[p]->prev; sib; sib = sib->prev)
                    idx +=
                        sib->type == XML_ELEMENT_NODE && xmlStrEqual(sib->name, parents.v[p]->name);
                char base[480];
                node_path(parents.v[p], base, sizeof base);
                snprintf(path, sizeof path, "%s[%d]", base, idx);
            } else {
                path[0] = '\0';
            }
            char where[600];
            snprintf(where, sizeof where, "%s%s%s", level < 0 ? "" : path, level < 0 ? "" : ".",
                     ct->id);
            if (e->final && rows < ct->min_rows) {
                snprintf(msg, sizeof msg, "%s (%d)", fm_msg(e->lang, "min-rows"), ct->min_rows);
                add_problem(e, where, msg);
            }
            if (ct->max_rows && rows > ct->max_rows) {
                snprintf(msg, sizeof msg, "%s (%d)", fm_msg(e->lang, "max-rows"), ct->max_rows);
                add_problem(e, where, msg);
            }
        }
        free(parents.v);
    }
    free(ns.v);
}

/* ---- scores, bands, flags ---------------------------------------------- */

/* Site override: <setting name="bands.FORM.SCORE">scheme: 0-4 code; 5-9 code; 10- code</setting>
 * (a range "A-B" is inclusive; "A-" has no upper end). Reads the setting's
 * scheme and calls `each` for every range, in order, until it returns
 * nonzero (then that value); a part that is not "MIN-MAX code" is an error
 * naming it (FR_EINVAL). 0 when every range was seen. */
static int read_bands(const char *setting, char scheme[128],
                      int (*each)(void *arg, double lo, double hi, const char *code), void *arg,
                      fr_error *err)
{
    const char *colon = strchr(setting, ':');
    const char *p = setting;
    snprintf(scheme, 128, "site");
    if (colon) {
        size_t len = (size_t)(colon - setting);
        while (len > 0 && isspace((unsigned char)setting[len - 1]))
            len--;
        while (len > 0 && isspace((unsigned char)*p))
            p++, len--;
        snprintf(scheme, 128, "%.*s", (int)len, p);
        p = colon + 1;
    }
    char *copy = strdup(p);
    if (!copy)
        return fr_error_set(err, FR_ENOMEM, "out of memory");
    int rc = 0, ranges = 0;
    for (char *save = NULL, *t = strtok_r(copy, ";", &save); t && !rc;
         t = strtok_r(NULL, ";", &save)) {
        double lo, hi = INFINITY;
        char c[64];
        int n = 0;
        while (isspace((unsigned char)*t))
            t++;
        if (!*t)
            continue;
        if ((sscanf(t, "%lf-%lf %63s%n", &lo, &hi, c, &n) == 3 ||
             (hi = INFINITY, sscanf(t, "%lf- %63s%n", &lo, c, &n) == 2)) &&
            lo <= hi) {
            ranges++;
            rc = each(arg, lo, hi, c);
        } else {
            rc = fr_error_set(err, FR_EINVAL,
                              "\"%s\" is not \"MIN-MAX code\" (MIN at most MAX); write e.g. "
                              "\"scheme: 0-4 minimal; 5-9 mild; 10- severe\"",
                              t);
        }
    }
    free(copy);
    if (!rc && !ranges)
        rc = fr_error_set(err, FR_EINVAL,
                          "no range given; write e.g. \"scheme: 0-4 minimal; 5-9 mild; 10- "
                          "severe\"");
    return rc;
}

static int no_band(void *arg, double lo, double hi, const char *code)
{
    (void)arg, (void)lo, (void)hi, (void)code;
    return 0;
}

int fr_form_bands_check(const char *setting, fr_error *err)
{
    char scheme[128];
    return read_bands(setting, scheme, no_band, NULL, err);
}

typedef struct band_find {
    double v;
    char *code; /* 64 bytes */
} band_find;

static int band_holds(void *arg, double lo, double hi, const char *code)
{
    band_find *b = arg;
    if (b->v < lo || b->v > hi)
        return 0;
    snprintf(b->code, 64, "%s", code);
    return 1;
}

static int site_band(eval *e, const fm_score *s, double v, char code[64], char scheme[128],
                     fr_error *err)
{
    if (!e->site)
        return 0;
    char name[256];
    snprintf(name, sizeof name, "bands.%s.%s", e->f->id, s->id);
    const char *setting = fr_site_setting(e->site, NULL, name);
    if (!setting)
        return 0;
    band_find b = {v, code};
    fr_error why = {0};
    int rc = read_bands(setting, scheme, band_holds, &b, &why);
    if (rc < 0)
        return fr_error_set(err, rc, "site.xml setting %s: %s", name, why.message);
    return rc == 1 ? 1 : 2;
}

static int compute_scores(eval *e, json_t *scores, fr_error *err)
{
    const fr_form *f = e->f;
    nodes ns = {0};
    for (int i = 0; i < f->nscores; i++) {
        const fm_score *s = &f->scores[i];
        double sum = 0;
        int answered = 0;
        for (int k = 0; k < s->nitems; k++) {
            const fm_field *fd = fm_field_find(f, s->items[k]);
            field_nodes(e, s->items[k], &ns);
            for (int j = 0; j < ns.n; j++) {
                xmlNodePtr n = ns.v[j];
                if (n->_private == MARK_DROPPED || n->_private == MARK_INVALID)
                    continue;
                xmlChar *text = xmlNodeGetContent(n);
                if (text && text[0]) {
                    answered++;
                    xmlChar *pts = xmlGetProp(n, (const xmlChar *)"points");
                    if (pts)
                        sum += strtod((const char *)pts, NULL);
                    else if (fd && fd->type != FT_CHOICE && fd->type != FT_MULTI &&
                             fd->type != FT_BOOLEAN)
                        sum += strtod((const char *)text, NULL);
                    else if (fd && fd->type == FT_BOOLEAN)
                        sum += strcmp((const char *)text, "true") == 0;
                    xmlFree(pts);
                }
                xmlFree(text);
            }
        }
        double value = sum;
        if (s->expr_x) {
            int ok;
            e->ctx->node = xmlDocGetRootElement(e->doc);
            value = fm_eval_number(s->expr_x, e->ctx, &ok);
        }
        int complete = !(s->min_answered > 0 && answered < s->min_answered) && !isnan(value);
        json_t *o = json_pack("{s:s,s:i}", "id", s->id, "answered", answered);
        if (!complete) {
            json_object_set_new(o, "value", json_null());
            json_object_set_new(o, "band", json_null());
            json_array_append_new(scores, o);
            continue;
        }
        json_object_set_new(o, "value", json_real(value));
        char code[64] = "", scheme[128] = "";
        int rc = site_band(e, s, value, code, scheme, err);
        if (rc < 0) {
            json_decref(o);
            free(ns.v);
            return rc;
        }
        const char *fallback = e->site && e->site->nlanguages ? e->site->languages[0] : "en";
        if (rc == 1) {
            json_object_set_new(o, "band", json_string(code));
            json_object_set_new(o, "band_label", json_string(code));
            json_object_set_new(o, "band_scheme", json_string(scheme));
        } else if (rc == 0) {
            for (int b = 0; b < s->nbands; b++) {
                const fm_band *bd = &s->bands[b];
                if ((!bd->has_min || value >= bd->min) && (!bd->has_max || value <= bd->max)) {
                    const char *label = fm_text_get(&bd->label, e->lang, fallback);
                    char sch[160];
                    snprintf(sch, sizeof sch, "%s/%d", s->scheme ? s->scheme : "form",
                             s->bands_version ? s->bands_version : 1);
                    json_object_set_new(o, "band", json_string(bd->code));
                    json_object_set_new(o, "band_label", json_string(label ? label : bd->code));
                    json_object_set_new(o, "band_scheme", json_string(sch));
                    break;
                }
            }
        }
        if (!json_object_get(o, "band"))
            json_object_set_new(o, "band", json_null());
        json_array_append_new(scores, o);
    }
    free(ns.v);
    return 0;
}

static void compute_flags(eval *e, json_t *flags)
{
    const char *fallback = e->site && e->site->nlanguages ? e->site->languages[0] : "en";
    for (int i = 0; i < e->f->nflags; i++) {
        const fm_flag *fl = &e->f->flags[i];
        if (eval_bool_at(e, fl->when_x, xmlDocGetRootElement(e->doc)) != 1)
            continue;
        const char *m = fm_text_get(&fl->message, e->lang, fallback);
        json_array_append_new(flags, json_pack("{s:s,s:s,s:s}", "id", fl->id, "severity",
                                               fl->severity, "message", m ? m : fl->id));
    }
}

/* ---- back to JSON ------------------------------------------------------ */

static json_t *level_json(eval *e, xmlNodePtr parent, int level)
{
    const fr_form *f = e->f;
    json_t *o = json_object();
    for (xmlNodePtr n = parent->children; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE || n->_private == MARK_DROPPED ||
            n->_private == MARK_INVALID)
            continue;
        const char *name = (const char *)n->name;
        int fi = fm_field_index(f, name);
        if (fi < 0) {
            /* a row of a repeat group */
            int ci = -1;
            for (int c = 0; c < f->ncontainers && ci < 0; c++)
                if (f->containers[c].repeat && strcmp(f->containers[c].id, name) == 0)
                    ci = c;
            if (ci < 0)
                continue;
            json_t *rows = json_object_get(o, name);
            if (!rows) {
                rows = json_array();
                json_object_set_new(o, name, rows);
            }
            json_array_append_new(rows, level_json(e, n, ci));
            continue;
        }
        const fm_field *fd = &f->fields[fi];
        xmlChar *text = xmlNodeGetContent(n);
        if (!text || !text[0]) {
            xmlFree(text);
            continue;
        }
        const char *t = (const char *)text;
        json_t *v;
        switch (fd->type) {
        case FT_INTEGER:
        case FT_SCALE:
        case FT_DECIMAL: {
            double d = strtod(t, NULL);
            v = (d == floor(d) && fabs(d) < 9e15) ? json_integer((json_int_t)d) : json_real(d);
            if (isnan(d))
                v = json_string(t);
            break;
        }
        case FT_BOOLEAN:
            v = strcmp(t, "true") == 0 ? json_true() : json_false();
            break;
        case FT_MULTI: {
            v = json_array();
            char *copy = strdup(t);
            for (char *save = NULL, *tok = copy ? strtok_r(copy, " ", &save) : NULL; tok;
                 tok = strtok_r(NULL, " ", &save))
                json_array_append_new(v, json_string(tok));
            free(copy);
            break;
        }
        default:
            v = json_string(t);
        }
        json_object_set_new(o, name, v);
        xmlFree(text);
    }
    (void)level;
    return o;
}

/* ---- reading the input ------------------------------------------------- */

/* An XML instance (<data>…</data>) as the JSON object the rest expects:
 * repeat groups become arrays of rows; multiple choices stay text. */
static json_t *xml_level(const fr_form *f, xmlNodePtr parent)
{
    json_t *o = json_object();
    for (xmlNodePtr n = fr_xml_next(parent->children, NULL); n; n = fr_xml_next(n->next, NULL)) {
        const char *name = (const char *)n->name;
        int repeat = 0;
        for (int c = 0; c < f->ncontainers && !repeat; c++)
            repeat = f->containers[c].repeat && strcmp(f->containers[c].id, name) == 0;
        if (repeat) {
            json_t *rows = json_object_get(o, name);
            if (!rows) {
                rows = json_array();
                json_object_set_new(o, name, rows);
            }
            json_array_append_new(rows, xml_level(f, n));
        } else {
            char *text = fr_xml_text(n);
            json_object_set_new(o, name, json_string(text ? text : ""));
            free(text);
        }
    }
    return o;
}

/* Puts val at a path written as the HTML rendering names inputs
 * ("member[2].member-name"): rows are created as needed. 0 when the path
 * is not of that shape (the key is then kept as it is, and reported as
 * unknown). */
static int put_path(json_t *root, const char *path, json_t *val)
{
    json_t *cur = root;
    const char *p = path;
    while (*p) {
        const char *end = p + strcspn(p, "[.");
        char name[128];
        if (end == p || (size_t)(end - p) >= sizeof name)
            return 0;
        memcpy(name, p, (size_t)(end - p));
        name[end - p] = '\0';
        if (*end == '\0') {
            json_object_set(cur, name, val);
            return 1;
        }
        if (*end != '[')
            return 0;
        char *close;
        long idx = strtol(end + 1, &close, 10);
        if (*close != ']' || idx < 1 || idx > 1000 || close[1] != '.')
            return 0;
        json_t *rows = json_object_get(cur, name);
        if (!json_is_array(rows)) {
            rows = json_array();
            json_object_set_new(cur, name, rows);
        }
        while (json_array_size(rows) < (size_t)idx)
            json_array_append_new(rows, json_object());
        cur = json_array_get(rows, (size_t)idx - 1);
        if (!json_is_object(cur))
            return 0;
        p = close + 2;
    }
    return 0;
}

/* Keys with a row path become nested rows; other keys stay. */
static json_t *unflatten(json_t *in)
{
    const char *key;
    json_t *v;
    int flat = 0;
    json_object_foreach(in, key, v) flat |= strchr(key, '[') != NULL;
    if (!flat)
        return in;
    json_t *out = json_object();
    json_object_foreach(in, key, v)
    {
        if (!strchr(key, '[') || !put_path(out, key, v))
            json_object_set(out, key, v);
    }
    json_decref(in);
    return out;
}

static int read_input(const fr_form *f, const char *data, size_t len, json_t **out, fr_error *err)
{
    *out = NULL;
    if (len > FR_FORM_MAX_SUBMISSION)
        return fr_error_set(err, FR_EINVAL,
                            "the submission is %zu bytes, more than the limit of %d bytes: "
                            "a form's answers are far smaller; send the answers only "
                            "(attachments go elsewhere)",
                            len, FR_FORM_MAX_SUBMISSION);
    size_t i = 0;
    while (i < len && isspace((unsigned char)data[i]))
        i++;
    if (i == len)
        return fr_error_set(err, FR_EINVAL,
                            "the submission is empty: send a JSON object or an "
                            "XML instance <data>…</data>");
    if (data[i] == '<') {
        int rc = fm_refuse_doctype("the submission", data, len, err);
        if (rc)
            return rc;
        xmlDocPtr doc = NULL;
        if ((rc = fr_xml_load_memory("submission", data, len, NULL, &doc, err)))
            return rc;
        *out = xml_level(f, xmlDocGetRootElement(doc));
        xmlFreeDoc(doc);
        return 0;
    }
    json_error_t je;
    json_t *j = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
    if (!j)
        return fr_error_set(err, FR_EINVAL,
                            "the submission is neither JSON nor XML: line %d, column %d: %s",
                            je.line, je.column, je.text);
    if (!json_is_object(j)) {
        json_decref(j);
        return fr_error_set(err, FR_EINVAL,
                            "the submission must be a JSON object of field id → value");
    }
    *out = unflatten(j);
    return 0;
}

static void quiet_generic(void *data, const char *fmt, ...)
{
    (void)data;
    (void)fmt;
}

static void quiet_structured(void *data, xmlErrorPtr e)
{
    (void)data;
    (void)e;
}

static void summarise(json_t *problems, fr_error *err)
{
    size_t n = json_array_size(problems);
    char buf[FR_ERROR_MAX];
    size_t len =
        (size_t)snprintf(buf, sizeof buf, "%zu problem%s in the submission:", n, n == 1 ? "" : "s");
    size_t i;
    json_t *p;
    json_array_foreach(problems, i, p)
    {
        if (len >= sizeof buf)
            break;
        const char *field = json_string_value(json_object_get(p, "field"));
        len += (size_t)snprintf(buf + len, sizeof buf - len, "\n  %s%s%s", field ? field : "",
                                field && field[0] ? ": " : "",
                                json_string_value(json_object_get(p, "message")));
    }
    fr_error_set(err, FR_EINVAL, "%s", buf);
}

/* Whether a hook's message names a field of the form: "q9", or a row's
 * "member[2].member-role" (its last name), or a repeat group's row. */
static int names_a_field(const fr_form *f, const char *path)
{
    const char *last = strrchr(path, '.');
    last = last ? last + 1 : path;
    size_t n = strcspn(last, "[");
    for (int i = 0; i < f->nfields; i++)
        if (strlen(f->fields[i].id) == n && strncmp(f->fields[i].id, last, n) == 0)
            return 1;
    for (int i = 0; i < f->ncontainers; i++)
        if (f->containers[i].repeat && strlen(f->containers[i].id) == n &&
            strncmp(f->containers[i].id, last, n) == 0)
            return 1;
    return 0;
}

static void add_hook_message(fr_site *site, const fr_form *f, json_t *problems, const char *field,
                             const char *message)
{
    if (!field[0] || names_a_field(f, field)) {
        json_array_append_new(problems, json_pack("{s:s,s:s}", "field", field, "message", message));
        return;
    }
    /* A name the form has not (a hook written for another version, a
     * typo): shown on the whole form, where the person reads it, rather
     * than beside a field no page shows. */
    char *text = NULL;
    if (asprintf(&text, "%s: %s", field, message) < 0)
        text = NULL;
    json_array_append_new(problems,
                          json_pack("{s:s,s:s}", "field", "", "message", text ? text : message));
    free(text);
    fr_site_log(site, "python",
                "a validate hook of form %s gave a message for '%s', which is not a field of "
                "the form (shown on the whole form): check the name",
                f->id, field);
}

/* Merges the hooks' {field: [messages]} into problems. */
static void merge_hook_messages(fr_site *site, const fr_form *f, json_t *problems, json_t *messages)
{
    const char *field;
    json_t *list;
    json_object_foreach(messages, field, list)
    {
        if (json_is_string(list)) {
            add_hook_message(site, f, problems, field, json_string_value(list));
            continue;
        }
        size_t i;
        json_t *m;
        json_array_foreach(list, i, m) if (json_is_string(m))
            add_hook_message(site, f, problems, field, json_string_value(m));
    }
}

int fr_form_evaluate(fr_site *site, const fr_form *f, const char *data, size_t len, int final,
                     const char *lang, json_t **result, json_t **problems_out, fr_error *err)
{
    *result = NULL;
    if (problems_out)
        *problems_out = NULL;
    if (!lang)
        lang = site && site->nlanguages ? site->languages[0] : "en";
    json_t *input = NULL;
    int rc = read_input(f, data, len, &input, err);
    if (rc)
        return rc;
    eval e = {.f = f, .lang = lang, .final = final, .site = site, .problems = json_array()};
    e.doc = xmlNewDoc((const xmlChar *)"1.0");
    xmlNodePtr root = xmlNewNode(NULL, (const xmlChar *)"data");
    xmlDocSetRootElement(e.doc, root);
    e.ctx = fr_form_xpath_context(e.doc);
    json_t *scores = json_array(), *flags = json_array(), *values = NULL, *computed = NULL;
    if (!e.ctx || !e.problems || !scores || !flags) {
        rc = fr_error_set(err, FR_ENOMEM, "out of memory");
        goto out;
    }
    /* setting() reads the site's settings (score() and value() are not
     * registered here: a form sees its own answers only). */
    fr_form_xpath_case xc = {.site = site, .case_id = 0};
    e.ctx->userData = &xc;
    /* A runtime XPath error (sum() of a string, say) would be printed on
     * stderr by libxml2; the expression then counts as false or empty,
     * which the checks at load time make rare. */
    xmlSetGenericErrorFunc(NULL, quiet_generic);
    xmlSetStructuredErrorFunc(NULL, quiet_structured);
    build_level(&e, root, input, -1, "");
    run_calculations(&e);
    apply_relevance(&e);
    run_calculations(&e);
    validate(&e);
    xmlSetStructuredErrorFunc(NULL, NULL);
    xmlSetGenericErrorFunc(NULL, NULL);
    values = level_json(&e, root, -1);
    /* The hooks see the cleaned values even when the kernel found
     * problems, so that every message comes back at once. */
    if (site) {
        json_t *messages = NULL;
        if ((rc = fr_python_validate(site, f->id, values, &messages, err)))
            goto out;
        if (messages)
            merge_hook_messages(site, f, e.problems, messages);
        json_decref(messages);
    }
    if (json_array_size(e.problems) > 0) {
        summarise(e.problems, err);
        rc = FR_EINVAL;
        goto out;
    }
    if ((rc = compute_scores(&e, scores, err)))
        goto out;
    compute_flags(&e, flags);
    if (site && (rc = fr_python_compute(site, f->id, values, &computed, err)))
        goto out;
    *result = json_pack("{s:s,s:i,s:O,s:O,s:O,s:o}", "form", f->id, "version", f->version, "values",
                        values, "scores", scores, "flags", flags, "computed",
                        computed ? computed : json_object());
    computed = NULL;
out:
    if (problems_out && json_array_size(e.problems) > 0)
        *problems_out = json_incref(e.problems);
    json_decref(e.problems);
    json_decref(values);
    json_decref(computed);
    json_decref(scores);
    json_decref(flags);
    json_decref(input);
    fr_form_xpath_context_done(e.ctx);
    xmlFreeDoc(e.doc);
    return rc;
}

/* ---- storing ------------------------------------------------------------ */

static int read_row(fr_site *site, int64_t id, json_t **row, fr_error *err)
{
    int rc = fr_store_query_row(site->store, err, row,
                                "SELECT id, case_id, form_id, form_version, status, superseded_by"
                                " FROM submissions WHERE id = ?",
                                "I", id);
    if (rc == FR_ENOTFOUND)
        return fr_error_set(err, FR_ENOTFOUND, "there is no submission %" PRId64, id);
    return rc;
}

static int store_scores(fr_site *site, int64_t sid, int64_t case_id, const fr_form *f,
                        json_t *result, const char *now, fr_error *err)
{
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(result, "scores"), i, s)
    {
        json_t *v = json_object_get(s, "value");
        const char *band = json_string_value(json_object_get(s, "band"));
        const char *scheme = json_string_value(json_object_get(s, "band_scheme"));
        int rc;
        if (json_is_number(v))
            rc = fr_store_execf(site->store, err,
                                "INSERT INTO submission_scores (submission_id, case_id, form_id,"
                                " form_version, score, value, band, band_scheme, answered,"
                                " submitted_at, ordinal) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                "IItitdttitI", sid, case_id, f->id, f->version,
                                json_string_value(json_object_get(s, "id")), json_number_value(v),
                                band, scheme,
                                (int)json_integer_value(json_object_get(s, "answered")), now,
                                (int64_t)i);
        else
            rc = fr_store_execf(site->store, err,
                                "INSERT INTO submission_scores (submission_id, case_id, form_id,"
                                " form_version, score, value, band, band_scheme, answered,"
                                " submitted_at, ordinal) VALUES (?, ?, ?, ?, ?, NULL, NULL, NULL, ?, ?,"
                                " ?)",
                                "IItititI", sid, case_id, f->id, f->version,
                                json_string_value(json_object_get(s, "id")),
                                (int)json_integer_value(json_object_get(s, "answered")), now,
                                (int64_t)i);
        if (rc)
            return rc;
    }
    json_array_foreach(json_object_get(result, "flags"), i, s)
    {
        int rc = fr_store_execf(site->store, err,
                                "INSERT INTO submission_flags (submission_id, case_id, form_id,"
                                " flag, severity, message, ordinal) VALUES (?, ?, ?, ?, ?, ?, ?)",
                                "IIttttI", sid, case_id, f->id,
                                json_string_value(json_object_get(s, "id")),
                                json_string_value(json_object_get(s, "severity")),
                                json_string_value(json_object_get(s, "message")), (int64_t)i);
        if (rc)
            return rc;
    }
    return 0;
}

/* ---- the two phases --------------------------------------------------------
 *
 * fr_form_submit_prepare does the work that needs no write transaction
 * (reading the input, building the instance, relevance, calculations,
 * validation, scores, flags) on whatever connection it is given: in the
 * server, the worker's own read connection, outside the committer.
 * fr_form_submit_prepared then decides again on the writing connection,
 * inside its transaction: the arguments, the access (audited), the prior
 * submission (the draft still a draft, the amended one not yet amended),
 * the form version and the language. It uses the prepared evaluation only
 * when that was made for the same form version, finality and language,
 * and evaluates again otherwise; so what the first phase saw can change in
 * between without letting anything through that the second would refuse. */

struct fr_submit_prep {
    int evaluated; /* 0: everything was left to phase two */
    char *form_id;
    int version;
    int final;
    char lang[16];
    int rc; /* of fr_form_evaluate, with err, result and problems */
    fr_error err;
    json_t *result;
    json_t *problems;
    char *data, *computed; /* the result's columns as stored (stored_texts) */
    /* What phase two stored (id 0 until then), for the answer to the
     * request (fr_form_submission_as_written); the committer only moves
     * what it already holds in here, the worker builds the answer. */
    struct {
        int64_t id, case_id, amends;
        const char *status;
        char version[16], at[FR_TIME_LEN], lang[16];
        char *form_id, *actor, *reason, *data, *computed;
        json_t *result; /* scores and flags */
    } stored;
};

void fr_submit_prep_free(fr_submit_prep *p)
{
    if (!p)
        return;
    free(p->form_id);
    json_decref(p->result);
    json_decref(p->problems);
    free(p->data);
    free(p->computed);
    free(p->stored.form_id);
    free(p->stored.actor);
    free(p->stored.reason);
    free(p->stored.data);
    free(p->stored.computed);
    json_decref(p->stored.result);
    free(p);
}

/* The text of the data and computed columns of an evaluation's result. */
static void stored_texts(json_t *result, char **data, char **computed)
{
    *data = json_dumps(json_object_get(result, "values"), JSON_COMPACT | JSON_SORT_KEYS);
    *computed = json_dumps(json_object_get(result, "computed"), JSON_COMPACT);
}

static int check_args(const fr_submit *s, fr_error *err)
{
    if (!s->case_id)
        return fr_error_set(err, FR_EINVAL, "a submission belongs to a case: give its id");
    if (s->amends && (!s->reason || !*s->reason))
        return fr_error_set(err, FR_EINVAL,
                            "amending submission %" PRId64 " needs a reason (--reason TEXT): "
                            "the old version stays visible with it",
                            s->amends);
    if (s->amends && (s->draft || s->draft_id))
        return fr_error_set(err, FR_EINVAL, "an amendment is final: it cannot be a draft");
    return 0;
}

/* The form (version) the submission is evaluated against, after checking
 * the prior submission it continues or amends, and the acting user's
 * language (user_lang, "" when none). */
static int resolve(fr_site *site, const fr_submit *s, const fr_form **f, char user_lang[8],
                   fr_error *err)
{
    int rc = 0;
    int version = s->form_version;
    json_t *prior = NULL;
    int64_t prior_id = s->draft_id ? s->draft_id : s->amends;
    if (prior_id) {
        if ((rc = read_row(site, prior_id, &prior, err)))
            return rc;
        const char *status = json_string_value(json_object_get(prior, "status"));
        int64_t pcase = json_integer_value(json_object_get(prior, "case_id"));
        const char *pform = json_string_value(json_object_get(prior, "form_id"));
        if (pcase != s->case_id || strcmp(pform, s->form_id) != 0)
            rc = fr_error_set(err, FR_EINVAL,
                              "submission %" PRId64 " is form '%s' of case %" PRId64
                              ", not form '%s' of case %" PRId64,
                              prior_id, pform, pcase, s->form_id, s->case_id);
        else if (s->draft_id && strcmp(status, "draft") != 0)
            rc = fr_error_set(err, FR_EREFUSED,
                              "submission %" PRId64 " is final, not a draft: amend it "
                              "(--amend %" PRId64 " --reason TEXT)",
                              prior_id, prior_id);
        else if (s->amends && strcmp(status, "final") != 0)
            rc = fr_error_set(err, FR_EREFUSED,
                              "submission %" PRId64 " is a draft: continue it instead of "
                              "amending it",
                              prior_id);
        else if (s->amends && !json_is_null(json_object_get(prior, "superseded_by")))
            rc = fr_error_set(err, FR_ECONFLICT,
                              "submission %" PRId64 " was already amended by submission %" PRId64
                              ": amend the newest version",
                              prior_id,
                              (int64_t)json_integer_value(json_object_get(prior, "superseded_by")));
        if (!rc && !version)
            version = atoi(json_string_value(json_object_get(prior, "form_version")));
        json_decref(prior);
        if (rc)
            return rc;
    }
    if ((rc = fr_forms_get(site, s->form_id, version, f, err)))
        return rc;
    /* Messages in the acting user's language unless the caller chose one. */
    user_lang[0] = '\0';
    if (!s->lang && site->actor_id) {
        char *l = NULL;
        if (fr_store_query_text(site->store, NULL, &l, "SELECT language FROM users WHERE id = ?",
                                "I", site->actor_id) == 0 &&
            l)
            snprintf(user_lang, 8, "%s", l);
        free(l);
    }
    return 0;
}

fr_submit_prep *fr_form_submit_prepare(fr_site *site, const fr_submit *s)
{
    fr_error err = {0};
    const fr_form *f = NULL;
    char user_lang[8];
    /* Whatever would be refused is left to the second phase, which refuses
     * it with its audit entry; so are Python hooks, which run where the
     * submission is written. */
    fr_submit_prep *p = calloc(1, sizeof *p);
    if (!p || check_args(s, &err) || !fr_access_case_quiet(site, s->case_id, FR_WRITE) ||
        resolve(site, s, &f, user_lang, &err) || fr_python_form_hooks(site, f->id))
        return p;
    const char *lang = s->lang ? s->lang : user_lang[0] ? user_lang : NULL;
    if (!(p->form_id = strdup(f->id)))
        return p;
    p->evaluated = 1;
    p->version = f->version;
    p->final = !s->draft;
    snprintf(p->lang, sizeof p->lang, "%s", lang ? lang : "");
    p->rc = fr_form_evaluate(site, f, s->data, s->len, p->final, lang, &p->result, &p->problems,
                             &p->err);
    if (p->rc == 0)
        stored_texts(p->result, &p->data, &p->computed);
    return p;
}

int fr_form_submit(fr_site *site, const fr_submit *s, int64_t *id, json_t **problems, fr_error *err)
{
    fr_submit_prep *p = fr_form_submit_prepare(site, s);
    int rc = fr_form_submit_prepared(site, s, p, id, problems, err);
    fr_submit_prep_free(p);
    return rc;
}

int fr_form_submit_prepared(fr_site *site, const fr_submit *s, fr_submit_prep *prep, int64_t *id,
                            json_t **problems, fr_error *err)
{
    *id = 0;
    if (problems)
        *problems = NULL;
    int rc = check_args(s, err);
    if (rc || (rc = fr_access_case(site, s->case_id, FR_WRITE, err)))
        return rc;
    const fr_form *f;
    char user_lang[8];
    if ((rc = resolve(site, s, &f, user_lang, err)))
        return rc;
    const char *lang = s->lang ? s->lang : user_lang[0] ? user_lang : NULL;
    json_t *result = NULL;
    json_t *probs = NULL;
    char *data = NULL, *computed = NULL;
    if (prep && prep->evaluated && strcmp(prep->form_id, f->id) == 0 &&
        prep->version == f->version && prep->final == !s->draft &&
        strcmp(prep->lang, lang ? lang : "") == 0 && !fr_python_form_hooks(site, f->id)) {
        /* evaluated ahead for this very form version, finality and language */
        rc = prep->rc;
        if (rc && err)
            *err = prep->err;
        result = prep->result;
        probs = prep->problems;
        data = prep->data;
        computed = prep->computed;
        prep->result = prep->problems = NULL;
        prep->data = prep->computed = NULL;
    } else {
        rc = fr_form_evaluate(site, f, s->data, s->len, !s->draft, lang, &result, &probs, err);
    }
    if (rc) {
        json_decref(result);
        if (problems)
            *problems = probs;
        else
            json_decref(probs);
        return rc;
    }
    json_decref(probs);
    char now[FR_TIME_LEN], vbuf[16];
    fr_clock_now(now);
    snprintf(vbuf, sizeof vbuf, "%d", f->version);
    if (!data || !computed) { /* not prepared (or memory ran out there) */
        free(data);
        free(computed);
        stored_texts(result, &data, &computed);
    }
    const char *status = s->draft ? "draft" : "final";
    if (!lang)
        lang = site->nlanguages ? site->languages[0] : "en";
    int64_t sid = 0;
    if (!data || !computed) {
        rc = fr_error_set(err, FR_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = fr_store_begin(site->store, err)))
        goto out;
    if (s->draft_id) {
        sid = s->draft_id;
        rc = fr_store_execf(site->store, err,
                            "UPDATE submissions SET status = ?, data = ?, computed = ?,"
                            " form_version = ?, submitted_at = ?, updated_at = ?, actor = ?,"
                            " language = ?, reason = ? WHERE id = ? AND status = 'draft'",
                            "tttttttttI", status, data, computed, vbuf, now, now, site->actor, lang,
                            s->reason, sid);
    } else {
        rc = fr_store_execf(site->store, err,
                            "INSERT INTO submissions (case_id, form_id, form_version, status, data,"
                            " submitted_at, actor, amends, reason, computed, language, updated_at)"
                            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            "IttttttRtttt", s->case_id, f->id, vbuf, status, data, now, site->actor,
                            s->amends, s->reason, computed, lang, now);
        sid = fr_store_last_id(site->store);
    }
    if (!rc && s->amends)
        rc = fr_store_execf(site->store, err,
                            "UPDATE submissions SET superseded_by = ? WHERE id = ?", "II", sid,
                            s->amends);
    if (!rc && !s->draft)
        rc = store_scores(site, sid, s->case_id, f, result, now, err);
    json_t *payload = json_pack("{s:I,s:s,s:i,s:s}", "submission", (json_int_t)sid, "form", f->id,
                                "version", f->version, "status", status);
    if (!s->draft) {
        json_t *sc = json_object();
        size_t i;
        json_t *o;
        json_array_foreach(json_object_get(result, "scores"), i, o)
            json_object_set_new(sc, json_string_value(json_object_get(o, "id")),
                                json_pack("{s:O,s:O}", "value", json_object_get(o, "value"), "band",
                                          json_object_get(o, "band")));
        json_object_set_new(payload, "scores", sc);
        json_object_set(payload, "flags", json_object_get(result, "flags"));
    }
    if (s->amends) {
        json_object_set_new(payload, "amends", json_integer((json_int_t)s->amends));
        json_object_set_new(payload, "reason", json_string(s->reason));
    }
    char *ptext = json_dumps(payload, JSON_COMPACT);
    const char *topic = s->draft    ? "form.draft-saved"
                        : s->amends ? "form.amended"
                                    : "form.submitted";
    if (!rc)
        rc = fr_bus_publish_compact(site, topic, s->case_id, ptext, err);
    if (!rc && !s->draft && json_array_size(json_object_get(result, "flags")) > 0)
        rc = fr_bus_publish_compact(site, "form.flagged", s->case_id, ptext, err);
    if (!rc)
        rc = fr_audit_appendi(site->store, site->actor,
                              s->amends     ? "amend"
                              : s->draft_id ? "update"
                                            : "create",
                              "submission", sid, ptext, err);
    free(ptext);
    json_decref(payload);
    if (!rc)
        rc = fr_store_commit(site->store, err);
    if (rc) {
        fr_store_rollback(site->store);
        goto out;
    }
    *id = sid;
    if (prep) {
        /* Moved, not copied: this runs on the committer. */
        prep->stored.id = sid;
        prep->stored.case_id = s->case_id;
        prep->stored.amends = s->amends;
        prep->stored.status = status;
        prep->stored.form_id = strdup(f->id);
        snprintf(prep->stored.version, sizeof prep->stored.version, "%s", vbuf);
        snprintf(prep->stored.at, sizeof prep->stored.at, "%s", now);
        snprintf(prep->stored.lang, sizeof prep->stored.lang, "%s", lang);
        prep->stored.actor = strdup(site->actor);
        prep->stored.reason = s->reason ? strdup(s->reason) : NULL;
        prep->stored.data = data;
        prep->stored.computed = computed;
        prep->stored.result = result;
        data = computed = NULL;
        result = NULL;
    }
out:
    free(data);
    free(computed);
    json_decref(result);
    return rc;
}

/* ---- reading back -------------------------------------------------------- */

/* ---- a submission as JSON --------------------------------------------------
 *
 * One shape for a read (fr_form_submission_get, fr_form_history) and for
 * the answer built from what was written (fr_form_submission_as_written):
 * the fields below, and a score and a flag as score_json and flag_json make
 * them. */

typedef struct submission_fields {
    int64_t id, case_id, amends, superseded_by; /* amends, superseded_by: 0 for none */
    const char *form_id, *form_version, *status, *submitted_at, *actor, *reason, *language;
    json_t *data, *computed, *scores, *flags; /* taken; NULL: empty */
} submission_fields;

static json_t *id_or_null(int64_t id)
{
    return id ? json_integer((json_int_t)id) : json_null();
}

static json_t *submission_json(const submission_fields *f)
{
    return json_pack(
        "{s:I,s:I,s:s?,s:s?,s:s?,s:s?,s:s?,s:o,s:o,s:s?,s:s?,s:o,s:o,s:o,s:o}", "id",
        (json_int_t)f->id, "case_id", (json_int_t)f->case_id, "form_id", f->form_id, "form_version",
        f->form_version, "status", f->status, "submitted_at", f->submitted_at, "actor", f->actor,
        "amends", id_or_null(f->amends), "superseded_by", id_or_null(f->superseded_by), "reason",
        f->reason, "language", f->language, "data", f->data ? f->data : json_object(), "computed",
        f->computed ? f->computed : json_object(), "scores", f->scores ? f->scores : json_array(),
        "flags", f->flags ? f->flags : json_array());
}

/* value: a number, or NULL (then no band either: store_scores). */
static json_t *score_json(const char *score, const json_t *value, const char *band,
                          const char *scheme, int64_t answered)
{
    int number = json_is_number(value);
    return json_pack("{s:s?,s:o,s:s?,s:s?,s:I}", "score", score, "value",
                     number ? json_real(json_number_value(value)) : json_null(), "band",
                     number ? band : NULL, "band_scheme", number ? scheme : NULL, "answered",
                     (json_int_t)answered);
}

static json_t *flag_json(const char *flag, const char *severity, const char *message)
{
    return json_pack("{s:s?,s:s?,s:s?}", "flag", flag, "severity", severity, "message", message);
}

static const char *text_of(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static int64_t int_of(json_t *o, const char *key)
{
    return (int64_t)json_integer_value(json_object_get(o, key));
}

/* A JSON column's text, parsed (an empty object when there is none). */
static json_t *object_of(const char *text)
{
    json_t *v = text ? json_loads(text, 0, NULL) : NULL;
    return v ? v : json_object();
}

static json_t *scores_of(fr_site *site, int64_t sid, fr_error *err)
{
    json_t *rows = NULL, *out = json_array(), *r;
    size_t i;
    if (fr_store_query_json(site->store, err, &rows,
                            "SELECT score, value, band, band_scheme, answered FROM"
                            " submission_scores WHERE submission_id = ? ORDER BY ordinal",
                            "I", sid) == 0)
        json_array_foreach(rows, i, r) json_array_append_new(
            out, score_json(text_of(r, "score"), json_object_get(r, "value"), text_of(r, "band"),
                            text_of(r, "band_scheme"), int_of(r, "answered")));
    json_decref(rows);
    return out;
}

static json_t *flags_of(fr_site *site, int64_t sid, fr_error *err)
{
    json_t *rows = NULL, *out = json_array(), *r;
    size_t i;
    if (fr_store_query_json(site->store, err, &rows,
                            "SELECT flag, severity, message FROM submission_flags"
                            " WHERE submission_id = ? ORDER BY ordinal",
                            "I", sid) == 0)
        json_array_foreach(rows, i, r) json_array_append_new(
            out, flag_json(text_of(r, "flag"), text_of(r, "severity"), text_of(r, "message")));
    json_decref(rows);
    return out;
}

static const char *submission_columns =
    "SELECT id, case_id, form_id, form_version, status, submitted_at, actor, amends,"
    " superseded_by, reason, language, data, computed FROM submissions";

/* A row of submission_columns as the API gives it (row stays the caller's). */
static json_t *decoded(fr_site *site, json_t *row, fr_error *err)
{
    int64_t sid = int_of(row, "id");
    submission_fields f = {.id = sid,
                           .case_id = int_of(row, "case_id"),
                           .amends = int_of(row, "amends"),
                           .superseded_by = int_of(row, "superseded_by"),
                           .form_id = text_of(row, "form_id"),
                           .form_version = text_of(row, "form_version"),
                           .status = text_of(row, "status"),
                           .submitted_at = text_of(row, "submitted_at"),
                           .actor = text_of(row, "actor"),
                           .reason = text_of(row, "reason"),
                           .language = text_of(row, "language"),
                           .data = object_of(text_of(row, "data")),
                           .computed = object_of(text_of(row, "computed")),
                           .scores = scores_of(site, sid, err),
                           .flags = flags_of(site, sid, err)};
    return submission_json(&f);
}

/* The row of submission id, decoded; access checked and the read audited. */
static int submission_read(fr_site *site, int64_t id, json_t **out, fr_error *err)
{
    *out = NULL;
    char sql[512];
    snprintf(sql, sizeof sql, "%s WHERE id = ?", submission_columns);
    json_t *row = NULL;
    int rc = fr_store_query_row(site->store, err, &row, sql, "I", id);
    if (rc == FR_ENOTFOUND)
        return fr_error_set(err, FR_ENOTFOUND, "there is no submission %" PRId64, id);
    if (rc)
        return rc;
    int64_t case_id = json_integer_value(json_object_get(row, "case_id"));
    char oid[32];
    snprintf(oid, sizeof oid, "%" PRId64, id);
    if ((rc = fr_access_case(site, case_id, FR_READ, err)) ||
        (rc = fr_audit_alone(site->store, site->actor, "read", "submission", oid, NULL, err))) {
        json_decref(row);
        return rc;
    }
    *out = decoded(site, row, err);
    json_decref(row);
    return *out ? 0 : fr_error_set(err, FR_ENOMEM, "out of memory");
}

int fr_form_submission_get(fr_site *site, int64_t id, json_t **out, fr_error *err)
{
    return submission_read(site, id, out, err);
}

/* The result's object under key, which `text` holds as stored (its keys
 * sorted: stored_texts), without parsing the text back. */
static json_t *stored_object(const fr_submit_prep *p, const char *key, const char *text)
{
    json_t *v = json_object_get(p->stored.result, key);
    return json_is_object(v) ? json_incref(v) : object_of(text);
}

json_t *fr_form_submission_as_written(const fr_submit_prep *p)
{
    if (!p || !p->stored.id)
        return NULL;
    json_t *scores = json_array(), *flags = json_array();
    /* a draft's scores and flags are not stored (store_scores) */
    json_t *result = strcmp(p->stored.status, "final") == 0 ? p->stored.result : NULL;
    size_t i;
    json_t *o;
    json_array_foreach(json_object_get(result, "scores"), i, o) json_array_append_new(
        scores, score_json(text_of(o, "id"), json_object_get(o, "value"), text_of(o, "band"),
                           text_of(o, "band_scheme"), int_of(o, "answered")));
    json_array_foreach(json_object_get(result, "flags"), i, o) json_array_append_new(
        flags, flag_json(text_of(o, "id"), text_of(o, "severity"), text_of(o, "message")));
    submission_fields f = {.id = p->stored.id,
                           .case_id = p->stored.case_id,
                           .amends = p->stored.amends,
                           .form_id = p->stored.form_id,
                           .form_version = p->stored.version,
                           .status = p->stored.status,
                           .submitted_at = p->stored.at,
                           .actor = p->stored.actor ? p->stored.actor : "",
                           .reason = p->stored.reason,
                           .language = p->stored.lang,
                           .data = stored_object(p, "values", p->stored.data),
                           .computed = stored_object(p, "computed", p->stored.computed),
                           .scores = scores,
                           .flags = flags};
    return submission_json(&f);
}

int fr_form_history(fr_site *site, int64_t case_id, const char *form_id, int drafts_only,
                    json_t **out, fr_error *err)
{
    *out = NULL;
    int rc = fr_access_case(site, case_id, FR_READ, err);
    if (rc)
        return rc;
    char oid[32], sql[768];
    snprintf(oid, sizeof oid, "%" PRId64, case_id);
    if ((rc = fr_audit_alone(site->store, site->actor, "read", "case", oid,
                             "{\"what\":\"form history\"}", err)))
        return rc;
    snprintf(sql, sizeof sql,
             "%s WHERE case_id = ? AND (? IS NULL OR form_id = ?) AND (? = 0 OR status = 'draft')"
             " ORDER BY submitted_at DESC, id DESC",
             submission_columns);
    json_t *rows = NULL;
    if ((rc = fr_store_query_json(site->store, err, &rows, sql, "Itti", case_id, form_id, form_id,
                                  drafts_only)))
        return rc;
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row) json_array_set_new(rows, i, decoded(site, row, err));
    *out = rows;
    return 0;
}

int fr_form_drafts(fr_site *site, json_t **out, fr_error *err)
{
    *out = NULL;
    char today[FR_TIME_LEN], now[FR_TIME_LEN], filter[1024], sql[2048];
    fr_clock_today(today);
    fr_clock_now(now);
    fr_access_case_sql(site, "s.case_id", filter, sizeof filter);
    snprintf(sql, sizeof sql,
             "SELECT s.id, s.case_id, s.form_id, s.form_version, s.submitted_at AS saved_at,"
             " s.actor FROM submissions s WHERE s.status = 'draft' AND (%s)"
             " ORDER BY s.submitted_at DESC, s.id DESC",
             filter);
    return fr_store_query_json(site->store, err, out, sql, "Itt", site->actor_id, today, now);
}

int fr_form_latest_scores(fr_site *site, const char *form_id, const char *score, json_t **out,
                          fr_error *err)
{
    *out = NULL;
    char today[FR_TIME_LEN], now[FR_TIME_LEN], filter[1024], sql[3072], oid[300];
    fr_clock_today(today);
    fr_clock_now(now);
    snprintf(oid, sizeof oid, "%s.%s", form_id, score);
    int rc = fr_audit_alone(site->store, site->actor, "read", "scores", oid, NULL, err);
    if (rc)
        return rc;
    fr_access_case_sql(site, "s.case_id", filter, sizeof filter);
    snprintf(sql, sizeof sql,
             "SELECT s.case_id, sc.value, sc.band, sc.band_scheme, s.id AS submission,"
             " s.submitted_at FROM submission_scores sc JOIN submissions s"
             " ON s.id = sc.submission_id WHERE sc.form_id = ?4 AND sc.score = ?5"
             " AND s.status = 'final' AND s.superseded_by IS NULL AND NOT EXISTS ("
             " SELECT 1 FROM submissions x WHERE x.case_id = s.case_id AND x.form_id = s.form_id"
             " AND x.status = 'final' AND x.superseded_by IS NULL AND (x.submitted_at >"
             " s.submitted_at OR (x.submitted_at = s.submitted_at AND x.id > s.id)))"
             " AND (%s) ORDER BY s.case_id",
             filter);
    return fr_store_query_json(site->store, err, out, sql, "Itttt", site->actor_id, today, now,
                               form_id, score);
}

/* Form definitions: reading a form XML file (schemas/form.xsd), then
 * checking its meaning — unique ids, references that resolve, expressions
 * that compile, no cycle among calculations, bands that do not overlap —
 * with every problem named by file, line and element. Evaluation is in
 * formeval.c, submissions in formsubmit.c. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formdef.h"
#include "xmldoc.h"

/* ---- problems, collected all at once ---------------------------------- */

/* buf holds what fits in an fr_error; all holds every problem (for
 * `form check`, which prints them all). */
typedef struct problems {
    int strict; /* a file being loaded: the checks added over time apply */
    char buf[FR_ERROR_MAX];
    size_t len;
    int count;
    const char *name;
    char *all;
    size_t all_len;
} problems;

static void problem(problems *p, int line, const char *element, const char *id, const char *fmt,
                    ...) FR_PRINTF(5, 6);

static void problem(problems *p, int line, const char *element, const char *id, const char *fmt,
                    ...)
{
    p->count++;
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    char line_text[1024];
    int ln = id ? snprintf(line_text, sizeof line_text, "%s:%d: <%s id='%s'>: %s\n", p->name, line,
                           element, id, msg)
                : snprintf(line_text, sizeof line_text, "%s:%d: <%s>: %s\n", p->name, line, element,
                           msg);
    if (ln > 0) {
        size_t add = strlen(line_text);
        char *grown = realloc(p->all, p->all_len + add + 1);
        if (grown) {
            memcpy(grown + p->all_len, line_text, add + 1);
            p->all = grown;
            p->all_len += add;
        }
    }
    if (p->len + 8 >= sizeof p->buf)
        return;
    int n;
    if (id)
        n = snprintf(p->buf + p->len, sizeof p->buf - p->len, "%s%s:%d: <%s id='%s'>: %s",
                     p->len ? "\n" : "", p->name, line, element, id, msg);
    else
        n = snprintf(p->buf + p->len, sizeof p->buf - p->len, "%s%s:%d: <%s>: %s",
                     p->len ? "\n" : "", p->name, line, element, msg);
    if (n > 0)
        p->len += (size_t)n;
    if (p->len >= sizeof p->buf)
        p->len = sizeof p->buf - 1;
}

/* ---- small helpers ---------------------------------------------------- */

static const char *type_names[] = {
    [FT_TEXT] = "text",       [FT_LONGTEXT] = "long-text", [FT_INTEGER] = "integer",
    [FT_DECIMAL] = "decimal", [FT_DATE] = "date",          [FT_DATETIME] = "date-time",
    [FT_BOOLEAN] = "boolean", [FT_CHOICE] = "choice",      [FT_MULTI] = "multi-choice",
    [FT_SCALE] = "scale",     [FT_NOTE] = "note",          [FT_PARTIAL_DATE] = "partial-date",
};

const char *fm_type_name(fm_type t)
{
    return type_names[t];
}

static int type_from_name(const char *s, fm_type *out)
{
    for (size_t i = 0; i < sizeof type_names / sizeof *type_names; i++)
        if (strcmp(type_names[i], s) == 0) {
            *out = (fm_type)i;
            return 0;
        }
    return -1;
}

const char *fm_text_get(const fm_texts *t, const char *lang, const char *fallback)
{
    for (int pass = 0; pass < 2; pass++) {
        const char *want = pass == 0 ? lang : fallback;
        if (!want)
            continue;
        for (int i = 0; i < t->n; i++)
            if (t->v[i].lang && strcmp(t->v[i].lang, want) == 0)
                return t->v[i].text;
    }
    return t->n > 0 ? t->v[0].text : NULL;
}

int fm_field_index(const fr_form *f, const char *id)
{
    for (int i = 0; i < f->nfields; i++)
        if (strcmp(f->fields[i].id, id) == 0)
            return i;
    return -1;
}

const fm_field *fm_field_find(const fr_form *f, const char *id)
{
    int i = fm_field_index(f, id);
    return i < 0 ? NULL : &f->fields[i];
}

static int is_el(xmlNodePtr n, const char *name)
{
    return n && n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

static int attr_bool(xmlNodePtr n, const char *name)
{
    char *v = fr_xml_attr(n, name);
    int r = v && (strcmp(v, "true") == 0 || strcmp(v, "1") == 0);
    free(v);
    return r;
}

static int attr_num(xmlNodePtr n, const char *name, double *out)
{
    char *v = fr_xml_attr(n, name);
    if (!v)
        return 0;
    char *end;
    errno = 0;
    *out = strtod(v, &end);
    int ok = end != v && *end == '\0' && errno == 0;
    free(v);
    return ok ? 1 : -1;
}

/* A whole-number attribute (versions, row counts, min-answered): 1 and
 * *out set, 0 when absent, -1 when it is not a whole number from 0 to
 * INT_MAX (the schema's positiveInteger has no upper bound, and a cast
 * from a larger double is undefined). */
static int attr_int(xmlNodePtr n, const char *name, int *out)
{
    char *v = fr_xml_attr(n, name);
    if (!v)
        return 0;
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    while (isspace((unsigned char)*end))
        end++;
    int ok = end != v && *end == '\0' && errno == 0 && x >= 0 && x <= INT_MAX;
    free(v);
    if (ok)
        *out = (int)x;
    return ok ? 1 : -1;
}

static void texts_add(fm_texts *t, xmlNodePtr n)
{
    fm_text *nv = realloc(t->v, (size_t)(t->n + 1) * sizeof *nv);
    if (!nv)
        return;
    t->v = nv;
    t->v[t->n].lang = fr_xml_attr(n, "lang");
    t->v[t->n].text = fr_xml_text(n);
    t->n++;
}

/* The children named `name` of n, as texts by language. */
static void texts_read(fm_texts *t, xmlNodePtr n, const char *name)
{
    for (xmlNodePtr c = fr_xml_child(n, name); c; c = fr_xml_next(c->next, name))
        texts_add(t, c);
}

static void texts_free(fm_texts *t)
{
    for (int i = 0; i < t->n; i++) {
        free(t->v[i].lang);
        free(t->v[i].text);
    }
    free(t->v);
}

int fm_refuse_doctype(const char *name, const char *text, size_t len, fr_error *err)
{
    /* A DOCTYPE is the door to entity expansion (billion laughs) and to
     * external entities (file or network reads): forms and submissions
     * never need one, so it is refused before any parser sees it. */
    /* Only UTF-8: a UTF-16 or UTF-7 text would hide a DOCTYPE from the
     * search below (the parser would decode it). */
    int rc = fr_xml_utf8_only(name, text, len, err);
    if (rc)
        return rc;
    static const char needle[] = "<!DOCTYPE";
    size_t nl = sizeof needle - 1;
    for (size_t i = 0; i + nl <= len; i++)
        if (text[i] == '<' && strncasecmp(text + i, needle, nl) == 0)
            return fr_error_set(err, FR_EINVAL,
                                "%s: a DOCTYPE declaration is not accepted (no DTD, no entities); "
                                "remove it",
                                name);
    for (size_t i = 0; i + 8 <= len; i++)
        if (text[i] == '<' && strncmp(text + i, "<!ENTITY", 8) == 0)
            return fr_error_set(err, FR_EINVAL, "%s: entity declarations are not accepted", name);
    return 0;
}

typedef struct quiet {
    char *why;
    size_t size;
} quiet;

static void quiet_structured(void *data, xmlErrorPtr e)
{
    quiet *q = data;
    if (q->why[0] || !e || !e->message)
        return;
    snprintf(q->why, q->size, "%s", e->message);
    size_t n = strlen(q->why);
    while (n > 0 && (q->why[n - 1] == '\n' || q->why[n - 1] == ' '))
        q->why[--n] = '\0';
}

static void quiet_generic(void *data, const char *fmt, ...)
{
    (void)data;
    (void)fmt;
}

xmlXPathCompExprPtr fm_xpath_compile(const char *src, char *why, size_t size)
{
    quiet q = {why, size};
    why[0] = '\0';
    xmlSetStructuredErrorFunc(&q, quiet_structured);
    xmlSetGenericErrorFunc(&q, quiet_generic);
    xmlXPathCompExprPtr x = xmlXPathCompile((const xmlChar *)src);
    xmlSetGenericErrorFunc(NULL, NULL);
    xmlSetStructuredErrorFunc(NULL, NULL);
    if (!x && !why[0])
        snprintf(why, size, "not a valid XPath 1.0 expression");
    return x;
}

/* ---- references in expressions ---------------------------------------- */

/* The names an expression refers to as element names (path steps), found
 * with a small XPath 1.0 tokenizer: names in string literals, function
 * names (followed by '('), axis names ('::'), attributes ('@'), variables
 * ('$'), node tests (node(), text()) and the operators and/or/div/mod
 * are not references. Calls fn for each. */
typedef fm_name_fn ref_fn;

static int name_start(int c)
{
    return isalpha(c) || c == '_';
}

static int name_char(int c)
{
    return isalnum(c) || c == '_' || c == '-' || c == '.';
}

static void expr_refs(const char *s, ref_fn fn, void *data)
{
    char prev = 0; /* last significant character before a name */
    int prev_was_operand = 0;
    for (size_t i = 0; s[i];) {
        char c = s[i];
        if (c == '"' || c == '\'') {
            const char *end = strchr(s + i + 1, c);
            i = end ? (size_t)(end - s) + 1 : strlen(s);
            prev = 'x';
            prev_was_operand = 1;
            continue;
        }
        if (isspace((unsigned char)c)) {
            i++;
            continue;
        }
        if (isdigit((unsigned char)c) || (c == '.' && isdigit((unsigned char)s[i + 1]))) {
            while (isdigit((unsigned char)s[i]) || s[i] == '.')
                i++;
            prev = '0';
            prev_was_operand = 1;
            continue;
        }
        if (name_start((unsigned char)c)) {
            size_t j = i;
            while (s[j] && (name_char((unsigned char)s[j]) || (s[j] == ':' && s[j + 1] != ':')))
                j++;
            /* a trailing '-' or '.' belongs to an operator */
            while (j > i + 1 && (s[j - 1] == '-' || s[j - 1] == '.'))
                j--;
            char name[128];
            size_t len = j - i < sizeof name - 1 ? j - i : sizeof name - 1;
            memcpy(name, s + i, len);
            name[len] = '\0';
            size_t k = j;
            while (isspace((unsigned char)s[k]))
                k++;
            int is_func = s[k] == '(';
            int is_axis = s[k] == ':' && s[k + 1] == ':';
            int is_operator =
                prev_was_operand && (strcmp(name, "and") == 0 || strcmp(name, "or") == 0 ||
                                     strcmp(name, "div") == 0 || strcmp(name, "mod") == 0);
            if (is_func && !is_operator)
                fn(data, name, 1);
            else if (prev == '$')
                fn(data, name, 2);
            else if (!is_axis && !is_operator && prev != '@')
                fn(data, name, 0);
            prev = 'a';
            prev_was_operand = !is_func && !is_operator;
            i = j;
            continue;
        }
        prev = c;
        prev_was_operand = c == ')' || c == ']' || c == '*' || c == '.';
        i++;
    }
}

typedef struct ref_check {
    const fr_form *f;
    problems *p;
    int line;
    const char *element, *id, *attr;
    int *deps; /* optional: indexes of calculated fields referred to */
    int ndeps;
} ref_check;

static int container_index(const fr_form *f, const char *id)
{
    for (int i = 0; i < f->ncontainers; i++)
        if (f->containers[i].repeat && strcmp(f->containers[i].id, id) == 0)
            return i;
    return -1;
}

/* XPath 1.0's functions and the ones formeval.c registers. */
static const char *const known_functions[] = {
    "last",
    "position",
    "count",
    "id",
    "local-name",
    "namespace-uri",
    "name",
    "string",
    "concat",
    "starts-with",
    "contains",
    "substring-before",
    "substring-after",
    "substring",
    "string-length",
    "normalize-space",
    "translate",
    "boolean",
    "not",
    "true",
    "false",
    "lang",
    "number",
    "sum",
    "floor",
    "ceiling",
    "round",
    "node",
    "text",
    "comment",
    "processing-instruction",
    "today",
    "age",
    "days-between",
    "selected",
    "count-selected",
    "setting",
};

void fm_expr_names(const char *src, fm_name_fn fn, void *data)
{
    expr_refs(src, fn, data);
}

int fm_known_function(const char *name, int in_guard)
{
    for (size_t i = 0; i < sizeof known_functions / sizeof *known_functions; i++)
        if (strcmp(known_functions[i], name) == 0)
            return 1;
    /* Guards also read the case's forms (formeval.c). */
    return in_guard && (strcmp(name, "score") == 0 || strcmp(name, "value") == 0);
}

static void check_ref(void *data, const char *name, int is_function)
{
    ref_check *r = data;
    if (is_function == 2) {
        if (!r->p->strict)
            return;
        problem(r->p, r->line, r->element, r->id,
                "%s uses the variable $%s, but expressions have no variables (it could never be "
                "evaluated): name fields by their id, e.g. %s instead of $%s",
                r->attr, name, name, name);
        return;
    }
    if (is_function) {
        if (fm_known_function(name, 0))
            return;
        problem(r->p, r->line, r->element, r->id,
                "%s calls %s(), which is not an XPath 1.0 function nor one of today(), age(), "
                "days-between(), selected(), count-selected(), setting()",
                r->attr, name);
        return;
    }
    if (strcmp(name, "data") == 0)
        return;
    int fi = fm_field_index(r->f, name);
    if (fi >= 0) {
        if (r->deps && r->f->fields[fi].calculate && r->ndeps < 64)
            r->deps[r->ndeps++] = fi;
        return;
    }
    if (container_index(r->f, name) >= 0)
        return;
    problem(r->p, r->line, r->element, r->id,
            "%s refers to '%s', which is not a field of this form (field ids are used as names "
            "in expressions; check the spelling)",
            r->attr, name);
}

/* Compiles and checks one expression attribute. */
static xmlXPathCompExprPtr compile_expr(fr_form *f, problems *p, const char *src, int line,
                                        const char *element, const char *id, const char *attr,
                                        int *deps, int *ndeps)
{
    char why[256];
    xmlXPathCompExprPtr x = fm_xpath_compile(src, why, sizeof why);
    if (!x) {
        problem(p, line, element, id, "%s \"%s\" is not a valid XPath 1.0 expression: %s", attr,
                src, why);
        return NULL;
    }
    ref_check r = {
        .f = f, .p = p, .line = line, .element = element, .id = id, .attr = attr, .deps = deps};
    expr_refs(src, check_ref, &r);
    if (ndeps)
        *ndeps = r.ndeps;
    return x;
}

/* ---- reading the tree ------------------------------------------------- */

typedef struct reader {
    fr_form *f;
    problems *p;
} reader;

static fm_choices *add_choices(fr_form *f, xmlNodePtr n, const char *id)
{
    fm_choices *nc = realloc(f->choices, (size_t)(f->nchoices + 1) * sizeof *nc);
    if (!nc)
        return NULL;
    f->choices = nc;
    fm_choices *c = &f->choices[f->nchoices++];
    memset(c, 0, sizeof *c);
    c->id = id ? strdup(id) : NULL;
    c->line = n->line;
    for (xmlNodePtr o = fr_xml_child(n, "option"); o; o = fr_xml_next(o->next, "option")) {
        fm_option *no = realloc(c->opts, (size_t)(c->nopts + 1) * sizeof *no);
        if (!no)
            break;
        c->opts = no;
        fm_option *op = &c->opts[c->nopts++];
        memset(op, 0, sizeof *op);
        op->code = fr_xml_attr(o, "code");
        op->has_points = attr_num(o, "points", &op->points) == 1;
        texts_read(&op->label, o, "label");
    }
    return c;
}

static void check_options(reader *r, const fm_choices *c, const char *element, const char *id)
{
    for (int i = 0; i < c->nopts; i++)
        for (int j = 0; j < i; j++)
            if (strcmp(c->opts[i].code, c->opts[j].code) == 0)
                problem(r->p, c->line, element, id, "the option code '%s' appears twice",
                        c->opts[i].code);
}

static void read_items(reader *r, xmlNodePtr parent, int container, int repeat);

static void read_field(reader *r, xmlNodePtr n, int container, int repeat)
{
    fr_form *f = r->f;
    fm_field *nf = realloc(f->fields, (size_t)(f->nfields + 1) * sizeof *nf);
    if (!nf)
        return;
    f->fields = nf;
    fm_field *fd = &f->fields[f->nfields++];
    memset(fd, 0, sizeof *fd);
    fd->id = fr_xml_attr(n, "id");
    fd->line = n->line;
    fd->node = n;
    fd->container = container;
    fd->repeat = repeat;
    char *type = fr_xml_attr(n, "type");
    if (!type || type_from_name(type, &fd->type) != 0)
        problem(r->p, n->line, "field", fd->id, "unknown type '%s'", type ? type : "");
    free(type);
    fd->required = attr_bool(n, "required");
    fd->relevant = fr_xml_attr(n, "relevant");
    fd->constraint = fr_xml_attr(n, "constraint");
    fd->calculate = fr_xml_attr(n, "calculate");
    fd->dflt = fr_xml_attr(n, "default");
    int rc = attr_num(n, "min", &fd->min);
    fd->has_min = rc == 1;
    if (rc < 0)
        problem(r->p, n->line, "field", fd->id, "min is not a number");
    rc = attr_num(n, "max", &fd->max);
    fd->has_max = rc == 1;
    if (rc < 0)
        problem(r->p, n->line, "field", fd->id, "max is not a number");
    if (fd->type == FT_SCALE) {
        if (!fd->has_min)
            fd->min = 0, fd->has_min = 1;
        if (!fd->has_max)
            fd->max = 10, fd->has_max = 1;
    }
    texts_read(&fd->label, n, "label");
    texts_read(&fd->hint, n, "hint");
    texts_read(&fd->message, n, "message");
    if (fd->label.n == 0)
        problem(r->p, n->line, "field", fd->id, "a field needs at least one <label>");
}

static void read_container(reader *r, xmlNodePtr n, const char *element, int parent, int repeat)
{
    fr_form *f = r->f;
    fm_container *nc = realloc(f->containers, (size_t)(f->ncontainers + 1) * sizeof *nc);
    if (!nc)
        return;
    f->containers = nc;
    int idx = f->ncontainers++;
    fm_container *c = &f->containers[idx];
    memset(c, 0, sizeof *c);
    c->id = fr_xml_attr(n, "id");
    c->line = n->line;
    c->parent = parent;
    c->repeat = attr_bool(n, "repeat");
    c->relevant = fr_xml_attr(n, "relevant");
    if (attr_int(n, "min-rows", &c->min_rows) < 0)
        problem(r->p, n->line, element, c->id, "min-rows is not a whole number up to %d", INT_MAX);
    if (attr_int(n, "max-rows", &c->max_rows) < 0)
        problem(r->p, n->line, element, c->id, "max-rows is not a whole number up to %d", INT_MAX);
    if (r->p->strict && c->max_rows > 0 && c->min_rows > c->max_rows)
        problem(r->p, n->line, element, c->id,
                "min-rows (%d) is more than max-rows (%d): no final submission could satisfy "
                "both; lower min-rows or raise max-rows",
                c->min_rows, c->max_rows);
    texts_read(&c->label, n, "label");
    if (c->repeat && strcmp(element, "section") == 0)
        problem(r->p, n->line, element, c->id,
                "a section cannot repeat: put a <group "
                "repeat=\"true\"> inside it");
    read_items(r, n, idx, c->repeat ? idx : repeat);
}

static void read_items(reader *r, xmlNodePtr parent, int container, int repeat)
{
    for (xmlNodePtr n = fr_xml_next(parent->children, NULL); n; n = fr_xml_next(n->next, NULL)) {
        if (is_el(n, "field"))
            read_field(r, n, container, repeat);
        else if (is_el(n, "group"))
            read_container(r, n, "group", container, repeat);
        else if (is_el(n, "section"))
            read_container(r, n, "section", container, repeat);
    }
}

static void read_score(reader *r, xmlNodePtr n)
{
    fr_form *f = r->f;
    fm_score *ns = realloc(f->scores, (size_t)(f->nscores + 1) * sizeof *ns);
    if (!ns)
        return;
    f->scores = ns;
    fm_score *s = &f->scores[f->nscores++];
    memset(s, 0, sizeof *s);
    s->id = fr_xml_attr(n, "id");
    s->line = n->line;
    s->expr = fr_xml_attr(n, "expr");
    if (attr_int(n, "min-answered", &s->min_answered) < 0)
        problem(r->p, n->line, "score", s->id, "min-answered is not a whole number up to %d",
                INT_MAX);
    char *items = fr_xml_attr(n, "items");
    if (items) {
        for (char *save = NULL, *t = strtok_r(items, " \t\n", &save); t;
             t = strtok_r(NULL, " \t\n", &save)) {
            char **ni = realloc(s->items, (size_t)(s->nitems + 2) * sizeof *ni);
            if (!ni)
                break;
            s->items = ni;
            s->items[s->nitems++] = strdup(t);
            s->items[s->nitems] = NULL;
        }
        free(items);
    }
    texts_read(&s->label, n, "label");
    xmlNodePtr b = fr_xml_child(n, "bands");
    if (b) {
        s->scheme = fr_xml_attr(b, "scheme");
        s->bands_version = 1;
        if (attr_int(b, "version", &s->bands_version) < 0)
            problem(r->p, b->line, "score", s->id,
                    "the version of its <bands> is not a whole number up to %d", INT_MAX);
        for (xmlNodePtr e = fr_xml_child(b, "band"); e; e = fr_xml_next(e->next, "band")) {
            fm_band *nb = realloc(s->bands, (size_t)(s->nbands + 1) * sizeof *nb);
            if (!nb)
                break;
            s->bands = nb;
            fm_band *bd = &s->bands[s->nbands++];
            memset(bd, 0, sizeof *bd);
            bd->code = fr_xml_attr(e, "code");
            bd->has_min = attr_num(e, "min", &bd->min) == 1;
            bd->has_max = attr_num(e, "max", &bd->max) == 1;
            texts_read(&bd->label, e, "label");
        }
    }
}

static void read_flag(reader *r, xmlNodePtr n)
{
    fr_form *f = r->f;
    fm_flag *nf = realloc(f->flags, (size_t)(f->nflags + 1) * sizeof *nf);
    if (!nf)
        return;
    f->flags = nf;
    fm_flag *fl = &f->flags[f->nflags++];
    memset(fl, 0, sizeof *fl);
    fl->id = fr_xml_attr(n, "id");
    fl->line = n->line;
    fl->severity = fr_xml_attr(n, "severity");
    if (!fl->severity)
        fl->severity = strdup("warning");
    fl->when = fr_xml_attr(n, "when");
    texts_read(&fl->message, n, "message");
}

/* An external result (licensed instrument): the fields are fixed and made
 * here, so that every external form stores the same things. */
static void make_external(reader *r, xmlNodePtr ext)
{
    fr_form *f = r->f;
    static const struct {
        const char *id;
        fm_type type;
        const char *en, *fr, *nl, *de;
    } fixed[] = {
        {"total", FT_DECIMAL, "Total score", "Score total", "Totaalscore", "Gesamtpunktzahl"},
        {"date", FT_DATE, "Date of the assessment", "Date de l'évaluation",
         "Datum van de evaluatie", "Datum der Erhebung"},
        {"assessor", FT_TEXT, "Assessor", "Évaluateur", "Beoordelaar", "Untersucher"},
        {"instrument-version", FT_TEXT, "Version of the instrument", "Version de l'instrument",
         "Versie van het instrument", "Version des Instruments"},
        {"licence", FT_TEXT, "Licence reference", "Référence de la licence",
         "Referentie van de licentie", "Lizenzreferenz"},
    };
    enum { N = sizeof fixed / sizeof *fixed };
    f->fields = calloc(N, sizeof *f->fields);
    if (!f->fields)
        return;
    for (int i = 0; i < N; i++) {
        fm_field *fd = &f->fields[f->nfields++];
        fd->id = strdup(fixed[i].id);
        fd->line = ext->line;
        fd->type = fixed[i].type;
        fd->container = fd->repeat = -1;
        fd->required = 1;
        fd->node = ext;
        const char *langs[] = {"en", "fr", "nl", "de"};
        const char *texts[] = {fixed[i].en, fixed[i].fr, fixed[i].nl, fixed[i].de};
        fd->label.v = calloc(4, sizeof *fd->label.v);
        if (fd->label.v) {
            for (int l = 0; l < 4; l++) {
                fd->label.v[l].lang = strdup(langs[l]);
                fd->label.v[l].text = strdup(texts[l]);
            }
            fd->label.n = 4;
        }
    }
    /* The assessment happened: its date is not in the future. */
    fm_field *date = &f->fields[1];
    date->constraint = strdup("days-between(date, today()) >= 0");
    static const char *future[][2] = {
        {"en", "the date of the assessment cannot be in the future"},
        {"fr", "la date de l'évaluation ne peut pas être dans le futur"},
        {"nl", "de datum van de evaluatie kan niet in de toekomst liggen"},
        {"de", "das Datum der Erhebung kann nicht in der Zukunft liegen"},
    };
    date->message.v = calloc(4, sizeof *date->message.v);
    if (date->message.v) {
        for (int l = 0; l < 4; l++) {
            date->message.v[l].lang = strdup(future[l][0]);
            date->message.v[l].text = strdup(future[l][1]);
        }
        date->message.n = 4;
    }
    fm_field *total = &f->fields[0];
    int rc = attr_num(ext, "min", &total->min);
    total->has_min = rc == 1;
    rc = attr_num(ext, "max", &total->max);
    total->has_max = rc == 1;
    texts_read(&f->fields[0].hint, ext, "instrument");
}

/* ---- checks of meaning ------------------------------------------------ */

static void check_unique(reader *r)
{
    fr_form *f = r->f;
    for (int i = 0; i < f->nfields; i++) {
        if (strcmp(f->fields[i].id, "data") == 0)
            problem(r->p, f->fields[i].line, "field", "data",
                    "'data' is the name of the instance's root: choose another id");
        for (int j = 0; j < i; j++)
            if (strcmp(f->fields[i].id, f->fields[j].id) == 0)
                problem(r->p, f->fields[i].line, "field", f->fields[i].id,
                        "the id is already used by the field at line %d; ids are unique in a "
                        "form, repeat groups included",
                        f->fields[j].line);
        for (int j = 0; j < f->ncontainers; j++)
            if (strcmp(f->fields[i].id, f->containers[j].id) == 0)
                problem(r->p, f->fields[i].line, "field", f->fields[i].id,
                        "the id is also the id of the %s at line %d",
                        f->containers[j].repeat ? "repeat group" : "group or section",
                        f->containers[j].line);
    }
    for (int i = 0; i < f->ncontainers; i++)
        for (int j = 0; j < i; j++)
            if (strcmp(f->containers[i].id, f->containers[j].id) == 0)
                problem(r->p, f->containers[i].line, "group", f->containers[i].id,
                        "the id is already used at line %d", f->containers[j].line);
    for (int i = 0; i < f->nscores; i++)
        for (int j = 0; j < i; j++)
            if (strcmp(f->scores[i].id, f->scores[j].id) == 0)
                problem(r->p, f->scores[i].line, "score", f->scores[i].id,
                        "the id is already used by the score at line %d", f->scores[j].line);
    for (int i = 0; i < f->nflags; i++)
        for (int j = 0; j < i; j++)
            if (strcmp(f->flags[i].id, f->flags[j].id) == 0)
                problem(r->p, f->flags[i].line, "flag", f->flags[i].id,
                        "the id is already used by the flag at line %d", f->flags[j].line);
}

static void resolve_choices(reader *r)
{
    fr_form *f = r->f;
    for (int i = 0; i < f->nfields; i++) {
        fm_field *fd = &f->fields[i];
        int wants = fd->type == FT_CHOICE || fd->type == FT_MULTI;
        char *ref = fd->node && is_el(fd->node, "field") ? fr_xml_attr(fd->node, "choices") : NULL;
        xmlNodePtr inline_opt = is_el(fd->node, "field") ? fr_xml_child(fd->node, "option") : NULL;
        if (ref) {
            for (int c = 0; c < f->nchoices; c++)
                if (f->choices[c].id && strcmp(f->choices[c].id, ref) == 0)
                    fd->choices = &f->choices[c];
            if (!fd->choices)
                problem(r->p, fd->line, "field", fd->id,
                        "choices=\"%s\" names no <choices> list of this form", ref);
        } else if (inline_opt) {
            fd->choices = add_choices(f, fd->node, NULL);
            if (fd->choices)
                check_options(r, fd->choices, "field", fd->id);
        }
        if (wants && !ref && !inline_opt)
            problem(r->p, fd->line, "field", fd->id,
                    "a %s field needs options: choices=\"LIST\" or <option> children",
                    fm_type_name(fd->type));
        if (!wants && (ref || inline_opt))
            problem(r->p, fd->line, "field", fd->id, "options are only for choice fields");
        free(ref);
    }
}

/* Choices pointers taken before add_choices reallocated the array would
 * dangle; they are resolved again once every list exists. */
static void fix_choice_pointers(fr_form *f)
{
    int inline_i = 0;
    int first_inline = 0;
    while (first_inline < f->nchoices && f->choices[first_inline].id)
        first_inline++;
    inline_i = first_inline;
    for (int i = 0; i < f->nfields; i++) {
        fm_field *fd = &f->fields[i];
        if (!fd->choices)
            continue;
        if (is_el(fd->node, "field") && fr_xml_child(fd->node, "option") &&
            !xmlHasProp(fd->node, (const xmlChar *)"choices")) {
            fd->choices = &f->choices[inline_i++];
        } else {
            char *ref = fr_xml_attr(fd->node, "choices");
            for (int c = 0; ref && c < first_inline; c++)
                if (strcmp(f->choices[c].id, ref) == 0)
                    fd->choices = &f->choices[c];
            free(ref);
        }
    }
}

static void compile_field_exprs(reader *r, int **deps, int *ndeps)
{
    fr_form *f = r->f;
    for (int i = 0; i < f->nfields; i++) {
        fm_field *fd = &f->fields[i];
        if (fd->relevant)
            fd->relevant_x = compile_expr(f, r->p, fd->relevant, fd->line, "field", fd->id,
                                          "relevant", NULL, NULL);
        if (fd->constraint)
            fd->constraint_x = compile_expr(f, r->p, fd->constraint, fd->line, "field", fd->id,
                                            "constraint", NULL, NULL);
        if (fd->calculate) {
            deps[i] = calloc(64, sizeof **deps);
            fd->calculate_x = compile_expr(f, r->p, fd->calculate, fd->line, "field", fd->id,
                                           "calculate", deps[i], &ndeps[i]);
        }
        if (fd->type == FT_NOTE && fd->required)
            problem(r->p, fd->line, "field", fd->id,
                    "a note is display-only: it cannot be "
                    "required");
        if (fd->has_min && fd->has_max && fd->min > fd->max)
            problem(r->p, fd->line, "field", fd->id, "min (%g) is greater than max (%g)", fd->min,
                    fd->max);
    }
    for (int i = 0; i < f->ncontainers; i++) {
        fm_container *c = &f->containers[i];
        if (c->relevant)
            c->relevant_x =
                compile_expr(f, r->p, c->relevant, c->line, c->repeat ? "group" : "section", c->id,
                             "relevant", NULL, NULL);
    }
}

/* Orders calculated fields so that each comes after the calculated fields
 * it uses; a cycle is a problem naming the fields in it. */
static void order_calculations(reader *r, int **deps, const int *ndeps)
{
    fr_form *f = r->f;
    int *state = calloc((size_t)f->nfields + 1, sizeof *state); /* 0 new, 1 on stack, 2 done */
    f->calc_order = calloc((size_t)f->nfields + 1, sizeof *f->calc_order);
    int *stack = calloc((size_t)f->nfields + 1, sizeof *stack);
    int *next = calloc((size_t)f->nfields + 1, sizeof *next);
    if (!state || !f->calc_order || !stack || !next)
        goto out;
    for (int start = 0; start < f->nfields; start++) {
        if (!f->fields[start].calculate || state[start])
            continue;
        int sp = 0;
        stack[sp++] = start;
        state[start] = 1;
        next[start] = 0;
        while (sp > 0) {
            int v = stack[sp - 1];
            if (deps[v] && next[v] < ndeps[v]) {
                int w = deps[v][next[v]++];
                if (state[w] == 1) {
                    char chain[512];
                    size_t len = 0;
                    int from = 0;
                    while (from < sp && stack[from] != w)
                        from++;
                    for (int k = from; k < sp && len < sizeof chain; k++)
                        len += (size_t)snprintf(chain + len, sizeof chain - len, "%s → ",
                                                f->fields[stack[k]].id);
                    if (len < sizeof chain)
                        snprintf(chain + len, sizeof chain - len, "%s", f->fields[w].id);
                    problem(r->p, f->fields[w].line, "field", f->fields[w].id,
                            "calculations form a cycle: %s; break it", chain);
                    goto out;
                }
                if (state[w] == 0) {
                    state[w] = 1;
                    next[w] = 0;
                    stack[sp++] = w;
                }
            } else {
                state[v] = 2;
                f->calc_order[f->ncalc++] = v;
                sp--;
            }
        }
    }
out:
    free(state);
    free(stack);
    free(next);
}

static void check_scores(reader *r)
{
    fr_form *f = r->f;
    for (int i = 0; i < f->nscores; i++) {
        fm_score *s = &f->scores[i];
        if (!s->expr && s->nitems == 0)
            problem(r->p, s->line, "score", s->id,
                    "a score needs items=\"FIELD …\" (summed) or expr=\"XPATH\"");
        for (int k = 0; k < s->nitems; k++) {
            const fm_field *fd = fm_field_find(f, s->items[k]);
            if (!fd)
                problem(r->p, s->line, "score", s->id,
                        "items names '%s', which is not a field of this form", s->items[k]);
            else if (fd->type == FT_TEXT || fd->type == FT_LONGTEXT || fd->type == FT_NOTE ||
                     fd->type == FT_DATE || fd->type == FT_DATETIME || fd->type == FT_PARTIAL_DATE)
                problem(r->p, s->line, "score", s->id,
                        "item '%s' is a %s field: only numbers and options with points add up",
                        s->items[k], fm_type_name(fd->type));
        }
        if (s->min_answered > s->nitems && s->nitems > 0)
            problem(r->p, s->line, "score", s->id, "min-answered (%d) is more than the %d items",
                    s->min_answered, s->nitems);
        if (s->expr)
            s->expr_x = compile_expr(f, r->p, s->expr, s->line, "score", s->id, "expr", NULL, NULL);
        for (int b = 0; b < s->nbands; b++) {
            fm_band *x = &s->bands[b];
            if (x->has_min && x->has_max && x->min > x->max)
                problem(r->p, s->line, "band", x->code, "min is greater than max");
            for (int c = 0; c < b; c++) {
                fm_band *y = &s->bands[c];
                double xl = x->has_min ? x->min : -INFINITY, xh = x->has_max ? x->max : INFINITY;
                double yl = y->has_min ? y->min : -INFINITY, yh = y->has_max ? y->max : INFINITY;
                if (xl <= yh && yl <= xh)
                    problem(r->p, s->line, "band", x->code,
                            "overlaps band '%s' of score '%s': a value must fall in one band",
                            y->code, s->id);
                if (strcmp(x->code, y->code) == 0)
                    problem(r->p, s->line, "band", x->code, "the code appears twice");
            }
        }
    }
    for (int i = 0; i < f->nflags; i++) {
        fm_flag *fl = &f->flags[i];
        if (fl->when)
            fl->when_x =
                compile_expr(f, r->p, fl->when, fl->line, "flag", fl->id, "when", NULL, NULL);
    }
}

/* ---- entry points ----------------------------------------------------- */

void fr_form_free(fr_form *f)
{
    if (!f)
        return;
    free(f->id);
    free(f->kind);
    free(f->name);
    free(f->text);
    if (f->doc)
        xmlFreeDoc(f->doc);
    texts_free(&f->title);
    for (int i = 0; i < f->nchoices; i++) {
        fm_choices *c = &f->choices[i];
        free(c->id);
        for (int j = 0; j < c->nopts; j++) {
            free(c->opts[j].code);
            texts_free(&c->opts[j].label);
        }
        free(c->opts);
    }
    free(f->choices);
    for (int i = 0; i < f->ncontainers; i++) {
        fm_container *c = &f->containers[i];
        free(c->id);
        free(c->relevant);
        xmlXPathFreeCompExpr(c->relevant_x);
        texts_free(&c->label);
    }
    free(f->containers);
    for (int i = 0; i < f->nfields; i++) {
        fm_field *fd = &f->fields[i];
        free(fd->id);
        free(fd->relevant);
        free(fd->constraint);
        free(fd->calculate);
        free(fd->dflt);
        xmlXPathFreeCompExpr(fd->relevant_x);
        xmlXPathFreeCompExpr(fd->constraint_x);
        xmlXPathFreeCompExpr(fd->calculate_x);
        texts_free(&fd->label);
        texts_free(&fd->hint);
        texts_free(&fd->message);
    }
    free(f->fields);
    free(f->calc_order);
    for (int i = 0; i < f->nscores; i++) {
        fm_score *s = &f->scores[i];
        free(s->id);
        for (int k = 0; k < s->nitems; k++)
            free(s->items[k]);
        free(s->items);
        free(s->expr);
        xmlXPathFreeCompExpr(s->expr_x);
        free(s->scheme);
        for (int b = 0; b < s->nbands; b++) {
            free(s->bands[b].code);
            texts_free(&s->bands[b].label);
        }
        free(s->bands);
        texts_free(&s->label);
    }
    free(f->scores);
    for (int i = 0; i < f->nflags; i++) {
        fm_flag *fl = &f->flags[i];
        free(fl->id);
        free(fl->severity);
        free(fl->when);
        xmlXPathFreeCompExpr(fl->when_x);
        texts_free(&fl->message);
    }
    free(f->flags);
    free(f);
}

/* strict: a file being loaded or checked. A text read back from the
 * database was accepted when first loaded, and submissions were made under
 * it: checks added since (variables in expressions, min-rows above
 * max-rows, defaults) do not make them unreadable. */
static int parse(const char *name, const char *text, size_t len, fr_form **out, fr_error *err,
                 char **report, int strict)
{
    *out = NULL;
    int rc = fm_refuse_doctype(name, text, len, err);
    if (rc)
        return rc;
    xmlDocPtr doc = NULL;
    char *xml_report = NULL;
    if ((rc = fr_xml_load_memory_report(name, text, len, "schemas/form.xsd", &doc, err,
                                        report ? &xml_report : NULL))) {
        if (report && xml_report) {
            int n = 1;
            for (const char *c = xml_report; *c; c++)
                n += *c == '\n';
            if (asprintf(report, "%s\n%d problem%s in %s", xml_report, n, n == 1 ? "" : "s", name) <
                0)
                *report = NULL;
        }
        free(xml_report);
        return rc;
    }
    fr_form *f = calloc(1, sizeof *f);
    if (!f) {
        xmlFreeDoc(doc);
        return fr_error_set(err, FR_ENOMEM, "out of memory");
    }
    f->doc = doc;
    f->name = strdup(name);
    f->text = malloc(len + 1);
    if (f->text) {
        memcpy(f->text, text, len);
        f->text[len] = '\0';
        f->text_len = len;
    }
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)text, len);
    sodium_bin2hex(f->sha256, sizeof f->sha256, h, sizeof h);

    problems p = {.name = name, .strict = strict};
    xmlNodePtr root = xmlDocGetRootElement(doc);
    f->id = fr_xml_attr(root, "id");
    if (attr_int(root, "version", &f->version) < 0)
        problem(&p, root->line, "form", f->id,
                "version is not a version number from 1 to %d: number versions 1, 2, 3…", INT_MAX);
    f->kind = fr_xml_attr(root, "kind");
    if (!f->kind)
        f->kind = strdup("items");
    char *intake = fr_xml_attr(root, "intake");
    f->intake = intake && (strcmp(intake, "true") == 0 || strcmp(intake, "1") == 0);
    free(intake);
    texts_read(&f->title, root, "title");

    reader r = {.f = f, .p = &p};
    int external = strcmp(f->kind, "external") == 0;
    for (xmlNodePtr n = fr_xml_child(root, "choices"); n; n = fr_xml_next(n->next, "choices")) {
        char *cid = fr_xml_attr(n, "id");
        for (int i = 0; i < f->nchoices; i++)
            if (strcmp(f->choices[i].id, cid) == 0)
                problem(&p, n->line, "choices", cid, "the id is already used at line %d",
                        f->choices[i].line);
        fm_choices *c = add_choices(f, n, cid);
        if (c)
            check_options(&r, c, "choices", cid);
        free(cid);
    }
    xmlNodePtr ext = fr_xml_child(root, "external");
    if (external) {
        if (!ext)
            problem(&p, root->line, "form", f->id,
                    "kind=\"external\" needs an <external> element (min, max of the total)");
        else
            make_external(&r, ext);
        if (fr_xml_child(root, "section"))
            problem(&p, root->line, "form", f->id,
                    "an external result holds no items: remove the sections");
    } else {
        if (ext)
            problem(&p, ext->line, "external", NULL, "only a form of kind=\"external\" has one");
        read_items(&r, root, -1, -1);
    }
    for (xmlNodePtr n = fr_xml_child(root, "score"); n; n = fr_xml_next(n->next, "score"))
        read_score(&r, n);
    for (xmlNodePtr n = fr_xml_child(root, "flag"); n; n = fr_xml_next(n->next, "flag"))
        read_flag(&r, n);

    check_unique(&r);
    resolve_choices(&r);
    fix_choice_pointers(f);
    /* A default that no answer could be would be refused in every
     * submission that leaves its field empty, on a field the person never
     * touched. */
    for (int i = 0; strict && i < f->nfields; i++) {
        char why[300];
        const fm_field *fd = &f->fields[i];
        if (fm_check_default(fd, why, sizeof why))
            problem(&p, fd->line, "field", fd->id,
                    "default=\"%s\" %s (type %s): give a value an answer could be, or "
                    "remove it",
                    fd->dflt, why, fm_type_name(fd->type));
    }
    int **deps = calloc((size_t)f->nfields + 1, sizeof *deps);
    int *ndeps = calloc((size_t)f->nfields + 1, sizeof *ndeps);
    if (deps && ndeps) {
        compile_field_exprs(&r, deps, ndeps);
        order_calculations(&r, deps, ndeps);
    }
    for (int i = 0; deps && i < f->nfields; i++)
        free(deps[i]);
    free(deps);
    free(ndeps);
    check_scores(&r);
    if (f->nfields == 0 && p.count == 0)
        problem(&p, root->line, "form", f->id, "the form has no fields");
    if (p.count > 0) {
        fr_form_free(f);
        if (p.count > 1 && p.len + 40 < sizeof p.buf)
            snprintf(p.buf + p.len, sizeof p.buf - p.len, "\n%d problems in %s", p.count, name);
        if (report && p.all) {
            char tail[300];
            snprintf(tail, sizeof tail, "%d problem%s in %s", p.count, p.count == 1 ? "" : "s",
                     name);
            char *grown = realloc(p.all, p.all_len + strlen(tail) + 1);
            if (grown) {
                memcpy(grown + p.all_len, tail, strlen(tail) + 1);
                p.all = grown;
            }
            *report = p.all;
            p.all = NULL;
        }
        free(p.all);
        return fr_error_set(err, FR_EINVAL, "%s", p.buf);
    }
    free(p.all);
    *out = f;
    return 0;
}

int fr_form_parse(const char *name, const char *text, size_t len, fr_form **out, fr_error *err)
{
    return parse(name, text, len, out, err, NULL, 0);
}

static int load(const char *path, fr_form **out, fr_error *err, char **report)
{
    *out = NULL;
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return fr_error_set(err, FR_ENOTFOUND, "%s: cannot be read (missing or no permission)",
                            path);
    char *buf = NULL;
    size_t len = 0, cap = 0;
    int rc = 0;
    for (;;) {
        if (len + 4096 > cap) {
            cap = cap ? cap * 2 : 16384;
            if (cap > 16 * 1024 * 1024) {
                rc = fr_error_set(err, FR_EINVAL, "%s: larger than 16 MB; not a form", path);
                break;
            }
            char *nb = realloc(buf, cap);
            if (!nb) {
                rc = fr_error_set(err, FR_ENOMEM, "out of memory reading %s", path);
                break;
            }
            buf = nb;
        }
        size_t n = fread(buf + len, 1, cap - len, fp);
        len += n;
        if (n == 0)
            break;
    }
    fclose(fp);
    if (!rc)
        rc = parse(path, buf ? buf : "", len, out, err, report, 1);
    free(buf);
    return rc;
}

int fr_form_load_file(const char *path, fr_form **out, fr_error *err)
{
    return load(path, out, err, NULL);
}

int fr_form_check_file(const char *path, char **report, fr_error *err)
{
    fr_form *f = NULL;
    *report = NULL;
    int rc = load(path, &f, err, report);
    fr_form_free(f);
    return rc;
}

const char *fr_form_id(const fr_form *f)
{
    return f->id;
}

int fr_form_version(const fr_form *f)
{
    return f->version;
}

const char *fr_form_kind(const fr_form *f)
{
    return f->kind;
}

int fr_form_intake(const fr_form *f)
{
    return f->intake;
}

const char *fr_form_title(const fr_form *f, const char *lang, const char *fallback)
{
    const char *t = fm_text_get(&f->title, lang, fallback);
    return t ? t : f->id;
}

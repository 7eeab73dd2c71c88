/* XPath for forms: the functions XPath 1.0 lacks and forms need (today,
 * age, days-between, selected, count-selected, setting), the workflow-guard
 * functions score() and value() over a case's latest final submissions,
 * small evaluation helpers, and the built-in messages in the four
 * languages. Building the instance and validating it is formsubmit.c. */
#include <libxml/xpathInternals.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "formdef.h"
#include "store.h"

/* ---- date functions --------------------------------------------------- */

static void fn_today(xmlXPathParserContextPtr ctxt, int nargs)
{
    if (nargs != 0) {
        xmlXPathSetArityError(ctxt);
        return;
    }
    char today[FR_TIME_LEN];
    fr_clock_today(today);
    valuePush(ctxt, xmlXPathNewString((const xmlChar *)today));
}

/* The first 10 characters of a date or date-time, or "" when not a date. */
static void pop_date(xmlXPathParserContextPtr ctxt, char out[11])
{
    xmlChar *s = xmlXPathPopString(ctxt);
    out[0] = '\0';
    if (s && strlen((const char *)s) >= 10) {
        memcpy(out, s, 10);
        out[10] = '\0';
        if (!fr_date_valid(out))
            out[0] = '\0';
    }
    xmlFree(s);
}

/* days-between(a, b): b - a in days; NaN when either is not a date. */
static void fn_days_between(xmlXPathParserContextPtr ctxt, int nargs)
{
    if (nargs != 2) {
        xmlXPathSetArityError(ctxt);
        return;
    }
    char a[11], b[11];
    pop_date(ctxt, b);
    pop_date(ctxt, a);
    long d = 0;
    if (!a[0] || !b[0] || fr_date_diff_days(a, b, &d) != 0) {
        valuePush(ctxt, xmlXPathNewFloat(NAN));
        return;
    }
    valuePush(ctxt, xmlXPathNewFloat((double)d));
}

/* age(birth [, on]): whole years from birth to `on` (default today). */
static void fn_age(xmlXPathParserContextPtr ctxt, int nargs)
{
    if (nargs != 1 && nargs != 2) {
        xmlXPathSetArityError(ctxt);
        return;
    }
    char on[11], birth[11];
    if (nargs == 2) {
        pop_date(ctxt, on);
    } else {
        char today[FR_TIME_LEN];
        fr_clock_today(today);
        memcpy(on, today, 10);
        on[10] = '\0';
    }
    pop_date(ctxt, birth);
    if (!birth[0] || !on[0]) {
        valuePush(ctxt, xmlXPathNewFloat(NAN));
        return;
    }
    int by, bm, bd, y, m, d;
    sscanf(birth, "%d-%d-%d", &by, &bm, &bd);
    sscanf(on, "%d-%d-%d", &y, &m, &d);
    int age = y - by - ((m < bm || (m == bm && d < bd)) ? 1 : 0);
    valuePush(ctxt, xmlXPathNewFloat((double)age));
}

/* selected(list, code): true when the space-separated list holds code
 * (multiple-choice answers, as in XForms/ODK). */
static void fn_selected(xmlXPathParserContextPtr ctxt, int nargs)
{
    if (nargs != 2) {
        xmlXPathSetArityError(ctxt);
        return;
    }
    xmlChar *code = xmlXPathPopString(ctxt);
    xmlChar *list = xmlXPathPopString(ctxt);
    int found = 0;
    if (code && list) {
        size_t cl = strlen((const char *)code);
        const char *p = (const char *)list;
        while (*p && !found) {
            while (*p == ' ')
                p++;
            const char *e = p;
            while (*e && *e != ' ')
                e++;
            found = (size_t)(e - p) == cl && cl > 0 && strncmp(p, (const char *)code, cl) == 0;
            p = e;
        }
    }
    xmlFree(code);
    xmlFree(list);
    valuePush(ctxt, xmlXPathNewBoolean(found));
}

static void fn_count_selected(xmlXPathParserContextPtr ctxt, int nargs)
{
    if (nargs != 1) {
        xmlXPathSetArityError(ctxt);
        return;
    }
    xmlChar *list = xmlXPathPopString(ctxt);
    int n = 0;
    for (const char *p = list ? (const char *)list : ""; *p;) {
        while (*p == ' ')
            p++;
        if (*p)
            n++;
        while (*p && *p != ' ')
            p++;
    }
    xmlFree(list);
    valuePush(ctxt, xmlXPathNewFloat(n));
}

/* setting(plugin, name, default): the site's <setting name="NAME"> inside
 * <plugin id="PLUGIN"> (plugin '': a site-wide setting), as text; `default`
 * when the site does not set it, or when there is no site (checking or
 * describing a form). The site comes from the context's userData (an
 * fr_form_xpath_case), as for score() and value(). */
static void fn_setting(xmlXPathParserContextPtr ctxt, int nargs)
{
    if (nargs != 3) {
        xmlXPathSetArityError(ctxt);
        return;
    }
    xmlXPathObjectPtr dflt = valuePop(ctxt);
    xmlChar *name = xmlXPathPopString(ctxt);
    xmlChar *plugin = xmlXPathPopString(ctxt);
    const fr_form_xpath_case *c = ctxt->context->userData;
    const char *v = NULL;
    if (c && c->site && name)
        v = fr_site_setting(c->site, plugin && plugin[0] ? (const char *)plugin : NULL,
                            (const char *)name);
    xmlFree(name);
    xmlFree(plugin);
    if (v) {
        xmlXPathFreeObject(dflt);
        valuePush(ctxt, xmlXPathNewString((const xmlChar *)v));
    } else {
        valuePush(ctxt, dflt ? dflt : xmlXPathNewString((const xmlChar *)""));
    }
}

void fr_form_xpath_register(xmlXPathContextPtr ctx)
{
    xmlXPathRegisterFunc(ctx, (const xmlChar *)"setting", fn_setting);
    xmlXPathRegisterFunc(ctx, (const xmlChar *)"today", fn_today);
    xmlXPathRegisterFunc(ctx, (const xmlChar *)"age", fn_age);
    xmlXPathRegisterFunc(ctx, (const xmlChar *)"days-between", fn_days_between);
    xmlXPathRegisterFunc(ctx, (const xmlChar *)"selected", fn_selected);
    xmlXPathRegisterFunc(ctx, (const xmlChar *)"count-selected", fn_count_selected);
}

/* A form's evaluation context, kept per thread: a new XPath context
 * registers every XPath function in a hash table of its own, which cost a
 * tenth of a submission's evaluation. Only the form functions above are
 * registered in it (never score() or value()); it is handed back without
 * its document, node or user data. Freed when its thread ends. */
static pthread_key_t form_ctx_key;
static pthread_once_t form_ctx_once = PTHREAD_ONCE_INIT;

static void form_ctx_free(void *ctx)
{
    xmlXPathFreeContext(ctx);
}

static void form_ctx_key_make(void)
{
    pthread_key_create(&form_ctx_key, form_ctx_free);
}

xmlXPathContextPtr fr_form_xpath_context(xmlDocPtr doc)
{
    pthread_once(&form_ctx_once, form_ctx_key_make);
    xmlXPathContextPtr ctx = pthread_getspecific(form_ctx_key);
    if (ctx) {
        pthread_setspecific(form_ctx_key, NULL); /* taken; a nested evaluation makes its own */
        ctx->doc = doc;
        return ctx;
    }
    if ((ctx = xmlXPathNewContext(doc)))
        fr_form_xpath_register(ctx);
    return ctx;
}

void fr_form_xpath_context_done(xmlXPathContextPtr ctx)
{
    if (!ctx)
        return;
    ctx->doc = NULL;
    ctx->node = NULL;
    ctx->userData = NULL;
    if (pthread_getspecific(form_ctx_key) || pthread_setspecific(form_ctx_key, ctx) != 0)
        xmlXPathFreeContext(ctx);
}

/* ---- workflow guards: score() and value() ------------------------------ */

/* Splits "form.name" at its last dot. */
static int split_ref(const char *ref, char form[128], char name[128])
{
    const char *dot = strrchr(ref, '.');
    if (!dot || dot == ref || !dot[1] || (size_t)(dot - ref) >= 128 || strlen(dot + 1) >= 128)
        return -1;
    memcpy(form, ref, (size_t)(dot - ref));
    form[dot - ref] = '\0';
    snprintf(name, 128, "%s", dot + 1);
    return 0;
}

/* score('form.score'): the score of the case's latest final submission of
 * the form that is not superseded by an amendment; NaN when there is none
 * (every comparison with NaN is false, so a guard refuses). */
static void fn_score(xmlXPathParserContextPtr ctxt, int nargs)
{
    if (nargs != 1) {
        xmlXPathSetArityError(ctxt);
        return;
    }
    fr_form_xpath_case *c = ctxt->context->userData;
    xmlChar *ref = xmlXPathPopString(ctxt);
    char form[128], name[128];
    double v = NAN;
    if (c && ref && split_ref((const char *)ref, form, name) == 0) {
        fr_stmt *st;
        fr_error err = {0};
        if (fr_store_query(c->site->store, &err, &st,
                           "SELECT sc.value FROM submissions s"
                           " JOIN submission_scores sc ON sc.submission_id = s.id"
                           " AND sc.score = ?3"
                           " WHERE s.case_id = ?1 AND s.form_id = ?2"
                           " AND s.status = 'final' AND s.superseded_by IS NULL"
                           " ORDER BY s.submitted_at DESC, s.id DESC LIMIT 1",
                           "Itt", c->case_id, form, name) == 0) {
            if (fr_stmt_step(st, &err) == 1 && !fr_stmt_is_null(st, 0))
                v = fr_stmt_double(st, 0);
            fr_stmt_done(st);
        }
    }
    xmlFree(ref);
    valuePush(ctxt, xmlXPathNewFloat(v));
}

/* value('form.field'): the value of a top-level field in that submission,
 * as a string ("" when absent); multiple choices are space-separated. */
static void fn_value(xmlXPathParserContextPtr ctxt, int nargs)
{
    if (nargs != 1) {
        xmlXPathSetArityError(ctxt);
        return;
    }
    fr_form_xpath_case *c = ctxt->context->userData;
    xmlChar *ref = xmlXPathPopString(ctxt);
    char form[128], name[128];
    char *result = NULL;
    if (c && ref && split_ref((const char *)ref, form, name) == 0) {
        char *data = NULL;
        fr_error err = {0};
        if (fr_store_query_text(c->site->store, &err, &data,
                                "SELECT data FROM submissions WHERE case_id = ? AND form_id = ?"
                                " AND status = 'final' AND superseded_by IS NULL"
                                " ORDER BY submitted_at DESC, id DESC LIMIT 1",
                                "It", c->case_id, form) == 0 &&
            data) {
            json_t *j = json_loads(data, 0, NULL);
            json_t *v = j ? json_object_get(j, name) : NULL;
            if (json_is_string(v))
                result = strdup(json_string_value(v));
            else if (json_is_integer(v) || json_is_real(v)) {
                char buf[64];
                snprintf(buf, sizeof buf, "%.15g", json_number_value(v));
                result = strdup(buf);
            } else if (json_is_boolean(v))
                result = strdup(json_is_true(v) ? "true" : "false");
            else if (json_is_array(v)) {
                size_t i, len = 0;
                json_t *e;
                char buf[1024] = "";
                json_array_foreach(v, i, e) if (json_is_string(e) && len < sizeof buf) len +=
                    (size_t)snprintf(buf + len, sizeof buf - len, "%s%s", i ? " " : "",
                                     json_string_value(e));
                result = strdup(buf);
            }
            json_decref(j);
        }
        free(data);
    }
    xmlFree(ref);
    valuePush(ctxt, xmlXPathNewString((const xmlChar *)(result ? result : "")));
    free(result);
}

void fr_form_xpath_register_case(xmlXPathContextPtr ctx, fr_form_xpath_case *c)
{
    fr_form_xpath_register(ctx);
    ctx->userData = c;
    xmlXPathRegisterFunc(ctx, (const xmlChar *)"score", fn_score);
    xmlXPathRegisterFunc(ctx, (const xmlChar *)"value", fn_value);
}

/* ---- evaluation helpers ----------------------------------------------- */

double fm_eval_number(xmlXPathCompExprPtr x, xmlXPathContextPtr ctx, int *ok)
{
    xmlXPathObjectPtr o = xmlXPathCompiledEval(x, ctx);
    *ok = o != NULL;
    double v = o ? xmlXPathCastToNumber(o) : NAN;
    xmlXPathFreeObject(o);
    return v;
}

/* 1 true, 0 false, -1 could not be evaluated. */
int fm_eval_bool(xmlXPathCompExprPtr x, xmlXPathContextPtr ctx)
{
    return xmlXPathCompiledEvalToBoolean(x, ctx);
}

char *fm_eval_string(xmlXPathCompExprPtr x, xmlXPathContextPtr ctx)
{
    xmlXPathObjectPtr o = xmlXPathCompiledEval(x, ctx);
    if (!o)
        return NULL;
    xmlChar *s = xmlXPathCastToString(o);
    xmlXPathFreeObject(o);
    char *r = s ? strdup((const char *)s) : NULL;
    xmlFree(s);
    return r;
}

/* ---- built-in messages ------------------------------------------------ */

typedef struct msg {
    const char *key, *en, *fr, *nl, *de;
} msg;

static const msg messages[] = {
    {"required", "this field is required", "ce champ est obligatoire", "dit veld is verplicht",
     "dieses Feld ist erforderlich"},
    {"integer", "must be a whole number", "doit être un nombre entier",
     "moet een geheel getal zijn", "muss eine ganze Zahl sein"},
    {"decimal", "must be a number", "doit être un nombre", "moet een getal zijn",
     "muss eine Zahl sein"},
    {"date", "must be a date (YYYY-MM-DD)", "doit être une date (AAAA-MM-JJ)",
     "moet een datum zijn (JJJJ-MM-DD)", "muss ein Datum sein (JJJJ-MM-TT)"},
    {"date-time", "must be a date and time (YYYY-MM-DDTHH:MM)",
     "doit être une date et une heure (AAAA-MM-JJTHH:MM)",
     "moet een datum en tijd zijn (JJJJ-MM-DDTUU:MM)",
     "muss Datum und Uhrzeit sein (JJJJ-MM-TTTHH:MM)"},
    {"partial-date", "must be a year, a year and month, or a date (YYYY, YYYY-MM, YYYY-MM-DD)",
     "doit être une année, un mois ou une date (AAAA, AAAA-MM, AAAA-MM-JJ)",
     "moet een jaar, een maand of een datum zijn (JJJJ, JJJJ-MM, JJJJ-MM-DD)",
     "muss ein Jahr, ein Monat oder ein Datum sein (JJJJ, JJJJ-MM, JJJJ-MM-TT)"},
    {"boolean", "must be true or false", "doit être vrai ou faux", "moet waar of onwaar zijn",
     "muss wahr oder falsch sein"},
    {"option", "is not one of the options", "n'est pas une des options",
     "is niet een van de opties", "ist keine der Optionen"},
    {"text", "must be text", "doit être du texte", "moet tekst zijn", "muss Text sein"},
    {"min", "is below the minimum", "est en dessous du minimum", "ligt onder het minimum",
     "liegt unter dem Minimum"},
    {"max", "is above the maximum", "est au-dessus du maximum", "ligt boven het maximum",
     "liegt über dem Maximum"},
    {"constraint", "is not valid", "n'est pas valide", "is niet geldig", "ist nicht gültig"},
    {"unknown", "is not a field of this form", "n'est pas un champ de ce formulaire",
     "is geen veld van dit formulier", "ist kein Feld dieses Formulars"},
    {"rows", "must be a list of rows", "doit être une liste de lignes",
     "moet een lijst van rijen zijn", "muss eine Liste von Zeilen sein"},
    {"min-rows", "needs more rows", "demande plus de lignes", "vraagt meer rijen",
     "braucht mehr Zeilen"},
    {"max-rows", "has too many rows", "a trop de lignes", "heeft te veel rijen",
     "hat zu viele Zeilen"},
    {"note", "is display-only and takes no value", "est un texte affiché, sans valeur",
     "is alleen tekst en neemt geen waarde", "ist nur Anzeige und nimmt keinen Wert"},
};

const char *fm_msg(const char *lang, const char *key)
{
    for (size_t i = 0; i < sizeof messages / sizeof *messages; i++) {
        const msg *m = &messages[i];
        if (strcmp(m->key, key) != 0)
            continue;
        if (lang && strcmp(lang, "fr") == 0)
            return m->fr;
        if (lang && strcmp(lang, "nl") == 0)
            return m->nl;
        if (lang && strcmp(lang, "de") == 0)
            return m->de;
        return m->en;
    }
    return key;
}

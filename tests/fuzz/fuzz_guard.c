/* Fuzz target: XPath guard evaluation — any bytes as an XPath expression,
 *  - compiled as a workflow guard is (xmlXPathCompile) and evaluated as
 *    fr_workflow_fire does: over the case's XML view (fr_workflow_case_xml)
 *    of a real site, with score(), value() and the date functions reading
 *    the case's final submissions;
 *  - put into a form definition as a field's relevance, constraint and
 *    calculation and a flag's condition, then evaluated with fixed answers
 *    (fr_form_parse, fr_form_evaluate): the forms' own expression path.
 * Nothing is stored. */
#include <stddef.h>
#include <stdint.h>

#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "fixture.h"
#include "workflow.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void quiet(void *ctx, const char *fmt, ...)
{
    (void)ctx;
    (void)fmt;
}

static void as_guard(fr_site *site, xmlDocPtr doc, const char *expr)
{
    xmlXPathCompExprPtr x = xmlXPathCompile((const xmlChar *)expr);
    if (!x)
        return;
    xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
    if (ctx) {
        ctx->node = xmlDocGetRootElement(doc);
        fr_form_xpath_case fc = {.site = site, .case_id = 1};
        fr_form_xpath_register_case(ctx, &fc);
        xmlXPathCompiledEvalToBoolean(x, ctx);
        xmlXPathObjectPtr o = xmlXPathCompiledEval(x, ctx);
        if (o)
            xmlFree(xmlXPathCastToString(o));
        xmlXPathFreeObject(o);
        xmlXPathFreeContext(ctx);
    }
    xmlXPathFreeCompExpr(x);
}

/* The expression escaped for an XML attribute value. */
static char *attr_escape(const char *s)
{
    size_t n = strlen(s);
    char *out = malloc(n * 6 + 1), *o = out;
    if (!out)
        return NULL;
    for (; *s; s++) {
        const char *rep = *s == '&' ? "&amp;" : *s == '<' ? "&lt;" : *s == '"' ? "&quot;" : NULL;
        if (rep) {
            memcpy(o, rep, strlen(rep));
            o += strlen(rep);
        } else {
            *o++ = *s;
        }
    }
    *o = '\0';
    return out;
}

static void in_form(const char *expr)
{
    static const char fmt[] =
        "<form xmlns=\"urn:filrouge:form:1\" id=\"fz\" version=\"1\">"
        "<title lang=\"en\">Fuzz</title>"
        "<choices id=\"yn\"><option code=\"0\" points=\"0\"><label lang=\"en\">No</label></option>"
        "<option code=\"1\" points=\"1\"><label lang=\"en\">Yes</label></option></choices>"
        "<section id=\"s\"><label lang=\"en\">S</label>"
        "<field id=\"birth\" type=\"date\"><label lang=\"en\">Birth</label></field>"
        "<field id=\"a\" type=\"choice\" choices=\"yn\"><label lang=\"en\">A</label></field>"
        "<field id=\"n\" type=\"integer\" constraint=\"%s\"><label lang=\"en\">N</label></field>"
        "<field id=\"t\" type=\"text\" relevant=\"%s\"><label lang=\"en\">T</label></field>"
        "<field id=\"c\" type=\"decimal\" calculate=\"%s\"><label lang=\"en\">C</label></field>"
        "</section>"
        "<flag id=\"f\" severity=\"info\" when=\"%s\"><message lang=\"en\">F</message></flag>"
        "</form>";
    char *e = attr_escape(expr);
    if (!e)
        return;
    size_t len = sizeof fmt + 4 * strlen(e);
    char *xml = malloc(len);
    if (xml) {
        int n = snprintf(xml, len, fmt, e, e, e, e);
        fr_error err = {0};
        fr_form *f = NULL;
        if (n > 0 && fr_form_parse("fuzz.xml", xml, (size_t)n, &f, &err) == 0) {
            static const char answers[] = "{\"birth\":\"1940-05-02\",\"a\":\"1\",\"n\":3,"
                                          "\"t\":\"texte\"}";
            json_t *result = NULL, *problems = NULL;
            fr_form_evaluate(NULL, f, answers, sizeof answers - 1, 1, "fr", &result, &problems,
                             &err);
            json_decref(result);
            json_decref(problems);
            fr_form_free(f);
        }
        free(xml);
    }
    free(e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static fr_site *site;
    static xmlDocPtr doc;
    if (!site) {
        site = fixture_open();
        fr_error err = {0};
        char *xml = NULL;
        fixture_check(fr_site_set_actor(site, "marie", &err), "actor", &err);
        fixture_check(fr_workflow_case_xml(site, 1, &xml, &err), "case view", &err);
        doc = xmlReadMemory(xml, (int)strlen(xml), "case.xml", NULL, XML_PARSE_NONET);
        free(xml);
        if (!doc)
            abort();
    }
    if (size > 4096)
        return 0;
    char *expr = malloc(size + 1);
    if (!expr)
        return 0;
    memcpy(expr, data, size);
    expr[size] = '\0';
    /* The kernel resets libxml2's error handlers after its own calls. */
    xmlSetGenericErrorFunc(NULL, quiet);
    as_guard(site, doc, expr);
    in_form(expr);
    free(expr);
    return 0;
}

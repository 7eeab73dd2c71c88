/* XML loading with clear messages. libxml2 does the parsing and the XSD
 * validation; this file only collects its errors as "file:line: message"
 * and keeps the parser away from the network and from entity expansion. */
#include "xmldoc.h"

#include <libxml/SAX2.h>

#include <libxml/parser.h>
#include <libxml/xmlschemas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "embedded.h"

/* buf holds what fits in an fr_error; all (when wanted) every problem,
 * for the commands that check a file and print them all. */
typedef struct collector {
    char buf[FR_ERROR_MAX];
    size_t len;
    int count;
    const char *name;
    const char *xsd; /* the schema validating, for messages */
    int want_all;
    char *all;
    size_t all_len;
} collector;

/* Adds one problem, "NAME:LINE: message", on a line of its own. */
static void add(collector *c, int line, const char *msg)
{
    c->count++;
    char text[768];
    snprintf(text, sizeof text, "%s:%d: %s", c->name, line, msg);
    if (c->want_all) {
        size_t tl = strlen(text);
        char *grown = realloc(c->all, c->all_len + tl + 2);
        if (grown) {
            if (c->all_len)
                grown[c->all_len++] = '\n';
            memcpy(grown + c->all_len, text, tl + 1);
            c->all = grown;
            c->all_len += tl;
        }
    }
    if (c->len + 8 >= sizeof c->buf)
        return;
    int n = snprintf(c->buf + c->len, sizeof c->buf - c->len, "%s%s", c->len ? "\n" : "", text);
    if (n > 0)
        c->len += (size_t)n;
    if (c->len >= sizeof c->buf)
        c->len = sizeof c->buf - 1;
}

/* libxml2's schema messages name elements with their namespace
 * ("Element '{urn:filrouge:plugin:1}library': This element is not
 * expected. Expected is one of ( {urn:filrouge:plugin:1}workflow, … )."):
 * said as the file is written ("<library> is not expected here; expected
 * is one of: <workflow>, …"), with what to do. In place, in msg. */
static void tidy(char *msg, size_t size, const char *xsd)
{
    char out[512];
    size_t o = 0;
    for (const char *p = msg; *p && o + 1 < sizeof out;) {
        if (strncmp(p, "{urn:filrouge:", 14) == 0 && strchr(p, '}')) {
            p = strchr(p, '}') + 1; /* the namespace: every file of a kind has it */
        } else if (strncmp(p, "Element '", 9) == 0 && strchr(p + 9, '\'')) {
            const char *name = p + 9, *end = strchr(name, '\'');
            if (strncmp(name, "{urn:filrouge:", 14) == 0 && strchr(name, '}') &&
                strchr(name, '}') < end)
                name = strchr(name, '}') + 1;
            o += (size_t)snprintf(out + o, sizeof out - o, "<%.*s>", (int)(end - name), name);
            p = end + 1;
        } else {
            out[o++] = *p++;
        }
        if (o >= sizeof out)
            o = sizeof out - 1;
    }
    out[o] = '\0';
    const char *unexpected = strstr(out, ": This element is not expected.");
    if (unexpected && xsd) {
        const char *expected = unexpected + 31;
        while (*expected == ' ')
            expected++;
        size_t el = strlen(expected);
        if (el > 0 && expected[el - 1] == '.')
            el--;
        if (strncmp(expected, "Expected ", 9) == 0)
            snprintf(msg, size,
                     "%.*s is not expected here; expected %.*s (the elements come in the "
                     "order %s gives: move it to its place, or add what is missing before it)",
                     (int)(unexpected - out), out, (int)el - 9, expected + 9, xsd);
        else
            snprintf(msg, size,
                     "%.*s is not expected here (the elements come in the order %s gives: move "
                     "it to its place, or remove it)",
                     (int)(unexpected - out), out, xsd);
    } else {
        snprintf(msg, size, "%s", out);
    }
}

static void collect(void *data, xmlErrorPtr e)
{
    collector *c = data;
    if (!e || e->level == XML_ERR_WARNING)
        return;
    /* libxml2 puts details on lines of their own ("Bytes: 0xE9 0x3C …"):
     * one problem stays on one line, every line naming file and line. */
    char msg[512];
    snprintf(msg, sizeof msg, "%s", e->message ? e->message : "error");
    size_t ml = strlen(msg);
    while (ml > 0 && (msg[ml - 1] == '\n' || msg[ml - 1] == ' '))
        msg[--ml] = '\0';
    for (char *nl = strchr(msg, '\n'); nl; nl = strchr(nl, '\n'))
        *nl = ' ';
    if (e->domain == XML_FROM_SCHEMASV)
        tidy(msg, sizeof msg, c->xsd);
    add(c, e->line, msg);
}

static int validate(xmlDocPtr doc, const char *xsd, collector *c, fr_error *err)
{
    const fr_embedded_file *f = fr_embedded_find(xsd);
    if (!f)
        return fr_error_set(err, FR_EINTERNAL, "schema %s is not built into this program", xsd);
    int rc = 0;
    xmlSchemaParserCtxtPtr pctx = xmlSchemaNewMemParserCtxt(f->data, (int)f->size);
    xmlSchemaPtr schema = pctx ? xmlSchemaParse(pctx) : NULL;
    xmlSchemaValidCtxtPtr vctx = schema ? xmlSchemaNewValidCtxt(schema) : NULL;
    if (!vctx) {
        rc = fr_error_set(err, FR_EINTERNAL, "schema %s could not be compiled", xsd);
        goto out;
    }
    c->xsd = xsd;
    xmlSchemaSetValidStructuredErrors(vctx, collect, c);
    if (xmlSchemaValidateDoc(vctx, doc) != 0 || c->count > 0) {
        rc = fr_error_set(err, FR_EINVAL, "%s", c->buf[0] ? c->buf : "invalid document");
        if (c->count == 0)
            snprintf(err ? err->message : c->buf, FR_ERROR_MAX, "%s: does not match %s",
                     c->name, xsd);
    }
out:
    if (vctx)
        xmlSchemaFreeValidCtxt(vctx);
    if (schema)
        xmlSchemaFree(schema);
    if (pctx)
        xmlSchemaFreeParserCtxt(pctx);
    return rc;
}

static int finish(xmlDocPtr doc, const char *xsd, collector *c, xmlDocPtr *out, fr_error *err,
                  char **report)
{
    int rc = 0;
    if (!doc || c->count > 0)
        rc = fr_error_set(err, FR_EINVAL, "%s",
                          c->buf[0] ? c->buf : "the file is not well-formed XML");
    else if (xsd)
        rc = validate(doc, xsd, c, err);
    if (rc) {
        if (doc)
            xmlFreeDoc(doc);
        if (report && c->all) {
            *report = c->all;
            c->all = NULL;
        }
        free(c->all);
        return rc;
    }
    free(c->all);
    *out = doc;
    return 0;
}

static const int parse_options = XML_PARSE_NONET | XML_PARSE_NOBLANKS;

/* No XML the kernel reads needs a DTD, and a DTD's entities can read local
 * files or expand to gigabytes ("billion laughs"): a DOCTYPE stops the
 * parser at once with a message that says so. */
static void refuse_doctype(void *ctxp, const xmlChar *name, const xmlChar *external_id,
                           const xmlChar *system_id)
{
    (void)name, (void)external_id, (void)system_id;
    xmlParserCtxtPtr ctx = ctxp;
    collector *c = ctx->_private;
    if (c)
        add(c, xmlSAX2GetLineNumber(ctx),
            "a <!DOCTYPE> declaration is not accepted (its entities could read files or "
            "exhaust memory): remove it");
    xmlStopParser(ctx);
}

static xmlParserCtxtPtr new_context(collector *c)
{
    xmlParserCtxtPtr ctx = xmlNewParserCtxt();
    if (!ctx)
        return NULL;
    ctx->_private = c;
    ctx->sax->internalSubset = refuse_doctype;
    return ctx;
}

/* Larger XML than this is refused before parsing (no definition or
 * submission comes near it). */
#define XML_MAX_BYTES (16 * 1024 * 1024)

int fr_xml_utf8_only(const char *name, const char *text, size_t len, fr_error *err)
{
    const unsigned char *u = (const unsigned char *)text;
    if (memchr(text, '\0', len) ||
        (len >= 2 && ((u[0] == 0xFE && u[1] == 0xFF) || (u[0] == 0xFF && u[1] == 0xFE))))
        return fr_error_set(err, FR_EINVAL,
                            "%s: the XML is UTF-16 or holds NUL bytes: only UTF-8 XML is "
                            "accepted; save it as UTF-8",
                            name);
    if (len < 5 || strncmp(text, "<?xml", 5) != 0)
        return 0;
    const char *end = memchr(text, '>', len);
    size_t decl = end ? (size_t)(end - text) : len;
    for (size_t i = 5; i + 8 < decl; i++) {
        if (strncmp(text + i, "encoding", 8) != 0)
            continue;
        size_t j = i + 8;
        while (j < decl && (text[j] == ' ' || text[j] == '\t' || text[j] == '='))
            j++;
        char quote = j < decl ? text[j] : '\0';
        size_t k = ++j;
        while (k < decl && text[k] != quote)
            k++;
        size_t n = k - j;
        if ((quote != '"' && quote != '\'') || n > 40)
            return fr_error_set(err, FR_EINVAL,
                                "%s:1: the XML declaration's encoding is not readable: write "
                                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
                                name);
        if (!((n == 5 && strncasecmp(text + j, "utf-8", 5) == 0) ||
              (n == 4 && strncasecmp(text + j, "utf8", 4) == 0)))
            return fr_error_set(err, FR_EINVAL,
                                "%s:1: the XML declaration names the encoding %.*s: only UTF-8 "
                                "is accepted; save the file as UTF-8 and declare "
                                "encoding=\"UTF-8\" (or no encoding)",
                                name, (int)n, text + j);
        break;
    }
    return 0;
}

int fr_xml_load(const char *path, const char *xsd, xmlDocPtr *out, fr_error *err)
{
    collector c = {.name = path};
    *out = NULL;
    FILE *probe = fopen(path, "rb");
    if (!probe)
        return fr_error_set(err, FR_ENOTFOUND, "%s: cannot be read (missing or no permission)",
                            path);
    fseek(probe, 0, SEEK_END);
    long size = ftell(probe);
    if (size > XML_MAX_BYTES) {
        fclose(probe);
        return fr_error_set(err, FR_EINVAL, "%s: %ld bytes, more than the %d accepted", path, size,
                            XML_MAX_BYTES);
    }
    /* The declaration is at the start: its first bytes say the encoding. */
    char head[1024];
    rewind(probe);
    size_t got = fread(head, 1, sizeof head, probe);
    fclose(probe);
    int rc = fr_xml_utf8_only(path, head, got, err);
    if (rc)
        return rc;
    xmlParserCtxtPtr ctx = new_context(&c);
    if (!ctx)
        return fr_error_set(err, FR_ENOMEM, "out of memory reading %s", path);
    xmlSetStructuredErrorFunc(&c, collect);
    xmlDocPtr doc = xmlCtxtReadFile(ctx, path, NULL, parse_options);
    xmlSetStructuredErrorFunc(NULL, NULL);
    xmlFreeParserCtxt(ctx);
    return finish(doc, xsd, &c, out, err, NULL);
}

int fr_xml_load_memory(const char *name, const char *data, size_t size, const char *xsd,
                       xmlDocPtr *out, fr_error *err)
{
    return fr_xml_load_memory_report(name, data, size, xsd, out, err, NULL);
}

int fr_xml_load_memory_report(const char *name, const char *data, size_t size, const char *xsd,
                              xmlDocPtr *out, fr_error *err, char **report)
{
    collector c = {.name = name, .want_all = report != NULL};
    *out = NULL;
    if (report)
        *report = NULL;
    if (size > XML_MAX_BYTES)
        return fr_error_set(err, FR_EINVAL, "%s: %zu bytes, more than the %d accepted", name, size,
                            XML_MAX_BYTES);
    int rc = fr_xml_utf8_only(name, data, size, err);
    if (rc)
        return rc;
    xmlParserCtxtPtr ctx = new_context(&c);
    if (!ctx)
        return fr_error_set(err, FR_ENOMEM, "out of memory reading %s", name);
    xmlSetStructuredErrorFunc(&c, collect);
    xmlDocPtr doc = xmlCtxtReadMemory(ctx, data, (int)size, name, NULL, parse_options);
    xmlSetStructuredErrorFunc(NULL, NULL);
    xmlFreeParserCtxt(ctx);
    return finish(doc, xsd, &c, out, err, report);
}

char *fr_xml_attr(xmlNodePtr node, const char *name)
{
    xmlChar *v = xmlGetProp(node, (const xmlChar *)name);
    if (!v)
        return NULL;
    char *s = strdup((const char *)v);
    xmlFree(v);
    return s;
}

char *fr_xml_text(xmlNodePtr node)
{
    xmlChar *v = xmlNodeGetContent(node);
    if (!v)
        return NULL;
    char *s = strdup((const char *)v);
    xmlFree(v);
    return s;
}

xmlNodePtr fr_xml_next(xmlNodePtr node, const char *name)
{
    for (; node; node = node->next)
        if (node->type == XML_ELEMENT_NODE &&
            (!name || strcmp((const char *)node->name, name) == 0))
            return node;
    return NULL;
}

xmlNodePtr fr_xml_child(xmlNodePtr parent, const char *name)
{
    return parent ? fr_xml_next(parent->children, name) : NULL;
}

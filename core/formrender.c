/* HTML rendering of a form with libxslt and the stylesheet
 * schemas/form-html.xsl (embedded in the program): this file only builds
 * the stylesheet's input — the definition, the values, the problems and a
 * few words in the chosen language — and runs the transformation. */
#include <libxslt/security.h>
#include <libxslt/transform.h>
#include <libxslt/xsltInternals.h>
#include <libxslt/xsltutils.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "embedded.h"
#include "formdef.h"
#include "xmldoc.h"

static const struct {
    const char *key, *en, *fr, *nl, *de;
} words[] = {
    {"required", "required", "obligatoire", "verplicht", "erforderlich"},
    {"submit", "Save", "Enregistrer", "Opslaan", "Speichern"},
    {"yes", "Yes", "Oui", "Ja", "Ja"},
    {"no", "No", "Non", "Nee", "Nein"},
    {"dateformat", "dd/mm/yyyy", "jj/mm/aaaa", "dd/mm/jjjj", "TT/MM/JJJJ"},
    {"datetimeformat", "dd/mm/yyyy hh:mm", "jj/mm/aaaa hh:mm", "dd/mm/jjjj uu:mm",
     "TT/MM/JJJJ hh:mm"},
    {"addrow", "Add a row", "Ajouter une ligne", "Rij toevoegen", "Zeile hinzufügen"},
    {"removerow", "Remove this row", "Retirer cette ligne", "Deze rij verwijderen",
     "Diese Zeile entfernen"},
    {"untranslated",
     "Some texts of this form are not available in your language and are shown in another "
     "one: a validated clinical instrument may only be shown in its official translations.",
     "Certains textes de ce formulaire n'existent pas dans votre langue et sont affichés dans "
     "une autre : un instrument clinique validé ne peut être montré que dans ses traductions "
     "officielles.",
     "Sommige teksten van dit formulier bestaan niet in uw taal en worden in een andere taal "
     "getoond: een gevalideerd klinisch instrument mag enkel in zijn officiële vertalingen "
     "getoond worden.",
     "Einige Texte dieses Formulars gibt es nicht in Ihrer Sprache; sie werden in einer anderen "
     "Sprache angezeigt: Ein validiertes klinisches Instrument darf nur in seinen offiziellen "
     "Übersetzungen gezeigt werden."},
};

static const char *word(const char *lang, int i)
{
    if (strcmp(lang, "fr") == 0)
        return words[i].fr;
    if (strcmp(lang, "nl") == 0)
        return words[i].nl;
    if (strcmp(lang, "de") == 0)
        return words[i].de;
    return words[i].en;
}

static void add_value(xmlNodePtr values, const char *field, json_t *v)
{
    char buf[64];
    const char *text = NULL;
    char *joined = NULL;
    if (json_is_string(v))
        text = json_string_value(v);
    else if (json_is_number(v)) {
        snprintf(buf, sizeof buf, "%.15g", json_number_value(v));
        text = buf;
    } else if (json_is_boolean(v))
        text = json_is_true(v) ? "true" : "false";
    else if (json_is_array(v)) {
        size_t i, len = 0, cap = 256;
        json_t *e;
        joined = calloc(1, cap);
        json_array_foreach(v, i, e) if (joined && json_is_string(e) && len + 1 < cap) len +=
            (size_t)snprintf(joined + len, cap - len, "%s%s", i ? " " : "", json_string_value(e));
        text = joined;
    }
    if (text) {
        xmlNodePtr n =
            xmlNewTextChild(values, NULL, (const xmlChar *)"value", (const xmlChar *)text);
        xmlNewProp(n, (const xmlChar *)"field", (const xmlChar *)field);
    }
    free(joined);
}

/* Values by their path ("member[2].member-name"), and one <row> per row of
 * a repeat group, so that the stylesheet renders each row with its values
 * and errors. */
static void add_values(xmlNodePtr values, xmlNodePtr rows, json_t *obj, const char *prefix)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        char path[512];
        snprintf(path, sizeof path, "%s%s", prefix, key);
        int is_rows =
            json_is_array(v) && json_array_size(v) > 0 && json_is_object(json_array_get(v, 0));
        if (!is_rows) {
            add_value(values, path, v);
            continue;
        }
        size_t i;
        json_t *row;
        json_array_foreach(v, i, row)
        {
            char rp[600], index[32];
            snprintf(rp, sizeof rp, "%s[%zu].", path, i + 1);
            snprintf(index, sizeof index, "%zu", i + 1);
            xmlNodePtr r = xmlNewChild(rows, NULL, (const xmlChar *)"row", NULL);
            xmlNewProp(r, (const xmlChar *)"group", (const xmlChar *)key);
            xmlNewProp(r, (const xmlChar *)"parent", (const xmlChar *)prefix);
            xmlNewProp(r, (const xmlChar *)"prefix", (const xmlChar *)rp);
            xmlNewProp(r, (const xmlChar *)"index", (const xmlChar *)index);
            if (json_is_object(row))
                add_values(values, rows, row, rp);
        }
    }
}

int fr_form_render(fr_site *site, const fr_form *f, const char *lang, json_t *values,
                   json_t *problems, char **html, fr_error *err)
{
    *html = NULL;
    const char *fallback = site && site->nlanguages ? site->languages[0] : "en";
    if (!lang)
        lang = fallback;
    const fr_embedded_file *xsl = fr_embedded_find("schemas/form-html.xsl");
    if (!xsl)
        return fr_error_set(err, FR_EINTERNAL, "schemas/form-html.xsl is not built in");
    xmlDocPtr sdoc = NULL;
    int rc = fr_xml_load_memory("schemas/form-html.xsl", xsl->data, xsl->size, NULL, &sdoc, err);
    if (rc)
        return rc;
    xsltStylesheetPtr style = xsltParseStylesheetDoc(sdoc);
    if (!style) {
        xmlFreeDoc(sdoc);
        return fr_error_set(err, FR_EINTERNAL, "schemas/form-html.xsl does not compile");
    }
    xmlDocPtr in = xmlNewDoc((const xmlChar *)"1.0");
    xmlNodePtr root = xmlNewNode(NULL, (const xmlChar *)"render");
    xmlDocSetRootElement(in, root);
    xmlNewProp(root, (const xmlChar *)"lang", (const xmlChar *)lang);
    xmlNewProp(root, (const xmlChar *)"fallback", (const xmlChar *)fallback);
    /* today() of the expressions, for the page's live relevance */
    char today[FR_TIME_LEN];
    fr_clock_today(today);
    xmlNewProp(root, (const xmlChar *)"today", (const xmlChar *)today);
    xmlAddChild(root, xmlDocCopyNode(xmlDocGetRootElement(f->doc), in, 1));
    xmlNodePtr vs = xmlNewChild(root, NULL, (const xmlChar *)"values", NULL);
    xmlNodePtr rows = xmlNewChild(root, NULL, (const xmlChar *)"rows", NULL);
    if (json_is_object(values))
        add_values(vs, rows, values, "");
    xmlNodePtr ps = xmlNewChild(root, NULL, (const xmlChar *)"problems", NULL);
    size_t i;
    json_t *p;
    json_array_foreach(problems, i, p)
    {
        xmlNodePtr n =
            xmlNewTextChild(ps, NULL, (const xmlChar *)"problem",
                            (const xmlChar *)json_string_value(json_object_get(p, "message")));
        const char *field = json_string_value(json_object_get(p, "field"));
        xmlNewProp(n, (const xmlChar *)"field", (const xmlChar *)(field ? field : ""));
    }
    xmlNodePtr ws = xmlNewChild(root, NULL, (const xmlChar *)"words", NULL);
    for (size_t k = 0; k < sizeof words / sizeof *words; k++) {
        xmlNodePtr n =
            xmlNewTextChild(ws, NULL, (const xmlChar *)"word", (const xmlChar *)word(lang, (int)k));
        xmlNewProp(n, (const xmlChar *)"key", (const xmlChar *)words[k].key);
    }
    /* The fixed fields of an external result, labelled in lang. */
    if (strcmp(f->kind, "external") == 0) {
        xmlNodePtr ext = xmlNewChild(root, NULL, (const xmlChar *)"external", NULL);
        for (int k = 0; k < f->nfields; k++) {
            const fm_field *fd = &f->fields[k];
            const char *label = fm_text_get(&fd->label, lang, fallback);
            xmlNodePtr n = xmlNewTextChild(ext, NULL, (const xmlChar *)"field",
                                           (const xmlChar *)(label ? label : fd->id));
            xmlNewProp(n, (const xmlChar *)"id", (const xmlChar *)fd->id);
            xmlNewProp(n, (const xmlChar *)"input",
                       (const xmlChar *)(fd->type == FT_DECIMAL ? "number"
                                         : fd->type == FT_DATE  ? "date"
                                                                : "text"));
            char buf[64];
            if (fd->has_min) {
                snprintf(buf, sizeof buf, "%g", fd->min);
                xmlNewProp(n, (const xmlChar *)"min", (const xmlChar *)buf);
            }
            if (fd->has_max) {
                snprintf(buf, sizeof buf, "%g", fd->max);
                xmlNewProp(n, (const xmlChar *)"max", (const xmlChar *)buf);
            }
        }
    }
    /* The stylesheet is ours and reads nothing else: forbid files and the
     * network to the transformation all the same. */
    xsltSecurityPrefsPtr sec = xsltNewSecurityPrefs();
    xsltTransformContextPtr tctx = xsltNewTransformContext(style, in);
    if (sec) {
        xsltSetSecurityPrefs(sec, XSLT_SECPREF_READ_FILE, xsltSecurityForbid);
        xsltSetSecurityPrefs(sec, XSLT_SECPREF_WRITE_FILE, xsltSecurityForbid);
        xsltSetSecurityPrefs(sec, XSLT_SECPREF_CREATE_DIRECTORY, xsltSecurityForbid);
        xsltSetSecurityPrefs(sec, XSLT_SECPREF_READ_NETWORK, xsltSecurityForbid);
        xsltSetSecurityPrefs(sec, XSLT_SECPREF_WRITE_NETWORK, xsltSecurityForbid);
        if (tctx)
            xsltSetCtxtSecurityPrefs(sec, tctx);
    }
    xmlDocPtr out = tctx ? xsltApplyStylesheetUser(style, in, NULL, NULL, NULL, tctx) : NULL;
    if (!out) {
        rc = fr_error_set(err, FR_EINTERNAL, "rendering form %s failed in the stylesheet", f->id);
    } else {
        xmlChar *buf = NULL;
        int size = 0;
        if (xsltSaveResultToString(&buf, &size, out, style) != 0 || !buf)
            rc = fr_error_set(err, FR_ENOMEM, "out of memory rendering form %s", f->id);
        else
            *html = strdup((const char *)buf);
        xmlFree(buf);
        xmlFreeDoc(out);
    }
    if (tctx)
        xsltFreeTransformContext(tctx);
    if (sec)
        xsltFreeSecurityPrefs(sec);
    xmlFreeDoc(in);
    xsltFreeStylesheet(style);
    return rc;
}

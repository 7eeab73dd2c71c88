/* Message catalogues: one JSON object per language (core/server/i18n/
 * fr.json, nl.json, de.json, en.json), embedded in the program at build
 * time and loaded once when the server starts; read-only afterwards, so
 * every worker thread may read them. French is the default and the
 * fallback. Dates are shown day/month/year in every language. */
#include "server.h"

#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "embedded.h"
#include "record.h"

static const char *const langs[] = {"fr", "nl", "de", "en"};
static json_t *catalogues[4];

int fr_i18n_load(fr_error *err)
{
    for (int i = 0; i < 4; i++) {
        char name[32];
        snprintf(name, sizeof name, "i18n/%s.json", langs[i]);
        const fr_embedded_file *f = fr_embedded_find(name);
        json_error_t je;
        if (!f)
            return fr_error_set(err, FR_EINTERNAL, "%s is not built in", name);
        json_decref(catalogues[i]);
        catalogues[i] = json_loadb(f->data, f->size, 0, &je);
        if (!json_is_object(catalogues[i]))
            return fr_error_set(err, FR_EINTERNAL, "%s:%d: %s", name, je.line, je.text);
    }
    return 0;
}

void fr_i18n_free(void)
{
    for (int i = 0; i < 4; i++) {
        json_decref(catalogues[i]);
        catalogues[i] = NULL;
    }
}

const char *fr_t(const char *lang, const char *key)
{
    for (int i = 0; i < 4; i++)
        if (lang && strcmp(lang, langs[i]) == 0) {
            const char *v = json_string_value(json_object_get(catalogues[i], key));
            if (v)
                return v;
        }
    const char *v = json_string_value(json_object_get(catalogues[0], key));
    return v ? v : key;
}

const char *fr_human_date(const char *iso, char out[32])
{
    return fr_clock_human(iso, out);
}

void fr_i18n_negotiate(fr_req *r)
{
    const char *chosen = fr_req_cookie(r, "fr_lang");
    if (chosen && fr_record_valid_language(chosen)) {
        snprintf(r->lang, sizeof r->lang, "%s", chosen);
        return;
    }
    const char *al = fr_req_header(r, "Accept-Language");
    snprintf(r->lang, sizeof r->lang, "fr");
    if (!al)
        return;
    /* The first supported primary tag in the header's order. */
    for (const char *p = al; *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        char tag[3] = {0};
        if (p[0] && p[1]) {
            tag[0] = (char)(p[0] | 0x20);
            tag[1] = (char)(p[1] | 0x20);
            if ((p[2] == '\0' || p[2] == '-' || p[2] == ';' || p[2] == ',') &&
                fr_record_valid_language(tag)) {
                snprintf(r->lang, sizeof r->lang, "%s", tag);
                return;
            }
        }
        const char *comma = strchr(p, ',');
        if (!comma)
            break;
        p = comma + 1;
    }
}

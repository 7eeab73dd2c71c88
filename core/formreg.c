/* The site's form registry: definitions by (id, version), provided by
 * plugins (their manifests' <form file="…"/>) and by the site itself
 * (the .xml files of <site>/forms). Every version ever loaded is kept in the database
 * (form_definitions), so that a submission stays readable under the
 * version it was made with after the form is revised. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "formdef.h"

typedef struct form_entry {
    fr_form *form;
    char *owner; /* NULL: read back from the database, not loaded now */
} form_entry;

struct fr_forms {
    form_entry *entries;
    int nentries;
};

int fr_forms_new(fr_site *site, fr_error *err)
{
    site->forms = calloc(1, sizeof *site->forms);
    return site->forms ? 0 : fr_error_set(err, FR_ENOMEM, "out of memory");
}

void fr_forms_free(fr_site *site)
{
    fr_forms *r = site->forms;
    if (!r)
        return;
    for (int i = 0; i < r->nentries; i++) {
        fr_form_free(r->entries[i].form);
        free(r->entries[i].owner);
    }
    free(r->entries);
    free(r);
    site->forms = NULL;
}

static form_entry *find_entry(fr_forms *r, const char *id, int version)
{
    for (int i = 0; r && i < r->nentries; i++)
        if (r->entries[i].form->version == version && strcmp(r->entries[i].form->id, id) == 0)
            return &r->entries[i];
    return NULL;
}

static int push_entry(fr_forms *r, fr_form *f, const char *owner, fr_error *err)
{
    form_entry *ne = realloc(r->entries, (size_t)(r->nentries + 1) * sizeof *ne);
    if (!ne)
        return fr_error_set(err, FR_ENOMEM, "out of memory");
    r->entries = ne;
    ne[r->nentries].form = f;
    ne[r->nentries].owner = owner ? strdup(owner) : NULL;
    r->nentries++;
    return 0;
}

int fr_forms_add(fr_site *site, const char *owner, fr_form *f, fr_error *err)
{
    fr_forms *r = site->forms;
    if (!owner || !*owner) {
        fr_form_free(f);
        return fr_error_set(err, FR_EINVAL, "a form is added on behalf of a plugin or the site");
    }
    /* A form id is its first plugin's: another plugin shipping a form of
     * the same id would change what "phq9" means for the cases that
     * require it. The site's own forms/ may give a plugin's form a newer
     * version (an administrator's choice), which takes nothing from the
     * plugin. */
    char *taken = NULL;
    int rc = FR_ENOTFOUND;
    if (strcmp(owner, "site") != 0)
        rc = fr_store_query_text(site->store, err, &taken,
                                 "SELECT owner FROM form_definitions WHERE id = ? AND owner <> ?"
                                 " AND owner <> 'site' LIMIT 1",
                                 "tt", f->id, owner);
    if (rc == 0)
        rc = fr_error_set(err, FR_ECONFLICT,
                          "%s: form id %s belongs to plugin %s on this site: require it "
                          "(<requires-form>) rather than ship your own, or give yours another id",
                          f->name, f->id, taken);
    else if (rc == FR_ENOTFOUND)
        fr_error_clear(err);
    free(taken);
    if (rc && rc != FR_ENOTFOUND) {
        fr_form_free(f);
        return rc;
    }
    char *stored = NULL;
    rc = fr_store_query_text(site->store, err, &stored,
                             "SELECT sha256 FROM form_definitions WHERE id = ? AND version = ?",
                             "ti", f->id, f->version);
    if (rc == FR_ENOTFOUND) {
        char now[FR_TIME_LEN];
        fr_clock_now(now);
        rc = fr_store_execf(site->store, err,
                            "INSERT INTO form_definitions (id, version, owner, definition, sha256,"
                            " loaded_at) VALUES (?, ?, ?, ?, ?, ?)",
                            "titttt", f->id, f->version, owner, f->text, f->sha256, now);
    } else if (rc == 0 && strcmp(stored, f->sha256) != 0) {
        rc = fr_error_set(err, FR_ECONFLICT,
                          "%s: form %s version %d already exists on this site with a different "
                          "definition: submissions were made under it, so it cannot change; give "
                          "the revised form version=\"%d\"",
                          f->name, f->id, f->version, f->version + 1);
    }
    free(stored);
    if (rc) {
        fr_form_free(f);
        return rc;
    }
    form_entry *e = find_entry(r, f->id, f->version);
    if (e) {
        /* Callers may hold pointers to the cached definition: keep it. */
        fr_form_free(f);
        char *o = strdup(owner);
        if (!o)
            return fr_error_set(err, FR_ENOMEM, "out of memory");
        free(e->owner);
        e->owner = o;
        return 0;
    }
    if ((rc = push_entry(r, f, owner, err)))
        fr_form_free(f);
    return rc;
}

void fr_forms_remove_owner(fr_site *site, const char *owner)
{
    fr_forms *r = site->forms;
    for (int i = 0; r && i < r->nentries; i++)
        if (r->entries[i].owner && strcmp(r->entries[i].owner, owner) == 0) {
            free(r->entries[i].owner);
            r->entries[i].owner = NULL;
        }
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int fr_forms_load_site_dir(fr_site *site, int *problems, fr_error *err)
{
    if (problems)
        *problems = 0;
    char *dir = fr_path_join(site->dir, "forms");
    if (!dir)
        return fr_error_set(err, FR_ENOMEM, "out of memory");
    DIR *d = opendir(dir);
    if (!d) {
        free(dir);
        return 0; /* no site forms */
    }
    char **names = NULL;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t len = strlen(de->d_name);
        if (len < 5 || strcmp(de->d_name + len - 4, ".xml") != 0 || de->d_name[0] == '.')
            continue;
        char **nn = realloc(names, (size_t)(n + 1) * sizeof *nn);
        if (!nn)
            break;
        names = nn;
        names[n++] = strdup(de->d_name);
    }
    closedir(d);
    /* In name order, so that loading is the same on every machine. */
    if (n > 1)
        qsort(names, (size_t)n, sizeof *names, cmp_name);
    for (int i = 0; i < n; i++) {
        char *path = names[i] ? fr_path_join(dir, names[i]) : NULL;
        fr_form *f = NULL;
        fr_error e = {0};
        int rc = path ? fr_form_load_file(path, &f, &e) : FR_ENOMEM;
        if (!rc)
            rc = fr_forms_add(site, "site", f, &e);
        if (rc) {
            fr_site_log(site, "forms", "site form not loaded: %s", e.message);
            if (problems)
                (*problems)++;
        }
        free(path);
        free(names[i]);
    }
    free(names);
    free(dir);
    return 0;
}

int fr_forms_get(fr_site *site, const char *id, int version, const fr_form **out, fr_error *err)
{
    *out = NULL;
    int rc;
    if (version <= 0) {
        int64_t v = 0;
        rc = fr_store_query_int(site->store, err, &v,
                                "SELECT max(version) FROM form_definitions WHERE id = ?", "t", id);
        if (rc)
            return rc;
        version = (int)v;
        if (version <= 0)
            return fr_error_set(err, FR_ENOTFOUND,
                                "there is no form '%s' on this site: is the plugin that provides "
                                "it enabled, or is it in <site>/forms? See `filrouge form list`",
                                id);
    }
    form_entry *e = find_entry(site->forms, id, version);
    if (e) {
        *out = e->form;
        return 0;
    }
    char *text = NULL;
    rc = fr_store_query_text(site->store, err, &text,
                             "SELECT definition FROM form_definitions WHERE id = ? AND version = ?",
                             "ti", id, version);
    if (rc == FR_ENOTFOUND)
        return fr_error_set(err, FR_ENOTFOUND, "there is no version %d of form '%s'", version, id);
    if (rc)
        return rc;
    char name[256];
    snprintf(name, sizeof name, "form %s version %d (database)", id, version);
    fr_form *f = NULL;
    rc = fr_form_parse(name, text, strlen(text), &f, err);
    free(text);
    if (rc)
        return rc;
    if ((rc = push_entry(site->forms, f, NULL, err))) {
        fr_form_free(f);
        return rc;
    }
    *out = f;
    return 0;
}

int fr_forms_offered(fr_site *site, const fr_form *f)
{
    form_entry *e = find_entry(site->forms, f->id, f->version);
    return e && e->owner;
}

int fr_forms_list(fr_site *site, const char *lang, json_t **out, fr_error *err)
{
    *out = NULL;
    fr_stmt *st;
    int rc = fr_store_query(site->store, err, &st,
                            "SELECT d.id, d.version, d.owner,"
                            " (SELECT count(*) FROM submissions s WHERE s.form_id = d.id"
                            "  AND s.form_version = CAST(d.version AS TEXT))"
                            " FROM form_definitions d ORDER BY d.id, d.version",
                            NULL);
    if (rc)
        return rc;
    const char *fallback = site->nlanguages > 0 ? site->languages[0] : "en";
    json_t *a = json_array();
    while ((rc = fr_stmt_step(st, err)) == 1) {
        const char *id = fr_stmt_text(st, 0);
        int version = (int)fr_stmt_int(st, 1);
        form_entry *e = find_entry(site->forms, id, version);
        json_t *item = json_pack("{s:s,s:i,s:s,s:b,s:I}", "id", id, "version", version, "owner",
                                 fr_stmt_text(st, 2), "loaded", e && e->owner ? 1 : 0,
                                 "submissions", (json_int_t)fr_stmt_int(st, 3));
        /* A version no longer offered: its stored definition gives its
         * title (and it stays loaded for the submissions made under it). */
        const fr_form *f = e ? e->form : NULL;
        fr_error ignored = {0};
        if (!f)
            fr_forms_get(site, id, version, &f, &ignored);
        if (f) {
            json_object_set_new(item, "kind", json_string(f->kind));
            json_object_set_new(item, "title",
                                json_string(fr_form_title(f, lang ? lang : fallback, fallback)));
        }
        json_array_append_new(a, item);
    }
    fr_stmt_done(st);
    if (rc < 0) {
        json_decref(a);
        return rc;
    }
    *out = a;
    return 0;
}

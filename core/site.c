/* Sites: creating one (`filrouge init`), reading site.xml, opening the
 * database with the core schema, and handing over to the plugin part. The
 * record, workflows and plugins live in their own files. */
#include "site.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit.h"
#include "bus.h"
#include "clock.h"
#include "embedded.h"
#include "plugin.h"
#include "workflow.h"
#include "xmldoc.h"

/* The version of a migration is its position in this list (1-based). The
 * web application's file is named 004 because forms (002) and Python hooks
 * (003) are written in parallel: when they are merged, they go before it. */
static const char *core_migration_files[] = {"sql/core-001-initial.sql", "sql/core-004-web.sql"};

int fr_site_migrate_core(fr_store *store, fr_error *err)
{
    enum { N = sizeof core_migration_files / sizeof *core_migration_files };
    fr_migration m[N];
    for (int i = 0; i < N; i++) {
        const fr_embedded_file *f = fr_embedded_find(core_migration_files[i]);
        if (!f)
            return fr_error_set(err, FR_EINTERNAL, "%s is not built in", core_migration_files[i]);
        m[i].version = i + 1;
        m[i].name = f->name;
        m[i].sql = f->data;
    }
    return fr_store_migrate(store, "core", m, N, err);
}

char *fr_path_join(const char *dir, const char *rel)
{
    char *out;
    if (rel[0] == '/')
        return strdup(rel);
    if (asprintf(&out, "%s/%s", dir, rel) < 0)
        return NULL;
    return out;
}

static int write_file(const char *path, const char *text, fr_error *err)
{
    FILE *f = fopen(path, "wx");
    if (!f)
        return fr_error_set(err, FR_EIO, "cannot create %s: %s", path, strerror(errno));
    int ok = fputs(text, f) >= 0;
    ok = (fclose(f) == 0) && ok;
    if (!ok)
        return fr_error_set(err, FR_EIO, "cannot write %s: %s", path, strerror(errno));
    return 0;
}

static int make_dir(const char *path, fr_error *err)
{
    if (mkdir(path, 0770) != 0 && errno != EEXIST)
        return fr_error_set(err, FR_EIO, "cannot create the folder %s: %s", path,
                            strerror(errno));
    return 0;
}

static void xml_escape(const char *in, char *out, size_t size)
{
    size_t o = 0;
    for (; *in && o + 7 < size; in++) {
        const char *rep = NULL;
        switch (*in) {
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '&': rep = "&amp;"; break;
        case '"': rep = "&quot;"; break;
        }
        if (rep) {
            size_t l = strlen(rep);
            memcpy(out + o, rep, l);
            o += l;
        } else {
            out[o++] = *in;
        }
    }
    out[o] = '\0';
}

int fr_site_init(const char *dir, const fr_site_init_options *opt, fr_error *err)
{
    fr_site_init_options defaults = {0};
    if (!opt)
        opt = &defaults;
    int rc = make_dir(dir, err);
    if (rc)
        return rc;
    char *config = fr_path_join(dir, "site.xml");
    char *db = fr_path_join(dir, "filrouge.db");
    char *hooks = fr_path_join(dir, "hooks");
    char *plugins = fr_path_join(dir, "plugins");
    char text[4096], name[512];
    char *dircopy = strdup(dir);
    fr_store *store = NULL;
    if (!config || !db || !hooks || !plugins || !dircopy) {
        rc = fr_error_set(err, FR_ENOMEM, "out of memory");
        goto out;
    }
    if (access(config, F_OK) == 0) {
        rc = fr_error_set(err, FR_EREFUSED,
                          "%s already holds a site (site.xml exists); nothing was changed. "
                          "Choose an empty folder",
                          dir);
        goto out;
    }
    xml_escape(opt->name ? opt->name : basename(dircopy), name, sizeof name);
    snprintf(text, sizeof text,
             "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
             "<site xmlns=\"urn:filrouge:site:1\">\n"
             "  <name>%s</name>\n"
             "  <!-- the first language is the default of the interface and of forms -->\n"
             "  <languages>%s</languages>\n"
             "  <database>filrouge.db</database>\n"
             "  <listen>127.0.0.1:8080</listen>\n"
             "  <!-- <plugin-path>/opt/filrouge-plugins</plugin-path> -->\n"
             "  <!-- <plugin id=\"frailty\"><setting name=\"efs-threshold\">6</setting>"
             "</plugin> -->\n"
             "</site>\n",
             name, opt->languages ? opt->languages : "fr nl de en");
    if ((rc = make_dir(hooks, err)) || (rc = make_dir(plugins, err)))
        goto out;
    if ((rc = fr_store_open(db, NULL, &store, err)))
        goto out;
    if ((rc = fr_site_migrate_core(store, err)))
        goto out;
    char now[FR_TIME_LEN];
    fr_clock_now(now);
    if ((rc = fr_store_begin(store, err)))
        goto out;
    rc = fr_store_execf(store, err, "INSERT INTO site_meta (key, value) VALUES ('created_at', ?)",
                        "t", now);
    if (!rc)
        rc = fr_audit_append(store, "system", "create", "site", name, NULL, err);
    if (!rc)
        rc = fr_store_commit(store, err);
    else
        fr_store_rollback(store);
    if (rc)
        goto out;
    /* site.xml last: a folder with site.xml is a complete site. */
    rc = write_file(config, text, err);
out:
    fr_store_close(store);
    free(config);
    free(db);
    free(hooks);
    free(plugins);
    free(dircopy);
    return rc;
}

static int add_setting(fr_site *site, const char *plugin, xmlNodePtr n)
{
    fr_setting *grown = realloc(site->settings, (site->nsettings + 1) * sizeof *grown);
    if (!grown)
        return FR_ENOMEM;
    site->settings = grown;
    fr_setting *s = &site->settings[site->nsettings++];
    s->plugin = plugin ? strdup(plugin) : NULL;
    s->name = fr_xml_attr(n, "name");
    s->value = fr_xml_text(n);
    return 0;
}

static int read_config(fr_site *site, fr_error *err)
{
    xmlDocPtr doc;
    int rc = fr_xml_load(site->config_path, "schemas/site.xsd", &doc, err);
    if (rc) {
        if (rc == FR_ENOTFOUND)
            fr_error_set(err, FR_ENOTFOUND,
                         "%s is not a Filrouge site (no site.xml); create one with "
                         "`filrouge init %s`",
                         site->dir, site->dir);
        return rc;
    }
    xmlNodePtr root = xmlDocGetRootElement(doc);
    for (xmlNodePtr n = fr_xml_next(root->children, NULL); n; n = fr_xml_next(n->next, NULL)) {
        const char *tag = (const char *)n->name;
        char *text = fr_xml_text(n);
        if (strcmp(tag, "name") == 0) {
            site->name = text;
            text = NULL;
        } else if (strcmp(tag, "languages") == 0) {
            char *save = NULL;
            for (char *t = strtok_r(text, " ", &save); t && site->nlanguages < 8;
                 t = strtok_r(NULL, " ", &save))
                site->languages[site->nlanguages++] = strdup(t);
        } else if (strcmp(tag, "database") == 0) {
            site->db_path = fr_path_join(site->dir, text);
        } else if (strcmp(tag, "listen") == 0) {
            site->listen = text;
            text = NULL;
        } else if (strcmp(tag, "plugin-path") == 0) {
            char **grown = realloc(site->plugin_paths,
                                   (site->nplugin_paths + 1) * sizeof *grown);
            if (grown) {
                site->plugin_paths = grown;
                site->plugin_paths[site->nplugin_paths++] = fr_path_join(site->dir, text);
            }
        } else if (strcmp(tag, "setting") == 0) {
            add_setting(site, NULL, n);
        } else if (strcmp(tag, "plugin") == 0) {
            char *id = fr_xml_attr(n, "id");
            for (xmlNodePtr s = fr_xml_child(n, "setting"); s; s = fr_xml_next(s->next, "setting"))
                add_setting(site, id, s);
            free(id);
        }
        free(text);
    }
    xmlFreeDoc(doc);
    return 0;
}

int fr_site_open(const char *dir, const fr_site_open_options *opt, fr_site **out, fr_error *err)
{
    fr_site_open_options defaults = {0};
    if (!opt)
        opt = &defaults;
    *out = NULL;
    fr_site *site = calloc(1, sizeof *site);
    if (!site)
        return fr_error_set(err, FR_ENOMEM, "out of memory");
    char resolved[PATH_MAX];
    site->dir = strdup(realpath(dir, resolved) ? resolved : dir);
    site->config_path = fr_path_join(site->dir, "site.xml");
    snprintf(site->actor, sizeof site->actor, "system");
    snprintf(site->actor_role, sizeof site->actor_role, "admin");
    int rc = read_config(site, err);
    if (rc)
        goto fail;
    if (access(site->db_path, F_OK) != 0) {
        rc = fr_error_set(err, FR_ENOTFOUND,
                          "the database %s named in %s does not exist; restore it from a "
                          "backup, or fix <database> in site.xml",
                          site->db_path, site->config_path);
        goto fail;
    }
    if ((rc = fr_store_open(site->db_path, NULL, &site->store, err)))
        goto fail;
    if ((rc = fr_site_migrate_core(site->store, err)))
        goto fail;
    if ((rc = fr_bus_new(site, err)) || (rc = fr_workflows_new(site, err)))
        goto fail;
    if (!opt->no_plugins && (rc = fr_plugins_open(site, err)))
        goto fail;
    *out = site;
    return 0;
fail:
    fr_site_close(site);
    return rc;
}

void fr_site_close(fr_site *site)
{
    if (!site)
        return;
    fr_plugins_close(site);
    fr_workflows_free(site);
    fr_bus_free(site);
    fr_store_close(site->store);
    for (int i = 0; i < site->nlanguages; i++)
        free(site->languages[i]);
    for (int i = 0; i < site->nplugin_paths; i++)
        free(site->plugin_paths[i]);
    free(site->plugin_paths);
    for (int i = 0; i < site->nsettings; i++) {
        free(site->settings[i].plugin);
        free(site->settings[i].name);
        free(site->settings[i].value);
    }
    free(site->settings);
    free(site->dir);
    free(site->config_path);
    free(site->name);
    free(site->db_path);
    free(site->listen);
    free(site);
}

int fr_site_set_actor(fr_site *site, const char *login, fr_error *err)
{
    if (!login || strcmp(login, "system") == 0) {
        snprintf(site->actor, sizeof site->actor, "system");
        snprintf(site->actor_role, sizeof site->actor_role, "admin");
        site->actor_id = 0;
        return 0;
    }
    fr_stmt *st;
    int rc = fr_store_query(site->store, err, &st,
                            "SELECT id, role, active FROM users WHERE login = ?", "t", login);
    if (rc)
        return rc;
    rc = fr_stmt_step(st, err);
    if (rc == 1) {
        if (!fr_stmt_int(st, 2)) {
            rc = fr_error_set(err, FR_EACCESS, "the user '%s' is deactivated", login);
        } else {
            site->actor_id = fr_stmt_int(st, 0);
            snprintf(site->actor_role, sizeof site->actor_role, "%s", fr_stmt_text(st, 1));
            snprintf(site->actor, sizeof site->actor, "%s", login);
            rc = 0;
        }
    } else if (rc == 0) {
        rc = fr_error_set(err, FR_ENOTFOUND,
                          "no user '%s' on this site; see `filrouge user list`", login);
    }
    fr_stmt_done(st);
    return rc;
}

const char *fr_site_setting(const fr_site *site, const char *plugin, const char *name)
{
    for (int i = 0; i < site->nsettings; i++) {
        const fr_setting *s = &site->settings[i];
        if (((!plugin && !s->plugin) || (plugin && s->plugin && strcmp(plugin, s->plugin) == 0)) &&
            s->name && strcmp(s->name, name) == 0)
            return s->value;
    }
    return NULL;
}

void fr_site_log(const fr_site *site, const char *who, const char *fmt, ...)
{
    const char *path = getenv("FILROUGE_LOG");
    char buf[PATH_MAX];
    FILE *f = NULL;
    int to_stderr = path && strcmp(path, "-") == 0;
    if (to_stderr) {
        f = stderr;
    } else {
        if (!path || !*path) {
            if (!site || !site->dir)
                return;
            snprintf(buf, sizeof buf, "%s/filrouge.log", site->dir);
            path = buf;
        }
        f = fopen(path, "a");
        if (!f)
            return; /* logging must never stop the operation it describes */
    }
    char now[FR_TIME_LEN];
    fr_clock_now(now);
    fprintf(f, "%s [%s] ", now, who ? who : "core");
    va_list ap;
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
    fputc('\n', f);
    if (!to_stderr)
        fclose(f);
}

/* filrouge init: creating a site. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

static int run_init(cli *c)
{
    fr_site_init_options opt = {0};
    opt.name = cli_opt(c, "name");
    opt.languages = cli_opt(c, "languages");
    opt.database = cli_opt(c, "database");
    if (cli_check_args(c, 1, 1))
        return CLI_USAGE;
    fr_error err = {0};
    if (fr_site_init(cli_arg(c, 0), &opt, &err))
        return cli_fail(c, &err);
    cli_ok(c, json_pack("{s:s}", "site", cli_arg(c, 0)),
           "site created in %s; enable a plugin with `filrouge --site %s plugin enable ID`",
           cli_arg(c, 0), cli_arg(c, 0));
    return 0;
}

/* --from sqlite:PATH (the site folder or its database file; default: the
 * --site folder) --to postgresql://… */
static int run_migrate_store(cli *c)
{
    const char *from = cli_opt(c, "from"), *to = cli_opt(c, "to");
    if (cli_check_args(c, 0, 0) || !to)
        return CLI_USAGE;
    if (strncmp(to, "postgresql:", 11) == 0 && strncmp(to, "postgresql://", 13) != 0)
        to += 11; /* postgresql:DSN */
    char dir[4096] = "";
    if (from) {
        if (strncmp(from, "sqlite:", 7) != 0) {
            fprintf(stderr, "filrouge: --from: give sqlite:PATH (the site folder or its "
                            "filrouge.db)\n");
            return CLI_USAGE;
        }
        struct stat st;
        snprintf(dir, sizeof dir, "%s", from + 7);
        if (stat(dir, &st) == 0 && !S_ISDIR(st.st_mode)) {
            char *slash = strrchr(dir, '/');
            if (slash)
                *slash = '\0'; /* the folder of the database file */
            else
                snprintf(dir, sizeof dir, ".");
        }
        c->site_dir = dir;
    }
    int opened = cli_open(c);
    if (from)
        c->site_dir = NULL; /* dir lives in this function only */
    if (opened)
        return CLI_REFUSED;
    fr_error err = {0};
    json_t *report = NULL;
    if (fr_site_migrate_store(c->site, to, &report, &err))
        return cli_fail(c, &err);
    cli_ok(c, report,
           "the record was copied into %s and checked (row counts, audit chain of %" JSON_INTEGER_FORMAT
           " entries); name it in <database> of site.xml (write & as &amp;) to use it",
           json_string_value(json_object_get(report, "to")),
           json_integer_value(json_object_get(report, "audit_entries")));
    return 0;
}

static int run_backup(cli *c)
{
    if (cli_check_args(c, 1, 1))
        return CLI_USAGE;
    fr_error err = {0};
    if (cli_open(c))
        return CLI_REFUSED;
    if (fr_site_backup(c->site, cli_arg(c, 0), &err))
        return cli_fail(c, &err);
    cli_ok(c, json_pack("{s:s}", "backup", cli_arg(c, 0)),
           "site backed up into %s (database, site.xml, hooks)", cli_arg(c, 0));
    return 0;
}

static int run_restore(cli *c)
{
    if (cli_check_args(c, 1, 1))
        return CLI_USAGE;
    const char *dir = c->site_dir ? c->site_dir : getenv("FILROUGE_SITE");
    if (!dir || !*dir)
        return cli_usage(c, "say which site to restore into with --site DIR");
    fr_error err = {0};
    if (fr_site_restore(cli_arg(c, 0), dir, &err))
        return cli_fail(c, &err);
    cli_ok(c, NULL, "%s restored into %s (the previous database is kept beside it)",
           cli_arg(c, 0), dir);
    return 0;
}

const cli_command cli_site_commands[] = {
    {"init", NULL, run_init,
     "DIR [--name NAME] [--languages 'fr nl de en'] [--database postgresql://…]",
     "create a site (site.xml, database, hooks/ and plugins/ folders) in DIR; its record in "
     "DIR/filrouge.db, or in the empty PostgreSQL database named by --database"},
    {"migrate-store", NULL, run_migrate_store, "--to postgresql://… [--from sqlite:PATH]",
     "copy the site's record into an empty PostgreSQL database, then check row counts and the "
     "audit chain there (administrators; PATH: the site folder or its filrouge.db, default "
     "--site)"},
    {"backup", NULL, run_backup, "DEST",
     "a consistent copy of the site (database, site.xml, hooks/, forms/, plugins/) into the "
     "new folder DEST, also while it is in use (administrators)"},
    {"restore", NULL, run_restore, "BACKUP --site DIR",
     "check a backup, then put it in place of the site's database, with site.xml, hooks/, "
     "forms/ and plugins/ where the site has none (nobody may be using the site)"},
    {0},
};

/* filrouge init: creating a site. */
#include <stdio.h>
#include <stdlib.h>

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
    {"backup", NULL, run_backup, "DEST",
     "a consistent copy of the site (database, site.xml, hooks) into the new folder DEST, "
     "also while it is in use (administrators)"},
    {"restore", NULL, run_restore, "BACKUP --site DIR",
     "check a backup, then put it in place of the site's database (nobody may be using the site)"},
    {0},
};

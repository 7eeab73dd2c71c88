/* filrouge init: creating a site. */
#include <stdio.h>

#include "cli.h"

static int run_init(cli *c)
{
    fr_site_init_options opt = {0};
    opt.name = cli_opt(c, "name");
    opt.languages = cli_opt(c, "languages");
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

const cli_command cli_site_commands[] = {
    {"init", NULL, run_init, "DIR [--name NAME] [--languages 'fr nl de en']",
     "create a site (site.xml, database, hooks/ and plugins/ folders) in DIR"},
    {0},
};

/* filrouge serve: runs the web application (core/server/) on the site. */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "server.h"

static int run_serve(cli *c)
{
    fr_server_options o = {0};
    o.listen = cli_opt(c, "listen");
    const char *threads = cli_opt(c, "threads");
    if (cli_check_args(c, 0, 0) || (threads && cli_int(c, threads, "--threads", 1, 32, &o.threads)))
        return CLI_USAGE;
    o.site_dir = c->site_dir ? c->site_dir : getenv("FILROUGE_SITE");
    if (!o.site_dir || !*o.site_dir)
        o.site_dir = ".";
    if (!o.listen) {
        /* site.xml's listen address, else loopback. */
        fr_error err = {0};
        fr_site *site = NULL;
        if (fr_site_open(o.site_dir, &(fr_site_open_options){.no_plugins = 1}, &site, &err))
            return cli_fail(c, &err);
        static char listen[128];
        snprintf(listen, sizeof listen, "%s", site->listen ? site->listen : "127.0.0.1:8080");
        fr_site_close(site);
        o.listen = listen;
    }
    fr_error err = {0};
    if (fr_server_run(&o, &err))
        return cli_fail(c, &err);
    return 0;
}

const cli_command cli_serve_commands[] = {
    {"serve", NULL, run_serve, "[--listen ADDRESS:PORT] [--threads N]",
     "run the web application (default 127.0.0.1:8080; stop with Ctrl-C or SIGTERM)"},
    {0},
};

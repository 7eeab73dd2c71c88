/* A benchmark's site (benchsite.h). */
#include "benchsite.h"

#include <stdio.h>
#include <stdlib.h>

#include "plugin.h"

fr_site *bench_site(const char *dir, const char *database)
{
    fr_error err = {0};
    fr_site *site = NULL;
    fr_site_init_options o = {.database = database};
    if (fr_site_init(dir, &o, &err) || fr_site_open(dir, NULL, &site, &err) ||
        fr_plugins_enable(site, "instruments", &err) || fr_plugins_enable(site, "frailty", &err)) {
        fprintf(stderr, "bench: site %s: %s\n", dir, err.message);
        exit(1);
    }
    return site;
}

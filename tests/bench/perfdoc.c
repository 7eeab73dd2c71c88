/* Rewrites one benchmark's section of docs/performance.md (perfdoc.h). */
#include "perfdoc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void perfdoc_write(const char *doc, const char *name, const char *section)
{
    char begin[96], end[96];
    snprintf(begin, sizeof begin, "<!-- bench:%s:begin -->", name);
    snprintf(end, sizeof end, "<!-- bench:%s:end -->", name);
    char *text = NULL;
    size_t len = 0;
    FILE *f = fopen(doc, "r");
    if (f) {
        fseek(f, 0, SEEK_END);
        len = (size_t)ftell(f);
        fseek(f, 0, SEEK_SET);
        text = calloc(1, len + 1);
        if (!text || fread(text, 1, len, f) != len)
            len = 0;
        fclose(f);
    }
    f = fopen(doc, "w");
    if (!f) {
        fprintf(stderr, "bench: cannot write %s\n", doc);
        free(text);
        return;
    }
    char *b = len ? strstr(text, begin) : NULL, *e = len ? strstr(text, end) : NULL;
    if (b && e && e > b) {
        fwrite(text, 1, (size_t)(b - text), f);
        fprintf(f, "%s\n%s%s", begin, section, e);
    } else {
        if (len)
            fputs(text, f);
        else
            fputs("# Performance\n\nEvery figure on this page is produced by one command, "
                  "`scripts/bench`: each benchmark in `tests/bench/` measures its baseline in "
                  "the same run (the machines are shared and noisy) and rewrites its own "
                  "section below.\n",
                  f);
        fprintf(f, "\n%s\n%s%s\n", begin, section, end);
    }
    fclose(f);
    free(text);
}

void perfdoc_machine(char *out, size_t n)
{
    char model[128] = "", line[256];
    FILE *f = fopen("/proc/cpuinfo", "r");
    while (f && fgets(line, sizeof line, f) && !model[0]) {
        const char *c = strncmp(line, "model name", 10) == 0 ? strchr(line, ':') : NULL;
        if (c) {
            snprintf(model, sizeof model, "%s", c + 2);
            model[strcspn(model, "\n")] = '\0';
        }
    }
    if (f)
        fclose(f);
    double load[1] = {0};
    if (getloadavg(load, 1) != 1)
        load[0] = -1;
    long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGE_SIZE);
    time_t t = time(NULL);
    char when[48];
    strftime(when, sizeof when, "%d/%m/%Y %H:%M UTC", gmtime(&t));
    snprintf(out, n, "%s, %s%s%ld cores, %.1f GiB, load average %.1f", when, model,
             model[0] ? ", " : "", sysconf(_SC_NPROCESSORS_ONLN),
             (double)pages * (double)psize / (1024.0 * 1024 * 1024), load[0]);
}

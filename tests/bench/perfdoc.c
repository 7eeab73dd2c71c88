/* Rewrites one benchmark's section of docs/performance.md (perfdoc.h). */
#include "perfdoc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
            fputs("# Performance\n\nFigures are measured, not guessed: each benchmark in "
                  "`tests/bench/` measures its baseline in the same run (the machines are "
                  "shared and noisy) and rewrites its own section below.\n",
                  f);
        fprintf(f, "\n%s\n%s%s\n", begin, section, end);
    }
    fclose(f);
    free(text);
}

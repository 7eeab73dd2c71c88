/* The section writer for shell benchmarks (tests/bench/memory.sh):
 *   perfdoc DOC NAME < SECTION
 * replaces the text between <!-- bench:NAME:begin --> and its end marker. */
#include <stdio.h>
#include <stdlib.h>

#include "perfdoc.h"

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: perfdoc DOC NAME < SECTION\n");
        return 2;
    }
    size_t cap = 1 << 16, len = 0, n;
    char *text = malloc(cap);
    while (text && (n = fread(text + len, 1, cap - 1 - len, stdin)) > 0) {
        len += n;
        if (len + 1 >= cap) {
            char *bigger = realloc(text, cap * 2);
            if (!bigger)
                break;
            text = bigger;
            cap *= 2;
        }
    }
    if (!text)
        return 1;
    text[len] = '\0';
    perfdoc_write(argv[1], argv[2], text);
    free(text);
    return 0;
}

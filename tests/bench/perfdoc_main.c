/* The section writer for shell benchmarks (tests/bench/memory.sh):
 *   perfdoc DOC NAME < SECTION
 * replaces the text between <!-- bench:NAME:begin --> and its end marker;
 *   perfdoc --machine
 * prints the date and the machine (cores, memory, load average). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "perfdoc.h"

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--machine") == 0) {
        char m[512];
        perfdoc_machine(m, sizeof m);
        printf("%s\n", m);
        return 0;
    }
    if (argc != 3) {
        fprintf(stderr, "usage: perfdoc DOC NAME < SECTION, or perfdoc --machine\n");
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

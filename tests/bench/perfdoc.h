/* The benchmarks' shared writer of docs/performance.md: each benchmark owns
 * the text between its markers <!-- bench:NAME:begin --> and
 * <!-- bench:NAME:end --> and rewrites only that, so that one run never
 * erases another benchmark's figures. */
#ifndef FR_PERFDOC_H
#define FR_PERFDOC_H

#include <stddef.h>

void perfdoc_write(const char *doc, const char *name, const char *section);

/* When and on what, for a section's first lines: "23/11/2026 15:50 UTC,
 * AMD EPYC 7B13, 2 cores, 23.5 GiB, load average 7.1". */
void perfdoc_machine(char *out, size_t n);

#endif

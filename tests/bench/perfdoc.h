/* The benchmarks' shared writer of docs/performance.md: each benchmark owns
 * the text between its markers <!-- bench:NAME:begin --> and
 * <!-- bench:NAME:end --> and rewrites only that, so that one run never
 * erases another benchmark's figures. */
#ifndef FR_PERFDOC_H
#define FR_PERFDOC_H

void perfdoc_write(const char *doc, const char *name, const char *section);

#endif

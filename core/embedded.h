/* Data files packed into the binary at build time (core/tools/embed.py):
 * SQL migrations and XSD schemas. */
#ifndef FR_EMBEDDED_H
#define FR_EMBEDDED_H

#include <stddef.h>

typedef struct fr_embedded_file {
    const char *name;
    const char *data;
    size_t size;
} fr_embedded_file;

extern const fr_embedded_file fr_embedded_files[];

/* The file named `name` (e.g. "schemas/workflow.xsd"), or NULL. */
const fr_embedded_file *fr_embedded_find(const char *name);

#endif

/* Lookup in the table of files packed into the binary. */
#include "embedded.h"

#include <string.h>

const fr_embedded_file *fr_embedded_find(const char *name)
{
    for (const fr_embedded_file *f = fr_embedded_files; f->name; f++)
        if (strcmp(f->name, name) == 0)
            return f;
    return NULL;
}

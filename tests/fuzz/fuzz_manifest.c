/* Fuzz target: a plugin folder's manifest, checked as `filrouge plugin
 * check` does (the manifest, its workflow files, its library in a child). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "plugin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char dir[64];
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/fuzz-manifest-XXXXXX");
        if (!mkdtemp(dir))
            abort();
    }
    char path[128];
    snprintf(path, sizeof path, "%s/plugin.xml", dir);
    FILE *f = fopen(path, "wb");
    if (!f)
        abort();
    fwrite(data, 1, size, f);
    fclose(f);
    fr_error err = {0};
    fr_plugin_check_dir(dir, &err);
    return 0;
}

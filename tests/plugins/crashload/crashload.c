/* Test plugin "crashload": its library aborts while being loaded (in a
 * constructor), before the kernel can read its descriptor. Only
 * `plugin check` meets it, in a child process; the caller must survive. */
#include <stdlib.h>

#include <filrouge/filrouge.h>

__attribute__((constructor)) static void crash_on_load(void)
{
    abort();
}

FR_PLUGIN("crashload", "1.0.0", NULL, NULL);

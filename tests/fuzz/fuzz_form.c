/* Fuzz target: form definition parsing and checking (XSD, meaning,
 * expressions, calculation cycles, bands). */
#include <stddef.h>
#include <stdint.h>

#include "form.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fr_error err = {0};
    fr_form *f = NULL;
    if (fr_form_parse("fuzz.form.xml", (const char *)data, size, &f, &err) == 0)
        fr_form_free(f);
    return 0;
}

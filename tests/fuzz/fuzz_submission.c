/* Fuzz target: submission validation — any bytes as a submission (JSON or
 * an XML instance) of a fixed form with repeats, skip logic, constraints,
 * calculations, scores, bands and flags (tests/plugins/forms/situation.xml
 * and phq9.xml, chosen by the first byte). Nothing is stored. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "form.h"

#ifndef FUZZ_FORMS_DIR
#define FUZZ_FORMS_DIR "tests/plugins/forms"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static fr_form *load(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", FUZZ_FORMS_DIR, name);
    fr_error err = {0};
    fr_form *f = NULL;
    if (fr_form_load_file(path, &f, &err) != 0) {
        fprintf(stderr, "fuzz_submission: %s\n", err.message);
        abort();
    }
    return f;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static fr_form *forms[2];
    if (!forms[0]) {
        forms[0] = load("situation.xml");
        forms[1] = load("phq9.xml");
    }
    if (size == 0)
        return 0;
    fr_error err = {0};
    json_t *result = NULL, *problems = NULL;
    fr_form_evaluate(NULL, forms[data[0] & 1], (const char *)data + 1, size - 1, data[0] & 2,
                     "fr", &result, &problems, &err);
    json_decref(result);
    json_decref(problems);
    return 0;
}

/* Fuzz target: workflow definition parsing and checking (XSD, then
 * meaning, XPath guards compiled). Built with libFuzzer by scripts/fuzz, and
 * as a replay of the corpus by the test suite (replay.c). */
#include <stddef.h>
#include <stdint.h>

#include "wfdef.h"
#include "workflow.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fr_error err = {0};
    fr_workflow *wf = NULL;
    if (wf_parse("fuzz.workflow.xml", (const char *)data, size, &wf, &err) == 0)
        fr_workflow_free(wf);
    return 0;
}

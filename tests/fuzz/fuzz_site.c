/* Fuzz target: XML loading with schema validation and file:line errors,
 * as for site.xml (and every XML the kernel reads through xmldoc). */
#include <stddef.h>
#include <stdint.h>

#include "xmldoc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fr_error err = {0};
    xmlDocPtr doc = NULL;
    if (fr_xml_load_memory("site.xml", (const char *)data, size, "schemas/site.xsd", &doc,
                           &err) == 0)
        xmlFreeDoc(doc);
    return 0;
}

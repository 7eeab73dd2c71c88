/* Reading the XML files the system is configured with (site.xml, plugin
 * manifests, workflows, later forms): well-formedness and XSD validation
 * against the embedded schemas, with every error naming file and line. */
#ifndef FR_XMLDOC_H
#define FR_XMLDOC_H

#include <libxml/tree.h>

#include <filrouge/error.h>

/* Parses `path` (no network, no entity expansion) and validates it against
 * the embedded schema `xsd` (e.g. "schemas/workflow.xsd"; NULL: no schema).
 * On failure, err lists every problem found as "FILE:LINE: message", one per
 * line, and *out is NULL. The caller frees the document with xmlFreeDoc. */
int fr_xml_load(const char *path, const char *xsd, xmlDocPtr *out, fr_error *err);

/* The same for XML held in memory; `name` is used in messages. */
int fr_xml_load_memory(const char *name, const char *data, size_t size, const char *xsd,
                       xmlDocPtr *out, fr_error *err);
/* The same; on failure *report (when not NULL) is every problem, one per
 * line, however many there are (err holds what fits in it), or NULL.
 * The caller frees *report. */
int fr_xml_load_memory_report(const char *name, const char *data, size_t size, const char *xsd,
                              xmlDocPtr *out, fr_error *err, char **report);

/* Refuses XML that is not UTF-8 before any parser decodes it: a UTF-16
 * byte-order mark, a NUL byte, or an XML declaration naming another
 * encoding (ISO-8859-1, …), which libxml2 would otherwise convert. Every
 * loader above calls it (for a file, on its first bytes); `name` is used in
 * the message. */
int fr_xml_utf8_only(const char *name, const char *text, size_t len, fr_error *err);

/* Convenience accessors over a libxml2 tree. The returned strings are
 * malloc'd (free with free()); NULL when absent. */
char *fr_xml_attr(xmlNodePtr node, const char *name);
char *fr_xml_text(xmlNodePtr node);
/* The next element sibling named `name` (or any element when NULL), starting
 * at `node` itself. */
xmlNodePtr fr_xml_next(xmlNodePtr node, const char *name);
xmlNodePtr fr_xml_child(xmlNodePtr parent, const char *name);

#endif

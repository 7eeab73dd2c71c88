/* Form definitions in memory: the parsed form of a form XML file
 * (schemas/form.xsd), shared by the form*.c files. Internal to the kernel.
 * The definition's document is kept (doc) for rendering and export; the
 * structures below index what validation and scoring need. */
#ifndef FR_FORMDEF_H
#define FR_FORMDEF_H

#include <libxml/tree.h>
#include <libxml/xpath.h>

#include "form.h"

#define FM_NS "urn:filrouge:form:1"

typedef struct fm_text {
    char *lang;
    char *text;
} fm_text;

typedef struct fm_texts {
    fm_text *v;
    int n;
} fm_texts;

typedef struct fm_option {
    char *code;
    double points;
    int has_points;
    fm_texts label;
} fm_option;

typedef struct fm_choices {
    char *id;
    int line;
    fm_option *opts;
    int nopts;
} fm_choices;

typedef enum fm_type {
    FT_TEXT,
    FT_LONGTEXT,
    FT_INTEGER,
    FT_DECIMAL,
    FT_DATE,
    FT_DATETIME,
    FT_BOOLEAN,
    FT_CHOICE,
    FT_MULTI,
    FT_SCALE,
    FT_NOTE,
    FT_PARTIAL_DATE,
} fm_type;

/* A section or a group. Only repeat groups nest the instance (one element
 * per row, named after the group); sections and plain groups are layout,
 * but their `relevant` applies to everything inside. */
typedef struct fm_container {
    char *id;
    int line;
    int repeat;
    int min_rows, max_rows; /* max 0: no limit */
    int parent;             /* index of the enclosing container, -1: none */
    char *relevant;
    xmlXPathCompExprPtr relevant_x;
    fm_texts label;
} fm_container;

typedef struct fm_field {
    char *id;
    int line;
    fm_type type;
    int container; /* innermost container, -1: none */
    int repeat;    /* innermost repeat container, -1: top level */
    int required;
    char *relevant, *constraint, *calculate, *dflt;
    xmlXPathCompExprPtr relevant_x, constraint_x, calculate_x;
    int has_min, has_max;
    double min, max;
    const fm_choices *choices; /* choice and multi-choice fields */
    fm_texts label, hint, message;
    xmlNodePtr node;
} fm_field;

typedef struct fm_band {
    char *code;
    int has_min, has_max;
    double min, max;
    fm_texts label;
} fm_band;

typedef struct fm_score {
    char *id;
    int line;
    char **items; /* NULL-terminated field ids summed (points or values) */
    int nitems;
    char *expr;
    xmlXPathCompExprPtr expr_x;
    int min_answered; /* 0: no minimum */
    char *scheme;     /* bands' scheme name */
    int bands_version;
    fm_band *bands;
    int nbands;
    fm_texts label;
} fm_score;

typedef struct fm_flag {
    char *id;
    int line;
    char *severity;
    char *when;
    xmlXPathCompExprPtr when_x;
    fm_texts message;
} fm_flag;

struct fr_form {
    char *id;
    int version;
    char *kind;
    int intake; /* intake="true": may be filled on the public intake page */
    char *name; /* file name, for messages */
    char *text; /* the definition text, kept for the database */
    size_t text_len;
    char sha256[65];
    xmlDocPtr doc;
    fm_texts title;
    fm_choices *choices; /* named and inline lists (inline ones have id NULL) */
    int nchoices;
    fm_container *containers;
    int ncontainers;
    fm_field *fields; /* in document order */
    int nfields;
    int *calc_order; /* indexes of calculated fields, dependencies first */
    int ncalc;
    fm_score *scores;
    int nscores;
    fm_flag *flags;
    int nflags;
};

/* The text in lang, else fallback, else the first; NULL when none. */
const char *fm_text_get(const fm_texts *t, const char *lang, const char *fallback);
const fm_field *fm_field_find(const fr_form *f, const char *id);
int fm_field_index(const fr_form *f, const char *id);
const char *fm_type_name(fm_type t);

/* Refuses XML text carrying a DOCTYPE (entities, external DTDs) before it
 * reaches the parser: FR_EINVAL naming `name`. */
int fm_refuse_doctype(const char *name, const char *text, size_t len, fr_error *err);

/* The names an XPath expression uses, found by a small tokenizer: kind 0
 * an element name (a path step), 1 a function called, 2 a variable ($x).
 * Names in string literals, axes, attributes and the operators and, or,
 * div, mod are skipped. */
typedef void (*fm_name_fn)(void *data, const char *name, int kind);
void fm_expr_names(const char *src, fm_name_fn fn, void *data);
/* 1 when name is an XPath 1.0 function or one the kernel registers for
 * forms; in_guard adds those of workflow guards (score, value). */
int fm_known_function(const char *name, int in_guard);

/* Compiles an XPath expression quietly; NULL with a message when invalid. */
xmlXPathCompExprPtr fm_xpath_compile(const char *src, char *why, size_t size);

/* Evaluation (formeval.c). */
double fm_eval_number(xmlXPathCompExprPtr x, xmlXPathContextPtr ctx, int *ok);
int fm_eval_bool(xmlXPathCompExprPtr x, xmlXPathContextPtr ctx);
char *fm_eval_string(xmlXPathCompExprPtr x, xmlXPathContextPtr ctx);

/* Whether a field's default is a value a submission could hold (type,
 * option code, min and max), as a submission's answer is read
 * (formsubmit.c): 0, or -1 with the reason in English in why. */
int fm_check_default(const fm_field *fd, char *why, size_t size);

/* Built-in messages in the user's language (fr, nl, de, en). */
const char *fm_msg(const char *lang, const char *key);

#endif

/* STUB until the Python hooks part lands: a site without hooks. */
#include "python.h"

int fr_python_open(fr_site *site, fr_error *err)
{
    (void)site;
    (void)err;
    return 0;
}

void fr_python_close(fr_site *site)
{
    (void)site;
}

int fr_python_validate(fr_site *site, const char *form_id, json_t *values, json_t **messages,
                       fr_error *err)
{
    (void)site, (void)form_id, (void)values, (void)err;
    *messages = NULL;
    return 0;
}

int fr_python_compute(fr_site *site, const char *form_id, json_t *values, json_t **computed,
                      fr_error *err)
{
    (void)site, (void)form_id, (void)values, (void)err;
    *computed = NULL;
    return 0;
}

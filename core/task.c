/* STUB — to be replaced by the task part. */
#include "task.h"

int fr_task_create(fr_site *site, const fr_task_new *t, int64_t *id, fr_error *err)
{ (void)site; (void)t; *id = 0; return fr_error_set(err, FR_EINTERNAL, "tasks not implemented"); }
int fr_task_done(fr_site *site, int64_t task_id, fr_error *err)
{ (void)site; (void)task_id; return fr_error_set(err, FR_EINTERNAL, "tasks not implemented"); }
int fr_case_set_date(fr_site *site, int64_t case_id, const char *name, const char *date, fr_error *err)
{ (void)site; (void)case_id; (void)name; (void)date; return fr_error_set(err, FR_EINTERNAL, "tasks not implemented"); }
int fr_task_tick(fr_site *site, fr_tick_stats *stats, fr_error *err)
{ (void)site; (void)stats; (void)err; return 0; }
int fr_task_list(fr_site *site, const fr_task_filter *f, json_t **out, fr_error *err)
{ (void)site; (void)f; (void)err; *out = json_array(); return 0; }

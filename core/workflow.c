/* STUB — to be replaced by the workflow engine. */
#include "workflow.h"

#include <stdlib.h>

int fr_workflow_load_file(const char *path, fr_workflow **out, fr_error *err)
{ (void)path; *out = NULL; return fr_error_set(err, FR_EINTERNAL, "workflows not implemented"); }
void fr_workflow_free(fr_workflow *wf) { (void)wf; }
const char *fr_workflow_id(const fr_workflow *wf) { (void)wf; return ""; }
int fr_workflow_version(const fr_workflow *wf) { (void)wf; return 0; }
const char *fr_workflow_initial(const fr_workflow *wf) { (void)wf; return ""; }
int fr_workflows_new(fr_site *site, fr_error *err) { (void)site; (void)err; return 0; }
void fr_workflows_free(fr_site *site) { (void)site; }
int fr_workflows_add(fr_site *site, const char *plugin, fr_workflow *wf, fr_error *err)
{ (void)site; (void)plugin; (void)wf; return fr_error_set(err, FR_EINTERNAL, "workflows not implemented"); }
int fr_workflows_get(fr_site *site, const char *id, int version, const fr_workflow **out, fr_error *err)
{ (void)site; (void)version; *out = NULL; return fr_error_set(err, FR_ENOTFOUND, "no workflow %s", id); }
int fr_workflows_add_guard(fr_site *site, const char *owner, const char *name, fr_guard_fn fn,
                           void *userdata, fr_error *err)
{ (void)site; (void)owner; (void)name; (void)fn; (void)userdata; (void)err; return 0; }
void fr_workflows_remove_owner(fr_site *site, const char *owner) { (void)site; (void)owner; }
int fr_workflow_start(fr_site *site, int64_t case_id, const char *effective_on, fr_error *err)
{ (void)site; (void)case_id; (void)effective_on; return fr_error_set(err, FR_EINTERNAL, "workflows not implemented"); }
int fr_workflow_fire(fr_site *site, int64_t case_id, const char *event, const char *effective_on,
                     const char *note, fr_error *err)
{ (void)site; (void)case_id; (void)event; (void)effective_on; (void)note; return fr_error_set(err, FR_EINTERNAL, "workflows not implemented"); }
int fr_workflow_allowed(fr_site *site, int64_t case_id, char ***events, fr_error *err)
{ (void)site; (void)case_id; (void)err; *events = calloc(1, sizeof(char *)); return 0; }
void fr_strv_free(char **v) { if (!v) return; for (char **p = v; *p; p++) free(*p); free(v); }
int fr_workflow_case_xml(fr_site *site, int64_t case_id, char **out, fr_error *err)
{ (void)site; (void)case_id; *out = NULL; return fr_error_set(err, FR_EINTERNAL, "workflows not implemented"); }
int fr_workflow_migrate(fr_site *site, const char *workflow, int dry_run, fr_migration_plan_item **plan, int *n, fr_error *err)
{ (void)site; (void)workflow; (void)dry_run; *plan = NULL; *n = 0; return fr_error_set(err, FR_EINTERNAL, "workflows not implemented"); }
int fr_workflows_list(fr_site *site, json_t **out, fr_error *err)
{ (void)site; (void)err; *out = json_array(); return 0; }

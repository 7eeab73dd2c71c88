/* STUB — to be replaced by the plugin loader. */
#include "plugin.h"

int fr_plugins_open(fr_site *site, fr_error *err) { (void)site; (void)err; return 0; }
void fr_plugins_close(fr_site *site) { (void)site; }
int fr_plugins_list(fr_site *site, const fr_plugin_info **out, int *n)
{ (void)site; *out = NULL; *n = 0; return 0; }
const fr_plugin_info *fr_plugins_find(fr_site *site, const char *id) { (void)site; (void)id; return NULL; }
int fr_plugins_enable(fr_site *site, const char *id, fr_error *err)
{ (void)site; (void)id; return fr_error_set(err, FR_EINTERNAL, "plugins not implemented"); }
int fr_plugins_disable(fr_site *site, const char *id, fr_error *err)
{ (void)site; (void)id; return fr_error_set(err, FR_EINTERNAL, "plugins not implemented"); }
int fr_plugins_search_path(fr_site *site, char ***dirs, int *n) { (void)site; *dirs = NULL; *n = 0; return 0; }
int fr_plugin_check_dir(const char *dir, fr_error *err)
{ (void)dir; return fr_error_set(err, FR_EINTERNAL, "not implemented"); }

/* STUB — to be replaced by the bus implementation. */
#include "bus.h"

int fr_bus_new(fr_site *site, fr_error *err) { (void)site; (void)err; return 0; }
void fr_bus_free(fr_site *site) { (void)site; }
int fr_bus_add_subscriber(fr_site *site, const char *owner, const char *pattern, fr_delivery mode,
                          const char *name, fr_subscriber_fn fn, void *userdata, fr_error *err)
{ (void)site; (void)owner; (void)pattern; (void)mode; (void)name; (void)fn; (void)userdata;
  return fr_error_set(err, FR_EINTERNAL, "bus not implemented"); }
void fr_bus_remove_owner(fr_site *site, const char *owner) { (void)site; (void)owner; }
int fr_bus_publish(fr_site *site, const char *topic, int64_t case_id, const char *payload_json,
                   fr_error *err)
{ (void)site; (void)topic; (void)case_id; (void)payload_json; (void)err; return 0; }
int fr_bus_deliver(fr_site *site, fr_bus_stats *stats, fr_error *err)
{ (void)site; (void)err; if (stats) { stats->delivered = stats->retried = stats->failed = 0; } return 0; }
int fr_bus_retry(fr_site *site, int64_t event_id, const char *subscriber, int *count, fr_error *err)
{ (void)site; (void)event_id; (void)subscriber; *count = 0; (void)err; return 0; }
int fr_bus_match(const char *pattern, const char *topic) { (void)pattern; (void)topic; return 0; }
int fr_bus_max_attempts(const fr_site *site) { (void)site; return 5; }
int fr_bus_list(fr_site *site, const char *which, int limit, json_t **out, fr_error *err)
{ (void)site; (void)which; (void)limit; (void)err; *out = json_array(); return 0; }

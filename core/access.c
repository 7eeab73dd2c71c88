/* STUB — access is being written; everything is allowed for now. */
#include "access.h"

int fr_access_case(fr_site *site, int64_t case_id, fr_access_mode mode, fr_error *err)
{ (void)site; (void)case_id; (void)mode; (void)err; return 0; }
int fr_access_patient(fr_site *site, int64_t patient_id, fr_access_mode mode, fr_error *err)
{ (void)site; (void)patient_id; (void)mode; (void)err; return 0; }
int fr_access_break_glass(fr_site *site, int64_t case_id, const char *reason, int hours, fr_error *err)
{ (void)site; (void)case_id; (void)reason; (void)hours; (void)err; return 0; }
int fr_access_has_role(const fr_site *site, const char *roles) { (void)site; (void)roles; return 1; }

/* Access: who may see and change which case. A user reaches a case through
 * a care relationship — being its case manager, a member of its team, or
 * an active member of its network linked to their user account — or
 * through an audited break-glass access with a reason, valid for a few
 * hours. The local "system" actor (the CLI without --as, the kernel's own
 * jobs) is the administrator of the machine and is always audited. */
#ifndef FR_ACCESS_H
#define FR_ACCESS_H

#include <stddef.h>
#include <stdint.h>

#include "site.h"

typedef enum fr_access_mode { FR_READ = 1, FR_WRITE = 2 } fr_access_mode;

/* 0 when the acting user may read/write the case, FR_EACCESS with a message
 * saying what to do otherwise. A refusal is itself audited. */
int fr_access_case(fr_site *site, int64_t case_id, fr_access_mode mode, fr_error *err);
/* 1 when the acting user reaches the case in mode through a care
 * relationship (or a break-glass access already granted), without writing
 * anything: no audit entry, no new break-glass. A hint for work done ahead
 * (fr_form_submit_prepare); the decision stays fr_access_case's. */
int fr_access_case_quiet(fr_site *site, int64_t case_id, fr_access_mode mode);

/* Same for a patient: through any of the patient's cases. Creating a
 * patient needs the admin or case_manager role (checked by record). */
int fr_access_patient(fr_site *site, int64_t patient_id, fr_access_mode mode, fr_error *err);

/* Records an audited exception for the acting user on a case, valid for
 * `hours` (default 4 when 0). The reason is mandatory. */
int fr_access_break_glass(fr_site *site, int64_t case_id, const char *reason, int hours,
                          fr_error *err);

/* An SQL condition, true for the rows whose case (the column `case_col`,
 * e.g. "t.case_id") the acting user reaches by the same care-relationship
 * rule as fr_access_case (break-glass accesses included; nothing is
 * audited). For listings. The condition uses the numbered parameters ?1
 * (the actor's user id), ?2 (today) and ?3 (now): the caller binds them as
 * the first three parameters, even when the actor sees every case (the
 * condition then still names them). Written into buf (truncated at size). */
void fr_access_case_sql(const fr_site *site, const char *case_col, char *buf, size_t size);

/* The same condition for a query over the cases table itself, under
 * `alias` (e.g. "c"): read on the row's own columns, which lets the
 * database test each row as it goes instead of first listing every case
 * the user reaches. */
void fr_access_cases_row_sql(const fr_site *site, const char *alias, char *buf, size_t size);

/* 1 when the acting user has one of the roles in the space-separated list. */
int fr_access_has_role(const fr_site *site, const char *roles);

/* Audits a refusal for the acting user's role ("denied", detail
 * {"reason":"role"}), committed on its own before the caller's
 * transaction, like every refusal; object_id "*" when it is about no one
 * record. */
void fr_access_refused_role(fr_site *site, const char *object_type, const char *object_id);

#endif

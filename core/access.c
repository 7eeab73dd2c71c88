/* Access control by care relationship (DESIGN.md, "Security"). This file
 * decides and records refusals and break-glass accesses; the audit of the
 * reads and writes themselves is done by the parts that perform them. */
#include "access.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "clock.h"
#include "text.h"

int fr_access_has_role(const fr_site *site, const char *roles)
{
    if (site->actor_id == 0)
        return 1; /* the machine's administrator */
    size_t n = strlen(site->actor_role);
    for (const char *p = roles; (p = strstr(p, site->actor_role)) != NULL; p += n)
        if ((p == roles || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
            return 1;
    return 0;
}

/* Writes an audit entry outside any enclosing operation, so that it stays
 * even though the operation itself is refused. */
static void audit_alone(fr_site *site, const char *action, const char *type, int64_t id,
                        const char *detail)
{
    /* Callers check access before they begin their own transaction, so the
     * entry is committed on its own and survives the refusal. */
    fr_error ignored = {0};
    char oid[24];
    snprintf(oid, sizeof oid, "%" PRId64, id);
    fr_audit_alone(site->store, site->actor, action, type, oid, detail, &ignored);
}

void fr_access_refused_role(fr_site *site, const char *object_type, const char *object_id)
{
    fr_error ignored = {0};
    fr_audit_alone(site->store, site->actor, "denied", object_type, object_id,
                   "{\"reason\":\"role\"}", &ignored);
}

/* Whether the case exists and, for a user (not the machine's
 * administrator), how many relationships the acting user has with it: one
 * query, one read of the database. */
static int case_and_relationship(fr_site *site, int64_t case_id, int64_t *exists,
                                 int64_t *count, fr_error *err)
{
    *exists = *count = 0;
    if (site->actor_id == 0)
        return fr_store_query_int(site->store, err, exists,
                                  "SELECT count(*) FROM cases WHERE id = ?", "I", case_id);
    char today[FR_TIME_LEN], now[FR_TIME_LEN];
    fr_clock_today(today);
    fr_clock_now(now);
    const char *sql_manager =
        "SELECT (SELECT count(*) FROM cases WHERE id = ?1),"
        " (SELECT count(*) FROM cases WHERE id = ?1 AND case_manager_id = ?2)"
        " + (SELECT count(*) FROM cases c JOIN team_members tm ON tm.team_id = c.team_id"
        "    WHERE c.id = ?1 AND tm.user_id = ?2)"
        " + (SELECT count(*) FROM network_members WHERE case_id = ?1 AND user_id = ?2"
        "    AND (since IS NULL OR since <= ?3) AND (until IS NULL OR until >= ?3))"
        " + (SELECT count(*) FROM break_glass WHERE case_id = ?1 AND user_id = ?2"
        "    AND expires_at > ?4)";
    /* Providers and read-only users reach a case only through its network
     * (or break-glass): being in a team is a case manager's relationship. */
    const char *sql_provider =
        "SELECT (SELECT count(*) FROM cases WHERE id = ?1),"
        " (SELECT count(*) FROM network_members WHERE case_id = ?1 AND user_id = ?2"
        "    AND (since IS NULL OR since <= ?3) AND (until IS NULL OR until >= ?3))"
        " + (SELECT count(*) FROM break_glass WHERE case_id = ?1 AND user_id = ?2"
        "    AND expires_at > ?4)";
    int manager_like = strcmp(site->actor_role, "case_manager") == 0 ||
                       strcmp(site->actor_role, "admin") == 0;
    fr_stmt *st;
    int rc = fr_store_query(site->store, err, &st, manager_like ? sql_manager : sql_provider,
                            "IItt", case_id, site->actor_id, today, now);
    if (rc)
        return rc;
    rc = fr_stmt_step(st, err);
    if (rc == 1) {
        *exists = fr_stmt_int(st, 0);
        *count = fr_stmt_int(st, 1);
    }
    fr_stmt_done(st);
    return rc < 0 ? rc : 0;
}

/* The rule of case_and_relationship() above as SQL: over a column holding
 * the case's id (cases_alias NULL), or over the cases row itself. */
static void access_sql(const fr_site *site, const char *case_col, const char *cases_alias,
                       char *buf, size_t size)
{
    if (site->actor_id == 0) {
        snprintf(buf, size, "(1 = 1 OR ?1 IS NULL OR ?2 IS NULL OR ?3 IS NULL)");
        return;
    }
    int manager_like = strcmp(site->actor_role, "case_manager") == 0 ||
                       strcmp(site->actor_role, "admin") == 0;
    char managed[512] = "";
    /* Read on the row itself when the query has it: through the case's
     * id, PostgreSQL may build the set of every case the user manages
     * (a scan of all cases) to test each row against. */
    if (manager_like && cases_alias)
        snprintf(managed, sizeof managed,
                 "%s.case_manager_id = ?1 OR EXISTS (SELECT 1 FROM team_members tm WHERE"
                 " tm.team_id = %s.team_id AND tm.user_id = ?1) OR ",
                 cases_alias, cases_alias);
    else if (manager_like)
        snprintf(managed, sizeof managed,
                 "EXISTS (SELECT 1 FROM cases ac WHERE ac.id = %s AND (ac.case_manager_id = ?1"
                 " OR EXISTS (SELECT 1 FROM team_members tm WHERE tm.team_id = ac.team_id AND"
                 " tm.user_id = ?1))) OR ",
                 case_col);
    snprintf(buf, size,
             "(%sEXISTS (SELECT 1 FROM network_members nm WHERE nm.case_id = %s"
             " AND nm.user_id = ?1 AND (nm.since IS NULL OR nm.since <= ?2)"
             " AND (nm.until IS NULL OR nm.until >= ?2))"
             " OR EXISTS (SELECT 1 FROM break_glass bg WHERE bg.case_id = %s AND bg.user_id = ?1"
             " AND bg.expires_at > ?3))",
             managed, case_col, case_col);
}

void fr_access_case_sql(const fr_site *site, const char *case_col, char *buf, size_t size)
{
    access_sql(site, case_col, NULL, buf, size);
}

void fr_access_cases_row_sql(const fr_site *site, const char *alias, char *buf, size_t size)
{
    char col[80];
    snprintf(col, sizeof col, "%s.id", alias);
    access_sql(site, col, alias, buf, size);
}

int fr_access_case(fr_site *site, int64_t case_id, fr_access_mode mode, fr_error *err)
{
    int64_t exists = 0, count = 0;
    int rc = case_and_relationship(site, case_id, &exists, &count, err);
    if (rc)
        return rc;
    if (!exists)
        return fr_error_set(err, FR_ENOTFOUND, "there is no case %" PRId64
                                               "; see `filrouge case list`", case_id);
    if (site->actor_id == 0)
        return 0;
    if (mode == FR_WRITE && strcmp(site->actor_role, "read_only") == 0) {
        audit_alone(site, "denied", "case", case_id, "{\"reason\":\"read-only user\"}");
        return fr_error_set(err, FR_EACCESS,
                            "user '%s' has read-only access and cannot change case %" PRId64,
                            site->actor, case_id);
    }
    if (count > 0)
        return 0;
    if (site->break_glass_reason && *site->break_glass_reason)
        return fr_access_break_glass(site, case_id, site->break_glass_reason, 0, err);
    audit_alone(site, "denied", "case", case_id, "{\"reason\":\"no care relationship\"}");
    return fr_error_set(err, FR_EACCESS,
                        "user '%s' has no care relationship with case %" PRId64
                        " (not its case manager, not in its team, not in its network). Ask its "
                        "case manager to add you to the case's network; in an emergency, use "
                        "break-glass access with a reason (it is audited)",
                        site->actor, case_id);
}

int fr_access_case_quiet(fr_site *site, int64_t case_id, fr_access_mode mode)
{
    int64_t exists = 0, count = 0;
    fr_error ignored = {0};
    if (case_and_relationship(site, case_id, &exists, &count, &ignored) || !exists)
        return 0;
    if (site->actor_id == 0)
        return 1;
    if (mode == FR_WRITE && strcmp(site->actor_role, "read_only") == 0)
        return 0;
    return count > 0;
}

int fr_access_patient(fr_site *site, int64_t patient_id, fr_access_mode mode, fr_error *err)
{
    int64_t exists = 0;
    int rc = fr_store_query_int(site->store, err, &exists,
                                "SELECT count(*) FROM patients WHERE id = ?", "I", patient_id);
    if (rc)
        return rc;
    if (!exists)
        return fr_error_set(err, FR_ENOTFOUND,
                            "there is no patient %" PRId64 "; see `filrouge patient find`",
                            patient_id);
    if (site->actor_id == 0)
        return 0;
    fr_stmt *st;
    rc = fr_store_query(site->store, err, &st, "SELECT id FROM cases WHERE patient_id = ?", "I",
                        patient_id);
    if (rc)
        return rc;
    int64_t ids[64];
    int n = 0;
    while ((rc = fr_stmt_step(st, err)) == 1 && n < 64)
        ids[n++] = fr_stmt_int(st, 0);
    fr_stmt_done(st);
    if (rc < 0)
        return rc;
    /* A patient without a case yet is reachable by case managers, who are
     * about to open one (referral intake). */
    if (n == 0) {
        if (fr_access_has_role(site, "admin case_manager") &&
            (mode == FR_READ || strcmp(site->actor_role, "read_only") != 0))
            return 0;
    }
    for (int i = 0; i < n; i++) {
        int64_t found = 0, count = 0;
        if ((rc = case_and_relationship(site, ids[i], &found, &count, err)))
            return rc;
        if (count > 0) {
            if (mode == FR_WRITE && strcmp(site->actor_role, "read_only") == 0)
                break;
            return 0;
        }
    }
    if (n > 0 && site->break_glass_reason && *site->break_glass_reason)
        return fr_access_break_glass(site, ids[0], site->break_glass_reason, 0, err);
    audit_alone(site, "denied", "patient", patient_id, "{\"reason\":\"no care relationship\"}");
    return fr_error_set(err, FR_EACCESS,
                        "user '%s' has no care relationship with patient %" PRId64
                        " through any of the patient's cases; ask the case manager to add you "
                        "to a case's network, or use break-glass access with a reason (audited)",
                        site->actor, patient_id);
}

typedef struct grant {
    fr_site *site;
    int64_t case_id;
    const char *reason, *now, *expires;
} grant;

static int grant_body(fr_store *st, const void *arg, fr_error *err)
{
    const grant *g = arg;
    int rc = fr_store_execf(st, err,
                            "INSERT INTO break_glass (user_id, case_id, reason, at, expires_at)"
                            " VALUES (?, ?, ?, ?, ?)",
                            "IIttt", g->site->actor_id, g->case_id, g->reason, g->now, g->expires);
    if (!rc)
        rc = fr_audit_appendj(st, g->site->actor, "break-glass", "case", g->case_id,
                              json_pack("{s:s,s:s}", "reason", g->reason, "expires_at", g->expires),
                              err);
    return rc;
}

int fr_access_break_glass(fr_site *site, int64_t case_id, const char *reason, int hours,
                          fr_error *err)
{
    /* five characters that are not spaces: "  urg " is no reason */
    size_t shown = 0;
    for (const char *p = reason; p && *p; p++)
        shown += *p != ' ' && *p != '\t';
    if (shown < 5)
        return fr_error_set(err, FR_EINVAL,
                            "break-glass access needs a reason of at least a few words (it is "
                            "kept in the audit trail)");
    int rc = fr_text_check("reason", reason, FR_TEXT_LONG_MAX, 0, err);
    if (rc)
        return rc;
    if (site->actor_id == 0)
        return 0;
    if (strcmp(site->actor_role, "read_only") == 0)
        return fr_error_set(err, FR_EACCESS, "read-only users cannot use break-glass access");
    if (hours <= 0)
        hours = 4;
    char now[FR_TIME_LEN], expires[FR_TIME_LEN];
    fr_clock_now(now);
    fr_time_add_seconds(now, (long)hours * 3600, expires);
    grant g = {site, case_id, reason, now, expires};
    /* An access record a read needs, written like an audit entry: granted
     * on a full disk too, while changes are refused. */
    return fr_audit_transaction(site->store, grant_body, &g, err);
}


/* The record's patients: identity, identifiers (checked where the number
 * carries its own check digits), and finding a patient. Who may see a
 * patient is decided by access.c through the patient's cases. */
#include "record.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "audit.h"
#include "clock.h"
#include "text.h"

/* Belgian national register number (NISS/INSZ): 11 digits, YYMMDD + serial
 * (3) + check (2); check = 97 - (first nine digits mod 97), with "2" put in
 * front of the nine digits for people born from 2000 on. Dots, dashes and
 * spaces are accepted on input and removed. */
static int check_be_niss(const char *in, char out[16], fr_error *err)
{
    int n = 0;
    for (const char *p = in; *p; p++) {
        if (isdigit((unsigned char)*p)) {
            if (n >= 11)
                break;
            out[n++] = *p;
        } else if (!strchr(".- ", *p)) {
            n = -1;
            break;
        }
    }
    if (n != 11 || strlen(in) > 20)
        return fr_error_set(err, FR_EINVAL,
                            "identifier be-niss: '%s' is not a Belgian national number; it has "
                            "11 digits (YY.MM.DD-XXX.CC)",
                            in);
    out[11] = '\0';
    long long nine = 0;
    for (int i = 0; i < 9; i++)
        nine = nine * 10 + (out[i] - '0');
    int check = (out[9] - '0') * 10 + (out[10] - '0');
    if (97 - nine % 97 == check || 97 - (2000000000LL + nine) % 97 == check)
        return 0;
    return fr_error_set(err, FR_EINVAL,
                        "identifier be-niss: '%s' fails its check digits; please re-read the "
                        "number from the identity card or the eID",
                        in);
}

/* Luxembourg national identification number: 13 digits, YYYYMMDD + 5. */
static int check_lu_matricule(const char *in, char out[16], fr_error *err)
{
    size_t n = strlen(in);
    int ok = n == 13;
    for (size_t i = 0; ok && i < n; i++)
        ok = isdigit((unsigned char)in[i]);
    if (ok) {
        char date[11];
        snprintf(date, sizeof date, "%.4s-%.2s-%.2s", in, in + 4, in + 6);
        ok = fr_date_valid(date);
    }
    if (!ok)
        return fr_error_set(err, FR_EINVAL,
                            "identifier lu-matricule: '%s' is not a Luxembourg national number; "
                            "it has 13 digits starting with the birth date YYYYMMDD",
                            in);
    memcpy(out, in, 14);
    return 0;
}

/* Normalises and checks one identifier; `out` receives the stored form. */
static int check_identifier(const fr_identifier *id, char *out, size_t n, fr_error *err)
{
    if (!id->system || !*id->system || !id->value || !*id->value)
        return fr_error_set(err, FR_EINVAL,
                            "identifier: write it as SYSTEM=VALUE, e.g. be-niss=85073003328");
    for (const char *p = id->system; *p; p++)
        if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) && *p != '-')
            return fr_error_set(err, FR_EINVAL,
                                "identifier: the system '%s' may hold only lower-case letters, "
                                "digits and '-'",
                                id->system);
    if (strcmp(id->system, "be-niss") == 0) {
        char buf[16];
        int rc = check_be_niss(id->value, buf, err);
        snprintf(out, n, "%s", buf);
        return rc;
    }
    if (strcmp(id->system, "lu-matricule") == 0) {
        char buf[16];
        int rc = check_lu_matricule(id->value, buf, err);
        snprintf(out, n, "%s", buf);
        return rc;
    }
    if (strlen(id->value) > 64)
        return fr_error_set(err, FR_EINVAL, "identifier %s: longer than 64 characters",
                            id->system);
    snprintf(out, n, "%s", id->value);
    return 0;
}

int fr_birth_check(const char *field, const char *date, fr_error *err)
{
    char today[FR_TIME_LEN];
    fr_clock_today(today);
    if (!fr_date_valid(date))
        return fr_error_set(err, FR_EINVAL,
                            "%s: '%s' is not a date; write YYYY-MM-DD or DD/MM/YYYY", field, date);
    char on[32];
    if (strcmp(date, today) > 0)
        return fr_error_set(err, FR_EINVAL, "%s: %s is in the future", field,
                            fr_clock_human(date, on));
    /* more than 130 years ago: a mistyped year (1850 for 1950) */
    char oldest[FR_TIME_LEN];
    snprintf(oldest, sizeof oldest, "%04d%s", atoi(today) - 130, today + 4);
    if (strcmp(date, oldest) < 0)
        return fr_error_set(err, FR_EINVAL, "%s: %s is more than 130 years ago; check the year",
                            field, fr_clock_human(date, on));
    return 0;
}

static int check_patient(const fr_patient_new *p, fr_error *err)
{
    int rc;
    if (fr_text_blank(p->family_name))
        return fr_error_set(err, FR_EINVAL, "family: the family name is required");
    if (fr_text_blank(p->given_names))
        return fr_error_set(err, FR_EINVAL, "given: the given name(s) are required");
    if (strlen(p->family_name) > 200 || strlen(p->given_names) > 200)
        return fr_error_set(err, FR_EINVAL, "names: at most 200 characters each");
    if ((p->address && strlen(p->address) > 500) || (p->city && strlen(p->city) > 100) ||
        (p->postal_code && strlen(p->postal_code) > 20) || (p->phone && strlen(p->phone) > 50))
        return fr_error_set(err, FR_EINVAL,
                            "address: at most 500 characters (city 100, postal code 20, phone "
                            "50)");
    if ((rc = fr_text_check("family", p->family_name, 0, 0, err)) ||
        (rc = fr_text_check("given", p->given_names, 0, 0, err)) ||
        (rc = fr_text_check("address", p->address, 0, 1, err)) ||
        (rc = fr_text_check("city", p->city, 0, 0, err)) ||
        (rc = fr_text_check("postal_code", p->postal_code, 0, 0, err)) ||
        (rc = fr_text_phone("phone", p->phone, err)))
        return rc;
    if (p->birth_date && *p->birth_date && (rc = fr_birth_check("birth", p->birth_date, err)))
        return rc;
    if (p->sex && strcmp(p->sex, "female") && strcmp(p->sex, "male") && strcmp(p->sex, "other") &&
        strcmp(p->sex, "unknown"))
        return fr_error_set(err, FR_EINVAL,
                            "sex: '%s' is not one of female, male, other, unknown", p->sex);
    if (p->language && *p->language && !fr_record_valid_language(p->language))
        return fr_error_set(err, FR_EINVAL,
                            "language: '%s' is not supported; use fr, nl, de or en", p->language);
    return 0;
}

int fr_patient_add(fr_site *site, const fr_patient_new *p, int64_t *id, fr_error *err)
{
    if (!fr_access_has_role(site, "admin case_manager")) {
        fr_access_refused_role(site, "patient", "*");
        return fr_error_set(err, FR_EACCESS,
                            "only case managers and administrators can register patients (you "
                            "are '%s', %s)",
                            site->actor, site->actor_role);
    }
    int rc = check_patient(p, err);
    if (rc)
        return rc;
    char(*values)[80] = calloc((size_t)(p->nidentifiers > 0 ? p->nidentifiers : 1), sizeof *values);
    if (!values)
        return fr_error_set(err, FR_ENOMEM, "out of memory");
    for (int i = 0; i < p->nidentifiers && !rc; i++) {
        rc = check_identifier(&p->identifiers[i], values[i], sizeof values[i], err);
        for (int j = 0; j < i && !rc; j++)
            if (strcmp(p->identifiers[i].system, p->identifiers[j].system) == 0)
                rc = fr_error_set(err, FR_EINVAL, "identifier %s: given twice",
                                  p->identifiers[i].system);
    }
    for (int i = 0; i < p->nidentifiers && !rc; i++) {
        int64_t other = 0;
        int q = fr_store_query_int(site->store, err, &other,
                                   "SELECT patient_id FROM patient_identifiers WHERE system = ? "
                                   "AND value = ?",
                                   "tt", p->identifiers[i].system, values[i]);
        if (q == 0)
            rc = fr_error_set(err, FR_ECONFLICT,
                              "identifier %s=%s already belongs to patient %" PRId64
                              "; open a case for that patient instead of registering them again",
                              p->identifiers[i].system, values[i], other);
        else if (q != FR_ENOTFOUND)
            rc = q;
    }
    char now[FR_TIME_LEN];
    fr_clock_now(now);
    if (!rc && !(rc = fr_store_begin(site->store, err))) {
        rc = fr_store_execf(site->store, err,
                            "INSERT INTO patients (family_name, given_names, birth_date, sex, "
                            "address, postal_code, city, phone, language, created_at, updated_at)"
                            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            "ttttttttttt", p->family_name, p->given_names,
                            p->birth_date && *p->birth_date ? p->birth_date : NULL,
                            p->sex ? p->sex : "unknown", p->address, p->postal_code, p->city,
                            p->phone, p->language && *p->language ? p->language : NULL, now, now);
        int64_t pid = fr_store_last_id(site->store);
        for (int i = 0; i < p->nidentifiers && !rc; i++)
            rc = fr_store_execf(site->store, err,
                                "INSERT INTO patient_identifiers (patient_id, system, value) "
                                "VALUES (?, ?, ?)",
                                "Itt", pid, p->identifiers[i].system, values[i]);
        if (!rc) {
            char detail[64];
            snprintf(detail, sizeof detail, "{\"identifiers\":%d}", p->nidentifiers);
            rc = fr_audit_appendi(site->store, site->actor, "create", "patient", pid, detail, err);
        }
        if (!rc)
            rc = fr_store_commit(site->store, err);
        else
            fr_store_rollback(site->store);
        if (!rc && id)
            *id = pid;
    }
    free(values);
    return rc;
}

int fr_patient_update(fr_site *site, int64_t id, const fr_patient_new *p, fr_error *err)
{
    int rc = fr_access_patient(site, id, FR_WRITE, err);
    if (rc)
        return rc;
    json_t *cur = NULL;
    if ((rc = fr_store_query_row(site->store, err, &cur,
                                 "SELECT family_name, given_names, birth_date, sex, address,"
                                 " postal_code, city, phone, language FROM patients WHERE id = ?",
                                 "I", id)))
        return rc;
    /* The record as it will be, checked as a whole. */
    const char *names[] = {"family_name", "given_names", "birth_date", "sex", "address",
                           "postal_code", "city", "phone", "language"};
    const char *given[] = {p->family_name, p->given_names, p->birth_date, p->sex, p->address,
                           p->postal_code, p->city, p->phone, p->language};
    const char *v[9];
    json_t *changed = json_array();
    for (int i = 0; i < 9; i++) {
        const char *old = json_string_value(json_object_get(cur, names[i]));
        v[i] = given[i] ? (*given[i] ? given[i] : NULL) : old;
        if (given[i] && !(old && v[i] && strcmp(old, v[i]) == 0) && (old || v[i]))
            json_array_append_new(changed, json_string(names[i]));
    }
    fr_patient_new next = {.family_name = v[0], .given_names = v[1], .birth_date = v[2],
                           .sex = v[3], .address = v[4], .postal_code = v[5], .city = v[6],
                           .phone = v[7], .language = v[8]};
    char now[FR_TIME_LEN];
    fr_clock_now(now);
    if (!(rc = check_patient(&next, err)) && json_array_size(changed) == 0)
        rc = fr_error_set(err, FR_EINVAL, "nothing to change: give the fields to correct");
    /* A birth corrected to after a case of the person was opened cannot
     * be right (fr_case_open refuses the other way round). */
    char *first = NULL;
    if (!rc && v[2] &&
        (rc = fr_store_query_text(site->store, err, &first,
                                  "SELECT min(opened_on) FROM cases WHERE patient_id = ?", "I",
                                  id)) == FR_ENOTFOUND) {
        fr_error_clear(err);
        rc = 0;
    }
    if (!rc && first && strcmp(v[2], first) > 0)
        rc = fr_error_set(err, FR_EINVAL,
                          "birth: %.2s/%.2s/%.4s is after the opening of this person's first case "
                          "(%.2s/%.2s/%.4s); check the date",
                          v[2] + 8, v[2] + 5, v[2], first + 8, first + 5, first);
    free(first);
    if (!rc && !(rc = fr_store_begin(site->store, err))) {
        rc = fr_store_execf(site->store, err,
                            "UPDATE patients SET family_name = ?, given_names = ?, birth_date = ?,"
                            " sex = ?, address = ?, postal_code = ?, city = ?, phone = ?,"
                            " language = ?, updated_at = ? WHERE id = ?",
                            "ttttttttttI", v[0], v[1], v[2], v[3] ? v[3] : "unknown", v[4], v[5],
                            v[6], v[7], v[8], now, id);
        if (!rc)
            rc = fr_audit_appendj(site->store, site->actor, "update", "patient", id,
                                  json_pack("{s:O}", "fields", changed), err);
        if (!rc)
            rc = fr_store_commit(site->store, err);
        else
            fr_store_rollback(site->store);
    }
    json_decref(changed);
    json_decref(cur);
    return rc;
}

static const char *patient_columns =
    "p.id, p.family_name, p.given_names, p.birth_date, p.sex, p.address, p.postal_code, p.city,"
    " p.phone, p.language";

int fr_patient_get(fr_site *site, int64_t id, json_t **out, fr_error *err)
{
    *out = NULL;
    int rc = fr_access_patient(site, id, FR_READ, err);
    if (rc)
        return rc;
    char sql[512], filter[1024];
    json_t *pat = NULL, *ids = NULL, *cases = NULL;
    snprintf(sql, sizeof sql, "SELECT %s FROM patients p WHERE p.id = ?", patient_columns);
    if ((rc = fr_store_query_row(site->store, err, &pat, sql, "I", id)))
        goto out;
    if ((rc = fr_store_query_json(site->store, err, &ids,
                                  "SELECT system, value FROM patient_identifiers WHERE "
                                  "patient_id = ? ORDER BY system",
                                  "I", id)))
        goto out;
    /* Every case is listed (the person's history), with `visible` telling
     * which ones this user may open. */
    fr_access_cases_row_sql(site, "c", filter, sizeof filter);
    char csql[2048];
    snprintf(csql, sizeof csql,
             "SELECT c.id, c.plugin, c.workflow_id AS workflow, c.workflow_version, c.state,"
             " c.status, c.opened_on,"
             " c.closed_on, u.login AS case_manager, %s AS visible FROM cases c"
             " LEFT JOIN users u ON u.id = c.case_manager_id WHERE c.patient_id = ?4 ORDER BY c.id",
             filter);
    char today[FR_TIME_LEN], now[FR_TIME_LEN];
    fr_clock_today(today);
    fr_clock_now(now);
    if ((rc = fr_store_query_json(site->store, err, &cases, csql, "IttI", site->actor_id, today,
                                  now, id)))
        goto out;
    json_object_set_new(pat, "identifiers", ids);
    json_object_set_new(pat, "cases", cases);
    ids = cases = NULL;
    char oid[24];
    snprintf(oid, sizeof oid, "%" PRId64, id);
    if ((rc = fr_audit_alone(site->store, site->actor, "read", "patient", oid, NULL, err)))
        goto out;
    *out = pat;
    pat = NULL;
out:
    json_decref(pat);
    json_decref(ids);
    json_decref(cases);
    return rc;
}

/* On PostgreSQL, ILIKE cannot walk the nondeterministic `nocase` index
 * over a range: it reads that index in order until a page of matches is
 * found, which is long for a rare prefix on a large site. A range on the
 * same collation, [prefix, prefix + U+FFFF) — the root collation gives
 * U+FFFF the highest primary weight, for such bounds — lets it start and
 * stop at the prefix; ILIKE still decides. Only for prefixes of plain
 * ASCII letters, digits, spaces, hyphens, apostrophes and dots, whose
 * case-insensitive match ICU and ILIKE agree on (other searches keep the
 * walk). SQLite turns LIKE into such a range by itself. */
static int pg_range(const fr_site *site, const char *prefix, size_t n, char *lo, char *hi,
                    size_t size)
{
    if (strcmp(fr_store_backend(site->store), "postgresql") != 0 || n == 0 || n + 4 > size)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)prefix[i]) && !strchr(" '.-", prefix[i]))
            return 0;
    memcpy(lo, prefix, n);
    lo[n] = '\0';
    snprintf(hi, size, "%s\xEF\xBF\xBF", lo);
    return 1;
}

int fr_patient_find(fr_site *site, const char *query, int limit, int offset, json_t **out,
                    fr_error *err)
{
    *out = NULL;
    if (limit <= 0 || limit > 500)
        limit = 50;
    if (offset < 0)
        offset = 0;
    char filter[1024], visible[1400], sql[12288];
    fr_access_cases_row_sql(site, "c", filter, sizeof filter);
    /* A patient is visible through one of their cases; case managers also
     * see patients who have no case yet (referrals waiting for intake). */
    if (site->actor_id == 0)
        snprintf(visible, sizeof visible, "(1 = 1 OR ?1 IS NULL OR ?2 IS NULL OR ?3 IS NULL)");
    else
        snprintf(visible, sizeof visible,
                 "(EXISTS (SELECT 1 FROM cases c WHERE c.patient_id = p.id AND %s)%s)", filter,
                 fr_access_has_role(site, "admin case_manager")
                     ? " OR NOT EXISTS (SELECT 1 FROM cases c WHERE c.patient_id = p.id)"
                     : "");
    char *pattern = NULL, *first = NULL;
    if (query && *query) {
        /* Prefix match on names, any case; the LIKE wildcards in the query
         * are escaped so that they match themselves. `first` is the prefix
         * of the first word, for "Family Given" searches. */
        size_t n = strlen(query);
        pattern = malloc(2 * n + 2);
        first = malloc(2 * n + 2);
        if (!pattern || !first) {
            free(pattern);
            free(first);
            return fr_error_set(err, FR_ENOMEM, "out of memory");
        }
        char *w = pattern, *fw = first;
        int in_first = 1;
        for (const char *p = query; *p; p++) {
            if (*p == ' ')
                in_first = 0;
            if (*p == '%' || *p == '_' || *p == '\\') {
                *w++ = '\\';
                if (in_first)
                    *fw++ = '\\';
            }
            *w++ = *p;
            if (in_first)
                *fw++ = *p;
        }
        *w++ = '%';
        *w = '\0';
        *fw++ = '%';
        *fw = '\0';
    }
    /* The search returns the best matches first: an exact identifier, then
     * family names starting with the text, then "Family Given" matches,
     * then given names — each branch walks its own index in order and
     * stops after what the page needs, so a search costs the size of a
     * page, not the size of the site. */
    /* ?10, ?11: the range of the whole text; ?12, ?13: of its first word */
    char lo[200] = "", hi[204] = "", flo[200] = "", fhi[204] = "";
    const char *sp = query ? strchr(query, ' ') : NULL;
    int ranged = pattern && pg_range(site, query, strlen(query), lo, hi, sizeof lo);
    int franged = ranged && sp && pg_range(site, query, (size_t)(sp - query), flo, fhi, sizeof flo);
    const char *r_family = ranged ? " AND p.family_name COLLATE nocase >= ?10 AND p.family_name"
                                    " COLLATE nocase < ?11"
                                  : "";
    const char *r_first = franged ? " AND p.family_name COLLATE nocase >= ?12 AND p.family_name"
                                    " COLLATE nocase < ?13"
                                  : "";
    const char *r_given = ranged ? " AND p.given_names COLLATE nocase >= ?10 AND p.given_names"
                                   " COLLATE nocase < ?11"
                                 : "";
    if (pattern)
        snprintf(sql, sizeof sql,
                 "SELECT %s, (SELECT count(*) FROM cases c WHERE c.patient_id = p.id AND"
                 " c.status = 'open') AS open_cases FROM ("
                 " SELECT * FROM (SELECT i.patient_id AS id, 0 AS rank, '' AS k1, '' AS k2"
                 "   FROM patient_identifiers i JOIN patients p ON p.id = i.patient_id"
                 "   WHERE i.value = ?5 AND %s LIMIT ?9) AS b0"
                 " UNION ALL SELECT * FROM (SELECT p.id, 1, p.family_name, p.given_names"
                 "   FROM patients p WHERE p.family_name LIKE ?4 ESCAPE '\\'%s AND %s"
                 "   ORDER BY p.family_name COLLATE NOCASE, p.given_names COLLATE NOCASE, p.id"
                 "   LIMIT ?9) AS b1"
                 " UNION ALL SELECT * FROM (SELECT p.id, 2, p.family_name, p.given_names"
                 "   FROM patients p WHERE ?8 IS NOT NULL AND p.family_name LIKE ?8 ESCAPE '\\'%s"
                 "   AND NOT (p.family_name LIKE ?4 ESCAPE '\\') AND"
                 "   (p.family_name || ' ' || p.given_names) LIKE ?4 ESCAPE '\\' AND %s"
                 "   ORDER BY p.family_name COLLATE NOCASE, p.given_names COLLATE NOCASE, p.id"
                 "   LIMIT ?9) AS b2"
                 " UNION ALL SELECT * FROM (SELECT p.id, 3, p.given_names, p.family_name"
                 "   FROM patients p WHERE p.given_names LIKE ?4 ESCAPE '\\'%s AND"
                 "   NOT (p.family_name LIKE ?4 ESCAPE '\\') AND %s"
                 "   ORDER BY p.given_names COLLATE NOCASE, p.family_name COLLATE NOCASE, p.id"
                 "   LIMIT ?9) AS b3"
                 ") m JOIN patients p ON p.id = m.id"
                 " ORDER BY m.rank, m.k1 COLLATE NOCASE, m.k2 COLLATE NOCASE, p.id"
                 " LIMIT ?6 OFFSET ?7",
                 patient_columns, visible, r_family, visible, r_first, visible, r_given, visible);
    else
        snprintf(sql, sizeof sql,
                 "SELECT %s, (SELECT count(*) FROM cases c WHERE c.patient_id = p.id AND"
                 " c.status = 'open') AS open_cases FROM patients p WHERE %s AND ?4 IS NULL AND"
                 " ?5 IS NULL AND ?8 IS NULL AND ?9 > 0"
                 " ORDER BY p.family_name COLLATE NOCASE, p.given_names COLLATE NOCASE, p.id"
                 " LIMIT ?6 OFFSET ?7",
                 patient_columns, visible);
    char today[FR_TIME_LEN], now[FR_TIME_LEN];
    fr_clock_today(today);
    fr_clock_now(now);
    int rc = fr_store_query_json(site->store, err, out, sql,
                                 franged  ? "Ittttiititttt"
                                 : ranged ? "Ittttiititt"
                                          : "Ittttiiti",
                                 site->actor_id, today, now, pattern, query, limit, offset,
                                 sp ? first : NULL, limit + offset, lo, hi, flo, fhi);
    free(pattern);
    free(first);
    if (rc)
        return rc;
    char detail[64];
    snprintf(detail, sizeof detail, "{\"results\":%zu}", json_array_size(*out));
    rc = fr_audit_alone(site->store, site->actor, "search", "patient", "*", detail, err);
    if (rc) {
        json_decref(*out);
        *out = NULL;
    }
    return rc;
}

/* The record's people: users (who log in and act) and teams. Accounts are
 * managed by administrators; password hashes are set and checked here,
 * sessions belong to the web server's part (core/server/session.c). */
#include "record.h"

#include <ctype.h>
#include <sodium.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "audit.h"
#include "care.h"
#include "clock.h"
#include "text.h"

int fr_user_valid_login(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n < 2 || n > 64 || !islower((unsigned char)s[0]))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!islower((unsigned char)s[i]) && !isdigit((unsigned char)s[i]) && !strchr("._-", s[i]))
            return 0;
    return strcmp(s, "system") != 0;
}

int fr_record_valid_language(const char *lang)
{
    static const char *const known[] = {"fr", "nl", "de", "en", NULL};
    for (int i = 0; lang && known[i]; i++)
        if (strcmp(lang, known[i]) == 0)
            return 1;
    return 0;
}

static int require_admin(fr_site *site, const char *what, fr_error *err)
{
    if (fr_access_has_role(site, "admin"))
        return 0;
    fr_access_refused_role(site, "users", "*");
    return fr_error_set(err, FR_EACCESS, "only an administrator can %s (you are '%s', %s)", what,
                        site->actor, site->actor_role);
}

static int password_check(const char *password, fr_error *err);
static int password_hash_of(char hash[crypto_pwhash_STRBYTES], const char *password, fr_error *err);

/* A user's details as fr_user_add and fr_user_edit take them. */
static int check_details(const char *name, const char *role, const char *lang, int capacity,
                         fr_error *err)
{
    if (fr_text_blank(name))
        return fr_error_set(err, FR_EINVAL, "name: a display name is required (--name)");
    int rc = fr_text_check("name", name, FR_TEXT_NAME_MAX, 0, err);
    if (rc)
        return rc;
    if (strcmp(role, "admin") && strcmp(role, "case_manager") && strcmp(role, "provider") &&
        strcmp(role, "read_only"))
        return fr_error_set(err, FR_EINVAL,
                            "role: '%s' is not a role; use admin, case_manager, provider or "
                            "read_only",
                            role);
    if (!fr_record_valid_language(lang))
        return fr_error_set(err, FR_EINVAL, "language: '%s' is not supported; use fr, nl, de or en",
                            lang);
    if (capacity < 0 || capacity > FR_CAPACITY_MAX)
        return fr_error_set(err, FR_EINVAL,
                            "capacity: %d is outside 0 to %d; write the number of cases (weighted "
                            "by intensity) the user can carry, or 0 for none set",
                            capacity, FR_CAPACITY_MAX);
    return 0;
}

int fr_user_add(fr_site *site, const fr_user_new *u, int64_t *id, fr_error *err)
{
    const char *role = u->role ? u->role : "case_manager";
    const char *lang = u->language ? u->language : "fr";
    int rc = require_admin(site, "add users", err);
    if (rc)
        return rc;
    if (!fr_user_valid_login(u->login))
        return fr_error_set(err, FR_EINVAL,
                            "login: '%s' is not a valid login; use 2 to 64 lower-case letters, "
                            "digits, '.', '_' or '-', starting with a letter (not 'system')",
                            u->login ? u->login : "");
    if ((rc = check_details(u->display_name, role, lang, u->capacity, err)))
        return rc;
    if (u->password && (rc = password_check(u->password, err)))
        return rc;
    int64_t exists = 0;
    if ((rc = fr_store_query_int(site->store, err, &exists,
                                 "SELECT count(*) FROM users WHERE login = ?", "t", u->login)))
        return rc;
    if (exists)
        return fr_error_set(err, FR_ECONFLICT, "login: a user '%s' already exists", u->login);
    char now[FR_TIME_LEN], hash[crypto_pwhash_STRBYTES] = "";
    if (u->password && (rc = password_hash_of(hash, u->password, err)))
        return rc;
    fr_clock_now(now);
    if ((rc = fr_store_begin(site->store, err))) {
        sodium_memzero(hash, sizeof hash);
        return rc;
    }
    rc = fr_store_execf(site->store, err,
                        "INSERT INTO users (login, display_name, role, language, capacity, "
                        "password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        "ttttRtt", u->login, u->display_name, role, lang, (int64_t)u->capacity,
                        hash[0] ? hash : NULL, now);
    sodium_memzero(hash, sizeof hash);
    int64_t uid = fr_store_last_id(site->store);
    if (!rc) {
        rc = fr_audit_appendj(site->store, site->actor, "create", "user", uid,
                              json_pack("{s:s,s:s,s:b}", "login", u->login, "role", role,
                                        "password", u->password != NULL),
                              err);
    }
    if (!rc)
        rc = fr_store_commit(site->store, err);
    else
        fr_store_rollback(site->store);
    if (!rc && id)
        *id = uid;
    return rc;
}

int fr_user_id(fr_site *site, const char *login, int64_t *id, fr_error *err)
{
    int rc = fr_store_query_int(site->store, err, id,
                                "SELECT id FROM users WHERE login = ? AND active = 1", "t",
                                login ? login : "");
    if (rc == FR_ENOTFOUND)
        return fr_error_set(err, FR_ENOTFOUND,
                            "there is no active user '%s'; see `filrouge user list`",
                            login ? login : "");
    return rc;
}

int fr_user_login_of(fr_site *site, int64_t id, char **login, fr_error *err)
{
    *login = NULL;
    int rc = fr_store_query_text(site->store, err, login, "SELECT login FROM users WHERE id = ?",
                                 "I", id);
    if (rc == FR_ENOTFOUND) {
        fr_error_clear(err);
        rc = fr_error_set(err, FR_ENOTFOUND,
                          "there is no user %" PRId64 "; see the list of users (`filrouge "
                          "user list`, GET /api/v1/users)",
                          id);
    }
    return rc;
}

int fr_user_list(fr_site *site, json_t **out, fr_error *err)
{
    /* Every user may see who the others are (to assign, to add to a
     * network); caseload figures come with the list. */
    return fr_store_query_json(
        site->store, err, out,
        "SELECT u.id, u.login, u.display_name, u.role, u.language, u.capacity, u.active,"
        " (SELECT count(*) FROM cases c WHERE c.case_manager_id = u.id AND c.status = 'open')"
        "   AS open_cases,"
        /* each case weighted by its intensity, as the caseload counts */
        " (SELECT coalesce(sum(CASE c.intensity WHEN 1 THEN ?1 WHEN 2 THEN ?2 WHEN 3 THEN ?3"
        "   ELSE ?4 END), 0.0) FROM cases c WHERE c.case_manager_id = u.id"
        "   AND c.status = 'open') AS load,"
        " (SELECT group_concat(t.name, ', ') FROM team_members tm JOIN teams t"
        "   ON t.id = tm.team_id WHERE tm.user_id = u.id) AS teams"
        " FROM users u ORDER BY u.login",
        "dddd", fr_caseload_weight(site, 1), fr_caseload_weight(site, 2),
        fr_caseload_weight(site, 3), fr_caseload_weight(site, 4));
}

int fr_user_set_active(fr_site *site, const char *login, int active, int64_t *open_cases,
                       int64_t *open_tasks, fr_error *err)
{
    int rc = require_admin(site, active ? "reactivate users" : "deactivate users", err);
    if (rc)
        return rc;
    if (!login || !*login || strcmp(login, "system") == 0)
        return fr_error_set(err, FR_EINVAL,
                            "login: name a user of the site (the local administrator 'system' "
                            "cannot be deactivated); see `filrouge user list`");
    if (!active && strcmp(login, site->actor) == 0)
        return fr_error_set(err, FR_EINVAL,
                            "you cannot deactivate yourself: another administrator must do it");
    if ((rc = fr_store_begin(site->store, err)))
        return rc;
    int64_t uid = 0, was = 0, cases = 0, tasks = 0;
    fr_stmt *st;
    if (!(rc = fr_store_query(site->store, err, &st, "SELECT id, active FROM users WHERE login = ?",
                              "t", login))) {
        rc = fr_stmt_step(st, err);
        if (rc == 1) {
            uid = fr_stmt_int(st, 0);
            was = fr_stmt_int(st, 1);
            rc = 0;
        } else if (rc == 0) {
            rc = fr_error_set(err, FR_ENOTFOUND, "there is no user '%s'; see `filrouge user list`",
                              login);
        }
        fr_stmt_done(st);
    }
    if (!rc)
        rc = fr_store_query_int(site->store, err, &cases,
                                "SELECT count(*) FROM cases WHERE case_manager_id = ? AND "
                                "status = 'open'",
                                "I", uid);
    if (!rc)
        rc = fr_store_query_int(site->store, err, &tasks,
                                "SELECT count(*) FROM tasks WHERE assignee_id = ? AND "
                                "status = 'open'",
                                "I", uid);
    if (!rc && (was != 0) == (active != 0)) {
        fr_store_rollback(site->store); /* already so: nothing to record */
        goto counts;
    }
    if (!rc)
        rc = fr_store_execf(site->store, err, "UPDATE users SET active = ? WHERE id = ?", "iI",
                            active ? 1 : 0, uid);
    if (!rc && !active)
        rc = fr_store_execf(site->store, err, "DELETE FROM web_sessions WHERE user_id = ?", "I",
                            uid);
    rc = fr_record_commit(site, rc, active ? "activate" : "deactivate", "user", uid, 0,
                          json_pack("{s:s,s:I,s:I}", "login", login, "open_cases",
                                    (json_int_t)cases, "open_tasks", (json_int_t)tasks),
                          active ? "user.activated" : "user.deactivated", err);
    if (rc)
        return rc;
counts:
    if (open_cases)
        *open_cases = cases;
    if (open_tasks)
        *open_tasks = tasks;
    return rc;
}

int fr_user_edit(fr_site *site, const char *login, const fr_user_change *c, fr_error *err)
{
    int rc = require_admin(site, "change users", err);
    if (rc)
        return rc;
    if (!login || strcmp(login, "system") == 0)
        return fr_error_set(err, FR_EINVAL,
                            "login: name a user of the site (the local administrator 'system' "
                            "is not changed); see `filrouge user list`");
    json_t *now = NULL;
    if ((rc = fr_store_query_row(site->store, err, &now,
                                 "SELECT id, display_name, role, language, capacity FROM users"
                                 " WHERE login = ?",
                                 "t", login))) {
        if (rc == FR_ENOTFOUND) {
            fr_error_clear(err);
            rc = fr_error_set(err, FR_ENOTFOUND, "there is no user '%s'; see `filrouge user list`",
                              login);
        }
        return rc;
    }
    int64_t uid = json_integer_value(json_object_get(now, "id"));
    const char *was_name = json_string_value(json_object_get(now, "display_name"));
    const char *was_role = json_string_value(json_object_get(now, "role"));
    const char *was_lang = json_string_value(json_object_get(now, "language"));
    int was_capacity = (int)json_number_value(json_object_get(now, "capacity"));
    const char *name = c->display_name ? c->display_name : was_name;
    const char *role = c->role ? c->role : was_role;
    const char *lang = c->language ? c->language : was_lang;
    int capacity = c->has_capacity ? c->capacity : was_capacity;
    /* An administrator who took their own role away would lock the site's
     * administration out of the web pages if they were the last one. */
    if (!(rc = check_details(name, role, lang, capacity, err)) && strcmp(login, site->actor) == 0 &&
        strcmp(role, "admin") != 0)
        rc = fr_error_set(err, FR_EINVAL,
                          "role: you cannot take your own administrator role away; another "
                          "administrator must do it");
    /* A case is managed by a case manager (or an administrator): someone
     * who still manages open cases keeps such a role until they are
     * handed over. */
    int manages = strcmp(role, "case_manager") == 0 || strcmp(role, "admin") == 0;
    int64_t open_cases = 0;
    if (!rc && !manages &&
        !(rc = fr_store_query_int(site->store, err, &open_cases,
                                  "SELECT count(*) FROM cases WHERE case_manager_id = ? AND"
                                  " status = 'open'",
                                  "I", uid)) &&
        open_cases > 0)
        rc = fr_error_set(err, FR_ECONFLICT,
                          "role: %s still manages %" PRId64 " open case(s); hand them over "
                          "first (the échéancier filtered on %s, or `filrouge case assign`), "
                          "then change the role",
                          login, open_cases, login);
    /* What changed, from and to (the audit entry and the event). */
    json_t *changed = json_object();
    if (!rc && strcmp(name, was_name) != 0)
        json_object_set_new(changed, "display_name",
                            json_pack("{s:s,s:s}", "from", was_name, "to", name));
    if (!rc && strcmp(role, was_role) != 0)
        json_object_set_new(changed, "role", json_pack("{s:s,s:s}", "from", was_role, "to", role));
    if (!rc && strcmp(lang, was_lang) != 0)
        json_object_set_new(changed, "language",
                            json_pack("{s:s,s:s}", "from", was_lang, "to", lang));
    if (!rc && capacity != was_capacity)
        json_object_set_new(changed, "capacity",
                            json_pack("{s:i,s:i}", "from", was_capacity, "to", capacity));
    if (!rc && json_object_size(changed) > 0 && !(rc = fr_store_begin(site->store, err))) {
        rc = fr_store_execf(site->store, err,
                            "UPDATE users SET display_name = ?, role = ?, language = ?,"
                            " capacity = ? WHERE id = ?",
                            "tttRI", name, role, lang, (int64_t)capacity, uid);
        json_t *detail = json_pack("{s:s,s:O}", "login", login, "changed", changed);
        rc = fr_record_commit(site, rc, "update", "user", uid, 0, detail, "user.updated", err);
    }
    json_decref(changed);
    json_decref(now);
    return rc;
}

int fr_team_remove_member(fr_site *site, const char *team, const char *login, fr_error *err)
{
    int64_t tid = 0, uid = 0, member = 0;
    int rc = require_admin(site, "change teams", err);
    if (rc || (rc = fr_team_id(site, team, &tid, err)))
        return rc;
    if ((rc = fr_store_query_int(site->store, err, &uid, "SELECT id FROM users WHERE login = ?",
                                 "t", login ? login : ""))) {
        if (rc == FR_ENOTFOUND) {
            fr_error_clear(err);
            rc = fr_error_set(err, FR_ENOTFOUND, "there is no user '%s'; see `filrouge user list`",
                              login ? login : "");
        }
        return rc;
    }
    if ((rc = fr_store_query_int(site->store, err, &member,
                                 "SELECT count(*) FROM team_members WHERE team_id = ? AND "
                                 "user_id = ?",
                                 "II", tid, uid)))
        return rc;
    if (!member)
        return fr_error_set(err, FR_ECONFLICT, "'%s' is not in team '%s'; see `filrouge team list`",
                            login, team);
    if ((rc = fr_store_begin(site->store, err)))
        return rc;
    rc = fr_store_execf(site->store, err,
                        "DELETE FROM team_members WHERE team_id = ? AND user_id = ?", "II", tid,
                        uid);
    return fr_record_commit(site, rc, "remove-member", "team", tid, 0,
                            json_pack("{s:s}", "user", login), "team.member-removed", err);
}

int fr_team_add(fr_site *site, const char *name, int64_t *id, fr_error *err)
{
    int rc = require_admin(site, "add teams", err);
    if (rc)
        return rc;
    if (fr_text_blank(name))
        return fr_error_set(err, FR_EINVAL, "name: a team needs a name of 1 to %d characters",
                            FR_TEXT_TEAM_MAX);
    if ((rc = fr_text_check("name", name, FR_TEXT_TEAM_MAX, 0, err)))
        return rc;
    int64_t exists = 0;
    if ((rc = fr_store_query_int(site->store, err, &exists,
                                 "SELECT count(*) FROM teams WHERE name = ?", "t", name)))
        return rc;
    if (exists)
        return fr_error_set(err, FR_ECONFLICT, "name: a team '%s' already exists", name);
    char now[FR_TIME_LEN];
    fr_clock_now(now);
    if ((rc = fr_store_begin(site->store, err)))
        return rc;
    rc = fr_store_execf(site->store, err, "INSERT INTO teams (name, created_at) VALUES (?, ?)",
                        "tt", name, now);
    int64_t tid = fr_store_last_id(site->store);
    if (!rc)
        rc = fr_audit_appendi(site->store, site->actor, "create", "team", tid, NULL, err);
    if (!rc)
        rc = fr_store_commit(site->store, err);
    else
        fr_store_rollback(site->store);
    if (!rc && id)
        *id = tid;
    return rc;
}

int fr_team_id(fr_site *site, const char *name, int64_t *id, fr_error *err)
{
    int rc = fr_store_query_int(site->store, err, id, "SELECT id FROM teams WHERE name = ?", "t",
                                name ? name : "");
    if (rc == FR_ENOTFOUND)
        return fr_error_set(err, FR_ENOTFOUND, "there is no team '%s'; see `filrouge team list`",
                            name ? name : "");
    return rc;
}

int fr_team_add_member(fr_site *site, const char *team, const char *login, fr_error *err)
{
    int64_t tid = 0, uid = 0, exists = 0;
    int rc = require_admin(site, "change teams", err);
    if (rc || (rc = fr_team_id(site, team, &tid, err)) || (rc = fr_user_id(site, login, &uid, err)))
        return rc;
    if ((rc = fr_store_query_int(site->store, err, &exists,
                                 "SELECT count(*) FROM team_members WHERE team_id = ? AND "
                                 "user_id = ?",
                                 "II", tid, uid)))
        return rc;
    if (exists)
        return fr_error_set(err, FR_ECONFLICT, "'%s' is already in team '%s'", login, team);
    if ((rc = fr_store_begin(site->store, err)))
        return rc;
    rc = fr_store_execf(site->store, err, "INSERT INTO team_members (team_id, user_id) VALUES (?, ?)",
                        "II", tid, uid);
    if (!rc) {
        rc = fr_audit_appendj(site->store, site->actor, "add-member", "team", tid,
                              json_pack("{s:s}", "user", login), err);
    }
    if (!rc)
        rc = fr_store_commit(site->store, err);
    else
        fr_store_rollback(site->store);
    return rc;
}

int fr_team_list(fr_site *site, json_t **out, fr_error *err)
{
    return fr_store_query_json(
        site->store, err, out,
        "SELECT t.id, t.name, (SELECT group_concat(u.login, ', ') FROM team_members tm"
        " JOIN users u ON u.id = tm.user_id WHERE tm.team_id = t.id) AS members,"
        " (SELECT count(*) FROM cases c WHERE c.team_id = t.id AND c.status = 'open')"
        "   AS open_cases"
        " FROM teams t ORDER BY t.name",
        "");
}

/* Argon2id at OWASP's recommended minimum (m = 19 MiB, t = 2, p = 1; libsodium
 * always uses one lane): memory-hard, yet small enough for the server to stay
 * under 64 MB. Stored hashes carry their own parameters; older ones (libsodium's
 * interactive limits, 64 MiB) are rehashed at their user's next login. */
#define FR_PWHASH_OPSLIMIT 2ULL
#define FR_PWHASH_MEMLIMIT ((size_t)19 * 1024 * 1024)

/* At most one Argon2id computation at a time in the process: each one holds
 * its whole memory (19 MiB, or 64 MiB for a hash not yet rehashed) until it
 * ends, so concurrent logins on the server's worker threads would add theirs
 * up. Logins wait for each other instead (a few tens of milliseconds each). */
static pthread_mutex_t pwhash_lock = PTHREAD_MUTEX_INITIALIZER;

static int hash_password(char hash[crypto_pwhash_STRBYTES], const char *password)
{
    pthread_mutex_lock(&pwhash_lock);
    int rc = crypto_pwhash_str(hash, password, strlen(password), FR_PWHASH_OPSLIMIT,
                               FR_PWHASH_MEMLIMIT);
    pthread_mutex_unlock(&pwhash_lock);
    return rc;
}

static int verify_password(const char *hash, const char *password)
{
    pthread_mutex_lock(&pwhash_lock);
    int ok = crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
    pthread_mutex_unlock(&pwhash_lock);
    return ok;
}

/* A new password's rule: FR_PASSWORD_MIN to FR_PASSWORD_MAX bytes. */
static int password_check(const char *password, fr_error *err)
{
    if (!password || strlen(password) < FR_PASSWORD_MIN)
        return fr_error_set(err, FR_EINVAL, "password: use at least %d characters",
                            FR_PASSWORD_MIN);
    if (strlen(password) > FR_PASSWORD_MAX)
        return fr_error_set(err, FR_EINVAL, "password: at most %d characters", FR_PASSWORD_MAX);
    return 0;
}

/* A checked password's Argon2id hash, to be stored. */
static int password_hash_of(char hash[crypto_pwhash_STRBYTES], const char *password, fr_error *err)
{
    if (sodium_init() < 0)
        return fr_error_set(err, FR_EINTERNAL, "libsodium could not be initialised");
    if (hash_password(hash, password) != 0)
        return fr_error_set(err, FR_ENOMEM, "not enough memory to hash the password");
    return 0;
}

/* Stores a password's new hash and its audit entry in one transaction;
 * "old" (when not NULL) is the hash it replaces, left alone if it changed
 * meanwhile (a password set while its user logged in). */
static int store_password_hash(fr_site *site, const char *actor, const char *action, int64_t uid,
                               const char *hash, const char *old, fr_error *err)
{
    int rc = fr_store_begin(site->store, err);
    if (rc)
        return rc;
    if (old)
        rc = fr_store_execf(site->store, err,
                            "UPDATE users SET password_hash = ? WHERE id = ? AND password_hash = ?",
                            "tIt", hash, uid, old);
    else
        rc = fr_store_execf(site->store, err, "UPDATE users SET password_hash = ? WHERE id = ?",
                            "tI", hash, uid);
    if (!rc)
        rc = fr_audit_appendi(site->store, actor, action, "user", uid, NULL, err);
    if (!rc)
        rc = fr_store_commit(site->store, err);
    else
        fr_store_rollback(site->store);
    return rc;
}

int fr_user_set_password(fr_site *site, const char *login, const char *password, fr_error *err)
{
    int64_t uid = 0;
    int rc;
    if (!(site->actor_id != 0 && login && strcmp(site->actor, login) == 0) &&
        (rc = require_admin(site, "set another user's password", err)))
        return rc;
    if ((rc = fr_user_id(site, login, &uid, err)))
        return rc;
    char hash[crypto_pwhash_STRBYTES];
    if ((rc = password_check(password, err)) || (rc = password_hash_of(hash, password, err)))
        return rc;
    rc = store_password_hash(site, site->actor, "set-password", uid, hash, NULL, err);
    sodium_memzero(hash, sizeof hash);
    return rc;
}

int fr_user_check_password(fr_site *site, const char *login, const char *password, int64_t *id,
                           fr_error *err)
{
    char *hash = NULL;
    int64_t uid = 0;
    int ok = 0;
    if (sodium_init() < 0)
        return fr_error_set(err, FR_EINTERNAL, "libsodium could not be initialised");
    fr_stmt *st;
    int rc = fr_store_query(site->store, err, &st,
                            "SELECT id, password_hash FROM users WHERE login = ? AND active = 1",
                            "t", login ? login : "");
    if (rc)
        return rc;
    if ((rc = fr_stmt_step(st, err)) == 1) {
        uid = fr_stmt_int(st, 0);
        if (fr_stmt_text(st, 1))
            hash = strdup(fr_stmt_text(st, 1));
    }
    fr_stmt_done(st);
    if (rc < 0)
        return rc;
    if (hash && password) {
        ok = verify_password(hash, password);
    } else if (password) {
        /* An unknown login costs one Argon2id computation too, so that the
         * answer's delay does not tell which logins exist. */
        char dummy[crypto_pwhash_STRBYTES];
        (void)hash_password(dummy, password);
        sodium_memzero(dummy, sizeof dummy);
    }
    /* A right password whose hash has other parameters than today's (or
     * another algorithm): rehashed now, the only time the password is known.
     * The login goes on if this fails (e.g. a full disk); the next one retries. */
    if (ok && crypto_pwhash_str_needs_rehash(hash, FR_PWHASH_OPSLIMIT, FR_PWHASH_MEMLIMIT) != 0) {
        char fresh[crypto_pwhash_STRBYTES];
        fr_error ignored = {0};
        if (hash_password(fresh, password) == 0)
            store_password_hash(site, login, "upgrade-password-hash", uid, fresh, hash, &ignored);
        sodium_memzero(fresh, sizeof fresh);
    }
    free(hash);
    if (!ok)
        return fr_error_set(err, FR_EACCESS, "wrong login or password");
    if (id)
        *id = uid;
    return 0;
}

int fr_user_set_language(fr_site *site, const char *login, const char *language, fr_error *err)
{
    int64_t uid = 0;
    int rc;
    if (!(site->actor_id != 0 && login && strcmp(site->actor, login) == 0) &&
        (rc = require_admin(site, "change another user's language", err)))
        return rc;
    if (!fr_record_valid_language(language))
        return fr_error_set(err, FR_EINVAL, "language: '%s' is not supported; use fr, nl, de or en",
                            language ? language : "");
    if ((rc = fr_user_id(site, login, &uid, err)) || (rc = fr_store_begin(site->store, err)))
        return rc;
    rc = fr_store_execf(site->store, err, "UPDATE users SET language = ? WHERE id = ?", "tI",
                        language, uid);
    if (!rc) {
        rc = fr_audit_appendj(site->store, site->actor, "update", "user", uid,
                              json_pack("{s:s}", "language", language), err);
    }
    if (!rc)
        rc = fr_store_commit(site->store, err);
    else
        fr_store_rollback(site->store);
    return rc;
}

/* The record: patients, cases, the case's network, users and teams. Every
 * read and write of clinical data goes through access checks and leaves an
 * audit entry in the same transaction. Read functions return jansson
 * objects so that the CLI and the web server show the same data from the
 * same calls. */
#ifndef FR_RECORD_H
#define FR_RECORD_H

#include <jansson.h>
#include <stdint.h>

#include "site.h"

/* Ends a write begun with fr_store_begin: when rc is 0, appends the audit
 * entry (action on object_type/object_id, detail as JSON) and publishes
 * `topic` (when not NULL) about case_id with the detail as payload, then
 * commits; on any error rolls back. Takes ownership of detail. */
int fr_record_commit(fr_site *site, int rc, const char *action, const char *object_type,
                     int64_t object_id, int64_t case_id, json_t *detail, const char *topic,
                     fr_error *err);

/* 1 for a language the interface speaks: fr, nl, de, en. */
int fr_record_valid_language(const char *lang);

/* ---- users and teams ---- */

typedef struct fr_user_new {
    const char *login;
    const char *display_name;
    const char *role;     /* admin, case_manager, provider, read_only */
    const char *language; /* fr (default), nl, de, en */
    int capacity;         /* caseload capacity (weighted), 0 to FR_CAPACITY_MAX; 0: none set */
    const char *password; /* NULL: none yet (set later); else stored hashed with the user */
} fr_user_new;

#define FR_CAPACITY_MAX 1000 /* a user's caseload capacity at most */
#define FR_PASSWORD_MIN 8    /* a password's length at least, in bytes */
#define FR_PASSWORD_MAX 1024 /* and at most */

/* 1 for a login fr_user_add takes: 2 to 64 lower-case letters, digits,
 * '.', '_' or '-', starting with a letter, not "system". */
int fr_user_valid_login(const char *login);
/* Adds a user (administrators; audited): every field is checked before
 * anything is written, the password too when given, so that a refusal
 * ("FIELD: what is wrong; what to do") leaves no user half made. */
int fr_user_add(fr_site *site, const fr_user_new *u, int64_t *id, fr_error *err);
int fr_user_id(fr_site *site, const char *login, int64_t *id, fr_error *err);
/* The login of user `id`, active or not, into *login (caller frees);
 * FR_ENOTFOUND naming the id when there is none. */
int fr_user_login_of(fr_site *site, int64_t id, char **login, fr_error *err);
int fr_user_list(fr_site *site, json_t **out, fr_error *err);
int fr_team_add(fr_site *site, const char *name, int64_t *id, fr_error *err);
int fr_team_id(fr_site *site, const char *name, int64_t *id, fr_error *err);
int fr_team_add_member(fr_site *site, const char *team, const char *login, fr_error *err);
int fr_team_list(fr_site *site, json_t **out, fr_error *err);
/* Takes a user out of a team (administrators; audited remove-member on
 * the team, event team.member-removed): from now on they reach the team's
 * cases only through another relationship. Their cases stay theirs. */
int fr_team_remove_member(fr_site *site, const char *team, const char *login, fr_error *err);

/* What fr_user_edit changes: NULL (has_capacity 0) keeps what is. */
typedef struct fr_user_change {
    const char *display_name;
    const char *role;     /* admin, case_manager, provider, read_only */
    const char *language; /* fr, nl, de, en */
    int has_capacity;     /* 1: set capacity */
    int capacity;         /* 0 to FR_CAPACITY_MAX */
} fr_user_change;

/* Changes a user's name, role, language or capacity (administrators),
 * checked as at fr_user_add; active or not. Audited ("update" on the
 * user with each change from and to), event user.updated; nothing when
 * nothing changes. A new role applies at the user's next request (their
 * sessions read it). Not 'system'; an administrator cannot take their own
 * administrator role away. */
int fr_user_edit(fr_site *site, const char *login, const fr_user_change *c, fr_error *err);

/* Sets a user's password (Argon2id at OWASP's minimum, 19 MiB and 2 passes;
 * libsodium crypto_pwhash_str; only the hash is stored). An administrator may set anybody's, a user their own.
 * Refuses passwords shorter than 8 characters. Audited, never the password. */
int fr_user_set_password(fr_site *site, const char *login, const char *password, fr_error *err);
/* Sets a user's interface language (fr, nl, de, en): the user themself or
 * an administrator. Audited. */
int fr_user_set_language(fr_site *site, const char *login, const char *language, fr_error *err);
/* Deactivates (active 0) or reactivates (1) the user `login`: for
 * administrators, audited (deactivate/activate on the user) with event
 * user.deactivated / user.activated. A deactivated user can no longer log
 * in; their web sessions end (deleted), and their API tokens and calendar
 * feed stop answering at once (they work again if the user is
 * reactivated). Their cases and tasks stay theirs until reassigned:
 * *open_cases and *open_tasks (either may be NULL) say how many are open.
 * Refused for oneself (an administrator would lock themselves out) and for
 * the local administrator 'system'. Doing it twice changes nothing and is
 * not an error. */
int fr_user_set_active(fr_site *site, const char *login, int active, int64_t *open_cases,
                       int64_t *open_tasks, fr_error *err);
/* Checks a login and password: 0 and *id when they match an active user
 * with a password; FR_EACCESS ("wrong login or password", the same message
 * whatever was wrong) otherwise. Not audited: the caller (the web login)
 * audits the outcome. A right password whose stored hash has other
 * parameters is rehashed at today's (audited: upgrade-password-hash).
 * Takes tens of milliseconds by design; one Argon2id hash at a time per
 * process, so concurrent logins wait for each other. */
int fr_user_check_password(fr_site *site, const char *login, const char *password, int64_t *id,
                           fr_error *err);

/* ---- patients ---- */

typedef struct fr_identifier {
    const char *system; /* e.g. "be-niss", "lu-matricule", "hospital" */
    const char *value;
} fr_identifier;

typedef struct fr_patient_new {
    const char *family_name; /* required */
    const char *given_names; /* required */
    const char *birth_date;  /* YYYY-MM-DD */
    const char *sex;         /* female, male, other, unknown */
    const char *address, *postal_code, *city, *phone;
    const char *language;    /* preferred language */
    const fr_identifier *identifiers;
    int nidentifiers;
} fr_patient_new;

/* A birth date: a date, not in the future, not more than 130 years ago (a
 * mistyped year); FR_EINVAL naming `field` otherwise. */
int fr_birth_check(const char *field, const char *date, fr_error *err);
int fr_patient_add(fr_site *site, const fr_patient_new *p, int64_t *id, fr_error *err);
/* Corrects a patient's identity: the fields set in p (NULL: unchanged; ""
 * clears an optional field) are checked like at registration. Identifiers
 * are not changed here. Needs write access through a case (or no case yet,
 * for case managers). Audited with the names of the changed fields only. */
int fr_patient_update(fr_site *site, int64_t id, const fr_patient_new *p, fr_error *err);
/* Identity, identifiers and the patient's cases (audited read). */
int fr_patient_get(fr_site *site, int64_t id, json_t **out, fr_error *err);
/* The patient's whole record as one JSON document (format
 * "filrouge-patient-export", version 1), for the person's right of access
 * and to portability, or a hand-over: identity and identifiers; each case
 * the exporter reaches, whole (the case page's data, notes, care plan,
 * referrals, meetings, submissions with their answers, the intakes it came
 * from); the cases not reached, by id with the reason (with
 * site->break_glass_reason they are opened through break-glass, audited);
 * and the audit trail's entries on the patient and the exported cases
 * (when, who, what; no details). Case managers and administrators only.
 * Every read is checked and audited as usual, and the export is audited
 * ("export" on the patient, with the cases it holds). */
int fr_patient_export(fr_site *site, int64_t patient_id, json_t **out, fr_error *err);
/* Patients the actor may see; `query` matches names (prefix, any case) or
 * an identifier value exactly; NULL lists all. */
int fr_patient_find(fr_site *site, const char *query, int limit, int offset, json_t **out,
                    fr_error *err);

/* ---- cases ---- */

typedef struct fr_case_new {
    int64_t patient_id;
    const char *plugin;   /* the plugin providing the workflow */
    const char *workflow; /* workflow id; its newest version is used */
    const char *manager;  /* case manager login, or NULL */
    const char *team;     /* team name, or NULL */
    int intensity;        /* 1 (light) … 4 (intensive); 0: 1 */
    const char *model;    /* e.g. "clinical", "social", "broker" */
    const char *opened_on; /* effective date, NULL: today */
} fr_case_new;

/* Opens a case: row, opening transition into the initial state, its
 * on-enter actions, case.opened, audit — one transaction. */
int fr_case_open(fr_site *site, const fr_case_new *c, int64_t *id, fr_error *err);
/* The case page's data: case, patient summary, network, timeline, tasks,
 * the events allowed now (audited read). */
int fr_case_get(fr_site *site, int64_t id, json_t **out, fr_error *err);

typedef struct fr_case_filter {
    const char *manager; /* login */
    const char *status;  /* open, closed, NULL: all */
    const char *plugin;
    int limit, offset;
} fr_case_filter;

int fr_case_list(fr_site *site, const fr_case_filter *f, json_t **out, fr_error *err);
int fr_case_assign(fr_site *site, int64_t id, const char *manager, fr_error *err);
int fr_case_set_intensity(fr_site *site, int64_t id, int intensity, fr_error *err);
/* The case's model of case management ("clinical", "social", "broker"…):
 * lower-case letters, digits and '-', at most 32; NULL or "" clears it. */
int fr_case_set_model(fr_site *site, int64_t id, const char *model, fr_error *err);
/* Corrects the date the case really began (a case registered after the
 * fact): `opened_on` (YYYY-MM-DD) may not be in the future, before the
 * patient's birth, or after the first thing recorded in the case (a step,
 * migration, meeting, care plan approval or referral; a note, form
 * submission or completed task, by the day it was recorded in the site's
 * zone), which the refusal names; `reason` is required. The opening
 * transition and, while the case has taken no step (migrations are none),
 * state_since (unless a migration renamed the state) and the opening's
 * untouched open tasks (fr_workflow_move_opening_tasks) move with it;
 * other tasks keep
 * their due dates. Audited (update on the case: from, to, reason,
 * tasks_moved), publishes case.opened-on-changed with the same detail.
 * *moved (may be NULL): how many tasks moved. */
int fr_case_set_opened(fr_site *site, int64_t id, const char *opened_on, const char *reason,
                       int *moved, fr_error *err);
/* Corrects the date of the case's last step (the one that led into its
 * current state; migrations are no steps): `on` (YYYY-MM-DD) may not be
 * in the future, before the steps before it (the latest dated of them, or
 * the opening), or after what
 * was recorded since the step in the state it led into (a meeting, care
 * plan approval or referral dated on or after its old date; a note, form
 * submission or completed task recorded since the step, by the day; a
 * migration), which the refusal names; `reason` is required. state_since
 * (and closed_on when the step closed the case) and the step's untouched
 * open tasks (fr_workflow_move_step_tasks) move with it. Audited (update on
 * the case: transition, step, from, to, reason, tasks_moved), publishes
 * case.last-step-on-changed with the same detail. *moved (may be NULL):
 * how many tasks moved. */
int fr_case_set_last_step_on(fr_site *site, int64_t id, const char *on, const char *reason,
                             int *moved, fr_error *err);
/* 0 when `date` (YYYY-MM-DD) is on or after the date of each of the
 * case's steps (migrations are none); else FR_EINVAL "FIELD: DD/MM/YYYY is
 * before the case's last step, EVENT (DD/MM/YYYY); …" saying how to
 * correct that step (fr_case_set_last_step_on), or, when the latest dated
 * is not the last (steps recorded out of order before the check), "… is
 * before the case's latest step, EVENT (DD/MM/YYYY), recorded before its
 * last one; …". For a new step: a timeline in the order it happened. */
int fr_case_check_after_last_step(fr_site *site, int64_t case_id, const char *field,
                                  const char *date, fr_error *err);
/* 0 when `date` (YYYY-MM-DD) is on or after the opening of case `case_id`;
 * else FR_EINVAL "FIELD: DD/MM/YYYY is before the case's opening
 * (DD/MM/YYYY); …" saying how to correct the opening. For every date of
 * something that happens in a case (a step, a task's due date, a meeting,
 * a plan's approval). */
int fr_case_check_after_opening(fr_site *site, int64_t case_id, const char *field, const char *date,
                                fr_error *err);
/* Close and reopen fire the workflow's "close" and "reopen" events. */
int fr_case_close(fr_site *site, int64_t id, const char *effective_on, const char *note,
                  fr_error *err);
int fr_case_reopen(fr_site *site, int64_t id, const char *effective_on, const char *note,
                   fr_error *err);
/* The patient of a case. */
int fr_case_patient(fr_site *site, int64_t case_id, int64_t *patient_id, fr_error *err);

/* ---- notes ---- */

/* Adds a note to a case (access: write). origin: "person", "hook",
 * "plugin"; origin_ref says which (e.g. the hook's name), may be NULL.
 * Audited, publishes case.note-added ({"note": id, "origin": …}); the
 * text stays out of the event and the audit trail (clinical content). */
int fr_case_add_note(fr_site *site, int64_t case_id, const char *text, const char *origin,
                     const char *origin_ref, int64_t *id, fr_error *err);
/* The same with the day of the contact the note reports (YYYY-MM-DD; NULL:
 * none given): not in the future, not before the case's opening. */
int fr_case_add_note_on(fr_site *site, int64_t case_id, const char *text, const char *contact_on,
                        const char *origin, const char *origin_ref, int64_t *id, fr_error *err);
/* The case's notes, oldest first: a JSON array of {id, text, author,
 * author_name (the author's display name; the login when none), origin,
 * origin_ref, created_at, contact_on (null when none given)} (access:
 * read; audited). A person's note and a
 * hook's share the list. */
int fr_case_notes(fr_site *site, int64_t case_id, json_t **out, fr_error *err);
/* The query behind that list and the case page's (fr_case_get): one
 * parameter, the case's id. */
#define FR_NOTES_SQL                                                                               \
    "SELECT n.id, n.text, n.author, COALESCE(u.display_name, n.author) AS author_name, n.origin,"  \
    " n.origin_ref, n.created_at, n.contact_on FROM case_notes n LEFT JOIN users u ON u.login = "  \
    "n.author"                                                                                     \
    " WHERE n.case_id = ? ORDER BY n.id"

/* ---- network ---- */

typedef struct fr_member_new {
    const char *kind;         /* formal, informal */
    const char *name;
    const char *role;         /* formal: GP, home nurse, social worker, … */
    const char *relation;     /* informal: daughter, neighbour, … */
    const char *organisation;
    const char *phone, *email;
    const char *user;         /* login of a user this member is (gives access) */
    const char *since, *until;
} fr_member_new;

int fr_network_add(fr_site *site, int64_t case_id, const fr_member_new *m, int64_t *id,
                   fr_error *err);
int fr_network_list(fr_site *site, int64_t case_id, json_t **out, fr_error *err);
/* The same without access check or audit, for callers that did both. */
int fr_network_list_unaudited(fr_site *site, int64_t case_id, json_t **out, fr_error *err);

/* ---- audit (reading) ---- */
int fr_audit_list(fr_site *site, const char *object_type, const char *object_id, int limit,
                  json_t **out, fr_error *err);

#endif

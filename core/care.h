/* What every specialty shares around a case (DOMAIN.md): the care plan
 * (goals, actions with a responsible party and a due date, the person's
 * approval), referrals to specialists followed until answered, meetings
 * (network concertations, peer case reviews) whose decisions become
 * tracked actions, caseload against capacity, and the case's level on the
 * Kaiser Permanente pyramid. Every write is audited and publishes an event;
 * every read checks the care relationship. */
#ifndef FR_CARE_H
#define FR_CARE_H

#include <jansson.h>
#include <stdint.h>

#include "site.h"

/* ---- caseload ---- */

/* Per case manager: open cases, load (the sum of the cases' intensity
 * weights: site settings caseload.weight.1..4, default 0.5 1 1.5 2), the
 * capacity (the user's own, else the site's caseload.capacity.clinical,
 * default 40 — social case management: caseload.capacity.social, default
 * 60, used when most of the user's cases have model "social"; an
 * administrator without a capacity of their own has the site's only while
 * they manage open cases, else 0: none) and the ratio (0 without a
 * capacity). A JSON array, most loaded first. */
int fr_caseload(fr_site *site, json_t **out, fr_error *err);
/* The weight of a case of intensity 1…4 in a load (caseload.weight.N). */
double fr_caseload_weight(const fr_site *site, int intensity);
/* One user's load and capacity, as fr_caseload counts them (load 0 and
 * capacity 0, none, for a role that cannot manage cases, a deactivated
 * user, an administrator who manages none). Reads no case's content: not
 * audited. */
int fr_caseload_of(fr_site *site, int64_t user_id, double *load, double *capacity, fr_error *err);

/* ---- the Kaiser Permanente pyramid ---- */

/* A plugin's rules suggest a level (1 self-care support, 2 assisted care
 * management, 3 intensive case management). When no level was chosen by a
 * person, the suggestion is the case's level. */
int fr_case_suggest_pyramid(fr_site *site, int64_t case_id, int level, fr_error *err);
/* The case manager sets the level; a reason is required when it differs
 * from the suggestion. */
int fr_case_set_pyramid(fr_site *site, int64_t case_id, int level, const char *reason,
                        fr_error *err);

/* ---- the care plan ---- */

int fr_care_goal_add(fr_site *site, int64_t case_id, const char *title, int64_t *id,
                     fr_error *err);
/* status: "achieved" or "dropped". */
int fr_care_goal_close(fr_site *site, int64_t goal_id, const char *status, fr_error *err);

typedef struct fr_action_new {
    int64_t case_id;
    int64_t goal_id;          /* 0: not under a goal */
    const char *title;
    const char *responsible;  /* who, as people say it; default: the user's or member's name */
    const char *user;         /* login of the responsible user, or NULL */
    int64_t member_id;        /* network member responsible, or 0 */
    const char *due_on;       /* YYYY-MM-DD or NULL; a task on the échéancier when set */
    const char *origin;       /* "plan" (default), "meeting", "referral" */
    int64_t origin_id;
} fr_action_new;

int fr_care_action_add(fr_site *site, const fr_action_new *a, int64_t *id, fr_error *err);
/* Marks an action done (and its task). */
int fr_care_action_done(fr_site *site, int64_t action_id, fr_error *err);

/* The plan: goals with their actions, actions without a goal, the latest
 * approval and whether the plan changed since (then it needs a new one). */
int fr_care_plan_get(fr_site *site, int64_t case_id, json_t **out, fr_error *err);

/* For workflow guards: the number of open goals, the date of the latest
 * approval ("" when none) and whether that approval covers the plan as it
 * stands now (*current 1) or the plan changed since (0). */
int fr_care_plan_state(fr_site *site, int64_t case_id, int *goals, char approved_on[16],
                       int *current, fr_error *err);

/* The person endorses the plan as it stands (how: "signed", "oral",
 * "representative"; by: who approved, e.g. the person's name or their
 * representative's). Refused for a plan without goals. Publishes
 * careplan.approved. on: NULL = today. */
int fr_care_plan_approve(fr_site *site, int64_t case_id, const char *by, const char *how,
                         const char *on, const char *note, fr_error *err);

/* ---- referrals ---- */

/* Refers the person to a specialist; sent_on (YYYY-MM-DD, NULL: today) is
 * not in the future nor before the case's opening (a case registered
 * after the fact). A follow-up task is due `follow_up` (ISO 8601 duration,
 * default P14D) after it was sent, until the answer comes. */
int fr_referral_add(fr_site *site, int64_t case_id, const char *specialty, const char *to_name,
                    const char *reason, const char *follow_up, const char *sent_on, int64_t *id,
                    fr_error *err);
/* The answer, on `on` (YYYY-MM-DD, NULL: today): not in the future, not
 * before the referral was sent. */
int fr_referral_answer(fr_site *site, int64_t referral_id, const char *answer, const char *on,
                       fr_error *err);
/* 0 when `on` (YYYY-MM-DD) is not before referral `referral_id` was sent,
 * else FR_EINVAL "on: DD/MM/YYYY is before the referral was sent
 * (DD/MM/YYYY); …" (fr_referral_answer's check, for pages that say every
 * problem at once). Reads only the sent date. */
int fr_referral_check_answered_on(fr_site *site, int64_t referral_id, const char *on,
                                  fr_error *err);
/* A case's referrals (case_id), or every unanswered referral the user may
 * see (case_id 0). The read is audited ("referrals", the case's id or
 * "*"). */
int fr_referral_list(fr_site *site, int64_t case_id, json_t **out, fr_error *err);

/* ---- meetings ---- */

typedef struct fr_participant {
    const char *name;  /* required unless member_id or user is given */
    const char *role;  /* "young person", "mother", "GP", … */
    int64_t member_id; /* a member of the case's network, or 0 */
    const char *user;  /* a user's login, or NULL */
    int present;
} fr_participant;

typedef struct fr_meeting_new {
    int64_t case_id;   /* 0 for a peer case review (intervision) */
    const char *kind;  /* "concertation" (default with a case), "intervision" */
    const char *held_on;
    const char *place, *minutes, *convergences, *divergences;
    const fr_participant *participants;
    int nparticipants;
} fr_meeting_new;

int fr_meeting_add(fr_site *site, const fr_meeting_new *m, int64_t *id, fr_error *err);
/* The case meeting `meeting_id` is about: 0 for a peer case review
 * (intervision). Reads only that (no access check, nothing audited: for
 * the kernel's checks and the pages' early ones); FR_ENOTFOUND when there
 * is no such meeting. */
int fr_meeting_case(fr_site *site, int64_t meeting_id, int64_t *case_id, fr_error *err);
/* A decision of the meeting becomes a tracked action of the case's plan. */
int fr_meeting_decide(fr_site *site, int64_t meeting_id, const char *title,
                      const char *responsible, const char *user, const char *due_on,
                      int64_t *action_id, fr_error *err);
/* The meeting, its participants and decisions, and the actions decided at
 * earlier meetings that are still open (to follow up). */
int fr_meeting_get(fr_site *site, int64_t meeting_id, json_t **out, fr_error *err);
/* A case's meetings, newest first; the read is audited ("meetings"). */
int fr_meeting_list(fr_site *site, int64_t case_id, json_t **out, fr_error *err);

/* A decision of a peer case review (intervision): an action of one of the
 * cases reviewed (write access to that case needed), linked to the
 * meeting. FR_EINVAL for a concertation (use fr_meeting_decide). */
int fr_intervision_decide(fr_site *site, int64_t meeting_id, int64_t case_id, const char *title,
                          const char *responsible, const char *user, const char *due_on,
                          int64_t *action_id, fr_error *err);
/* The peer case reviews, newest first: [{id, held_on, place, present,
 * decisions, open_decisions}]. Case managers and administrators; audited. */
int fr_intervision_list(fr_site *site, int limit, json_t **out, fr_error *err);

#endif

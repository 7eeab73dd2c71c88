-- Shared by every specialty (DOMAIN.md), and indexes for patient search: the care plan (goals, actions,
-- the person's approval), referrals to specialists followed until answered,
-- meetings (network concertations, peer case reviews) whose decisions
-- become tracked actions, and each case's level on the Kaiser Permanente
-- pyramid.

-- 1 self-care support, 2 assisted care management, 3 intensive case
-- management: suggested by a plugin's rules, overridden by the case manager
-- with a reason.
ALTER TABLE cases ADD COLUMN pyramid_level INTEGER;
ALTER TABLE cases ADD COLUMN pyramid_suggested INTEGER;
ALTER TABLE cases ADD COLUMN pyramid_reason TEXT;

CREATE TABLE care_goals (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    title TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'achieved', 'dropped')),
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    closed_on TEXT
);
CREATE INDEX care_goals_by_case ON care_goals (case_id);

-- An action of the plan: who does it (a network member, or a user), by
-- when. Its due date is a task on the échéancier (task_id).
CREATE TABLE care_actions (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    goal_id INTEGER REFERENCES care_goals(id),
    title TEXT NOT NULL,
    responsible TEXT NOT NULL,
    member_id INTEGER REFERENCES network_members(id),
    user_id INTEGER REFERENCES users(id),
    due_on TEXT,
    task_id INTEGER REFERENCES tasks(id),
    origin TEXT NOT NULL DEFAULT 'plan' CHECK (origin IN ('plan', 'meeting', 'referral')),
    origin_id INTEGER,
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'cancelled')),
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    done_on TEXT
);
CREATE INDEX care_actions_by_case ON care_actions (case_id, status);

-- The person (or their representative) endorses the plan as it stands:
-- the approval keeps a copy of the goals and actions it approved.
CREATE TABLE care_plan_approvals (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    approved_on TEXT NOT NULL,
    approved_by TEXT NOT NULL,
    how TEXT NOT NULL CHECK (how IN ('signed', 'oral', 'representative')),
    note TEXT,
    plan TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL
);
CREATE INDEX care_plan_approvals_by_case ON care_plan_approvals (case_id, id);

CREATE TABLE referrals (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    specialty TEXT NOT NULL,
    to_name TEXT,
    reason TEXT NOT NULL,
    sent_on TEXT NOT NULL,
    follow_up_on TEXT NOT NULL,
    task_id INTEGER REFERENCES tasks(id),
    status TEXT NOT NULL DEFAULT 'sent' CHECK (status IN ('sent', 'answered', 'cancelled')),
    answered_on TEXT,
    answer TEXT,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX referrals_by_case ON referrals (case_id, status);

-- A meeting about a case (network concertation) or about several (peer
-- case review, intervision: case_id NULL).
CREATE TABLE meetings (
    id INTEGER PRIMARY KEY,
    case_id INTEGER REFERENCES cases(id),
    kind TEXT NOT NULL CHECK (kind IN ('concertation', 'intervision')),
    held_on TEXT NOT NULL,
    place TEXT,
    minutes TEXT,
    convergences TEXT,
    divergences TEXT,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX meetings_by_case ON meetings (case_id, held_on);

CREATE TABLE meeting_participants (
    id INTEGER PRIMARY KEY,
    meeting_id INTEGER NOT NULL REFERENCES meetings(id),
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    member_id INTEGER REFERENCES network_members(id),
    user_id INTEGER REFERENCES users(id),
    present INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX meeting_participants_by_meeting ON meeting_participants (meeting_id);

-- Searching patients costs what it finds: prefix searches on given names
-- (family names have patients_by_name) and exact identifier values.
CREATE INDEX patients_by_given ON patients (given_names COLLATE NOCASE);
CREATE INDEX patient_identifiers_by_value ON patient_identifiers (value);

-- Core schema, version 1. Portable SQL (SQLite and PostgreSQL): TEXT, INTEGER,
-- no AUTOINCREMENT tricks. Times are ISO 8601 UTC text ("2026-11-23T09:30:00Z"),
-- dates are "YYYY-MM-DD". The store adapts the rest (docs/postgresql.md);
-- "-- backend:" lines start parts kept on one backend only.

-- backend: postgresql
-- COLLATE NOCASE as on SQLite: equal and sorted ignoring case.
CREATE COLLATION IF NOT EXISTS nocase
    (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
-- backend: all

CREATE TABLE site_meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    login TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'case_manager', 'provider', 'read_only')),
    language TEXT NOT NULL DEFAULT 'fr',
    capacity INTEGER,
    active INTEGER NOT NULL DEFAULT 1,
    password_hash TEXT,
    created_at TEXT NOT NULL
);

CREATE TABLE teams (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);

CREATE TABLE team_members (
    team_id INTEGER NOT NULL REFERENCES teams(id),
    user_id INTEGER NOT NULL REFERENCES users(id),
    PRIMARY KEY (team_id, user_id)
);

CREATE TABLE patients (
    id INTEGER PRIMARY KEY,
    family_name TEXT NOT NULL,
    given_names TEXT NOT NULL,
    birth_date TEXT,
    sex TEXT NOT NULL DEFAULT 'unknown' CHECK (sex IN ('female', 'male', 'other', 'unknown')),
    address TEXT,
    postal_code TEXT,
    city TEXT,
    phone TEXT,
    language TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX patients_by_name ON patients (family_name COLLATE NOCASE, given_names COLLATE NOCASE);

-- Identifiers: a national number (system 'be-niss', 'lu-matricule', …), a
-- hospital number. One value belongs to one patient within its system.
CREATE TABLE patient_identifiers (
    patient_id INTEGER NOT NULL REFERENCES patients(id),
    system TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (system, value)
);
CREATE INDEX patient_identifiers_by_patient ON patient_identifiers (patient_id);

-- Every version of every workflow definition a case was ever opened under.
CREATE TABLE workflows (
    id TEXT NOT NULL,
    version INTEGER NOT NULL,
    plugin TEXT NOT NULL,
    definition TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    loaded_at TEXT NOT NULL,
    PRIMARY KEY (id, version)
);

CREATE TABLE cases (
    id INTEGER PRIMARY KEY,
    patient_id INTEGER NOT NULL REFERENCES patients(id),
    plugin TEXT NOT NULL,
    workflow_id TEXT NOT NULL,
    workflow_version INTEGER NOT NULL,
    state TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    case_manager_id INTEGER REFERENCES users(id),
    team_id INTEGER REFERENCES teams(id),
    intensity INTEGER NOT NULL DEFAULT 1,
    model TEXT,
    opened_on TEXT NOT NULL,
    closed_on TEXT,
    state_since TEXT NOT NULL,
    row_version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    FOREIGN KEY (workflow_id, workflow_version) REFERENCES workflows (id, version)
);
CREATE INDEX cases_by_manager ON cases (case_manager_id, status);
CREATE INDEX cases_by_patient ON cases (patient_id);
CREATE INDEX cases_by_team ON cases (team_id, status);

-- Named dates of a case that tasks can be anchored on (treatment_end,
-- plan_approved, …).
CREATE TABLE case_dates (
    case_id INTEGER NOT NULL REFERENCES cases(id),
    name TEXT NOT NULL,
    date TEXT NOT NULL,
    PRIMARY KEY (case_id, name)
);

-- The timeline: every state change with its effective date (when it happened)
-- and its recorded time (when it was written).
CREATE TABLE transitions (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    event TEXT NOT NULL,
    from_state TEXT,
    to_state TEXT NOT NULL,
    workflow_version INTEGER NOT NULL,
    effective_on TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    actor TEXT NOT NULL,
    note TEXT
);
CREATE INDEX transitions_by_case ON transitions (case_id, id);

-- The case's network: formal members (providers, organisations, with a role)
-- and informal ones (family, carers, with a relation), each with since/until.
CREATE TABLE network_members (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    kind TEXT NOT NULL CHECK (kind IN ('formal', 'informal')),
    name TEXT NOT NULL,
    role TEXT,
    relation TEXT,
    organisation TEXT,
    phone TEXT,
    email TEXT,
    user_id INTEGER REFERENCES users(id),
    since TEXT,
    until TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX network_by_case ON network_members (case_id);
CREATE INDEX network_by_user ON network_members (user_id);

-- Form submissions (the forms part extends this table with its own
-- migrations). Workflow transitions can require a final submission.
CREATE TABLE submissions (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    form_id TEXT NOT NULL,
    form_version TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('draft', 'final')),
    data TEXT NOT NULL,
    submitted_at TEXT NOT NULL,
    actor TEXT NOT NULL
);
CREATE INDEX submissions_by_case ON submissions (case_id, form_id, status);

-- The échéancier.
CREATE TABLE tasks (
    id INTEGER PRIMARY KEY,
    case_id INTEGER REFERENCES cases(id),
    title TEXT NOT NULL,
    assignee_id INTEGER REFERENCES users(id),
    due_on TEXT,
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'cancelled')),
    origin TEXT NOT NULL CHECK (origin IN ('workflow', 'timer', 'person', 'plugin', 'hook')),
    origin_ref TEXT,
    anchor TEXT,
    anchor_offset TEXT,
    acted INTEGER NOT NULL DEFAULT 0,
    due_emitted INTEGER NOT NULL DEFAULT 0,
    overdue_emitted INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    done_at TEXT,
    done_by TEXT
);
CREATE INDEX tasks_by_due ON tasks (status, due_on);
CREATE INDEX tasks_by_case ON tasks (case_id, status);
CREATE INDEX tasks_by_assignee ON tasks (assignee_id, status, due_on);

-- The durable outbox: every event, written in the transaction that caused it.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    topic TEXT NOT NULL,
    case_id INTEGER,
    payload TEXT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);
CREATE INDEX outbox_by_case ON outbox (case_id, id);

-- Asynchronous subscribers seen by this site; a subscriber receives the
-- events created after it was first registered.
CREATE TABLE bus_subscribers (
    name TEXT PRIMARY KEY,
    pattern TEXT NOT NULL,
    since_event INTEGER NOT NULL,
    registered_at TEXT NOT NULL
);

CREATE TABLE bus_deliveries (
    subscriber TEXT NOT NULL,
    event_id INTEGER NOT NULL REFERENCES outbox(id),
    status TEXT NOT NULL CHECK (status IN ('done', 'retry', 'failed')),
    attempts INTEGER NOT NULL,
    next_at TEXT,
    last_error TEXT,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (subscriber, event_id)
);
CREATE INDEX bus_deliveries_by_status ON bus_deliveries (status);

-- Plugins enabled on this site. Disabling keeps the plugin's data.
CREATE TABLE plugins (
    id TEXT PRIMARY KEY,
    enabled INTEGER NOT NULL,
    version TEXT NOT NULL,
    changed_at TEXT NOT NULL,
    changed_by TEXT NOT NULL
);

-- Audited exceptions to the care-relationship rule.
CREATE TABLE break_glass (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    case_id INTEGER NOT NULL REFERENCES cases(id),
    reason TEXT NOT NULL,
    at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

-- The audit trail: append-only, each entry chained to the previous one by
-- hash (see core/audit.c for the exact input of the hash).
CREATE TABLE audit (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id TEXT NOT NULL,
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_by_object ON audit (object_type, object_id);

-- backend: sqlite
CREATE TRIGGER audit_is_append_only_update BEFORE UPDATE ON audit
BEGIN
    SELECT RAISE(ABORT, 'the audit trail is append-only');
END;

CREATE TRIGGER audit_is_append_only_delete BEFORE DELETE ON audit
BEGIN
    SELECT RAISE(ABORT, 'the audit trail is append-only');
END;
-- backend: postgresql
CREATE FUNCTION audit_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only' USING ERRCODE = 'restrict_violation';
END
$$;
CREATE TRIGGER audit_is_append_only_update BEFORE UPDATE OR DELETE ON audit
    FOR EACH ROW EXECUTE FUNCTION audit_is_append_only();
CREATE TRIGGER audit_is_append_only_truncate BEFORE TRUNCATE ON audit
    FOR EACH STATEMENT EXECUTE FUNCTION audit_is_append_only();
-- backend: all

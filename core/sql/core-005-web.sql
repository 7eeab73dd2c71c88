-- Core schema: the web application (core/server/). Portable SQL.
-- Sessions, login throttling, calendar feed tokens and the intake triage
-- queue. Secrets are never stored in clear: session ids and calendar
-- tokens are kept as their SHA-256 (hex), so a copy of the database does
-- not hand out live sessions.

CREATE TABLE web_sessions (
    id_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    csrf TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    remote TEXT
);
CREATE INDEX web_sessions_by_user ON web_sessions (user_id);

-- Failed logins, for throttling (by login and by address).
CREATE TABLE web_login_failures (
    id INTEGER PRIMARY KEY,
    login TEXT NOT NULL,
    remote TEXT,
    at TEXT NOT NULL
);
CREATE INDEX web_login_failures_by_login ON web_login_failures (login, at);

-- One secret iCalendar feed per user (the URL carries the token).
CREATE TABLE web_calendar_tokens (
    user_id INTEGER PRIMARY KEY REFERENCES users(id),
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);

-- Intakes ("signalements") from the public form, waiting for triage.
CREATE TABLE intakes (
    id INTEGER PRIMARY KEY,
    received_at TEXT NOT NULL,
    referrer_name TEXT NOT NULL,
    referrer_contact TEXT NOT NULL,
    referrer_relation TEXT,
    person_name TEXT NOT NULL,
    person_birth_date TEXT,
    person_city TEXT,
    situation TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'accepted', 'dismissed')),
    handled_by TEXT,
    handled_at TEXT,
    patient_id INTEGER REFERENCES patients(id),
    note TEXT
);
CREATE INDEX intakes_by_status ON intakes (status, received_at);

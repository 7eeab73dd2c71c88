-- Core schema: personal API tokens and the intake → patient/case link
-- (core/server/ui_tokens.c, core/intake.c). Portable SQL.
-- A token is shown once when it is made; only its SHA-256 (hex, libsodium)
-- is kept, so a copy of the database hands out no live token.

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    last_used TEXT,
    revoked_at TEXT
);
CREATE INDEX api_tokens_by_user ON api_tokens (user_id);

-- The case opened from an accepted intake (patient_id is in core-005).
ALTER TABLE intakes ADD COLUMN case_id INTEGER REFERENCES cases(id);
CREATE INDEX intakes_by_patient ON intakes (patient_id);

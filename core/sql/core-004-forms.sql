-- Forms (docs/forms.md): definitions by (id, version) so that older
-- submissions stay readable under the version they were made with; the
-- submissions table of core-001 gains drafts, amendments and computed
-- values; scores and flags get tables of their own so that they can be
-- queried (the latest frailty score of every case) rather than read from a
-- blob.
CREATE TABLE form_definitions (
    id TEXT NOT NULL,
    version INTEGER NOT NULL,
    owner TEXT NOT NULL,
    definition TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    loaded_at TEXT NOT NULL,
    PRIMARY KEY (id, version)
);

ALTER TABLE submissions ADD COLUMN amends INTEGER REFERENCES submissions(id);
ALTER TABLE submissions ADD COLUMN superseded_by INTEGER REFERENCES submissions(id);
ALTER TABLE submissions ADD COLUMN reason TEXT;
ALTER TABLE submissions ADD COLUMN computed TEXT;
ALTER TABLE submissions ADD COLUMN language TEXT;
ALTER TABLE submissions ADD COLUMN updated_at TEXT;

CREATE TABLE submission_scores (
    submission_id INTEGER NOT NULL REFERENCES submissions(id),
    case_id INTEGER NOT NULL REFERENCES cases(id),
    form_id TEXT NOT NULL,
    form_version INTEGER NOT NULL,
    score TEXT NOT NULL,
    value REAL,
    band TEXT,
    band_scheme TEXT,
    answered INTEGER NOT NULL,
    submitted_at TEXT NOT NULL,
    PRIMARY KEY (submission_id, score)
);
CREATE INDEX submission_scores_by_case ON submission_scores (case_id, form_id, score);

CREATE TABLE submission_flags (
    submission_id INTEGER NOT NULL REFERENCES submissions(id),
    case_id INTEGER NOT NULL REFERENCES cases(id),
    form_id TEXT NOT NULL,
    flag TEXT NOT NULL,
    severity TEXT NOT NULL,
    message TEXT NOT NULL,
    PRIMARY KEY (submission_id, flag)
);
CREATE INDEX submission_flags_by_case ON submission_flags (case_id);

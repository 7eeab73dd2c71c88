-- Core schema: notes on a case (free text written by a person or a Python
-- hook), shown in the case's timeline. Named 003 because core-002 is the
-- forms part's migration; until both are merged, this file is the second
-- entry of the core list (see core/site.c).
CREATE TABLE case_notes (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    text TEXT NOT NULL,
    author TEXT NOT NULL,
    origin TEXT NOT NULL CHECK (origin IN ('person', 'hook', 'plugin')),
    origin_ref TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX case_notes_by_case ON case_notes (case_id, id);

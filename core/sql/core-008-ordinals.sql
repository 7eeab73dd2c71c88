-- Core schema: the order of a submission's scores and flags (the form's
-- order) in a column of their own. They were read in the physical order of
-- the rows (SQLite's rowid), which PostgreSQL does not keep. Rows already
-- there are numbered in the order they were inserted.

ALTER TABLE submission_scores ADD COLUMN ordinal INTEGER NOT NULL DEFAULT 0;
ALTER TABLE submission_flags ADD COLUMN ordinal INTEGER NOT NULL DEFAULT 0;
-- backend: sqlite
UPDATE submission_scores SET ordinal = (SELECT count(*) FROM submission_scores o
    WHERE o.submission_id = submission_scores.submission_id AND o.rowid < submission_scores.rowid);
UPDATE submission_flags SET ordinal = (SELECT count(*) FROM submission_flags o
    WHERE o.submission_id = submission_flags.submission_id AND o.rowid < submission_flags.rowid);
-- backend: postgresql
-- (these rows are never updated: their ctid order is their insertion order,
-- and adding a column with a constant default does not move them)
UPDATE submission_scores s SET ordinal = n.k FROM (SELECT ctid AS c,
    row_number() OVER (PARTITION BY submission_id ORDER BY ctid) - 1 AS k
    FROM submission_scores) n WHERE s.ctid = n.c;
UPDATE submission_flags s SET ordinal = n.k FROM (SELECT ctid AS c,
    row_number() OVER (PARTITION BY submission_id ORDER BY ctid) - 1 AS k
    FROM submission_flags) n WHERE s.ctid = n.c;
-- backend: all

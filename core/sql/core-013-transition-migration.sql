-- Core schema: a transition that moved a case to a newer version of its
-- workflow (`filrouge workflow migrate`) is marked as such (migration = 1)
-- rather than known by its event's name, `migrate`, which a workflow may
-- also give one of its own steps. A migration is no step: bookkeeping of
-- the version, dated the day it was run. The transitions recorded before
-- are marked when they are a migration's: event `migrate` under a newer
-- version than the case's transition before it (nothing else changes a
-- case's version), so a workflow's own step named `migrate` stays a step.
ALTER TABLE transitions ADD COLUMN migration INTEGER NOT NULL DEFAULT 0;
UPDATE transitions SET migration = 1
WHERE event = 'migrate' AND from_state IS NOT NULL
  AND workflow_version > (SELECT p.workflow_version FROM transitions p
                          WHERE p.case_id = transitions.case_id AND p.id < transitions.id
                          ORDER BY p.id DESC LIMIT 1);

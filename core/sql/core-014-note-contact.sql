-- Core schema: a note may say the day of the contact it reports (a note
-- written today about yesterday's home visit): case_notes.contact_on
-- (YYYY-MM-DD), not in the future, not before the case's opening; NULL
-- when the note gives none (it then speaks of the day it was written,
-- created_at). The notes written before have none.
ALTER TABLE case_notes ADD COLUMN contact_on TEXT;

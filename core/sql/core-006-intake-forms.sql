-- An intake may carry the answers to a form that anybody may fill on the
-- public page (a form with intake="true", such as the youth network's
-- request): the form, its version and the answers as the form part
-- cleaned them (JSON). They become a submission on the case opened for
-- the intake (filrouge intake submit).
ALTER TABLE intakes ADD COLUMN form_id TEXT;
ALTER TABLE intakes ADD COLUMN form_version INTEGER;
ALTER TABLE intakes ADD COLUMN answers TEXT;
ALTER TABLE intakes ADD COLUMN submission_id INTEGER REFERENCES submissions(id);

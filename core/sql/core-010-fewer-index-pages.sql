-- Core schema: two indexes that no query uses, gone. Every index is one more
-- page written (and flushed) by each commit that adds a row: a submission
-- wrote 10 pages of the write-ahead log (8 now), and on the disks measured the
-- cost of a commit grows with its pages (docs/performance.md).
-- outbox_by_case: events are read by id (delivery passes, `filrouge events`),
-- never by case.
-- submission_scores_by_case: a case's latest score is found through its
-- submissions (submissions_by_case), then the score by its primary key
-- (submission_id, score) (core/formeval.c, score()).
DROP INDEX IF EXISTS outbox_by_case;
DROP INDEX IF EXISTS submission_scores_by_case;

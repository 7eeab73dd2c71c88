-- Core schema: a task created by a workflow (an on-enter <task> or a
-- <timer>) names the definition's task it comes from, so that its title is
-- shown in the reader's language (core/task_title.c): "frailty/2/state:
-- referral/0" (the state's on-enter action 0 of version 2) or
-- "frailty/2/timer:review". NULL for the tasks people, plugins and hooks
-- type, and for those created before: they keep their one title.
ALTER TABLE tasks ADD COLUMN title_ref TEXT;

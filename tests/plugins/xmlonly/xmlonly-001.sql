-- The xmlonly test plugin's table: proves that a plugin without a library
-- gets its migrations applied.
CREATE TABLE xmlonly_notes (
    id INTEGER PRIMARY KEY,
    note TEXT NOT NULL
);

-- The plugin's own table (its schema version 1). Never edit a migration
-- that has shipped: add hello-002.sql and a <migration version="2"> line.
CREATE TABLE hello_seen (
    event_key TEXT PRIMARY KEY,
    case_id INTEGER NOT NULL,
    seen_on TEXT NOT NULL -- YYYY-MM-DD, the kernel's day (fr_plugin_today)
);

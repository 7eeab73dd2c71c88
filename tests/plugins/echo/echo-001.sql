-- The echo test plugin's own table: one row per event its asynchronous
-- subscriber was called with, keyed by the event's idempotency key; calls
-- counts how many times the same event came (at-least-once delivery).
CREATE TABLE echo_deliveries (
    key TEXT PRIMARY KEY,
    event_id INTEGER NOT NULL,
    topic TEXT NOT NULL,
    case_id INTEGER,
    calls INTEGER NOT NULL
);

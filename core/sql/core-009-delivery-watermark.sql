-- Core schema: where an asynchronous subscriber's delivery pass starts.
-- settled_through is the highest outbox id up to which every event is
-- settled for the subscriber (not its topic, delivered, or parked as
-- failed), so a pass reads only the events after it instead of the whole
-- outbox since the subscriber was registered (core/bus.c). 0 for the
-- subscribers already registered: their first pass reads from since_event
-- as before and moves it on.

ALTER TABLE bus_subscribers ADD COLUMN settled_through INTEGER NOT NULL DEFAULT 0;
-- a subscriber's parked (failed) and retried deliveries, without reading
-- the others
CREATE INDEX bus_deliveries_by_subscriber ON bus_deliveries (subscriber, status, event_id);

-- Core schema: a delivery made at the first attempt leaves no row once the
-- subscriber's watermark (settled_through) has passed its event: the
-- watermark says it (core/bus.c, record_page). The rows of such deliveries
-- kept until now go; those of deliveries that took several attempts, parked
-- ones and retried ones stay.
DELETE FROM bus_deliveries
WHERE status = 'done' AND attempts = 1
  AND event_id <= (SELECT s.settled_through FROM bus_subscribers s
                   WHERE s.name = bus_deliveries.subscriber);

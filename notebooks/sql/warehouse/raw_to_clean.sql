CREATE OR REPLACE TABLE clean.events AS
SELECT e.event_id, e.user_id, TO_TIMESTAMP(e.ts) AS event_time, LOWER(e.kind) AS kind
FROM raw.events e
WHERE e.kind IS NOT NULL;

CREATE OR REPLACE VIEW report.daily_active_users AS
SELECT DATE_TRUNC('day', event_time) AS day, COUNT(DISTINCT user_id) AS active_users
FROM clean.events
GROUP BY 1;

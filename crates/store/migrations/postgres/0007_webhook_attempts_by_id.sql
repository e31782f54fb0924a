-- Attempts are purged oldest first by id (ids grow with time), so the time index, one more
-- B-tree insert per delivery on the writer's hot path, goes.
DROP INDEX webhook_attempts_by_time;

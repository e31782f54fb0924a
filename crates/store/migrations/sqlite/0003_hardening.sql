-- A file shared by a message is deleted with it; the files of a room with the room.
ALTER TABLE files ADD COLUMN message_id INTEGER;
CREATE INDEX files_by_room ON files (room_id);
CREATE INDEX files_by_message ON files (message_id) WHERE message_id IS NOT NULL;
-- Housekeeping finds expired tickets and finished sessions without a scan.
CREATE INDEX auth_tickets_by_expiry ON auth_tickets (expires);
CREATE INDEX sessions_by_refresh_expiry ON sessions (refresh_expires);
CREATE INDEX sessions_revoked ON sessions (id) WHERE revoked <> 0;
-- An app's own rate limits (JSON of the settings it overrides; '' for the server's).
ALTER TABLE apps ADD COLUMN rate_limits TEXT NOT NULL DEFAULT '';

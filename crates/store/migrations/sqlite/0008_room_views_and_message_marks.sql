-- A user's own view of each room: muted (until `muted_until`, Unix ms, or for good when 0),
-- pinned (since `pinned_at`; 0 when not), marked unread by hand.
ALTER TABLE participants ADD COLUMN muted BIGINT NOT NULL DEFAULT 0;
ALTER TABLE participants ADD COLUMN muted_until BIGINT NOT NULL DEFAULT 0;
ALTER TABLE participants ADD COLUMN pinned_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE participants ADD COLUMN marked_unread BIGINT NOT NULL DEFAULT 0;
-- Messages a user starred, for that user alone.
CREATE TABLE starred_messages (
    user_id BIGINT NOT NULL,
    room_id BIGINT NOT NULL,
    message_id BIGINT NOT NULL,
    starred_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, room_id, message_id)
) WITHOUT ROWID;
-- Messages pinned in a room, for everyone in it.
CREATE TABLE pinned_messages (
    room_id BIGINT NOT NULL,
    message_id BIGINT NOT NULL,
    pinned_by BIGINT NOT NULL,
    pinned_at BIGINT NOT NULL,
    PRIMARY KEY (room_id, message_id)
) WITHOUT ROWID;

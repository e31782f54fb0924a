-- Unread counts that cost the same whatever a room's history: each message carries `seq`, how
-- many messages of its room that are not hidden have ids up to its own, and `sender_seq`, the
-- same count among its sender's messages in the room. The messages after a read pointer that
-- are not hidden are then the room's newest `seq` minus the `seq` at the pointer (two index
-- probes), the user's own among them the same with `sender_seq`, and the deleted ones after
-- the pointer are few and listed apart in `deleted_messages` (those that were not hidden,
-- added when a message is deleted).
ALTER TABLE messages ADD COLUMN seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN sender_seq BIGINT NOT NULL DEFAULT 0;
UPDATE messages SET seq = n.seq, sender_seq = n.sender_seq FROM (
    SELECT id,
        SUM(CASE WHEN is_hidden = 0 THEN 1 ELSE 0 END) OVER (PARTITION BY room_id ORDER BY id) AS seq,
        SUM(CASE WHEN is_hidden = 0 THEN 1 ELSE 0 END) OVER (PARTITION BY room_id, sender_id ORDER BY id) AS sender_seq
    FROM messages
) AS n WHERE messages.id = n.id;
CREATE INDEX messages_by_sender_in_room ON messages (room_id, sender_id, id, sender_seq);
CREATE TABLE deleted_messages (
    room_id BIGINT NOT NULL,
    id BIGINT NOT NULL,
    sender_id BIGINT NOT NULL,
    PRIMARY KEY (room_id, id)
);
INSERT INTO deleted_messages (room_id, id, sender_id)
    SELECT room_id, id, sender_id FROM messages WHERE deleted <> 0 AND is_hidden = 0;
-- History pages go back by `created`, which strictly increases within a room: this index
-- finds a page without reading the messages newer than it.
CREATE INDEX messages_by_room_created ON messages (room_id, created, id);

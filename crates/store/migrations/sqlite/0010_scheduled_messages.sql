-- Messages a user scheduled to be sent later (TapTalk `chat/scheduled_message/*`). `room_key`
-- names the room as the sender will post into it: `<a>-<b>` for a personal room (which may
-- not exist before the first message), the room id otherwise. `status` is 0 while waiting,
-- 1 once sent (`message_id` holds the message, inserted in the same transaction), 2 when it
-- could no longer be sent at its time (`reason` says why). A user's deleted items go.
CREATE TABLE scheduled_messages (
    id INTEGER PRIMARY KEY,
    app_id BIGINT NOT NULL,
    user_id BIGINT NOT NULL,
    room_key TEXT NOT NULL,
    local_id TEXT NOT NULL,
    type_code BIGINT NOT NULL,
    type_name TEXT NOT NULL,
    body TEXT NOT NULL,
    data TEXT NOT NULL,
    extras TEXT NOT NULL,
    filter_id TEXT NOT NULL,
    is_hidden BIGINT NOT NULL,
    quote TEXT NOT NULL,
    reply_to TEXT NOT NULL,
    forward_from TEXT NOT NULL,
    attachments TEXT NOT NULL,
    scheduled_at BIGINT NOT NULL,
    created BIGINT NOT NULL,
    updated BIGINT NOT NULL,
    status BIGINT NOT NULL DEFAULT 0,
    message_id BIGINT NOT NULL DEFAULT 0,
    reason TEXT NOT NULL DEFAULT ''
);
-- What is due next, across apps: the send loop's one query.
CREATE INDEX scheduled_messages_due ON scheduled_messages (scheduled_at) WHERE status = 0;
-- A user's waiting items in a room.
CREATE INDEX scheduled_messages_by_user ON scheduled_messages (user_id, room_key, scheduled_at) WHERE status = 0;

-- Palaver schema 2: the change log, app credentials as keys of a kind, dialect-neutral names,
-- system messages stored as facts rather than one dialect's wording.

-- The change log: one row per committed change, written in the change's own transaction. Its
-- ids come from the same sequence as message ids (`counters.seq`); a message's creation is
-- the change whose id is the message id. The row keeps ids and `facts` (JSON); readers join
-- the current state of the message, room and users it names. Rows are kept in (app, id) order,
-- which is the order per-app readers and the purge want, so one b-tree serves as table and
-- index (every message writes one row here). PostgreSQL, where nodes also read across apps,
-- keeps an id key and an (app, id) index instead.
CREATE TABLE changes (
    app_id INTEGER NOT NULL,
    id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    actor_id INTEGER NOT NULL DEFAULT 0,
    room_id INTEGER NOT NULL DEFAULT 0,
    message_id INTEGER NOT NULL DEFAULT 0,
    users TEXT NOT NULL DEFAULT '[]',
    facts TEXT NOT NULL DEFAULT '{}',
    created INTEGER NOT NULL,
    PRIMARY KEY (app_id, id)
) WITHOUT ROWID;
CREATE INDEX changes_by_room ON changes (room_id, id);

-- The users a change concerns besides a room's participants (`changes.users`), so that one
-- user's changes are found through an index.
CREATE TABLE change_users (
    user_id INTEGER NOT NULL,
    change_id INTEGER NOT NULL,
    PRIMARY KEY (user_id, change_id)
) WITHOUT ROWID;

-- The messages of the last 30 days (what the default retention keeps) as the changes that
-- created them, and the edits and deletions among their last changes. Delivery and read
-- changes made before are not carried over (a message's delivery state is read from the
-- pointers anyway).
INSERT INTO changes (id, app_id, kind, actor_id, room_id, message_id, created)
SELECT id, app_id, 'message.created', sender_id, room_id, id, created FROM messages
WHERE created > CAST(strftime('%s', 'now') AS INTEGER) * 1000 - 2592000000;
INSERT OR IGNORE INTO changes (id, app_id, kind, actor_id, room_id, message_id, created)
SELECT change_seq, app_id, CASE WHEN deleted > 0 THEN 'message.deleted' ELSE 'message.edited' END,
    sender_id, room_id, id, updated FROM messages
WHERE change_seq > id AND (deleted > 0 OR is_edited = 1)
    AND updated > CAST(strftime('%s', 'now') AS INTEGER) * 1000 - 2592000000;

-- App credentials: one row per key, of a kind each face names (a new face adds a kind, not
-- columns). Only hashes of secrets are kept.
CREATE TABLE app_keys (
    key_id TEXT PRIMARY KEY,
    app_id INTEGER NOT NULL REFERENCES apps(id),
    kind TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    created INTEGER NOT NULL
);
CREATE INDEX app_keys_by_app ON app_keys (app_id, kind);
INSERT INTO app_keys (key_id, app_id, kind, secret_hash, created)
SELECT server_key_id, id, 'taptalk.server_key', server_key_hash, created FROM apps;
INSERT INTO app_keys (key_id, app_id, kind, secret_hash, created)
SELECT app_key_id, id, 'taptalk.app_key', app_key_hash, created FROM apps;
INSERT INTO app_keys (key_id, app_id, kind, secret_hash, created)
SELECT qiscus_app_id, id, 'qiscus.secret', qiscus_secret_hash, created FROM apps;
CREATE TABLE apps_rebuilt (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created INTEGER NOT NULL
);
INSERT INTO apps_rebuilt (id, name, created) SELECT id, name, created FROM apps;
DROP TABLE apps;
ALTER TABLE apps_rebuilt RENAME TO apps;

-- Dialect-neutral names.
ALTER TABLE users RENAME COLUMN xc_user_id TO external_id;
ALTER TABLE users RENAME COLUMN qiscus_token TO token;
DROP INDEX users_by_qiscus_token;
CREATE INDEX users_by_token ON users (token);
ALTER TABLE rooms RENAME COLUMN xc_room_id TO external_id;
ALTER TABLE rooms DROP COLUMN locked_by;
ALTER TABLE messages RENAME COLUMN type TO type_code;
ALTER TABLE messages RENAME COLUMN qtype TO type_name;

-- Change numbers now live in the change log.
DROP INDEX messages_by_room_change;
DROP INDEX messages_by_change;
ALTER TABLE messages DROP COLUMN change_seq;
ALTER TABLE device_cursors RENAME COLUMN change_seq TO change_id;

-- System messages: `action` holds a domain action code, `target` the facts as JSON
-- (actor, targets, room name), `data` the poster's own payload, `body` a text the poster gave.
UPDATE messages SET
    action = CASE action
        WHEN 'room/create' THEN 'room.created'
        WHEN 'room/update' THEN 'room.renamed'
        WHEN 'room/delete' THEN 'room.deleted'
        WHEN 'room/leave' THEN 'member.left'
        WHEN 'room/addParticipant' THEN 'member.added'
        WHEN 'room/removeParticipant' THEN 'member.removed'
        WHEN 'room/promoteAdmin' THEN 'admin.promoted'
        WHEN 'room/demoteAdmin' THEN 'admin.demoted'
        ELSE 'custom' END,
    target = json_object(
        'targets', json(CASE WHEN target = '' THEN '[]' ELSE json_array(json_object(
            'id', CAST(json_extract(target, '$.targetID') AS INTEGER),
            'external_id', json_extract(target, '$.targetXCID'),
            'name', json_extract(target, '$.targetName'))) END),
        'room_name', (SELECT r.name FROM rooms r WHERE r.id = messages.room_id)),
    body = ''
WHERE type_code = 9001 AND action LIKE 'room/%';
UPDATE messages SET
    action = CASE substr(action, 8)
        WHEN 'create_room' THEN 'room.created'
        WHEN 'add_member' THEN 'member.added'
        WHEN 'join_room' THEN 'member.joined'
        WHEN 'remove_member' THEN 'member.removed'
        WHEN 'left_room' THEN 'member.left'
        WHEN 'change_room_name' THEN 'room.renamed'
        WHEN 'change_room_avatar' THEN 'room.avatar_changed'
        ELSE 'custom' END,
    target = json_object(
        'actor', json((SELECT json_object('id', u.id, 'external_id', u.external_id, 'name', u.fullname)
            FROM users u WHERE u.app_id = messages.app_id
            AND u.external_id = json_extract(messages.data, '$.subject_email'))),
        'targets', json(COALESCE((SELECT json_group_array(json_object('id', u.id, 'external_id', u.external_id,
            'name', u.fullname)) FROM json_each(json_extract(messages.data, '$.object_email_list')) e
            JOIN users u ON u.app_id = messages.app_id AND u.external_id = e.value), '[]')),
        'room_name', COALESCE(json_extract(messages.data, '$.room_name'), '')),
    data = COALESCE(json_extract(messages.data, '$.payload'), '{}')
WHERE type_code = 9001 AND action LIKE 'qiscus/%' AND json_valid(data);

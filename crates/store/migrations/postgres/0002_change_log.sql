-- Palaver schema 2: the change log, app credentials as keys of a kind, dialect-neutral names,
-- system messages stored as facts rather than one dialect's wording. (See the SQLite twin for
-- the reasons; the two stay equivalent.)

CREATE TABLE changes (
    id BIGINT PRIMARY KEY,
    app_id BIGINT NOT NULL,
    kind TEXT NOT NULL,
    actor_id BIGINT NOT NULL DEFAULT 0,
    room_id BIGINT NOT NULL DEFAULT 0,
    message_id BIGINT NOT NULL DEFAULT 0,
    users TEXT NOT NULL DEFAULT '[]',
    facts TEXT NOT NULL DEFAULT '{}',
    created BIGINT NOT NULL
);
CREATE INDEX changes_by_app ON changes (app_id, id);
CREATE INDEX changes_by_room ON changes (room_id, id);

CREATE TABLE change_users (
    user_id BIGINT NOT NULL,
    change_id BIGINT NOT NULL,
    PRIMARY KEY (user_id, change_id)
);

INSERT INTO changes (id, app_id, kind, actor_id, room_id, message_id, created)
SELECT id, app_id, 'message.created', sender_id, room_id, id, created FROM messages
WHERE created > (extract(epoch FROM now()) * 1000)::bigint - 2592000000;
INSERT INTO changes (id, app_id, kind, actor_id, room_id, message_id, created)
SELECT change_seq, app_id, CASE WHEN deleted > 0 THEN 'message.deleted' ELSE 'message.edited' END,
    sender_id, room_id, id, updated FROM messages
WHERE change_seq > id AND (deleted > 0 OR is_edited = 1)
    AND updated > (extract(epoch FROM now()) * 1000)::bigint - 2592000000
ON CONFLICT DO NOTHING;

CREATE TABLE app_keys (
    key_id TEXT PRIMARY KEY,
    app_id BIGINT NOT NULL REFERENCES apps(id),
    kind TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    created BIGINT NOT NULL
);
CREATE INDEX app_keys_by_app ON app_keys (app_id, kind);
INSERT INTO app_keys (key_id, app_id, kind, secret_hash, created)
SELECT server_key_id, id, 'taptalk.server_key', server_key_hash, created FROM apps;
INSERT INTO app_keys (key_id, app_id, kind, secret_hash, created)
SELECT app_key_id, id, 'taptalk.app_key', app_key_hash, created FROM apps;
INSERT INTO app_keys (key_id, app_id, kind, secret_hash, created)
SELECT qiscus_app_id, id, 'qiscus.secret', qiscus_secret_hash, created FROM apps;
ALTER TABLE apps DROP COLUMN server_key_id, DROP COLUMN server_key_hash, DROP COLUMN app_key_id,
    DROP COLUMN app_key_hash, DROP COLUMN qiscus_app_id, DROP COLUMN qiscus_secret_hash;

ALTER TABLE users RENAME COLUMN xc_user_id TO external_id;
ALTER TABLE users RENAME COLUMN qiscus_token TO token;
ALTER INDEX users_by_qiscus_token RENAME TO users_by_token;
ALTER TABLE rooms RENAME COLUMN xc_room_id TO external_id;
ALTER TABLE rooms DROP COLUMN locked_by;
ALTER TABLE messages RENAME COLUMN type TO type_code;
ALTER TABLE messages RENAME COLUMN qtype TO type_name;

DROP INDEX messages_by_room_change;
DROP INDEX messages_by_change;
ALTER TABLE messages DROP COLUMN change_seq;
ALTER TABLE device_cursors RENAME COLUMN change_seq TO change_id;

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
    target = json_build_object(
        'targets', CASE WHEN target = '' THEN '[]'::json ELSE json_build_array(json_build_object(
            'id', (target::json ->> 'targetID')::bigint,
            'external_id', target::json ->> 'targetXCID',
            'name', target::json ->> 'targetName')) END,
        'room_name', (SELECT r.name FROM rooms r WHERE r.id = messages.room_id))::text,
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
    target = json_build_object(
        'actor', (SELECT json_build_object('id', u.id, 'external_id', u.external_id, 'name', u.fullname)
            FROM users u WHERE u.app_id = messages.app_id
            AND u.external_id = messages.data::json ->> 'subject_email'),
        'targets', COALESCE((SELECT json_agg(json_build_object('id', u.id, 'external_id', u.external_id,
            'name', u.fullname)) FROM json_array_elements_text(messages.data::json -> 'object_email_list') e(v)
            JOIN users u ON u.app_id = messages.app_id AND u.external_id = e.v), '[]'::json),
        'room_name', COALESCE(messages.data::json ->> 'room_name', ''))::text,
    data = COALESCE((messages.data::json -> 'payload')::text, '{}')
WHERE type_code = 9001 AND action LIKE 'qiscus/%' AND data LIKE '{%';

-- The secret of a key kind that also signs tokens (Qiscus identity tokens are HMAC-signed
-- with the app's secret key), kept so that signatures can be checked; '' for other kinds.
ALTER TABLE app_keys ADD COLUMN secret TEXT NOT NULL DEFAULT '';
-- Single-use nonces of the identity-token login (Qiscus auth/nonce), short-lived.
CREATE TABLE login_nonces (
    nonce TEXT PRIMARY KEY,
    app_id BIGINT NOT NULL,
    expires BIGINT NOT NULL
);
CREATE INDEX login_nonces_by_expiry ON login_nonces (expires);
-- Push notification tokens of a user's devices, per platform.
CREATE TABLE device_tokens (
    user_id BIGINT NOT NULL,
    platform TEXT NOT NULL,
    token TEXT NOT NULL,
    is_development BIGINT NOT NULL DEFAULT 0,
    updated BIGINT NOT NULL,
    PRIMARY KEY (user_id, platform, token)
);
-- A file may belong to no room (Qiscus uploads are not tied to one): room_id becomes
-- nullable, which SQLite can only do by rebuilding the table.
CREATE TABLE files_new (
    id TEXT PRIMARY KEY,
    app_id INTEGER NOT NULL REFERENCES apps(id),
    room_id INTEGER REFERENCES rooms(id),
    uploader_id INTEGER NOT NULL REFERENCES users(id),
    file_name TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    created INTEGER NOT NULL,
    message_id INTEGER
);
INSERT INTO files_new (id, app_id, room_id, uploader_id, file_name, media_type, size, created, message_id)
    SELECT id, app_id, room_id, uploader_id, file_name, media_type, size, created, message_id FROM files;
DROP TABLE files;
ALTER TABLE files_new RENAME TO files;
CREATE INDEX files_by_room ON files (room_id);
CREATE INDEX files_by_message ON files (message_id) WHERE message_id IS NOT NULL;
-- Full-text search over message bodies (Qiscus search): an FTS5 index over the messages
-- table, kept by triggers in the same transaction as each message.
CREATE VIRTUAL TABLE messages_fts USING fts5(
    body, content = 'messages', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 0'
);
INSERT INTO messages_fts (rowid, body) SELECT id, body FROM messages;
-- No merging at every commit (group commits are small and frequent): segments are merged
-- when 16 of a level pile up (FTS5's crisis merge), which costs sends measurably less.
INSERT INTO messages_fts (messages_fts, rank) VALUES ('automerge', 0);
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (rowid, body) VALUES (new.id, new.body);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF body ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', old.id, old.body);
    INSERT INTO messages_fts (rowid, body) VALUES (new.id, new.body);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', old.id, old.body);
END;

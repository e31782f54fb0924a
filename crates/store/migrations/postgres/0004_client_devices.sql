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
-- A file may belong to no room (Qiscus uploads are not tied to one).
ALTER TABLE files ALTER COLUMN room_id DROP NOT NULL;
-- Full-text search over message bodies (Qiscus search), words as they are ('simple').
CREATE INDEX messages_fts ON messages USING GIN (to_tsvector('simple', body));

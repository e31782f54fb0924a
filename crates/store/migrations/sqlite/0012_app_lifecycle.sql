-- Apps that are switched off or gone: `disabled` and `deleted` are the times (Unix ms) they
-- were, 0 when not. A deleted app is a tombstone: its row stays (the change log and its data
-- name it) under a freed name, its keys go.
ALTER TABLE apps ADD COLUMN disabled BIGINT NOT NULL DEFAULT 0;
ALTER TABLE apps ADD COLUMN deleted BIGINT NOT NULL DEFAULT 0;
-- Secrets a key had before its last rotations, valid until `expires` (Unix ms): the grace
-- period in which the customer's deployments move to the new secret. `secret` is kept, like
-- `app_keys.secret`, only for kinds that sign tokens.
CREATE TABLE app_key_previous (
    key_id TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    secret TEXT NOT NULL DEFAULT '',
    expires BIGINT NOT NULL,
    PRIMARY KEY (key_id, secret_hash)
);
CREATE INDEX app_key_previous_by_expiry ON app_key_previous (expires);

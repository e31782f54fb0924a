-- Realtime sessions a client asked to resume (MQTT clean_session=false): what the face needs
-- to carry on where the connection ended, kept until the client returns or they expire.
CREATE TABLE resumable_sessions (
    face TEXT NOT NULL,
    client_id TEXT NOT NULL,
    app_id BIGINT NOT NULL,
    user_id BIGINT NOT NULL,
    state TEXT NOT NULL,
    expires BIGINT NOT NULL,
    PRIMARY KEY (face, client_id)
);
CREATE INDEX resumable_sessions_by_expiry ON resumable_sessions (expires);

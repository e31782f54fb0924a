-- Palaver schema, PostgreSQL dialect. Every integer is 64-bit and booleans are 0/1, exactly as in
-- the SQLite schema, so the repositories' SQL runs unchanged on both.

CREATE TABLE apps (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    server_key_id TEXT NOT NULL UNIQUE,
    server_key_hash TEXT NOT NULL,
    app_key_id TEXT NOT NULL UNIQUE,
    app_key_hash TEXT NOT NULL,
    qiscus_app_id TEXT NOT NULL UNIQUE,
    qiscus_secret_hash TEXT NOT NULL,
    created BIGINT NOT NULL
);

-- One sequence for message ids and change numbers. Taking the next value locks the row until
-- commit, so on PostgreSQL values become visible in the order they were taken.
CREATE TABLE counters (
    name TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO counters (name, value) VALUES ('seq', 0);

-- Facts about the database itself, e.g. the random cluster id that keeps the realtime events of
-- nodes sharing this database apart from other clusters on the same NATS.
CREATE TABLE settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE users (
    id BIGSERIAL PRIMARY KEY,
    app_id BIGINT NOT NULL REFERENCES apps(id),
    xc_user_id TEXT NOT NULL,
    fullname TEXT NOT NULL DEFAULT '',
    email TEXT NOT NULL DEFAULT '',
    phone TEXT NOT NULL DEFAULT '',
    country_id BIGINT NOT NULL DEFAULT 0,
    country_calling_code TEXT NOT NULL DEFAULT '',
    username TEXT NOT NULL DEFAULT '',
    photo_thumb TEXT NOT NULL DEFAULT '',
    photo_full TEXT NOT NULL DEFAULT '',
    role_code TEXT NOT NULL DEFAULT '',
    bio TEXT NOT NULL DEFAULT '',
    extras TEXT NOT NULL DEFAULT '{}',
    password_hash TEXT NOT NULL DEFAULT '',
    qiscus_token TEXT NOT NULL DEFAULT '',
    is_active BIGINT NOT NULL DEFAULT 1,
    last_login BIGINT NOT NULL DEFAULT 0,
    last_activity BIGINT NOT NULL DEFAULT 0,
    created BIGINT NOT NULL,
    updated BIGINT NOT NULL,
    deleted BIGINT NOT NULL DEFAULT 0,
    UNIQUE (app_id, xc_user_id)
);
CREATE INDEX users_by_username ON users (app_id, username);
CREATE INDEX users_by_phone ON users (app_id, phone);
CREATE INDEX users_by_role ON users (app_id, role_code);
CREATE INDEX users_by_created ON users (app_id, created);
CREATE INDEX users_by_qiscus_token ON users (qiscus_token);

CREATE TABLE rooms (
    id BIGSERIAL PRIMARY KEY,
    app_id BIGINT NOT NULL REFERENCES apps(id),
    type BIGINT NOT NULL,
    personal_key TEXT,
    xc_room_id TEXT,
    name TEXT NOT NULL DEFAULT '',
    photo_thumb TEXT NOT NULL DEFAULT '',
    photo_full TEXT NOT NULL DEFAULT '',
    color TEXT NOT NULL DEFAULT '',
    options TEXT NOT NULL DEFAULT '{}',
    tags TEXT NOT NULL DEFAULT '[]',
    participant_roles TEXT NOT NULL DEFAULT '[]',
    is_locked BIGINT NOT NULL DEFAULT 0,
    locked_time BIGINT NOT NULL DEFAULT 0,
    locked_by BIGINT NOT NULL DEFAULT 0,
    created BIGINT NOT NULL,
    updated BIGINT NOT NULL,
    deleted BIGINT NOT NULL DEFAULT 0,
    UNIQUE (app_id, personal_key),
    UNIQUE (app_id, xc_room_id)
);

-- Membership with each member's read and delivered pointers (message ids). Unread counts are
-- derived from these pointers, never kept as counters.
CREATE TABLE participants (
    room_id BIGINT NOT NULL REFERENCES rooms(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    is_admin BIGINT NOT NULL DEFAULT 0,
    via_role BIGINT NOT NULL DEFAULT 0,
    joined BIGINT NOT NULL,
    last_read_id BIGINT NOT NULL DEFAULT 0,
    last_delivered_id BIGINT NOT NULL DEFAULT 0,
    cleared_id BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (room_id, user_id)
);
CREATE INDEX participants_by_user ON participants (user_id, room_id);

CREATE TABLE messages (
    id BIGINT PRIMARY KEY,
    app_id BIGINT NOT NULL,
    room_id BIGINT NOT NULL REFERENCES rooms(id),
    sender_id BIGINT NOT NULL REFERENCES users(id),
    local_id TEXT NOT NULL,
    type BIGINT NOT NULL,
    qtype TEXT NOT NULL,
    body TEXT NOT NULL,
    data TEXT NOT NULL DEFAULT '',
    extras TEXT NOT NULL DEFAULT '',
    filter_id TEXT NOT NULL DEFAULT '',
    is_hidden BIGINT NOT NULL DEFAULT 0,
    quote TEXT NOT NULL DEFAULT '',
    reply_to TEXT NOT NULL DEFAULT '',
    forward_from TEXT NOT NULL DEFAULT '',
    action TEXT NOT NULL DEFAULT '',
    target TEXT NOT NULL DEFAULT '',
    is_edited BIGINT NOT NULL DEFAULT 0,
    deleted BIGINT NOT NULL DEFAULT 0,
    created BIGINT NOT NULL,
    updated BIGINT NOT NULL,
    change_seq BIGINT NOT NULL,
    UNIQUE (room_id, local_id)
);
-- Covers history pages, last messages and unread counts without visiting the rows.
CREATE INDEX messages_by_room ON messages (room_id, id, sender_id, is_hidden, deleted);
CREATE INDEX messages_by_room_change ON messages (room_id, change_seq);
CREATE INDEX messages_by_change ON messages (change_seq);

-- Messages a user deleted for themselves only.
CREATE TABLE message_hides (
    user_id BIGINT NOT NULL,
    message_id BIGINT NOT NULL,
    PRIMARY KEY (user_id, message_id)
);

CREATE TABLE contacts (
    owner_id BIGINT NOT NULL REFERENCES users(id),
    contact_id BIGINT NOT NULL REFERENCES users(id),
    created BIGINT NOT NULL,
    PRIMARY KEY (owner_id, contact_id)
);

CREATE TABLE blocks (
    blocker_id BIGINT NOT NULL REFERENCES users(id),
    blocked_id BIGINT NOT NULL REFERENCES users(id),
    created BIGINT NOT NULL,
    PRIMARY KEY (blocker_id, blocked_id)
);

-- Single-use tickets a customer's backend obtains for a user; only their hash is kept.
CREATE TABLE auth_tickets (
    hash TEXT PRIMARY KEY,
    app_id BIGINT NOT NULL REFERENCES apps(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    expires BIGINT NOT NULL,
    used BIGINT NOT NULL DEFAULT 0,
    created BIGINT NOT NULL
);

-- Client sessions (one per device login): hashed access and refresh tokens.
CREATE TABLE sessions (
    id BIGSERIAL PRIMARY KEY,
    app_id BIGINT NOT NULL REFERENCES apps(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    device_id TEXT NOT NULL DEFAULT '',
    access_hash TEXT NOT NULL UNIQUE,
    access_expires BIGINT NOT NULL,
    refresh_hash TEXT NOT NULL UNIQUE,
    refresh_expires BIGINT NOT NULL,
    created BIGINT NOT NULL,
    revoked BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX sessions_by_user ON sessions (user_id);

-- How far each device of a user has synced (a change_seq), for new_and_updated.
CREATE TABLE device_cursors (
    user_id BIGINT NOT NULL REFERENCES users(id),
    device_id TEXT NOT NULL,
    change_seq BIGINT NOT NULL,
    PRIMARY KEY (user_id, device_id)
);

CREATE TABLE files (
    id TEXT PRIMARY KEY,
    app_id BIGINT NOT NULL REFERENCES apps(id),
    room_id BIGINT NOT NULL REFERENCES rooms(id),
    uploader_id BIGINT NOT NULL REFERENCES users(id),
    file_name TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    created BIGINT NOT NULL
);

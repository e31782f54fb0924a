-- Photos users upload for their profiles (TapTalk `client/user/photo/*`). Each one's bytes are
-- an uploaded file of no room (`file_id`); a user's main photo is the one whose URL its
-- profile shows.
CREATE TABLE user_photos (
    id BIGSERIAL PRIMARY KEY,
    app_id BIGINT NOT NULL,
    user_id BIGINT NOT NULL,
    file_id TEXT NOT NULL,
    full_url TEXT NOT NULL,
    thumb_url TEXT NOT NULL,
    created BIGINT NOT NULL
);
CREATE INDEX user_photos_by_user ON user_photos (user_id, id);
-- Reports users make about a user, or about a message (then `user_id` is its sender), for
-- the operator (`palaver report list`).
CREATE TABLE reports (
    id BIGSERIAL PRIMARY KEY,
    app_id BIGINT NOT NULL,
    reporter_id BIGINT NOT NULL,
    user_id BIGINT NOT NULL,
    message_id BIGINT,
    room_id BIGINT,
    category TEXT NOT NULL,
    is_other_category BIGINT NOT NULL,
    reason TEXT NOT NULL,
    created BIGINT NOT NULL
);
CREATE INDEX reports_by_app ON reports (app_id, id);

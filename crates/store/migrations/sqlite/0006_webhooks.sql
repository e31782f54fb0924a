-- Webhook endpoints of an app. `cursor` is the change id up to which every matching change
-- was delivered (or refused by the receiver with a 4xx); `failures` counts failed attempts
-- in a row and `next_attempt` says when to try again; a node holds an endpoint while
-- `lease_until` is in the future, so that two nodes never deliver for the same endpoint.
CREATE TABLE webhook_endpoints (
    id INTEGER PRIMARY KEY,
    app_id BIGINT NOT NULL,
    url TEXT NOT NULL,
    dialect TEXT NOT NULL,
    events TEXT NOT NULL,
    secret TEXT NOT NULL,
    enabled BIGINT NOT NULL DEFAULT 1,
    disabled_reason TEXT NOT NULL DEFAULT '',
    cursor BIGINT NOT NULL,
    failures BIGINT NOT NULL DEFAULT 0,
    next_attempt BIGINT NOT NULL DEFAULT 0,
    lease_owner TEXT NOT NULL DEFAULT '',
    lease_until BIGINT NOT NULL DEFAULT 0,
    created BIGINT NOT NULL
);
CREATE INDEX webhook_endpoints_by_app ON webhook_endpoints (app_id);
-- Every delivery attempt, kept for the log's retention.
CREATE TABLE webhook_attempts (
    id INTEGER PRIMARY KEY,
    endpoint_id BIGINT NOT NULL,
    app_id BIGINT NOT NULL,
    change_id BIGINT NOT NULL,
    delivery_id TEXT NOT NULL,
    event TEXT NOT NULL,
    url TEXT NOT NULL,
    attempted_at BIGINT NOT NULL,
    status BIGINT NOT NULL,
    latency_ms BIGINT NOT NULL,
    success BIGINT NOT NULL,
    error TEXT NOT NULL,
    request_body TEXT NOT NULL,
    response_body TEXT NOT NULL
);
CREATE INDEX webhook_attempts_by_endpoint ON webhook_attempts (endpoint_id, change_id);
CREATE INDEX webhook_attempts_by_app ON webhook_attempts (app_id, id);
CREATE INDEX webhook_attempts_by_time ON webhook_attempts (attempted_at);

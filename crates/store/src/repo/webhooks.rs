//! Webhook endpoints, who delivers for them (a lease), how far they got (a cursor) and every
//! delivery attempt.

use crate::db::{Conn, DbResult, Dialect, Row};
use crate::repo::{json_strings, to_json_strings};
use palaver_domain::{AppId, ChangeId};

/// A stored endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EndpointRow {
    /// Its id.
    pub id: i64,
    /// Its app.
    pub app: AppId,
    /// Where deliveries go.
    pub url: String,
    /// The payload dialect (`palaver`, `taptalk`, `qiscus`).
    pub dialect: String,
    /// The change names delivered; empty for all.
    pub events: Vec<String>,
    /// The signing secret, sealed.
    pub sealed_secret: String,
    /// Whether deliveries run.
    pub enabled: bool,
    /// Why it was disabled ('' when enabled, or disabled by an operator without a reason).
    pub disabled_reason: String,
    /// Every matching change up to this one is done.
    pub cursor: ChangeId,
    /// Failed attempts in a row.
    pub failures: i64,
    /// Not before this time (Unix ms) is the next attempt made.
    pub next_attempt: i64,
    /// When it was added, Unix ms.
    pub created: i64,
}

const COLS: &str =
    "id, app_id, url, dialect, events, secret, enabled, disabled_reason, cursor, failures, next_attempt, created";

fn endpoint(r: &dyn Row) -> DbResult<EndpointRow> {
    Ok(EndpointRow {
        id: r.int(0)?,
        app: AppId(r.int(1)?),
        url: r.text(2)?,
        dialect: r.text(3)?,
        events: json_strings(&r.text(4)?),
        sealed_secret: r.text(5)?,
        enabled: r.bool(6)?,
        disabled_reason: r.text(7)?,
        cursor: ChangeId(r.int(8)?),
        failures: r.int(9)?,
        next_attempt: r.int(10)?,
        created: r.int(11)?,
    })
}

/// Adds an endpoint that starts after change `cursor`; returns its id.
pub fn insert(conn: &mut dyn Conn, e: &EndpointRow) -> DbResult<i64> {
    conn.query_int(
        "INSERT INTO webhook_endpoints (app_id, url, dialect, events, secret, enabled, cursor, created) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        &[
            e.app.0.into(),
            e.url.as_str().into(),
            e.dialect.as_str().into(),
            to_json_strings(&e.events).as_str().into(),
            e.sealed_secret.as_str().into(),
            e.enabled.into(),
            e.cursor.0.into(),
            e.created.into(),
        ],
    )
}

/// The endpoints of an app (of every app with `None`), oldest first.
pub fn list(conn: &mut dyn Conn, app: Option<AppId>) -> DbResult<Vec<EndpointRow>> {
    match app {
        Some(app) => conn.query(
            &format!("SELECT {COLS} FROM webhook_endpoints WHERE app_id = $1 ORDER BY id"),
            &[app.0.into()],
            endpoint,
        ),
        None => conn.query(&format!("SELECT {COLS} FROM webhook_endpoints ORDER BY id"), &[], endpoint),
    }
}

/// One endpoint.
pub fn get(conn: &mut dyn Conn, id: i64) -> DbResult<Option<EndpointRow>> {
    conn.query_opt(&format!("SELECT {COLS} FROM webhook_endpoints WHERE id = $1"), &[id.into()], endpoint)
}

/// Enables (clearing the failure count and reason) or disables an endpoint, saying why;
/// false if there is no such endpoint.
pub fn set_enabled(conn: &mut dyn Conn, id: i64, enabled: bool, reason: &str) -> DbResult<bool> {
    let n = conn.execute(
        "UPDATE webhook_endpoints SET enabled = $2, disabled_reason = $3, failures = 0, next_attempt = 0 \
         WHERE id = $1",
        &[id.into(), enabled.into(), reason.into()],
    )?;
    Ok(n > 0)
}

/// Deletes an endpoint (its attempts stay for the log); false if there was none.
pub fn delete(conn: &mut dyn Conn, id: i64) -> DbResult<bool> {
    Ok(conn.execute("DELETE FROM webhook_endpoints WHERE id = $1", &[id.into()])? > 0)
}

/// Whether any enabled endpoint is due at `now` and has changes after its cursor: a read
/// that spares the writer when there is nothing to deliver.
pub fn any_due(conn: &mut dyn Conn, now: i64) -> DbResult<bool> {
    let n = conn.query_int(
        "SELECT COUNT(*) FROM webhook_endpoints e WHERE e.enabled = 1 AND e.next_attempt <= $1 \
         AND EXISTS (SELECT 1 FROM changes c WHERE c.app_id = e.app_id AND c.id > e.cursor)",
        &[now.into()],
    )?;
    Ok(n > 0)
}

/// Takes up to `limit` due endpoints with work for `owner` until `until`: those no other
/// node holds. On PostgreSQL rows another node is claiming are skipped (`FOR UPDATE SKIP
/// LOCKED`); SQLite has a single writer and a single node.
pub fn claim(conn: &mut dyn Conn, owner: &str, now: i64, until: i64, limit: i64) -> DbResult<Vec<EndpointRow>> {
    let lock = match conn.dialect() {
        Dialect::Postgres => " FOR UPDATE SKIP LOCKED",
        Dialect::Sqlite => "",
    };
    let sql = format!(
        "UPDATE webhook_endpoints SET lease_owner = $1, lease_until = $2 WHERE id IN (\
         SELECT e.id FROM webhook_endpoints e WHERE e.enabled = 1 AND e.next_attempt <= $3 \
         AND (e.lease_until <= $3 OR e.lease_owner = $1) \
         AND EXISTS (SELECT 1 FROM changes c WHERE c.app_id = e.app_id AND c.id > e.cursor) \
         ORDER BY e.id LIMIT $4{lock}) RETURNING {COLS}"
    );
    conn.query(&sql, &[owner.into(), until.into(), now.into(), limit.into()], endpoint)
}

/// Gives up `owner`'s hold on an endpoint.
pub fn release(conn: &mut dyn Conn, id: i64, owner: &str) -> DbResult<()> {
    conn.execute(
        "UPDATE webhook_endpoints SET lease_until = 0 WHERE id = $1 AND lease_owner = $2",
        &[id.into(), owner.into()],
    )?;
    Ok(())
}

/// Where an endpoint stands after a round of deliveries.
pub struct Progress<'a> {
    /// Every matching change up to this one is done.
    pub cursor: ChangeId,
    /// Failed attempts in a row (0 after a success).
    pub failures: i64,
    /// When to try again, Unix ms.
    pub next_attempt: i64,
    /// Set when the endpoint is to be disabled, with the reason.
    pub disable: Option<&'a str>,
    /// The holder keeps the endpoint until then, Unix ms.
    pub lease_until: i64,
}

/// Records a round's progress, if `owner` still holds the endpoint; false if it does not
/// (another node took over: its own record wins).
pub fn advance(conn: &mut dyn Conn, id: i64, owner: &str, p: &Progress<'_>) -> DbResult<bool> {
    let (enabled, reason) = match p.disable {
        Some(reason) => (false, reason),
        None => (true, ""),
    };
    let n = conn.execute(
        "UPDATE webhook_endpoints SET cursor = $3, failures = $4, next_attempt = $5, lease_until = $8, \
         enabled = CASE WHEN $6 = 1 THEN enabled ELSE 0 END, \
         disabled_reason = CASE WHEN $6 = 1 THEN disabled_reason ELSE $7 END \
         WHERE id = $1 AND lease_owner = $2",
        &[
            id.into(),
            owner.into(),
            p.cursor.0.into(),
            p.failures.into(),
            p.next_attempt.into(),
            enabled.into(),
            reason.into(),
            p.lease_until.into(),
        ],
    )?;
    Ok(n > 0)
}

/// One delivery attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttemptRow {
    /// Its id (0 before it is stored).
    pub id: i64,
    /// The endpoint.
    pub endpoint: i64,
    /// The endpoint's app.
    pub app: AppId,
    /// The change delivered.
    pub change: ChangeId,
    /// The delivery's id, the same in every attempt (`webhook-id`).
    pub delivery_id: String,
    /// The event's name in the endpoint's dialect.
    pub event: String,
    /// Where it went.
    pub url: String,
    /// When, Unix ms.
    pub attempted_at: i64,
    /// The HTTP status; 0 when there was no answer.
    pub status: i64,
    /// How long it took, ms.
    pub latency_ms: i64,
    /// Whether the receiver took it (2xx).
    pub success: bool,
    /// What went wrong ('' on success).
    pub error: String,
    /// The body sent.
    pub request_body: String,
    /// The start of the answer's body.
    pub response_body: String,
}

const ATTEMPT_COLS: &str = "id, endpoint_id, app_id, change_id, delivery_id, event, url, attempted_at, status, \
                            latency_ms, success, error, request_body, response_body";

fn attempt(r: &dyn Row) -> DbResult<AttemptRow> {
    Ok(AttemptRow {
        id: r.int(0)?,
        endpoint: r.int(1)?,
        app: AppId(r.int(2)?),
        change: ChangeId(r.int(3)?),
        delivery_id: r.text(4)?,
        event: r.text(5)?,
        url: r.text(6)?,
        attempted_at: r.int(7)?,
        status: r.int(8)?,
        latency_ms: r.int(9)?,
        success: r.bool(10)?,
        error: r.text(11)?,
        request_body: r.text(12)?,
        response_body: r.text(13)?,
    })
}

/// Stores attempts, several per statement.
pub fn record(conn: &mut dyn Conn, attempts: &[AttemptRow]) -> DbResult<()> {
    let rows: Vec<Vec<crate::db::Value<'_>>> = attempts
        .iter()
        .map(|a| {
            vec![
                a.endpoint.into(),
                a.app.0.into(),
                a.change.0.into(),
                a.delivery_id.as_str().into(),
                a.event.as_str().into(),
                a.url.as_str().into(),
                a.attempted_at.into(),
                a.status.into(),
                a.latency_ms.into(),
                a.success.into(),
                a.error.as_str().into(),
                a.request_body.as_str().into(),
                a.response_body.as_str().into(),
            ]
        })
        .collect();
    crate::db::insert_rows(
        conn,
        "webhook_attempts (endpoint_id, app_id, change_id, delivery_id, event, url, attempted_at, status, \
         latency_ms, success, error, request_body, response_body)",
        &rows,
    )
}

/// The changes after `cursor` an endpoint has already delivered (ahead of its cursor, while
/// an earlier one waits for a retry).
pub fn delivered_after(conn: &mut dyn Conn, endpoint: i64, cursor: ChangeId) -> DbResult<Vec<ChangeId>> {
    conn.query(
        "SELECT DISTINCT change_id FROM webhook_attempts WHERE endpoint_id = $1 AND change_id > $2 AND success = 1",
        &[endpoint.into(), cursor.0.into()],
        |r| Ok(ChangeId(r.int(0)?)),
    )
}

/// Which attempts to list.
pub struct AttemptQuery<'a> {
    /// The app.
    pub app: AppId,
    /// One endpoint, or all of the app's.
    pub endpoint: Option<i64>,
    /// Only these event names (all when empty).
    pub events: &'a [&'a str],
    /// Page size.
    pub limit: i64,
    /// Attempts skipped.
    pub offset: i64,
}

/// Attempts, newest first.
pub fn attempts(conn: &mut dyn Conn, q: &AttemptQuery<'_>) -> DbResult<Vec<AttemptRow>> {
    let mut sql =
        format!("SELECT {ATTEMPT_COLS} FROM webhook_attempts WHERE app_id = $1 AND ($2 = 0 OR endpoint_id = $2)");
    let names = serde_json::to_string(q.events).unwrap_or_else(|_| "[]".into());
    let mut params: Vec<crate::db::Value<'_>> =
        vec![q.app.0.into(), q.endpoint.unwrap_or(0).into(), q.limit.into(), q.offset.into()];
    if !q.events.is_empty() {
        sql.push_str(&format!(" AND event {}", crate::db::in_texts(conn.dialect(), 5)));
        params.push(names.as_str().into());
    }
    sql.push_str(" ORDER BY id DESC LIMIT $3 OFFSET $4");
    conn.query(&sql, &params, attempt)
}

/// Deletes, among the `batch` oldest attempts, those made before `cutoff`; returns how many.
///
/// Oldest by id: ids grow with time (a round's attempts are stored together at its end), so
/// this needs no index on the time, and an attempt outlives the retention by at most a round.
pub fn purge_attempts(conn: &mut dyn Conn, cutoff: i64, batch: usize) -> DbResult<usize> {
    let sql = "DELETE FROM webhook_attempts WHERE id IN (SELECT id FROM \
               (SELECT id, attempted_at FROM webhook_attempts ORDER BY id LIMIT $2) AS oldest \
               WHERE attempted_at < $1)";
    Ok(conn.execute(sql, &[cutoff.into(), (batch as i64).into()])? as usize)
}

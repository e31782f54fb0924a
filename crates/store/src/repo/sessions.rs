//! Auth tickets, client sessions and per-device sync cursors. Only hashes of secrets are kept.

use crate::db::{Conn, DbResult, Row};
use palaver_domain::{AppId, UserId};

/// Stores a new single-use ticket.
pub fn insert_ticket(
    conn: &mut dyn Conn,
    hash: &str,
    app: AppId,
    user: UserId,
    expires: i64,
    now: i64,
) -> DbResult<()> {
    conn.execute(
        "INSERT INTO auth_tickets (hash, app_id, user_id, expires, created) VALUES ($1, $2, $3, $4, $5)",
        &[hash.into(), app.0.into(), user.0.into(), expires.into(), now.into()],
    )?;
    Ok(())
}

/// What redeeming a ticket found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TicketState {
    /// Valid: now used up.
    Redeemed(AppId, UserId),
    /// Never issued.
    Unknown,
    /// Already redeemed.
    Used,
    /// Past its lifetime.
    Expired,
}

/// Marks a ticket used if it is valid.
pub fn redeem_ticket(conn: &mut dyn Conn, hash: &str, now: i64) -> DbResult<TicketState> {
    let found = conn.query_opt(
        "SELECT app_id, user_id, expires, used FROM auth_tickets WHERE hash = $1",
        &[hash.into()],
        |r| Ok((AppId(r.int(0)?), UserId(r.int(1)?), r.int(2)?, r.bool(3)?)),
    )?;
    let Some((app, user, expires, used)) = found else {
        return Ok(TicketState::Unknown);
    };
    if used {
        return Ok(TicketState::Used);
    }
    if expires <= now {
        return Ok(TicketState::Expired);
    }
    let n = conn.execute("UPDATE auth_tickets SET used = 1 WHERE hash = $1 AND used = 0", &[hash.into()])?;
    Ok(if n == 1 { TicketState::Redeemed(app, user) } else { TicketState::Used })
}

/// A client session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionRecord {
    /// Id.
    pub id: i64,
    /// App.
    pub app: AppId,
    /// User.
    pub user: UserId,
    /// Device identifier the session was opened from.
    pub device_id: String,
    /// Access token expiry, Unix ms.
    pub access_expires: i64,
    /// Refresh token expiry, Unix ms.
    pub refresh_expires: i64,
    /// Whether the session was revoked.
    pub revoked: bool,
}

/// Token hashes and expiries of a new or rotated session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionTokens {
    /// Hash of the access token.
    pub access_hash: String,
    /// Access token expiry, Unix ms.
    pub access_expires: i64,
    /// Hash of the refresh token.
    pub refresh_hash: String,
    /// Refresh token expiry, Unix ms.
    pub refresh_expires: i64,
}

const COLS: &str = "id, app_id, user_id, device_id, access_expires, refresh_expires, revoked";

fn from_row(r: &dyn Row) -> DbResult<SessionRecord> {
    Ok(SessionRecord {
        id: r.int(0)?,
        app: AppId(r.int(1)?),
        user: UserId(r.int(2)?),
        device_id: r.text(3)?,
        access_expires: r.int(4)?,
        refresh_expires: r.int(5)?,
        revoked: r.bool(6)?,
    })
}

/// Opens a session and returns its id.
pub fn create(
    conn: &mut dyn Conn,
    app: AppId,
    user: UserId,
    device_id: &str,
    t: &SessionTokens,
    now: i64,
) -> DbResult<i64> {
    conn.query_int(
        "INSERT INTO sessions (app_id, user_id, device_id, access_hash, access_expires, refresh_hash, refresh_expires, \
         created) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        &[
            app.0.into(),
            user.0.into(),
            device_id.into(),
            t.access_hash.as_str().into(),
            t.access_expires.into(),
            t.refresh_hash.as_str().into(),
            t.refresh_expires.into(),
            now.into(),
        ],
    )
}

/// The session an access token belongs to.
pub fn by_access_hash(conn: &mut dyn Conn, hash: &str) -> DbResult<Option<SessionRecord>> {
    conn.query_opt(&format!("SELECT {COLS} FROM sessions WHERE access_hash = $1"), &[hash.into()], from_row)
}

/// The session a refresh token belongs to.
pub fn by_refresh_hash(conn: &mut dyn Conn, hash: &str) -> DbResult<Option<SessionRecord>> {
    conn.query_opt(&format!("SELECT {COLS} FROM sessions WHERE refresh_hash = $1"), &[hash.into()], from_row)
}

/// Replaces a session's tokens (refresh tokens rotate).
pub fn rotate(conn: &mut dyn Conn, id: i64, t: &SessionTokens) -> DbResult<()> {
    conn.execute(
        "UPDATE sessions SET access_hash = $1, access_expires = $2, refresh_hash = $3, refresh_expires = $4 WHERE id = $5",
        &[
            t.access_hash.as_str().into(),
            t.access_expires.into(),
            t.refresh_hash.as_str().into(),
            t.refresh_expires.into(),
            id.into(),
        ],
    )?;
    Ok(())
}

/// Deletes up to `batch` tickets that expired by `now`; returns how many.
pub fn purge_tickets(conn: &mut dyn Conn, now: i64, batch: usize) -> DbResult<usize> {
    let sql = "DELETE FROM auth_tickets WHERE hash IN \
               (SELECT hash FROM auth_tickets WHERE expires <= $1 LIMIT $2)";
    Ok(conn.execute(sql, &[now.into(), (batch as i64).into()])? as usize)
}

/// Deletes up to `batch` sessions that are revoked or whose refresh token expired by `now`;
/// returns how many.
pub fn purge_sessions(conn: &mut dyn Conn, now: i64, batch: usize) -> DbResult<usize> {
    let sql = "DELETE FROM sessions WHERE id IN \
               (SELECT id FROM sessions WHERE revoked <> 0 OR refresh_expires <= $1 LIMIT $2)";
    Ok(conn.execute(sql, &[now.into(), (batch as i64).into()])? as usize)
}

/// Revokes one session; returns whether it was live.
pub fn revoke(conn: &mut dyn Conn, id: i64) -> DbResult<bool> {
    Ok(conn.execute("UPDATE sessions SET revoked = 1 WHERE id = $1 AND revoked = 0", &[id.into()])? > 0)
}

/// Revokes every session of a user (deleted user); returns how many were live.
pub fn revoke_all(conn: &mut dyn Conn, user: UserId) -> DbResult<u64> {
    conn.execute("UPDATE sessions SET revoked = 1 WHERE user_id = $1 AND revoked = 0", &[user.0.into()])
}

/// How far a device has synced (a change id); `None` before its first sync.
pub fn device_cursor(conn: &mut dyn Conn, user: UserId, device_id: &str) -> DbResult<Option<i64>> {
    conn.query_opt(
        "SELECT change_id FROM device_cursors WHERE user_id = $1 AND device_id = $2",
        &[user.0.into(), device_id.into()],
        |r| r.int(0),
    )
}

/// Records how far a device has synced.
pub fn set_device_cursor(conn: &mut dyn Conn, user: UserId, device_id: &str, seq: i64) -> DbResult<()> {
    conn.execute(
        "INSERT INTO device_cursors (user_id, device_id, change_id) VALUES ($1, $2, $3) \
         ON CONFLICT (user_id, device_id) DO UPDATE SET change_id = excluded.change_id",
        &[user.0.into(), device_id.into(), seq.into()],
    )?;
    Ok(())
}

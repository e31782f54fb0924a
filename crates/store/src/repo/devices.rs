//! What client devices hold besides sessions: the nonces of identity-token logins and push
//! notification tokens.

use crate::db::{Conn, DbResult};
use palaver_domain::{AppId, UserId};

/// Stores a new login nonce of an app, valid until `expires` (Unix ms).
pub fn insert_nonce(conn: &mut dyn Conn, app: AppId, nonce: &str, expires: i64) -> DbResult<()> {
    conn.execute(
        "INSERT INTO login_nonces (nonce, app_id, expires) VALUES ($1, $2, $3)",
        &[nonce.into(), app.0.into(), expires.into()],
    )?;
    Ok(())
}

/// Uses up a nonce: true if it was the app's and still valid at `now`. A nonce is gone after
/// this, whatever the answer.
pub fn take_nonce(conn: &mut dyn Conn, app: AppId, nonce: &str, now: i64) -> DbResult<bool> {
    let found =
        conn.query_opt("DELETE FROM login_nonces WHERE nonce = $1 RETURNING app_id, expires", &[nonce.into()], |r| {
            Ok((r.int(0)?, r.int(1)?))
        })?;
    Ok(found.is_some_and(|(a, expires)| a == app.0 && expires > now))
}

/// Deletes up to `batch` nonces expired at `now`; returns how many.
pub fn purge_nonces(conn: &mut dyn Conn, now: i64, batch: usize) -> DbResult<usize> {
    let sql = "DELETE FROM login_nonces WHERE nonce IN \
               (SELECT nonce FROM login_nonces WHERE expires <= $1 LIMIT $2)";
    Ok(conn.execute(sql, &[now.into(), (batch as i64).into()])? as usize)
}

/// Records a device's push token for a user and platform; false if it was known already.
pub fn add_push_token(
    conn: &mut dyn Conn,
    user: UserId,
    platform: &str,
    token: &str,
    is_development: bool,
    now: i64,
) -> DbResult<bool> {
    let n = conn.execute(
        "INSERT INTO device_tokens (user_id, platform, token, is_development, updated) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (user_id, platform, token) DO UPDATE SET is_development = excluded.is_development, \
         updated = excluded.updated WHERE device_tokens.is_development <> excluded.is_development",
        &[user.0.into(), platform.into(), token.into(), i64::from(is_development).into(), now.into()],
    )?;
    Ok(n > 0)
}

/// Forgets a device's push token; false if it was not known.
pub fn remove_push_token(conn: &mut dyn Conn, user: UserId, platform: &str, token: &str) -> DbResult<bool> {
    let n = conn.execute(
        "DELETE FROM device_tokens WHERE user_id = $1 AND platform = $2 AND token = $3",
        &[user.0.into(), platform.into(), token.into()],
    )?;
    Ok(n > 0)
}

/// A user's push tokens: (platform, token, is_development), oldest first.
pub fn push_tokens(conn: &mut dyn Conn, user: UserId) -> DbResult<Vec<(String, String, bool)>> {
    conn.query(
        "SELECT platform, token, is_development FROM device_tokens WHERE user_id = $1 ORDER BY updated",
        &[user.0.into()],
        |r| Ok((r.text(0)?, r.text(1)?, r.int(2)? != 0)),
    )
}

/// A realtime session a client will resume: its app, user and the face's own state.
pub struct Resumable {
    /// The app.
    pub app: AppId,
    /// The user.
    pub user: UserId,
    /// What the face keeps (its own encoding).
    pub state: String,
}

/// Keeps a face's resumable session under the client's id until `expires`, replacing any
/// older one.
pub fn save_resumable(
    conn: &mut dyn Conn,
    face: &str,
    client_id: &str,
    session: &Resumable,
    expires: i64,
) -> DbResult<()> {
    conn.execute(
        "INSERT INTO resumable_sessions (face, client_id, app_id, user_id, state, expires) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (face, client_id) DO UPDATE SET \
         app_id = excluded.app_id, user_id = excluded.user_id, state = excluded.state, expires = excluded.expires",
        &[
            face.into(),
            client_id.into(),
            session.app.0.into(),
            session.user.0.into(),
            session.state.as_str().into(),
            expires.into(),
        ],
    )?;
    Ok(())
}

/// Takes a resumable session out (it is gone afterwards), if one is kept and not expired at
/// `now`.
pub fn take_resumable(conn: &mut dyn Conn, face: &str, client_id: &str, now: i64) -> DbResult<Option<Resumable>> {
    let found = conn.query_opt(
        "DELETE FROM resumable_sessions WHERE face = $1 AND client_id = $2 \
         RETURNING app_id, user_id, state, expires",
        &[face.into(), client_id.into()],
        |r| Ok((Resumable { app: AppId(r.int(0)?), user: UserId(r.int(1)?), state: r.text(2)? }, r.int(3)?)),
    )?;
    Ok(found.filter(|(_, expires)| *expires > now).map(|(s, _)| s))
}

/// Deletes up to `batch` resumable sessions expired at `now`; returns how many.
pub fn purge_resumable(conn: &mut dyn Conn, now: i64, batch: usize) -> DbResult<usize> {
    let sql = "DELETE FROM resumable_sessions WHERE (face, client_id) IN \
               (SELECT face, client_id FROM resumable_sessions WHERE expires <= $1 LIMIT $2)";
    Ok(conn.execute(sql, &[now.into(), (batch as i64).into()])? as usize)
}

/// Whether a resumable session is kept for the client (expired or not).
pub fn has_resumable(conn: &mut dyn Conn, face: &str, client_id: &str) -> DbResult<bool> {
    let n = conn.query_int(
        "SELECT COUNT(*) FROM resumable_sessions WHERE face = $1 AND client_id = $2",
        &[face.into(), client_id.into()],
    )?;
    Ok(n > 0)
}

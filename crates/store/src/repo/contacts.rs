//! One-way contacts and blocks between users.

use super::users;
use crate::db::{Conn, DbError, DbResult};
use crate::user_cols;
use palaver_domain::{User, UserId};

/// Adds `contact` to `owner`'s contacts; returns whether a row was inserted.
pub fn add(conn: &mut dyn Conn, owner: UserId, contact: UserId, now: i64) -> DbResult<bool> {
    let n = conn.execute(
        "INSERT INTO contacts (owner_id, contact_id, created) VALUES ($1, $2, $3) \
         ON CONFLICT (owner_id, contact_id) DO NOTHING",
        &[owner.0.into(), contact.0.into(), now.into()],
    )?;
    Ok(n > 0)
}

/// Removes `contact` from `owner`'s contacts; returns whether a row was deleted.
pub fn remove(conn: &mut dyn Conn, owner: UserId, contact: UserId) -> DbResult<bool> {
    let n = conn
        .execute("DELETE FROM contacts WHERE owner_id = $1 AND contact_id = $2", &[owner.0.into(), contact.0.into()])?;
    Ok(n > 0)
}

/// Whether `contact` is in `owner`'s contacts.
pub fn exists(conn: &mut dyn Conn, owner: UserId, contact: UserId) -> DbResult<bool> {
    Ok(conn.query_int(
        "SELECT COUNT(*) FROM contacts WHERE owner_id = $1 AND contact_id = $2",
        &[owner.0.into(), contact.0.into()],
    )? > 0)
}

/// The live users in `owner`'s contacts, by name.
pub fn list(conn: &mut dyn Conn, owner: UserId) -> DbResult<Vec<User>> {
    conn.query(
        concat!(
            "SELECT ",
            user_cols!("u"),
            " FROM contacts c JOIN users u ON u.id = c.contact_id \
                 WHERE c.owner_id = $1 AND u.deleted = 0 ORDER BY u.fullname, u.id"
        ),
        &[owner.0.into()],
        |r| users::from_row(r, 0)?.ok_or_else(|| DbError::Other("contact without user".into())),
    )
}

/// Blocks `blocked` for `blocker`; returns whether it was not blocked before.
pub fn block(conn: &mut dyn Conn, blocker: UserId, blocked: UserId, now: i64) -> DbResult<bool> {
    let n = conn.execute(
        "INSERT INTO blocks (blocker_id, blocked_id, created) VALUES ($1, $2, $3) \
         ON CONFLICT (blocker_id, blocked_id) DO NOTHING",
        &[blocker.0.into(), blocked.0.into(), now.into()],
    )?;
    Ok(n > 0)
}

/// Unblocks; returns whether it was blocked.
pub fn unblock(conn: &mut dyn Conn, blocker: UserId, blocked: UserId) -> DbResult<bool> {
    let n = conn.execute(
        "DELETE FROM blocks WHERE blocker_id = $1 AND blocked_id = $2",
        &[blocker.0.into(), blocked.0.into()],
    )?;
    Ok(n > 0)
}

/// Whether `blocker` has blocked `blocked`.
pub fn is_blocked(conn: &mut dyn Conn, blocker: UserId, blocked: UserId) -> DbResult<bool> {
    Ok(conn.query_int(
        "SELECT COUNT(*) FROM blocks WHERE blocker_id = $1 AND blocked_id = $2",
        &[blocker.0.into(), blocked.0.into()],
    )? > 0)
}

/// Whether either of two users has blocked the other.
pub fn blocked_either_way(conn: &mut dyn Conn, a: UserId, b: UserId) -> DbResult<bool> {
    Ok(conn.query_int(
        "SELECT COUNT(*) FROM blocks WHERE (blocker_id = $1 AND blocked_id = $2) OR (blocker_id = $2 AND blocked_id = $1)",
        &[a.0.into(), b.0.into()],
    )? > 0)
}

/// The users `blocker` has blocked.
pub fn blocked_users(conn: &mut dyn Conn, blocker: UserId) -> DbResult<Vec<User>> {
    conn.query(
        concat!(
            "SELECT ",
            user_cols!("u"),
            " FROM blocks b JOIN users u ON u.id = b.blocked_id \
                 WHERE b.blocker_id = $1 ORDER BY b.created, u.id"
        ),
        &[blocker.0.into()],
        |r| users::from_row(r, 0)?.ok_or_else(|| DbError::Other("block without user".into())),
    )
}

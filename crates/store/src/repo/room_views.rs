//! Each user's own view of its rooms: muted, pinned, marked unread (and cleared, which
//! `participants` keeps as the cleared pointer). Kept on the user's participant row, so
//! leaving a room forgets it.

use crate::db::{Conn, DbResult};
use palaver_domain::{RoomId, UserId};

/// Mutes a room for a member until `until` (Unix ms; 0 for good); returns whether anything
/// changed (false for a non-member, or the same mute again).
pub fn set_muted(conn: &mut dyn Conn, room: RoomId, user: UserId, until: i64) -> DbResult<bool> {
    let n = conn.execute(
        "UPDATE participants SET muted = 1, muted_until = $1 WHERE room_id = $2 AND user_id = $3 \
         AND (muted = 0 OR muted_until <> $1)",
        &[until.into(), room.0.into(), user.0.into()],
    )?;
    Ok(n > 0)
}

/// Unmutes a room for a member; returns whether it was muted.
pub fn set_unmuted(conn: &mut dyn Conn, room: RoomId, user: UserId) -> DbResult<bool> {
    let n = conn.execute(
        "UPDATE participants SET muted = 0, muted_until = 0 WHERE room_id = $1 AND user_id = $2 AND muted = 1",
        &[room.0.into(), user.0.into()],
    )?;
    Ok(n > 0)
}

/// Pins (at `at`, Unix ms) or unpins (`at` = 0) a room for a member; returns whether that
/// changed its state.
pub fn set_pinned(conn: &mut dyn Conn, room: RoomId, user: UserId, at: i64) -> DbResult<bool> {
    let sql = if at > 0 {
        "UPDATE participants SET pinned_at = $1 WHERE room_id = $2 AND user_id = $3 AND pinned_at = 0"
    } else {
        "UPDATE participants SET pinned_at = $1 WHERE room_id = $2 AND user_id = $3 AND pinned_at <> 0"
    };
    Ok(conn.execute(sql, &[at.into(), room.0.into(), user.0.into()])? > 0)
}

/// Marks a room unread (or takes the mark away) for a member; returns whether that changed
/// its state.
pub fn set_marked_unread(conn: &mut dyn Conn, room: RoomId, user: UserId, marked: bool) -> DbResult<bool> {
    let n = conn.execute(
        "UPDATE participants SET marked_unread = $1 WHERE room_id = $2 AND user_id = $3 AND marked_unread <> $1",
        &[i64::from(marked).into(), room.0.into(), user.0.into()],
    )?;
    Ok(n > 0)
}

/// One room's view for its member, as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoomViewRow {
    /// The room.
    pub room: RoomId,
    /// Muted: `Some(until)` (0 for good), whether or not `until` has passed.
    pub muted: Option<i64>,
    /// When pinned (0: not).
    pub pinned_at: i64,
    /// Marked unread by hand.
    pub marked_unread: bool,
    /// When the newest message the member cleared was posted (0: never cleared).
    pub cleared_at: i64,
}

/// The rooms of `user` whose view differs from the default, by room id.
pub fn of_user(conn: &mut dyn Conn, user: UserId) -> DbResult<Vec<RoomViewRow>> {
    conn.query(
        "SELECT p.room_id, p.muted, p.muted_until, p.pinned_at, p.marked_unread, \
         COALESCE((SELECT m.created FROM messages m WHERE m.id = p.cleared_id), 0) \
         FROM participants p WHERE p.user_id = $1 \
         AND (p.muted = 1 OR p.pinned_at <> 0 OR p.marked_unread = 1 OR p.cleared_id <> 0) ORDER BY p.room_id",
        &[user.0.into()],
        |r| {
            Ok(RoomViewRow {
                room: RoomId(r.int(0)?),
                muted: r.bool(1)?.then(|| r.int(2)).transpose()?,
                pinned_at: r.int(3)?,
                marked_unread: r.bool(4)?,
                cleared_at: r.int(5)?,
            })
        },
    )
}

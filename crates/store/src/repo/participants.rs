//! Room membership and each member's read and delivered pointers.

use super::users;
use crate::db::{Conn, DbResult, in_ints, json_ints};
use crate::user_cols;
use palaver_domain::{Participant, RoomId, UserId};

/// How a user became a participant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Membership {
    /// Added by name.
    Direct,
    /// Counted in because the room lists the user's role.
    ViaRole,
}

/// Adds a user to a room. A direct add of a role member makes the membership direct.
/// `read_upto` sets the starting read pointer so history before joining is not unread.
/// Returns whether the user was not a participant before.
pub fn add(
    conn: &mut dyn Conn,
    room: RoomId,
    user: UserId,
    membership: Membership,
    read_upto: i64,
    now: i64,
) -> DbResult<bool> {
    let via_role = membership == Membership::ViaRole;
    let inserted = conn.execute(
        "INSERT INTO participants (room_id, user_id, via_role, joined, last_read_id, last_delivered_id) \
         VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (room_id, user_id) DO NOTHING",
        &[room.0.into(), user.0.into(), via_role.into(), now.into(), read_upto.into()],
    )?;
    if inserted == 0 && !via_role {
        conn.execute(
            "UPDATE participants SET via_role = 0 WHERE room_id = $1 AND user_id = $2",
            &[room.0.into(), user.0.into()],
        )?;
    }
    Ok(inserted > 0)
}

/// Removes a user from a room; returns whether it was a participant.
pub fn remove(conn: &mut dyn Conn, room: RoomId, user: UserId) -> DbResult<bool> {
    let n =
        conn.execute("DELETE FROM participants WHERE room_id = $1 AND user_id = $2", &[room.0.into(), user.0.into()])?;
    Ok(n > 0)
}

/// Removes the members that are in only through a role not in `roles`; returns them.
pub fn remove_role_members_except(conn: &mut dyn Conn, room: RoomId, roles: &[String]) -> DbResult<Vec<UserId>> {
    let members = conn.query(
        "SELECT p.user_id, u.role_code FROM participants p JOIN users u ON u.id = p.user_id \
         WHERE p.room_id = $1 AND p.via_role = 1",
        &[room.0.into()],
        |r| Ok((UserId(r.int(0)?), r.text(1)?)),
    )?;
    let mut removed = Vec::new();
    for (user, role) in members {
        if !roles.contains(&role) {
            remove(conn, room, user)?;
            removed.push(user);
        }
    }
    Ok(removed)
}

/// Whether `user` participates in `room`.
pub fn is_member(conn: &mut dyn Conn, room: RoomId, user: UserId) -> DbResult<bool> {
    Ok(conn.query_int(
        "SELECT COUNT(*) FROM participants WHERE room_id = $1 AND user_id = $2",
        &[room.0.into(), user.0.into()],
    )? > 0)
}

/// Whether `user` administers `room`.
pub fn is_admin(conn: &mut dyn Conn, room: RoomId, user: UserId) -> DbResult<bool> {
    Ok(conn.query_int(
        "SELECT COUNT(*) FROM participants WHERE room_id = $1 AND user_id = $2 AND is_admin = 1",
        &[room.0.into(), user.0.into()],
    )? > 0)
}

/// The ids of a room's participants in no particular order: the recipients of its events.
pub fn recipients(conn: &mut dyn Conn, room: RoomId) -> DbResult<Vec<UserId>> {
    conn.query("SELECT user_id FROM participants WHERE room_id = $1", &[room.0.into()], |r| Ok(UserId(r.int(0)?)))
}

/// The ids of a room's participants, in joining order.
pub fn user_ids(conn: &mut dyn Conn, room: RoomId) -> DbResult<Vec<UserId>> {
    conn.query("SELECT user_id FROM participants WHERE room_id = $1 ORDER BY joined, user_id", &[room.0.into()], |r| {
        Ok(UserId(r.int(0)?))
    })
}

/// Number of participants of a room.
pub fn count(conn: &mut dyn Conn, room: RoomId) -> DbResult<i64> {
    conn.query_int("SELECT COUNT(*) FROM participants WHERE room_id = $1", &[room.0.into()])
}

/// A page of a room's participants with their profiles, in joining order.
pub fn list(conn: &mut dyn Conn, room: RoomId, offset: i64, limit: i64) -> DbResult<Vec<Participant>> {
    conn.query(
        concat!(
            "SELECT ",
            user_cols!("u"),
            ", p.is_admin FROM participants p JOIN users u ON u.id = p.user_id ",
            "WHERE p.room_id = $1 ORDER BY p.joined, p.user_id LIMIT $2 OFFSET $3"
        ),
        &[room.0.into(), limit.into(), offset.into()],
        participant_row,
    )
}

/// A participant from a row of [`user_cols!`] followed by `is_admin`.
fn participant_row(r: &dyn crate::db::Row) -> DbResult<Participant> {
    let user = users::from_row(r, 0)?.ok_or_else(|| crate::DbError::Other("participant without user".into()))?;
    Ok(Participant { user, is_admin: r.bool(users::COLUMNS)? })
}

/// The participants of several rooms with their profiles, by room, each in joining order.
pub fn of_rooms(conn: &mut dyn Conn, rooms: &[RoomId]) -> DbResult<Vec<(RoomId, Participant)>> {
    if rooms.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {}, p.is_admin, p.room_id FROM participants p JOIN users u ON u.id = p.user_id \
         WHERE p.room_id {} ORDER BY p.room_id, p.joined, p.user_id",
        user_cols!("u"),
        in_ints(conn.dialect(), 1)
    );
    let list = json_ints(rooms.iter().map(|r| r.0));
    conn.query(&sql, &[list.as_str().into()], |r| Ok((RoomId(r.int(users::COLUMNS + 1)?), participant_row(r)?)))
}

/// All participants of a room with their profiles.
pub fn all(conn: &mut dyn Conn, room: RoomId) -> DbResult<Vec<Participant>> {
    list(conn, room, 0, i64::MAX)
}

/// The admins of a room.
pub fn admin_ids(conn: &mut dyn Conn, room: RoomId) -> DbResult<Vec<UserId>> {
    conn.query(
        "SELECT user_id FROM participants WHERE room_id = $1 AND is_admin = 1 ORDER BY joined, user_id",
        &[room.0.into()],
        |r| Ok(UserId(r.int(0)?)),
    )
}

/// Grants or revokes admin rights; returns whether anything changed.
pub fn set_admin(conn: &mut dyn Conn, room: RoomId, user: UserId, admin: bool) -> DbResult<bool> {
    let n = conn.execute(
        "UPDATE participants SET is_admin = $1 WHERE room_id = $2 AND user_id = $3 AND is_admin <> $1",
        &[admin.into(), room.0.into(), user.0.into()],
    )?;
    Ok(n > 0)
}

/// A member's read and delivered pointers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pointers {
    /// Highest message id read.
    pub read: i64,
    /// Highest message id received.
    pub delivered: i64,
}

/// The pointers of `user` in `room`, if a member.
pub fn pointers(conn: &mut dyn Conn, room: RoomId, user: UserId) -> DbResult<Option<Pointers>> {
    conn.query_opt(
        "SELECT last_read_id, last_delivered_id FROM participants WHERE room_id = $1 AND user_id = $2",
        &[room.0.into(), user.0.into()],
        |r| Ok(Pointers { read: r.int(0)?, delivered: r.int(1)? }),
    )
}

/// Every member's pointers in `room`, in joining order.
pub fn all_pointers(conn: &mut dyn Conn, room: RoomId) -> DbResult<Vec<(UserId, Pointers)>> {
    conn.query(
        "SELECT user_id, last_read_id, last_delivered_id FROM participants WHERE room_id = $1 ORDER BY joined, user_id",
        &[room.0.into()],
        |r| Ok((UserId(r.int(0)?), Pointers { read: r.int(1)?, delivered: r.int(2)? })),
    )
}

/// Moves a member's pointers forward (never back); reading implies receiving.
/// Returns the pointers before and after.
pub fn advance(
    conn: &mut dyn Conn,
    room: RoomId,
    user: UserId,
    read: Option<i64>,
    delivered: Option<i64>,
) -> DbResult<Option<(Pointers, Pointers)>> {
    let Some(before) = pointers(conn, room, user)? else {
        return Ok(None);
    };
    let read_to = before.read.max(read.unwrap_or(0));
    let after = Pointers { read: read_to, delivered: before.delivered.max(delivered.unwrap_or(0)).max(read_to) };
    if after != before {
        conn.execute(
            "UPDATE participants SET last_read_id = $1, last_delivered_id = $2 WHERE room_id = $3 AND user_id = $4",
            &[after.read.into(), after.delivered.into(), room.0.into(), user.0.into()],
        )?;
    }
    Ok(Some((before, after)))
}

/// Hides everything up to `upto` for one member (clear chat).
pub fn set_cleared(conn: &mut dyn Conn, room: RoomId, user: UserId, upto: i64) -> DbResult<()> {
    conn.execute(
        "UPDATE participants SET cleared_id = $1, last_read_id = CASE WHEN last_read_id < $1 THEN $1 ELSE last_read_id END \
         WHERE room_id = $2 AND user_id = $3",
        &[upto.into(), room.0.into(), user.0.into()],
    )?;
    Ok(())
}

/// Up to which message `user` cleared `room`'s history (0: never), if a member.
pub fn cleared_id(conn: &mut dyn Conn, room: RoomId, user: UserId) -> DbResult<Option<i64>> {
    conn.query_opt(
        "SELECT cleared_id FROM participants WHERE room_id = $1 AND user_id = $2",
        &[room.0.into(), user.0.into()],
        |r| r.int(0),
    )
}

/// The rooms a user participates in.
pub fn room_ids_of(conn: &mut dyn Conn, user: UserId) -> DbResult<Vec<RoomId>> {
    conn.query("SELECT room_id FROM participants WHERE user_id = $1", &[user.0.into()], |r| Ok(RoomId(r.int(0)?)))
}

/// Everyone who shares at least one room with `user` (the user excluded).
pub fn room_mates(conn: &mut dyn Conn, user: UserId) -> DbResult<Vec<UserId>> {
    conn.query(
        "SELECT DISTINCT o.user_id FROM participants p JOIN participants o ON o.room_id = p.room_id \
         WHERE p.user_id = $1 AND o.user_id <> $1",
        &[user.0.into()],
        |r| Ok(UserId(r.int(0)?)),
    )
}

/// Whether two users share at least one room.
pub fn share_a_room(conn: &mut dyn Conn, a: UserId, b: UserId) -> DbResult<bool> {
    conn.query_opt(
        "SELECT 1 FROM participants p JOIN participants o ON o.room_id = p.room_id \
         WHERE p.user_id = $1 AND o.user_id = $2 LIMIT 1",
        &[a.0.into(), b.0.into()],
        |r| r.int(0),
    )
    .map(|found| found.is_some())
}

/// The rooms `user` is in only through a role, with each room's participant roles.
pub fn role_rooms_of(conn: &mut dyn Conn, user: UserId) -> DbResult<Vec<(RoomId, Vec<String>)>> {
    conn.query(
        "SELECT p.room_id, r.participant_roles FROM participants p JOIN rooms r ON r.id = p.room_id \
         WHERE p.user_id = $1 AND p.via_role = 1",
        &[user.0.into()],
        |r| Ok((RoomId(r.int(0)?), super::json_strings(&r.text(1)?))),
    )
}

/// Number of participants added by name (role members not counted).
pub fn count_direct(conn: &mut dyn Conn, room: RoomId) -> DbResult<i64> {
    conn.query_int("SELECT COUNT(*) FROM participants WHERE room_id = $1 AND via_role = 0", &[room.0.into()])
}

/// The rooms both users are in.
pub fn rooms_in_common(conn: &mut dyn Conn, a: UserId, b: UserId) -> DbResult<Vec<RoomId>> {
    conn.query(
        "SELECT p.room_id FROM participants p JOIN participants q ON q.room_id = p.room_id AND q.user_id = $2 \
         WHERE p.user_id = $1 ORDER BY p.room_id",
        &[a.0.into(), b.0.into()],
        |r| Ok(RoomId(r.int(0)?)),
    )
}

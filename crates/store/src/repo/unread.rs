//! Unread counts whose cost does not grow with a room's history.
//!
//! A participant's unread count is, by definition, the messages of its room after its read
//! pointer (and after what it cleared) that others sent, neither hidden nor deleted. Counting
//! them walks every one of them; instead each message carries two running counts, written
//! when it is inserted (migration 0011): `seq`, the room's messages that are not hidden up to
//! it, and `sender_seq`, the same among its sender's. The count is then four index probes and
//! a count of the deleted messages after the pointer, which are few and listed apart in
//! `deleted_messages` (a table rather than a partial index, which planners without statistics
//! pass over for the covering index of the whole history):
//!
//! ```text
//! unread = (room's newest seq − seq at the pointer)
//!        − (user's newest sender_seq − user's sender_seq at the pointer)
//!        − deleted messages of others after the pointer that were not hidden
//! ```

use crate::db::{Conn, DbResult};
use palaver_domain::{RoomId, UserId};

/// SQL for where participant row `p` has read up to: the greater of its read and cleared
/// pointers.
fn pointer(p: &str) -> String {
    format!("(CASE WHEN {p}.last_read_id > {p}.cleared_id THEN {p}.last_read_id ELSE {p}.cleared_id END)")
}

/// An SQL expression for the unread count of participant row `p` (an alias of
/// `participants`), as the module explains.
pub(crate) fn count_sql(p: &str) -> String {
    let at = pointer(p);
    format!(
        "(COALESCE((SELECT s.seq FROM messages s WHERE s.room_id = {p}.room_id ORDER BY s.id DESC LIMIT 1), 0) \
         - COALESCE((SELECT s.seq FROM messages s WHERE s.room_id = {p}.room_id AND s.id <= {at} \
             ORDER BY s.id DESC LIMIT 1), 0) \
         - COALESCE((SELECT s.sender_seq FROM messages s WHERE s.room_id = {p}.room_id AND s.sender_id = {p}.user_id \
             ORDER BY s.id DESC LIMIT 1), 0) \
         + COALESCE((SELECT s.sender_seq FROM messages s WHERE s.room_id = {p}.room_id AND s.sender_id = {p}.user_id \
             AND s.id <= {at} ORDER BY s.id DESC LIMIT 1), 0) \
         - (SELECT COUNT(*) FROM deleted_messages d WHERE d.room_id = {p}.room_id AND d.id > {at} \
             AND d.sender_id <> {p}.user_id))"
    )
}

/// The SQL values a new message's running counts take, given the parameter numbers of its
/// room and sender, of its `seq` (the room's newest plus what it counts) and of whether it counts (1
/// when not hidden, else 0).
pub(crate) fn next_seqs_sql(room: usize, sender: usize, seq: usize, counts: usize) -> String {
    format!(
        "${seq}, COALESCE((SELECT s.sender_seq FROM messages s WHERE s.room_id = ${room} AND s.sender_id = ${sender} \
           ORDER BY s.id DESC LIMIT 1), 0) + ${counts}"
    )
}

/// Lists a message among the deleted ones that unread counts subtract, unless it was hidden
/// or already deleted; called before its deletion is written.
pub(crate) fn note_deleted(conn: &mut dyn Conn, message: i64) -> DbResult<()> {
    conn.execute(
        "INSERT INTO deleted_messages (room_id, id, sender_id) SELECT room_id, id, sender_id FROM messages \
         WHERE id = $1 AND deleted = 0 AND is_hidden = 0 ON CONFLICT (room_id, id) DO NOTHING",
        &[message.into()],
    )?;
    Ok(())
}

/// The number of messages in `room` that `user` has not read (0 when not a participant).
pub fn in_room(conn: &mut dyn Conn, room: RoomId, user: UserId) -> DbResult<i64> {
    conn.query_opt(
        &format!("SELECT {} FROM participants p WHERE p.room_id = $1 AND p.user_id = $2", count_sql("p")),
        &[room.0.into(), user.0.into()],
        |r| r.int(0),
    )
    .map(|n| n.unwrap_or(0))
}

/// The messages `user` has not read in all its rooms, and in how many rooms they are.
pub fn total(conn: &mut dyn Conn, user: UserId) -> DbResult<(i64, i64)> {
    let found = conn.query_opt(
        &format!(
            "SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT), CAST(COALESCE(SUM(CASE WHEN n > 0 THEN 1 ELSE 0 END), 0) AS BIGINT) \
             FROM (SELECT {} AS n FROM participants p WHERE p.user_id = $1) AS counts",
            count_sql("p")
        ),
        &[user.0.into()],
        |r| Ok((r.int(0)?, r.int(1)?)),
    )?;
    Ok(found.unwrap_or((0, 0)))
}

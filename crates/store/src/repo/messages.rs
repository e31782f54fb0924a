//! Messages. Their delivery state is derived from the participants' pointers on every read.

use crate::db::{Conn, DbError, DbResult, Row, Value, placeholders};
use palaver_domain::{AppId, Message, MessageId, MessageStatus, RoomId, UserId};

/// The message columns under alias `m`, including the derived delivery state.
#[macro_export]
macro_rules! message_cols {
    () => {
        "m.id, m.app_id, m.room_id, m.sender_id, m.local_id, m.type, m.qtype, m.body, m.data, m.extras, \
         m.filter_id, m.is_hidden, m.quote, m.reply_to, m.forward_from, m.action, m.target, m.is_edited, \
         m.deleted, m.created, m.updated, m.change_seq, \
         CASE WHEN EXISTS (SELECT 1 FROM participants q WHERE q.room_id = m.room_id \
           AND q.user_id <> m.sender_id AND q.last_delivered_id >= m.id) THEN 1 ELSE 0 END, \
         CASE WHEN EXISTS (SELECT 1 FROM participants q WHERE q.room_id = m.room_id \
           AND q.user_id <> m.sender_id AND q.last_read_id >= m.id) THEN 1 ELSE 0 END"
    };
}

/// Number of columns [`message_cols!`] selects.
pub const COLUMNS: usize = 24;

/// Reads a message starting at column `at`; `None` when the id column is NULL.
pub fn from_row(r: &dyn Row, at: usize) -> DbResult<Option<Message>> {
    let Some(id) = r.opt_int(at)? else {
        return Ok(None);
    };
    Ok(Some(Message {
        id: MessageId(id),
        app: AppId(r.int(at + 1)?),
        room: RoomId(r.int(at + 2)?),
        sender: UserId(r.int(at + 3)?),
        local_id: r.text(at + 4)?,
        kind: r.int(at + 5)?,
        qtype: r.text(at + 6)?,
        body: r.text(at + 7)?,
        data: r.text(at + 8)?,
        extras: r.text(at + 9)?,
        filter_id: r.text(at + 10)?,
        is_hidden: r.bool(at + 11)?,
        quote: r.text(at + 12)?,
        reply_to: r.text(at + 13)?,
        forward_from: r.text(at + 14)?,
        action: r.text(at + 15)?,
        target: r.text(at + 16)?,
        is_edited: r.bool(at + 17)?,
        deleted: r.int(at + 18)?,
        created: r.int(at + 19)?,
        updated: r.int(at + 20)?,
        change_seq: r.int(at + 21)?,
        status: MessageStatus { delivered: r.bool(at + 22)?, read: r.bool(at + 23)? },
    }))
}

fn one(r: &dyn Row) -> DbResult<Message> {
    from_row(r, 0)?.ok_or_else(|| DbError::Other("message row without id".into()))
}

/// Inserts a message with its id and change number already taken from the sequence.
pub fn insert(conn: &mut dyn Conn, m: &Message) -> DbResult<()> {
    conn.execute(
        "INSERT INTO messages (id, app_id, room_id, sender_id, local_id, type, qtype, body, data, extras, filter_id, \
         is_hidden, quote, reply_to, forward_from, action, target, is_edited, deleted, created, updated, change_seq) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)",
        &[
            m.id.0.into(),
            m.app.0.into(),
            m.room.0.into(),
            m.sender.0.into(),
            (&m.local_id).into(),
            m.kind.into(),
            (&m.qtype).into(),
            (&m.body).into(),
            (&m.data).into(),
            (&m.extras).into(),
            (&m.filter_id).into(),
            m.is_hidden.into(),
            (&m.quote).into(),
            (&m.reply_to).into(),
            (&m.forward_from).into(),
            (&m.action).into(),
            (&m.target).into(),
            m.is_edited.into(),
            m.deleted.into(),
            m.created.into(),
            m.updated.into(),
            m.change_seq.into(),
        ],
    )?;
    Ok(())
}

/// Writes the mutable parts of a message: content, edit and delete state, times.
pub fn update(conn: &mut dyn Conn, m: &Message) -> DbResult<()> {
    conn.execute(
        "UPDATE messages SET body = $1, data = $2, quote = $3, extras = $4, is_edited = $5, deleted = $6, \
         updated = $7, change_seq = $8 WHERE id = $9",
        &[
            (&m.body).into(),
            (&m.data).into(),
            (&m.quote).into(),
            (&m.extras).into(),
            m.is_edited.into(),
            m.deleted.into(),
            m.updated.into(),
            m.change_seq.into(),
            m.id.0.into(),
        ],
    )?;
    Ok(())
}

/// Gives messages a new change number so that catching-up devices see them again (their
/// delivery state changed).
pub fn touch(conn: &mut dyn Conn, ids: &[MessageId], seq: i64, now: i64) -> DbResult<()> {
    for id in ids {
        conn.execute(
            "UPDATE messages SET change_seq = $1, updated = $2 WHERE id = $3",
            &[seq.into(), now.into(), id.0.into()],
        )?;
    }
    Ok(())
}

/// The message a client sent with `local_id` in `room`, if any.
pub fn by_local_id(conn: &mut dyn Conn, room: RoomId, local_id: &str) -> DbResult<Option<Message>> {
    conn.query_opt(
        concat!("SELECT ", message_cols!(), " FROM messages m WHERE m.room_id = $1 AND m.local_id = $2"),
        &[room.0.into(), local_id.into()],
        one,
    )
}

/// Messages by id within an app, in id order; unknown ids are skipped.
pub fn by_ids(conn: &mut dyn Conn, app: AppId, ids: &[MessageId]) -> DbResult<Vec<Message>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {} FROM messages m WHERE m.app_id = $1 AND m.id IN ({}) ORDER BY m.id",
        message_cols!(),
        placeholders(2, ids.len())
    );
    let mut params: Vec<Value> = vec![app.0.into()];
    params.extend(ids.iter().map(|i| Value::Int(i.0)));
    conn.query(&sql, &params, one)
}

/// Messages by local id within an app; unknown ids are skipped.
pub fn by_local_ids(conn: &mut dyn Conn, app: AppId, local_ids: &[String]) -> DbResult<Vec<Message>> {
    if local_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {} FROM messages m WHERE m.app_id = $1 AND m.local_id IN ({}) ORDER BY m.id",
        message_cols!(),
        placeholders(2, local_ids.len())
    );
    let mut params: Vec<Value> = vec![app.0.into()];
    params.extend(local_ids.iter().map(|v| Value::Text(v)));
    conn.query(&sql, &params, one)
}

/// The condition that a message of room `m.room_id` is visible to the viewer `$1`.
const VISIBLE_TO_VIEWER: &str = "m.id > (SELECT p.cleared_id FROM participants p WHERE p.room_id = m.room_id \
     AND p.user_id = $1) AND NOT EXISTS (SELECT 1 FROM message_hides h WHERE h.user_id = $1 AND h.message_id = m.id)";

/// Up to `limit` messages of a room created before `max_created` (0: the newest), newest
/// first, as the viewer sees them.
pub fn before(
    conn: &mut dyn Conn,
    room: RoomId,
    viewer: UserId,
    max_created: i64,
    limit: i64,
) -> DbResult<Vec<Message>> {
    let max = if max_created <= 0 { i64::MAX } else { max_created };
    conn.query(
        &format!(
            "SELECT {} FROM messages m WHERE m.room_id = $2 AND m.created < $3 AND {VISIBLE_TO_VIEWER} \
             ORDER BY m.created DESC, m.id DESC LIMIT $4",
            message_cols!()
        ),
        &[viewer.0.into(), room.0.into(), max.into(), limit.into()],
        one,
    )
}

/// Up to `limit` messages of a room created after `min_created` or updated after
/// `last_updated`, oldest first, as the viewer sees them.
pub fn after(
    conn: &mut dyn Conn,
    room: RoomId,
    viewer: UserId,
    min_created: i64,
    last_updated: i64,
    limit: i64,
) -> DbResult<Vec<Message>> {
    conn.query(
        &format!(
            "SELECT {} FROM messages m WHERE m.room_id = $2 AND (m.created > $3 OR m.updated > $4) \
             AND {VISIBLE_TO_VIEWER} ORDER BY m.created ASC, m.id ASC LIMIT $5",
            message_cols!()
        ),
        &[viewer.0.into(), room.0.into(), min_created.into(), last_updated.into(), limit.into()],
        one,
    )
}

/// A page of a room's messages, newest first, regardless of viewer (Server APIs).
pub fn page_newest_first(conn: &mut dyn Conn, room: RoomId, offset: i64, limit: i64) -> DbResult<Vec<Message>> {
    conn.query(
        concat!(
            "SELECT ",
            message_cols!(),
            " FROM messages m WHERE m.room_id = $1 ORDER BY m.id DESC LIMIT $2 OFFSET $3"
        ),
        &[room.0.into(), limit.into(), offset.into()],
        one,
    )
}

/// A page of a room's visible messages (neither hidden nor deleted for everyone), newest
/// first, regardless of viewer (Qiscus `load_comments`).
pub fn visible_page_newest_first(conn: &mut dyn Conn, room: RoomId, offset: i64, limit: i64) -> DbResult<Vec<Message>> {
    conn.query(
        concat!(
            "SELECT ",
            message_cols!(),
            " FROM messages m WHERE m.room_id = $1 AND m.is_hidden = 0 AND m.deleted = 0 \
                 ORDER BY m.id DESC LIMIT $2 OFFSET $3"
        ),
        &[room.0.into(), limit.into(), offset.into()],
        one,
    )
}

/// The id of the visible message just before message `id` in `room`, 0 when there is none
/// (Qiscus `comment_before_id`).
pub fn previous_visible_id(conn: &mut dyn Conn, room: RoomId, id: MessageId) -> DbResult<i64> {
    conn.query_opt(
        "SELECT id FROM messages WHERE room_id = $1 AND id < $2 AND is_hidden = 0 AND deleted = 0 \
         ORDER BY id DESC LIMIT 1",
        &[room.0.into(), id.0.into()],
        |r| r.int(0),
    )
    .map(|v| v.unwrap_or(0))
}

/// Messages of a room with ids from `first` to `last` inclusive, oldest first.
pub fn id_range(conn: &mut dyn Conn, room: RoomId, first: i64, last: i64, limit: i64) -> DbResult<Vec<Message>> {
    conn.query(
        concat!(
            "SELECT ",
            message_cols!(),
            " FROM messages m WHERE m.room_id = $1 AND m.id >= $2 AND m.id <= $3 \
                 ORDER BY m.id LIMIT $4"
        ),
        &[room.0.into(), first.into(), last.into(), limit.into()],
        one,
    )
}

/// Messages in any room of `user` with a change number above `cursor`, in change order.
pub fn changed_for_user(conn: &mut dyn Conn, user: UserId, cursor: i64, limit: i64) -> DbResult<Vec<Message>> {
    conn.query(
        &format!(
            "SELECT {} FROM messages m WHERE m.room_id IN (SELECT room_id FROM participants WHERE user_id = $1) \
             AND m.change_seq > $2 AND {VISIBLE_TO_VIEWER} ORDER BY m.change_seq LIMIT $3",
            message_cols!()
        ),
        &[user.0.into(), cursor.into(), limit.into()],
        one,
    )
}

/// Messages in any room of `user` with an id above `after_id`, in id order (Qiscus sync).
pub fn created_for_user(conn: &mut dyn Conn, user: UserId, after_id: i64, limit: i64) -> DbResult<Vec<Message>> {
    conn.query(
        &format!(
            "SELECT {} FROM messages m WHERE m.room_id IN (SELECT room_id FROM participants WHERE user_id = $1) \
             AND m.id > $2 AND {VISIBLE_TO_VIEWER} ORDER BY m.id LIMIT $3",
            message_cols!()
        ),
        &[user.0.into(), after_id.into(), limit.into()],
        one,
    )
}

/// Every message with a change number above `cursor`, in change order (a node catching up).
pub fn changed_since(conn: &mut dyn Conn, cursor: i64, limit: i64) -> DbResult<Vec<Message>> {
    conn.query(
        concat!("SELECT ", message_cols!(), " FROM messages m WHERE m.change_seq > $1 ORDER BY m.change_seq LIMIT $2"),
        &[cursor.into(), limit.into()],
        one,
    )
}

/// The change numbers of messages changed after `after` and up to `upto`, ascending.
pub fn change_seqs_between(conn: &mut dyn Conn, after: i64, upto: i64) -> DbResult<Vec<i64>> {
    conn.query(
        "SELECT change_seq FROM messages WHERE change_seq > $1 AND change_seq <= $2 ORDER BY change_seq",
        &[after.into(), upto.into()],
        |r| r.int(0),
    )
}

/// Messages by their current change number, in change order; numbers no message holds any
/// more are skipped.
pub fn by_change_seqs(conn: &mut dyn Conn, seqs: &[i64]) -> DbResult<Vec<Message>> {
    let mut out = Vec::with_capacity(seqs.len());
    for chunk in seqs.chunks(500) {
        let sql = format!(
            "SELECT {} FROM messages m WHERE m.change_seq IN ({}) ORDER BY m.change_seq",
            message_cols!(),
            placeholders(1, chunk.len())
        );
        let params: Vec<Value> = chunk.iter().map(|s| Value::Int(*s)).collect();
        out.extend(conn.query(&sql, &params, one)?);
    }
    Ok(out)
}

/// The newest message id of a room, 0 when empty.
pub fn latest_id(conn: &mut dyn Conn, room: RoomId) -> DbResult<i64> {
    conn.query_opt("SELECT id FROM messages WHERE room_id = $1 ORDER BY id DESC LIMIT 1", &[room.0.into()], |r| {
        r.int(0)
    })
    .map(|v| v.unwrap_or(0))
}

/// Ids of the messages of `room` in `(from, to]` not sent by `reader`: those whose state a
/// pointer move changes.
pub fn ids_in_range_from_others(
    conn: &mut dyn Conn,
    room: RoomId,
    reader: UserId,
    from: i64,
    to: i64,
) -> DbResult<Vec<MessageId>> {
    conn.query(
        "SELECT id FROM messages WHERE room_id = $1 AND id > $2 AND id <= $3 AND sender_id <> $4 ORDER BY id",
        &[room.0.into(), from.into(), to.into(), reader.0.into()],
        |r| Ok(MessageId(r.int(0)?)),
    )
}

/// The number of messages in `room` that `user` has not read: newer than the read pointer,
/// from someone else, neither hidden nor deleted.
pub fn unread_count(conn: &mut dyn Conn, room: RoomId, user: UserId) -> DbResult<i64> {
    conn.query_int(
        "SELECT COUNT(*) FROM messages m JOIN participants p ON p.room_id = m.room_id AND p.user_id = $2 \
         WHERE m.room_id = $1 AND m.id > p.last_read_id AND m.id > p.cleared_id AND m.sender_id <> $2 \
         AND m.is_hidden = 0 AND m.deleted = 0",
        &[room.0.into(), user.0.into()],
    )
}

/// Hides a message for one user only.
pub fn hide_for(conn: &mut dyn Conn, user: UserId, message: MessageId) -> DbResult<bool> {
    let n = conn.execute(
        "INSERT INTO message_hides (user_id, message_id) VALUES ($1, $2) ON CONFLICT (user_id, message_id) DO NOTHING",
        &[user.0.into(), message.0.into()],
    )?;
    Ok(n > 0)
}

/// Messages in the rooms of `user` it has not read (newer than its read pointer, from
/// others, neither hidden nor deleted), oldest first, at most `limit`.
pub fn unread_for_user(conn: &mut dyn Conn, user: UserId, limit: i64) -> DbResult<Vec<Message>> {
    conn.query(
        concat!(
            "SELECT ",
            message_cols!(),
            " FROM messages m JOIN participants p ON p.room_id = m.room_id AND p.user_id = $1 \
             WHERE m.id > p.last_read_id AND m.id > p.cleared_id AND m.sender_id <> $1 AND m.is_hidden = 0 \
             AND m.deleted = 0 AND NOT EXISTS (SELECT 1 FROM message_hides h WHERE h.user_id = $1 AND h.message_id = m.id) \
             ORDER BY m.id LIMIT $2"
        ),
        &[user.0.into(), limit.into()],
        one,
    )
}

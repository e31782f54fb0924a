//! Messages. Their delivery state is derived from the participants' pointers on every read.

use crate::db::{Conn, DbError, DbResult, Row, Value, in_ints, in_texts, json_ints, text_match};
use palaver_domain::{AppId, Message, MessageId, MessageStatus, MessageType, RoomId, SystemEvent, UserId};

/// The message columns under alias `m`, including the derived delivery state.
#[macro_export]
macro_rules! message_cols {
    () => {
        "m.id, m.app_id, m.room_id, m.sender_id, m.local_id, m.type_code, m.type_name, m.body, m.data, m.extras, \
         m.filter_id, m.is_hidden, m.quote, m.reply_to, m.forward_from, m.action, m.target, m.is_edited, \
         m.deleted, m.created, m.updated, \
         CASE WHEN EXISTS (SELECT 1 FROM participants q WHERE q.room_id = m.room_id \
           AND q.user_id <> m.sender_id AND q.last_delivered_id >= m.id) THEN 1 ELSE 0 END, \
         CASE WHEN EXISTS (SELECT 1 FROM participants q WHERE q.room_id = m.room_id \
           AND q.user_id <> m.sender_id AND q.last_read_id >= m.id) THEN 1 ELSE 0 END"
    };
}

/// Number of columns [`message_cols!`] selects.
pub const COLUMNS: usize = 23;

/// Reads a message starting at column `at`; `None` when the id column is NULL.
pub fn from_row(r: &dyn Row, at: usize) -> DbResult<Option<Message>> {
    let Some(id) = r.opt_int(at)? else {
        return Ok(None);
    };
    let action = r.text(at + 15)?;
    let system = if action.is_empty() { None } else { SystemEvent::from_stored(&action, &r.text(at + 16)?) };
    Ok(Some(Message {
        id: MessageId(id),
        app: AppId(r.int(at + 1)?),
        room: RoomId(r.int(at + 2)?),
        sender: UserId(r.int(at + 3)?),
        local_id: r.text(at + 4)?,
        type_code: r.int(at + 5)?,
        type_name: r.text(at + 6)?,
        body: r.text(at + 7)?,
        data: r.text(at + 8)?,
        extras: r.text(at + 9)?,
        filter_id: r.text(at + 10)?,
        is_hidden: r.bool(at + 11)?,
        quote: r.text(at + 12)?,
        reply_to: r.text(at + 13)?,
        forward_from: r.text(at + 14)?,
        system,
        is_edited: r.bool(at + 17)?,
        deleted: r.int(at + 18)?,
        created: r.int(at + 19)?,
        updated: r.int(at + 20)?,
        status: MessageStatus { delivered: r.bool(at + 21)?, read: r.bool(at + 22)? },
    }))
}

fn one(r: &dyn Row) -> DbResult<Message> {
    from_row(r, 0)?.ok_or_else(|| DbError::Other("message row without id".into()))
}

/// Inserts a message with its id already taken from the sequence; returns false (and
/// inserts nothing) if its room already holds a message with its client id. `after` is the
/// room's newest message before it ([`newest`], which the caller reads anyway), from which its
/// running count follows.
pub fn insert(conn: &mut dyn Conn, m: &Message, after: Option<&Newest>) -> DbResult<bool> {
    let (action, details) = match &m.system {
        Some(e) => (e.action.code(), e.details_json()),
        None => ("", String::new()),
    };
    static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        format!(
            "INSERT INTO messages (id, app_id, room_id, sender_id, local_id, type_code, type_name, body, data, extras, \
             filter_id, is_hidden, quote, reply_to, forward_from, action, target, is_edited, deleted, created, updated, \
             seq, sender_seq) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, {}) \
             ON CONFLICT (room_id, local_id) DO NOTHING",
            super::unread::next_seqs_sql(3, 4, 22, 23)
        )
    });
    let counts = i64::from(!m.is_hidden);
    let inserted = conn.execute(
        &SQL,
        &[
            m.id.0.into(),
            m.app.0.into(),
            m.room.0.into(),
            m.sender.0.into(),
            (&m.local_id).into(),
            m.type_code.into(),
            (&m.type_name).into(),
            (&m.body).into(),
            (&m.data).into(),
            (&m.extras).into(),
            (&m.filter_id).into(),
            m.is_hidden.into(),
            (&m.quote).into(),
            (&m.reply_to).into(),
            (&m.forward_from).into(),
            action.into(),
            details.as_str().into(),
            m.is_edited.into(),
            m.deleted.into(),
            m.created.into(),
            m.updated.into(),
            (after.map_or(0, |n| n.seq) + counts).into(),
            counts.into(),
        ],
    )?;
    Ok(inserted > 0)
}

/// Writes the mutable parts of a message: content, edit and delete state, times.
pub fn update(conn: &mut dyn Conn, m: &Message) -> DbResult<()> {
    if m.deleted != 0 {
        super::unread::note_deleted(conn, m.id.0)?;
    }
    conn.execute(
        "UPDATE messages SET body = $1, data = $2, quote = $3, extras = $4, is_edited = $5, deleted = $6, \
         updated = $7 WHERE id = $8",
        &[
            (&m.body).into(),
            (&m.data).into(),
            (&m.quote).into(),
            (&m.extras).into(),
            m.is_edited.into(),
            m.deleted.into(),
            m.updated.into(),
            m.id.0.into(),
        ],
    )?;
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
        "SELECT {} FROM messages m WHERE m.app_id = $1 AND m.id {} ORDER BY m.id",
        message_cols!(),
        in_ints(conn.dialect(), 2)
    );
    let list = json_ints(ids.iter().map(|i| i.0));
    conn.query(&sql, &[app.0.into(), list.as_str().into()], one)
}

/// The condition that a message of room `m.room_id` is visible to the viewer `$1`: after the
/// viewer's cleared pointer and not deleted for the viewer alone.
pub(crate) const VISIBLE_TO_VIEWER: &str = "m.id > (SELECT p.cleared_id FROM participants p WHERE p.room_id = m.room_id \
     AND p.user_id = $1) AND NOT EXISTS (SELECT 1 FROM message_hides h WHERE h.user_id = $1 AND h.message_id = m.id)";

/// Of messages `ids`, those `viewer` sees (in a room it is in, not cleared, not deleted for
/// it), in id order.
pub fn visible_by_ids(conn: &mut dyn Conn, viewer: UserId, ids: &[MessageId]) -> DbResult<Vec<Message>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {} FROM messages m WHERE m.id {} AND {VISIBLE_TO_VIEWER} ORDER BY m.id",
        message_cols!(),
        in_ints(conn.dialect(), 2)
    );
    let list = json_ints(ids.iter().map(|i| i.0));
    conn.query(&sql, &[viewer.0.into(), list.as_str().into()], one)
}

/// Messages with these client ids in the rooms of `viewer` that it sees, in id order.
pub fn visible_by_local_ids(conn: &mut dyn Conn, viewer: UserId, local_ids: &[String]) -> DbResult<Vec<Message>> {
    if local_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {} FROM messages m WHERE m.room_id IN (SELECT room_id FROM participants WHERE user_id = $1) \
         AND m.local_id {} AND {VISIBLE_TO_VIEWER} ORDER BY m.id",
        message_cols!(),
        in_texts(conn.dialect(), 2)
    );
    let list = crate::db::json_list(local_ids);
    conn.query(&sql, &[viewer.0.into(), list.as_str().into()], one)
}

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

/// A page of a room's messages, newest first, regardless of viewer.
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
/// first, regardless of viewer.
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

/// Up to `limit` visible messages of a room next to message `anchor`, as the viewer sees them:
/// older ones newest first (an `anchor` of 0 or less: from the newest), or with `newer`,
/// newer ones oldest first. Paging by id never skips messages that share a millisecond.
pub fn visible_next_to(
    conn: &mut dyn Conn,
    room: RoomId,
    viewer: UserId,
    anchor: MessageId,
    newer: bool,
    limit: i64,
) -> DbResult<Vec<Message>> {
    let (cmp, order, anchor) = match (newer, anchor.0) {
        (true, a) => (">", "ASC", a),
        (false, a) if a <= 0 => ("<", "DESC", i64::MAX),
        (false, a) => ("<", "DESC", a),
    };
    conn.query(
        &format!(
            "SELECT {} FROM messages m WHERE m.room_id = $2 AND m.id {cmp} $3 AND m.is_hidden = 0 \
             AND m.deleted = 0 AND {VISIBLE_TO_VIEWER} ORDER BY m.id {order} LIMIT $4",
            message_cols!()
        ),
        &[viewer.0.into(), room.0.into(), anchor.into(), limit.into()],
        one,
    )
}

/// The newest message id in any room of `user`, 0 when there is none.
pub fn latest_id_for_user(conn: &mut dyn Conn, user: UserId) -> DbResult<i64> {
    conn.query_opt(
        "SELECT MAX(m.id) FROM participants p JOIN messages m ON m.room_id = p.room_id WHERE p.user_id = $1",
        &[user.0.into()],
        |r| r.opt_int(0),
    )
    .map(|v| v.flatten().unwrap_or(0))
}

/// What a new message of a room follows: the room's newest message.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Newest {
    /// Its id.
    pub id: MessageId,
    /// When it was created (Unix ms).
    pub created: i64,
    /// Whether it is visible (neither hidden nor deleted).
    pub visible: bool,
    /// The room's running count of messages that are not hidden, up to it (see
    /// [`unread`](super::unread)).
    pub seq: i64,
}

/// When a message of a room whose newest message is `newest` is created, `at` or later:
/// within a room `created` strictly increases (a message that would share its predecessor's
/// millisecond takes the next one), so paging by `created` never skips or repeats one.
pub fn created_after(newest: Option<&Newest>, at: i64) -> i64 {
    at.max(newest.map_or(0, |n| n.created + 1))
}

/// The newest message of `room`, `None` for an empty room.
pub fn newest(conn: &mut dyn Conn, room: RoomId) -> DbResult<Option<Newest>> {
    conn.query_opt(
        "SELECT id, created, is_hidden, deleted, seq FROM messages WHERE room_id = $1 ORDER BY id DESC LIMIT 1",
        &[room.0.into()],
        |r| {
            Ok(Newest {
                id: MessageId(r.int(0)?),
                created: r.int(1)?,
                visible: r.int(2)? == 0 && r.int(3)? == 0,
                seq: r.int(4)?,
            })
        },
    )
}

/// The id of the visible message just before message `id` in `room`, 0 when there is none.
pub fn previous_visible_id(conn: &mut dyn Conn, room: RoomId, id: MessageId) -> DbResult<i64> {
    conn.query_opt(
        "SELECT id FROM messages WHERE room_id = $1 AND id < $2 AND is_hidden = 0 AND deleted = 0 \
         ORDER BY id DESC LIMIT 1",
        &[room.0.into(), id.0.into()],
        |r| r.int(0),
    )
    .map(|v| v.unwrap_or(0))
}

/// Messages in any room of `user` with an id above `after_id`, in id order, as the user sees
/// them.
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

/// Marks the messages of `room` in `(from, to]` not sent by `reader` as changed at `now`: their
/// delivery state did (clients sync changed messages by that time).
pub fn touch_range_from_others(
    conn: &mut dyn Conn,
    room: RoomId,
    reader: UserId,
    from: i64,
    to: i64,
    now: i64,
) -> DbResult<()> {
    conn.execute(
        "UPDATE messages SET updated = $1 WHERE room_id = $2 AND id > $3 AND id <= $4 AND sender_id <> $5",
        &[now.into(), room.0.into(), from.into(), to.into(), reader.0.into()],
    )?;
    Ok(())
}

/// The condition that message `m` is unread by participant row `p` (as [`unread_count`]
/// counts) and was created within `$from..=$to` (parameters numbered as given).
fn unread_in_window(from: usize, to: usize) -> String {
    format!(
        "m.id > p.last_read_id AND m.id > p.cleared_id AND m.sender_id <> p.user_id \
         AND m.is_hidden = 0 AND m.deleted = 0 AND m.created >= ${from} AND m.created <= ${to}"
    )
}

/// Messages `user` has not read in all its rooms, counting those created within
/// `from..=to` (Unix ms), and in how many rooms they are. A bounded window walks the unread
/// messages; an unbounded one does not.
pub fn unread_total(conn: &mut dyn Conn, user: UserId, from: i64, to: i64) -> DbResult<(i64, i64)> {
    if from <= 0 && to == i64::MAX {
        // Every message counts: the running counts answer without walking the history.
        return super::unread::total(conn, user);
    }
    let found = conn.query_opt(
        &format!(
            "SELECT COUNT(*), COUNT(DISTINCT m.room_id) FROM participants p JOIN messages m ON m.room_id = p.room_id \
             WHERE p.user_id = $1 AND {}",
            unread_in_window(2, 3)
        ),
        &[user.0.into(), from.into(), to.into()],
        |r| Ok((r.int(0)?, r.int(1)?)),
    )?;
    Ok(found.unwrap_or((0, 0)))
}

/// A page of the users of `app` with a message they have not read created within `from..=to`
/// (Unix ms), by user id.
pub fn users_with_unread(
    conn: &mut dyn Conn,
    app: AppId,
    from: i64,
    to: i64,
    offset: i64,
    limit: i64,
) -> DbResult<Vec<UserId>> {
    conn.query(
        &format!(
            "SELECT DISTINCT p.user_id FROM participants p JOIN rooms r ON r.id = p.room_id \
             WHERE r.app_id = $1 AND EXISTS (SELECT 1 FROM messages m WHERE m.room_id = p.room_id AND {}) \
             ORDER BY p.user_id LIMIT $4 OFFSET $5",
            unread_in_window(2, 3)
        ),
        &[app.0.into(), from.into(), to.into(), limit.into(), offset.into()],
        |r| Ok(UserId(r.int(0)?)),
    )
}

/// Who sent each visible, non-system message of `user`'s rooms created within `from..=to`
/// (Unix ms), and when: `(room, sender, created)` by room, then in order, at most `limit`.
pub fn senders_between(
    conn: &mut dyn Conn,
    user: UserId,
    from: i64,
    to: i64,
    limit: i64,
) -> DbResult<Vec<(RoomId, UserId, i64)>> {
    conn.query(
        "SELECT m.room_id, m.sender_id, m.created FROM messages m \
         WHERE m.room_id IN (SELECT room_id FROM participants WHERE user_id = $1) \
         AND m.created >= $2 AND m.created <= $3 AND m.is_hidden = 0 AND m.deleted = 0 AND m.type_code <> $4 \
         ORDER BY m.room_id, m.id LIMIT $5",
        &[user.0.into(), from.into(), to.into(), MessageType::SYSTEM.into(), limit.into()],
        |r| Ok((RoomId(r.int(0)?), UserId(r.int(1)?), r.int(2)?)),
    )
}

/// Up to `limit` visible messages of a room with ids in `first..=last`, newest first.
pub fn visible_between(
    conn: &mut dyn Conn,
    room: RoomId,
    first: MessageId,
    last: MessageId,
    limit: i64,
) -> DbResult<Vec<Message>> {
    conn.query(
        concat!(
            "SELECT ",
            message_cols!(),
            " FROM messages m WHERE m.room_id = $1 AND m.id >= $2 AND m.id <= $3 AND m.is_hidden = 0 \
             AND m.deleted = 0 ORDER BY m.id DESC LIMIT $4"
        ),
        &[room.0.into(), first.0.into(), last.0.into(), limit.into()],
        one,
    )
}

/// Which of a viewer's messages a search selects; every part is optional.
#[derive(Clone, Debug, Default)]
pub struct SearchFilter {
    /// A full-text query made by [`text_query`](crate::db::text_query).
    pub text: Option<String>,
    /// Only these rooms (always within the viewer's).
    pub rooms: Option<Vec<RoomId>>,
    /// Only messages of this sender.
    pub sender: Option<UserId>,
    /// Only messages of this type name.
    pub type_name: Option<String>,
    /// Only rooms of these type codes.
    pub room_kinds: Option<Vec<i64>>,
}

/// A page of the visible messages of `viewer`'s rooms that `filter` selects, newest first,
/// and how many it selects in all.
pub fn search(
    conn: &mut dyn Conn,
    viewer: UserId,
    filter: &SearchFilter,
    offset: i64,
    limit: i64,
) -> DbResult<(Vec<Message>, i64)> {
    let dialect = conn.dialect();
    let mut conditions = String::new();
    let mut params: Vec<Value<'_>> = vec![viewer.0.into()];
    let rooms = filter.rooms.as_ref().map(|r| json_ints(r.iter().map(|r| r.0)));
    let kinds = filter.room_kinds.as_ref().map(|k| json_ints(k.iter().copied()));
    if let Some(text) = &filter.text {
        params.push(text.as_str().into());
        conditions.push_str(&format!(" AND {}", text_match(dialect, params.len())));
    }
    if let Some(list) = &rooms {
        params.push(list.as_str().into());
        conditions.push_str(&format!(" AND m.room_id {}", in_ints(dialect, params.len())));
    }
    if let Some(sender) = filter.sender {
        params.push(sender.0.into());
        conditions.push_str(&format!(" AND m.sender_id = ${}", params.len()));
    }
    if let Some(t) = &filter.type_name {
        params.push(t.as_str().into());
        conditions.push_str(&format!(" AND m.type_name = ${}", params.len()));
    }
    if let Some(list) = &kinds {
        params.push(list.as_str().into());
        conditions.push_str(&format!(
            " AND m.room_id IN (SELECT r.id FROM rooms r WHERE r.type {})",
            in_ints(dialect, params.len())
        ));
    }
    let from = format!(
        "FROM messages m WHERE m.room_id IN (SELECT room_id FROM participants WHERE user_id = $1) \
         AND m.is_hidden = 0 AND m.deleted = 0 AND {VISIBLE_TO_VIEWER}{conditions}"
    );
    let total = conn.query_int(&format!("SELECT COUNT(*) {from}"), &params)?;
    let n = params.len();
    params.push(limit.into());
    params.push(offset.into());
    let sql = format!("SELECT {} {from} ORDER BY m.id DESC LIMIT ${} OFFSET ${}", message_cols!(), n + 1, n + 2);
    Ok((conn.query(&sql, &params, one)?, total))
}

/// Hides a message for one user only; returns whether it was visible to the user before.
pub fn hide_for(conn: &mut dyn Conn, user: UserId, message: MessageId) -> DbResult<bool> {
    let n = conn.execute(
        "INSERT INTO message_hides (user_id, message_id) VALUES ($1, $2) ON CONFLICT (user_id, message_id) DO NOTHING",
        &[user.0.into(), message.0.into()],
    )?;
    Ok(n > 0)
}

/// The newest messages of `room` that `user` has not read (after its read pointer, from
/// others, neither hidden nor deleted nor hidden for it), newest first, at most `limit`.
pub fn unread_in_room(conn: &mut dyn Conn, room: RoomId, user: UserId, limit: i64) -> DbResult<Vec<Message>> {
    conn.query(
        concat!(
            "SELECT ",
            message_cols!(),
            " FROM messages m JOIN participants p ON p.room_id = m.room_id AND p.user_id = $2 \
             WHERE m.room_id = $1 AND m.id > p.last_read_id AND m.id > p.cleared_id AND m.sender_id <> $2 \
             AND m.is_hidden = 0 AND m.deleted = 0 \
             AND NOT EXISTS (SELECT 1 FROM message_hides h WHERE h.user_id = $2 AND h.message_id = m.id) \
             ORDER BY m.id DESC LIMIT $3"
        ),
        &[room.0.into(), user.0.into(), limit.into()],
        one,
    )
}

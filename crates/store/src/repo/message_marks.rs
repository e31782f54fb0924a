//! Marks on messages: stars (each user's own) and pins (a room's, for all its members).

use crate::db::{Conn, DbResult};
use palaver_domain::{MessageId, RoomId, UserId};

/// Which marks: a user's stars, or a room's pins.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Marks {
    /// What `user` starred in `room`.
    Starred {
        /// Whose stars.
        user: UserId,
        /// In which room.
        room: RoomId,
    },
    /// What is pinned in `room`.
    Pinned {
        /// The room.
        room: RoomId,
    },
}

impl Marks {
    /// The table, the condition naming these marks, and its parameters.
    fn scope(self) -> (&'static str, &'static str, Vec<i64>) {
        match self {
            Marks::Starred { user, room } => {
                ("starred_messages", "user_id = $1 AND room_id = $2", vec![user.0, room.0])
            }
            Marks::Pinned { room } => ("pinned_messages", "room_id = $1", vec![room.0]),
        }
    }
}

/// Marks `message` (by `by`, at `at`); returns whether it was not marked before.
pub fn add(conn: &mut dyn Conn, marks: Marks, message: MessageId, by: UserId, at: i64) -> DbResult<bool> {
    let n = match marks {
        Marks::Starred { user, room } => conn.execute(
            "INSERT INTO starred_messages (user_id, room_id, message_id, starred_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT DO NOTHING",
            &[user.0.into(), room.0.into(), message.0.into(), at.into()],
        )?,
        Marks::Pinned { room } => conn.execute(
            "INSERT INTO pinned_messages (room_id, message_id, pinned_by, pinned_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT DO NOTHING",
            &[room.0.into(), message.0.into(), by.0.into(), at.into()],
        )?,
    };
    Ok(n > 0)
}

/// Takes the mark off `message`; returns whether it was marked.
pub fn remove(conn: &mut dyn Conn, marks: Marks, message: MessageId) -> DbResult<bool> {
    let (table, scope, mut params) = marks.scope();
    params.push(message.0);
    let sql = format!("DELETE FROM {table} WHERE {scope} AND message_id = ${}", params.len());
    let values: Vec<crate::db::Value<'_>> = params.into_iter().map(Into::into).collect();
    Ok(conn.execute(&sql, &values)? > 0)
}

/// The marked messages that are not deleted, newest message first.
pub fn ids(conn: &mut dyn Conn, marks: Marks) -> DbResult<Vec<MessageId>> {
    let (table, scope, params) = marks.scope();
    let sql = format!(
        "SELECT k.message_id FROM {table} k JOIN messages m ON m.id = k.message_id \
         WHERE {} AND m.deleted = 0 ORDER BY k.message_id DESC",
        scope.replace("user_id", "k.user_id").replace("room_id", "k.room_id")
    );
    let values: Vec<crate::db::Value<'_>> = params.into_iter().map(Into::into).collect();
    conn.query(&sql, &values, |r| Ok(MessageId(r.int(0)?)))
}

/// Which of a room's messages [`shared`] returns.
#[derive(Clone, Debug)]
pub struct SharedQuery {
    /// Who asks (messages cleared or deleted for it are left out).
    pub viewer: UserId,
    /// The room.
    pub room: RoomId,
    /// Message type codes.
    pub types: Vec<i64>,
    /// Posted after this (Unix ms).
    pub min_created: i64,
    /// Posted before this (Unix ms; 0: no bound).
    pub max_created: i64,
    /// Oldest first (else newest first).
    pub ascending: bool,
    /// Most messages.
    pub limit: i64,
}

/// A room's visible messages of some types (files and links shared in it).
pub fn shared(conn: &mut dyn Conn, q: &SharedQuery) -> DbResult<Vec<palaver_domain::Message>> {
    let sql = format!(
        "SELECT {} FROM messages m WHERE m.room_id = $2 AND m.type_code {} AND m.created > $4 \
         AND ($5 = 0 OR m.created < $5) AND m.deleted = 0 AND m.is_hidden = 0 AND {} \
         ORDER BY m.created {}, m.id {} LIMIT $6",
        crate::message_cols!(),
        crate::db::in_ints(conn.dialect(), 3),
        super::messages::VISIBLE_TO_VIEWER,
        if q.ascending { "ASC" } else { "DESC" },
        if q.ascending { "ASC" } else { "DESC" },
    );
    let types = crate::db::json_ints(q.types.iter().copied());
    conn.query(
        &sql,
        &[
            q.viewer.0.into(),
            q.room.0.into(),
            types.as_str().into(),
            q.min_created.into(),
            q.max_created.into(),
            q.limit.into(),
        ],
        |r| super::messages::from_row(r, 0)?.ok_or_else(|| crate::db::DbError::Other("message row without id".into())),
    )
}

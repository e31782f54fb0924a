//! Scheduled messages: what a user asked to be sent later, until it is sent (in the same
//! transaction as the message's insert), dropped or deleted.

use crate::db::{Conn, DbResult, Dialect, Row, Value};
use crate::repo::{json_strings, to_json_strings};
use palaver_domain::{AppId, MessageId, UserId};

/// Waiting to be sent.
pub const PENDING: i64 = 0;
/// Sent: `message_id` holds the message.
pub const SENT: i64 = 1;
/// Not sent at its time because the sender could no longer post there.
pub const DROPPED: i64 = 2;

/// A stored scheduled message.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScheduledRow {
    /// Its id.
    pub id: i64,
    /// Its app.
    pub app: AppId,
    /// Who scheduled it (and will send it).
    pub user: UserId,
    /// The room: `<a>-<b>` for a personal room, the room id otherwise.
    pub room_key: String,
    /// The message's client id.
    pub local_id: String,
    /// Type as a number.
    pub type_code: i64,
    /// Type as a name.
    pub type_name: String,
    /// Text.
    pub body: String,
    /// Payload.
    pub data: String,
    /// Extras (JSON text).
    pub extras: String,
    /// Filter id.
    pub filter_id: String,
    /// Hidden from lists.
    pub is_hidden: bool,
    /// Quote (JSON text).
    pub quote: String,
    /// Reply-to (JSON text).
    pub reply_to: String,
    /// Forward origin (JSON text).
    pub forward_from: String,
    /// Ids of files the message shares.
    pub attachments: Vec<String>,
    /// When to send it, Unix ms.
    pub scheduled_at: i64,
    /// When it was scheduled, Unix ms.
    pub created: i64,
    /// When it last changed, Unix ms.
    pub updated: i64,
    /// [`PENDING`], [`SENT`] or [`DROPPED`].
    pub status: i64,
    /// The message once sent.
    pub message: MessageId,
    /// Why it was dropped.
    pub reason: String,
}

const COLS: &str = "id, app_id, user_id, room_key, local_id, type_code, type_name, body, data, extras, filter_id, \
                    is_hidden, quote, reply_to, forward_from, attachments, scheduled_at, created, updated, status, \
                    message_id, reason";

fn from_row(r: &dyn Row) -> DbResult<ScheduledRow> {
    Ok(ScheduledRow {
        id: r.int(0)?,
        app: AppId(r.int(1)?),
        user: UserId(r.int(2)?),
        room_key: r.text(3)?,
        local_id: r.text(4)?,
        type_code: r.int(5)?,
        type_name: r.text(6)?,
        body: r.text(7)?,
        data: r.text(8)?,
        extras: r.text(9)?,
        filter_id: r.text(10)?,
        is_hidden: r.bool(11)?,
        quote: r.text(12)?,
        reply_to: r.text(13)?,
        forward_from: r.text(14)?,
        attachments: json_strings(&r.text(15)?),
        scheduled_at: r.int(16)?,
        created: r.int(17)?,
        updated: r.int(18)?,
        status: r.int(19)?,
        message: MessageId(r.int(20)?),
        reason: r.text(21)?,
    })
}

/// The content columns, in the order [`content`] gives their values.
const CONTENT_COLS: [&str; 12] = [
    "local_id",
    "type_code",
    "type_name",
    "body",
    "data",
    "extras",
    "filter_id",
    "is_hidden",
    "quote",
    "reply_to",
    "forward_from",
    "attachments",
];

/// The values of an item's content columns ([`CONTENT_COLS`]).
fn content<'a>(s: &'a ScheduledRow, attachments: &'a str) -> Vec<Value<'a>> {
    vec![
        s.local_id.as_str().into(),
        s.type_code.into(),
        s.type_name.as_str().into(),
        s.body.as_str().into(),
        s.data.as_str().into(),
        s.extras.as_str().into(),
        s.filter_id.as_str().into(),
        s.is_hidden.into(),
        s.quote.as_str().into(),
        s.reply_to.as_str().into(),
        s.forward_from.as_str().into(),
        attachments.into(),
    ]
}

/// Stores a new pending item; returns its id.
pub fn insert(conn: &mut dyn Conn, s: &ScheduledRow) -> DbResult<i64> {
    let attachments = to_json_strings(&s.attachments);
    let mut values: Vec<Value<'_>> = vec![s.app.0.into(), s.user.0.into(), s.room_key.as_str().into()];
    values.extend(content(s, &attachments));
    values.extend([Value::from(s.scheduled_at), Value::from(s.created), Value::from(s.updated)]);
    let sql = format!(
        "INSERT INTO scheduled_messages (app_id, user_id, room_key, {}, scheduled_at, created, updated) \
         VALUES ({}) RETURNING id",
        CONTENT_COLS.join(", "),
        crate::db::placeholders(1, values.len())
    );
    conn.query_int(&sql, &values)
}

/// An item of `app` by id, whatever its status.
pub fn get(conn: &mut dyn Conn, app: AppId, id: i64) -> DbResult<Option<ScheduledRow>> {
    conn.query_opt(
        &format!("SELECT {COLS} FROM scheduled_messages WHERE id = $1 AND app_id = $2"),
        &[id.into(), app.0.into()],
        from_row,
    )
}

/// A user's pending items in a room, by scheduled time.
pub fn pending_in_room(conn: &mut dyn Conn, user: UserId, room_key: &str) -> DbResult<Vec<ScheduledRow>> {
    conn.query(
        &format!(
            "SELECT {COLS} FROM scheduled_messages WHERE user_id = $1 AND room_key = $2 AND status = 0 \
             ORDER BY scheduled_at, id"
        ),
        &[user.0.into(), room_key.into()],
        from_row,
    )
}

/// Ids of up to `limit` pending items due at `now`, the earliest first: a read, so that an
/// idle server never touches the writer.
pub fn due(conn: &mut dyn Conn, now: i64, limit: i64) -> DbResult<Vec<i64>> {
    conn.query(
        "SELECT id FROM scheduled_messages WHERE status = 0 AND scheduled_at <= $1 ORDER BY scheduled_at, id LIMIT $2",
        &[now.into(), limit.into()],
        |r| r.int(0),
    )
}

/// When the earliest pending item is due, if any.
pub fn next_due(conn: &mut dyn Conn) -> DbResult<Option<i64>> {
    conn.query_opt("SELECT MIN(scheduled_at) FROM scheduled_messages WHERE status = 0", &[], |r| r.opt_int(0))
        .map(Option::flatten)
}

/// Takes a pending item for sending in the caller's transaction. On PostgreSQL the row stays
/// locked until the commit and one another node is claiming is skipped (`FOR UPDATE SKIP
/// LOCKED`); SQLite has one writer, so its transaction is the claim. `None` if the item is
/// not pending (sent, dropped, deleted) or held by another node.
pub fn claim(conn: &mut dyn Conn, id: i64) -> DbResult<Option<ScheduledRow>> {
    let lock = match conn.dialect() {
        Dialect::Postgres => " FOR UPDATE SKIP LOCKED",
        Dialect::Sqlite => "",
    };
    conn.query_opt(
        &format!("SELECT {COLS} FROM scheduled_messages WHERE id = $1 AND status = 0{lock}"),
        &[id.into()],
        from_row,
    )
}

/// Marks a pending item sent as `message`; false if it was not pending.
pub fn mark_sent(conn: &mut dyn Conn, id: i64, message: MessageId, now: i64) -> DbResult<bool> {
    let n = conn.execute(
        "UPDATE scheduled_messages SET status = 1, message_id = $2, updated = $3 WHERE id = $1 AND status = 0",
        &[id.into(), message.0.into(), now.into()],
    )?;
    Ok(n > 0)
}

/// Marks a pending item dropped, saying why; false if it was not pending.
pub fn mark_dropped(conn: &mut dyn Conn, id: i64, reason: &str, now: i64) -> DbResult<bool> {
    let n = conn.execute(
        "UPDATE scheduled_messages SET status = 2, reason = $2, updated = $3 WHERE id = $1 AND status = 0",
        &[id.into(), reason.into(), now.into()],
    )?;
    Ok(n > 0)
}

/// Deletes a pending item; false if it was not pending.
pub fn delete(conn: &mut dyn Conn, id: i64) -> DbResult<bool> {
    Ok(conn.execute("DELETE FROM scheduled_messages WHERE id = $1 AND status = 0", &[id.into()])? > 0)
}

/// Moves a pending item to another time; false if it was not pending.
pub fn set_time(conn: &mut dyn Conn, id: i64, at: i64, now: i64) -> DbResult<bool> {
    let n = conn.execute(
        "UPDATE scheduled_messages SET scheduled_at = $2, updated = $3 WHERE id = $1 AND status = 0",
        &[id.into(), at.into(), now.into()],
    )?;
    Ok(n > 0)
}

/// Replaces a pending item's content (client id included) with `s`'s; false if it was not
/// pending.
pub fn set_content(conn: &mut dyn Conn, s: &ScheduledRow) -> DbResult<bool> {
    let attachments = to_json_strings(&s.attachments);
    let mut values: Vec<Value<'_>> = vec![s.id.into(), s.updated.into()];
    values.extend(content(s, &attachments));
    let sets: Vec<String> = CONTENT_COLS.iter().enumerate().map(|(i, c)| format!("{c} = ${}", i + 3)).collect();
    let sql = format!("UPDATE scheduled_messages SET updated = $2, {} WHERE id = $1 AND status = 0", sets.join(", "));
    Ok(conn.execute(&sql, &values)? > 0)
}

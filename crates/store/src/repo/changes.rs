//! The change log (see `palaver_domain::change`): one row per committed change, appended in
//! the change's own transaction, read back after an id by a node, an app or a user.

use crate::db::{Conn, DbResult, Row, Value, in_ints, insert_rows, json_ints};
use palaver_domain::change::ChangeFacts;
use palaver_domain::{AppId, Change, ChangeId, MessageId, RoomId, UserId};

/// A stored change: ids and facts; the state it names is read from its own tables.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangeRow {
    /// Position in the log.
    pub id: ChangeId,
    /// App.
    pub app: AppId,
    /// Kind name, as [`Change::name`] gives it.
    pub kind: String,
    /// Who made it.
    pub actor: Option<UserId>,
    /// The room whose participants it concerns.
    pub room: Option<RoomId>,
    /// The message it is about.
    pub message: Option<MessageId>,
    /// Users it concerns besides the room's participants.
    pub users: Vec<UserId>,
    /// What else the row keeps.
    pub facts: ChangeFacts,
    /// When it was committed, Unix ms.
    pub at: i64,
}

const COLS: &str = "c.id, c.app_id, c.kind, c.actor_id, c.room_id, c.message_id, c.users, c.facts, c.created";

fn positive(v: i64) -> Option<i64> {
    (v > 0).then_some(v)
}

fn from_row(r: &dyn Row) -> DbResult<ChangeRow> {
    let users: Vec<i64> = serde_json::from_str(&r.text(6)?).unwrap_or_default();
    Ok(ChangeRow {
        id: ChangeId(r.int(0)?),
        app: AppId(r.int(1)?),
        kind: r.text(2)?,
        actor: positive(r.int(3)?).map(UserId),
        room: positive(r.int(4)?).map(RoomId),
        message: positive(r.int(5)?).map(MessageId),
        users: users.into_iter().map(UserId).collect(),
        facts: serde_json::from_str(&r.text(7)?).unwrap_or_default(),
        at: r.int(8)?,
    })
}

/// Appends a change (its id already taken from the sequence) inside the caller's transaction.
pub fn append(conn: &mut dyn Conn, change: &Change) -> DbResult<()> {
    append_all(conn, &[change])
}

/// Appends changes (ids already taken) inside the caller's transaction, several rows per
/// statement: the writer appends a whole batch's changes at once before it commits, which
/// costs about half as much as a statement per change (measured on the send path).
pub fn append_all(conn: &mut dyn Conn, changes: &[&Change]) -> DbResult<()> {
    let texts: Vec<(String, String)> = changes
        .iter()
        .map(|c| {
            let users: Vec<i64> = c.users().iter().map(|u| u.0).collect();
            let users =
                if users.is_empty() { "[]".to_string() } else { serde_json::to_string(&users).unwrap_or_default() };
            let facts = c.facts();
            let facts = if facts == ChangeFacts::default() {
                "{}".to_string()
            } else {
                serde_json::to_string(&facts).unwrap_or_default()
            };
            (users, facts)
        })
        .collect();
    let rows: Vec<Vec<Value>> = changes
        .iter()
        .zip(&texts)
        .map(|(change, (users, facts))| {
            vec![
                change.id.0.into(),
                change.app.0.into(),
                change.name().into(),
                change.actor.map_or(0, |u| u.0).into(),
                change.room().map_or(0, |r| r.0).into(),
                change.message().map_or(0, |m| m.0).into(),
                users.as_str().into(),
                facts.as_str().into(),
                change.at.into(),
            ]
        })
        .collect();
    insert_rows(conn, "changes (id, app_id, kind, actor_id, room_id, message_id, users, facts, created)", &rows)?;
    for change in changes {
        for user in change.users() {
            conn.execute(
                "INSERT INTO change_users (user_id, change_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                &[user.0.into(), change.id.0.into()],
            )?;
        }
    }
    Ok(())
}

/// Names every app, so that a range of ids is read through the primary key `(app_id, id)`, one
/// range per app, instead of scanning the whole log (there is no index on the id alone).
const BY_APP: &str = "c.app_id IN (SELECT a.id FROM apps a)";

/// Every change after `after`, oldest first, at most `limit` (a node catching up).
pub fn after(conn: &mut dyn Conn, after: ChangeId, limit: i64) -> DbResult<Vec<ChangeRow>> {
    conn.query(
        &format!("SELECT {COLS} FROM changes c WHERE {BY_APP} AND c.id > $1 ORDER BY c.id LIMIT $2"),
        &[after.0.into(), limit.into()],
        from_row,
    )
}

/// An app's changes after `after`, oldest first, at most `limit`. (SQLite keeps the table in
/// this order; the node-wide reads above serve clustered nodes, on PostgreSQL.)
pub fn after_for_app(conn: &mut dyn Conn, app: AppId, after: ChangeId, limit: i64) -> DbResult<Vec<ChangeRow>> {
    conn.query(
        &format!("SELECT {COLS} FROM changes c WHERE c.app_id = $1 AND c.id > $2 ORDER BY c.id LIMIT $3"),
        &[app.0.into(), after.0.into(), limit.into()],
        from_row,
    )
}

/// The changes after `after` that concern `user` (of `app`): those of the rooms it is in now,
/// and those naming it; oldest first, at most `limit`.
pub fn after_for_user(
    conn: &mut dyn Conn,
    app: AppId,
    user: UserId,
    after: ChangeId,
    limit: i64,
) -> DbResult<Vec<ChangeRow>> {
    conn.query(
        &format!(
            "SELECT * FROM (SELECT {COLS} FROM changes c JOIN participants p ON p.room_id = c.room_id \
             WHERE p.user_id = $1 AND c.id > $2 ORDER BY c.id LIMIT $3) r \
             UNION SELECT * FROM (SELECT {COLS} FROM change_users u JOIN changes c ON c.app_id = $4 \
             AND c.id = u.change_id WHERE u.user_id = $1 AND u.change_id > $2 ORDER BY u.change_id LIMIT $3) n \
             ORDER BY 1 LIMIT $3"
        ),
        &[user.0.into(), after.0.into(), limit.into(), app.0.into()],
        from_row,
    )
}

/// The ids of the changes after `after` and up to `upto`, ascending.
pub fn ids_between(conn: &mut dyn Conn, after: ChangeId, upto: ChangeId) -> DbResult<Vec<ChangeId>> {
    conn.query(
        &format!("SELECT c.id FROM changes c WHERE {BY_APP} AND c.id > $1 AND c.id <= $2 ORDER BY c.id"),
        &[after.0.into(), upto.0.into()],
        |r| Ok(ChangeId(r.int(0)?)),
    )
}

/// Changes by id, oldest first; ids not in the log are skipped.
pub fn by_ids(conn: &mut dyn Conn, ids: &[ChangeId]) -> DbResult<Vec<ChangeRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!("SELECT {COLS} FROM changes c WHERE c.id {} ORDER BY c.id", in_ints(conn.dialect(), 1));
    let list = json_ints(ids.iter().map(|i| i.0));
    conn.query(&sql, &[list.as_str().into()], from_row)
}

/// Deletes up to `batch` of an app's oldest changes committed before `before` (Unix ms);
/// returns how many went and the highest id among them. It reads only the app's first
/// `batch` rows: the log is in id order, which is commit order.
pub fn purge(conn: &mut dyn Conn, app: AppId, before: i64, batch: i64) -> DbResult<(usize, Option<ChangeId>)> {
    let oldest = conn.query(
        "SELECT id, users, created FROM changes WHERE app_id = $1 ORDER BY id LIMIT $2",
        &[app.0.into(), batch.into()],
        |r| Ok((r.int(0)?, r.text(1)?, r.int(2)?)),
    )?;
    let old: Vec<(i64, String)> =
        oldest.into_iter().take_while(|(_, _, created)| *created < before).map(|(id, users, _)| (id, users)).collect();
    for (id, users) in &old {
        for user in serde_json::from_str::<Vec<i64>>(users).unwrap_or_default() {
            conn.execute(
                "DELETE FROM change_users WHERE user_id = $1 AND change_id = $2",
                &[user.into(), (*id).into()],
            )?;
        }
        conn.execute("DELETE FROM changes WHERE app_id = $1 AND id = $2", &[app.0.into(), (*id).into()])?;
    }
    Ok((old.len(), old.last().map(|(id, _)| ChangeId(*id))))
}

/// When each reader's receipts first covered `message` in `room`, from the change log (a
/// receipt names the newest message it covers, and pointers only move forward): `(reader,
/// read, at)` for delivery (`read` false) and read receipts. Receipts purged from the log
/// are not found.
pub fn receipt_times(conn: &mut dyn Conn, room: RoomId, message: MessageId) -> DbResult<Vec<(UserId, bool, i64)>> {
    conn.query(
        "SELECT actor_id, kind, MIN(created) FROM changes WHERE room_id = $1 AND id > $2 AND message_id >= $2 \
         AND kind IN ('message.delivered', 'message.read') GROUP BY actor_id, kind",
        &[room.0.into(), message.0.into()],
        |r| Ok((UserId(r.int(0)?), r.text(1)? == "message.read", r.int(2)?)),
    )
}

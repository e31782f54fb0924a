//! A user's room list in one query: each room with its last visible message, that message's
//! sender, the partner of a personal room and the user's unread count.

use super::{messages, rooms, users};
use crate::db::{Conn, DbError, DbResult, Value, placeholders};
use crate::{message_cols, room_cols, user_cols};
use palaver_domain::{RoomFilter, RoomSummary, RoomType, UserId};

/// The extra WHERE conditions of a filter and their parameters, numbered from `first`.
fn conditions<'a>(filter: &'a RoomFilter, first: usize, params: &mut Vec<Value<'a>>) -> String {
    let mut sql = String::new();
    let mut next = first;
    if let Some(ids) = &filter.external_ids {
        sql.push_str(&format!(" AND r.external_id IN ({})", in_list(next, ids.len())));
        next += ids.len();
        params.extend(ids.iter().map(|x| Value::Text(x)));
    }
    if let Some(ids) = &filter.room_ids {
        sql.push_str(&format!(" AND r.id IN ({})", in_list(next, ids.len())));
        next += ids.len();
        params.extend(ids.iter().map(|i| Value::Int(i.0)));
    }
    if let Some(kinds) = &filter.kinds {
        sql.push_str(&format!(" AND r.type IN ({})", in_list(next, kinds.len())));
        params.extend(kinds.iter().map(|k| Value::Int(k.code())));
    }
    sql
}

/// Placeholders for an IN list; an empty list matches nothing.
fn in_list(first: usize, n: usize) -> String {
    if n == 0 { "NULL".to_string() } else { placeholders(first, n) }
}

const FROM: &str = "FROM participants p JOIN rooms r ON r.id = p.room_id";

/// ` LIMIT n OFFSET m` written into the statement. SQLite re-prepares a statement whenever a
/// parameter its planner looked at is bound again, and it looks at LIMIT and OFFSET; as
/// literals (numbers, never caller text) they keep the prepared statement reusable.
pub(crate) fn page_clause(limit: i64, offset: i64) -> String {
    match (limit > 0, offset > 0) {
        (true, true) => format!(" LIMIT {limit} OFFSET {offset}"),
        (true, false) => format!(" LIMIT {limit}"),
        (false, true) => format!(" LIMIT -1 OFFSET {offset}"),
        (false, false) => String::new(),
    }
}

/// The rooms of `user`, most recently active first.
pub fn for_user(conn: &mut dyn Conn, user: UserId, filter: &RoomFilter) -> DbResult<Vec<RoomSummary>> {
    let mut params: Vec<Value> = vec![user.0.into()];
    let conditions = conditions(filter, 2, &mut params);
    let sql = format!(
        "SELECT {room}, \
           (SELECT COUNT(*) FROM messages u WHERE u.room_id = p.room_id AND u.id > p.last_read_id \
             AND u.id > p.cleared_id AND u.sender_id <> p.user_id AND u.is_hidden = 0 AND u.deleted = 0), \
           {msg}, {sender}, {partner} \
         {FROM} \
         LEFT JOIN messages m ON m.id = (SELECT x.id FROM messages x WHERE x.room_id = p.room_id \
           AND x.is_hidden = 0 AND x.id > p.cleared_id AND NOT EXISTS (SELECT 1 FROM message_hides h \
           WHERE h.user_id = p.user_id AND h.message_id = x.id) ORDER BY x.id DESC LIMIT 1) \
         LEFT JOIN users su ON su.id = m.sender_id \
         LEFT JOIN participants pp ON r.type = 1 AND pp.room_id = r.id AND pp.user_id <> p.user_id \
         LEFT JOIN users pu ON pu.id = pp.user_id \
         WHERE p.user_id = $1{conditions} \
         ORDER BY COALESCE(m.id, 0) DESC, r.id DESC{page}",
        page = page_clause(filter.limit, filter.offset),
        room = room_cols!("r"),
        msg = message_cols!(),
        sender = user_cols!("su"),
        partner = user_cols!("pu"),
    );
    let mut entries = conn.query(&sql, &params, |r| {
        let room = rooms::from_row(r, 0)?.ok_or_else(|| DbError::Other("room list row without room".into()))?;
        let mut at = rooms::COLUMNS;
        let unread = r.int(at)?;
        at += 1;
        let last_message = messages::from_row(r, at)?;
        at += messages::COLUMNS;
        let sender = users::from_row(r, at)?;
        at += users::COLUMNS;
        let partner = users::from_row(r, at)?;
        Ok(RoomSummary { room, last_message, sender, partner, unread })
    })?;
    // A personal room with oneself has no other participant: the partner is the user.
    if entries.iter().any(|e| e.room.kind == RoomType::Personal && e.partner.is_none())
        && let Some(me) = conn.query_opt(
            concat!("SELECT ", user_cols!("u"), " FROM users u WHERE u.id = $1"),
            &[user.0.into()],
            |r| users::from_row(r, 0),
        )?
    {
        for e in entries.iter_mut().filter(|e| e.room.kind == RoomType::Personal && e.partner.is_none()) {
            e.partner = me.clone();
        }
    }
    Ok(entries)
}

/// How many rooms `for_user` would list without offset and limit.
pub fn count_for_user(conn: &mut dyn Conn, user: UserId, filter: &RoomFilter) -> DbResult<i64> {
    let mut params: Vec<Value> = vec![user.0.into()];
    let conditions = conditions(filter, 2, &mut params);
    conn.query_int(&format!("SELECT COUNT(*) {FROM} WHERE p.user_id = $1{conditions}"), &params)
}

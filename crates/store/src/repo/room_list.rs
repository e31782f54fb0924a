//! A user's room list in one query: each room with its last visible message, that message's
//! sender, the partner of a personal room and the user's unread count (from the running
//! counts of [`unread`](super::unread), so the list costs the same whatever the history).

use super::{messages, rooms, users};
use crate::db::{Conn, DbError, DbResult, Dialect, Value, in_ints, in_texts, json_ints, json_list};
use crate::{message_cols, room_cols, user_cols};
use palaver_domain::{RoomFilter, RoomSummary, RoomType, UserId};

/// A filter's lists, each bound as one JSON parameter.
struct FilterLists {
    external_ids: Option<String>,
    room_ids: Option<String>,
    kinds: Option<String>,
}

impl FilterLists {
    fn of(filter: &RoomFilter) -> Self {
        FilterLists {
            external_ids: filter.external_ids.as_deref().map(json_list),
            room_ids: filter.room_ids.as_ref().map(|ids| json_ints(ids.iter().map(|i| i.0))),
            kinds: filter.kinds.as_ref().map(|k| json_ints(k.iter().map(|k| k.code()))),
        }
    }

    /// The extra WHERE conditions and their parameters, numbered from `first`.
    fn conditions<'a>(&'a self, dialect: Dialect, first: usize, params: &mut Vec<Value<'a>>) -> String {
        let mut sql = String::new();
        let mut next = first;
        for (column, list, ints) in [
            ("r.external_id", &self.external_ids, false),
            ("r.id", &self.room_ids, true),
            ("r.type", &self.kinds, true),
        ] {
            if let Some(list) = list {
                let within = if ints { in_ints(dialect, next) } else { in_texts(dialect, next) };
                sql.push_str(&format!(" AND {column} {within}"));
                params.push(Value::Text(list));
                next += 1;
            }
        }
        sql
    }
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
    let lists = FilterLists::of(filter);
    let mut params: Vec<Value> = vec![user.0.into()];
    let conditions = lists.conditions(conn.dialect(), 2, &mut params);
    let sql = format!(
        "SELECT {room}, \
{unread}, \
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
        unread = super::unread::count_sql("p"),
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
    let lists = FilterLists::of(filter);
    let mut params: Vec<Value> = vec![user.0.into()];
    let conditions = lists.conditions(conn.dialect(), 2, &mut params);
    conn.query_int(&format!("SELECT COUNT(*) {FROM} WHERE p.user_id = $1{conditions}"), &params)
}

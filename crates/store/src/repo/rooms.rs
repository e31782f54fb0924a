//! Rooms.

use super::{json_strings, to_json_strings};
use crate::db::{Conn, DbError, DbResult, Row, in_ints, json_ints, like_literal};
use palaver_domain::room::{parse_personal_key, personal_key};
use palaver_domain::{AppId, Room, RoomId, RoomRef, RoomType};

/// The room columns under a table alias, in the order [`from_row`] reads them.
#[macro_export]
macro_rules! room_cols {
    ($a:literal) => {
        concat!(
            $a,
            ".id, ",
            $a,
            ".app_id, ",
            $a,
            ".type, ",
            $a,
            ".personal_key, ",
            $a,
            ".external_id, ",
            $a,
            ".name, ",
            $a,
            ".photo_thumb, ",
            $a,
            ".photo_full, ",
            $a,
            ".color, ",
            $a,
            ".options, ",
            $a,
            ".tags, ",
            $a,
            ".participant_roles, ",
            $a,
            ".is_locked, ",
            $a,
            ".locked_time, ",
            $a,
            ".created, ",
            $a,
            ".updated, ",
            $a,
            ".deleted"
        )
    };
}

/// Number of columns [`room_cols!`] selects.
pub const COLUMNS: usize = 17;

/// Reads a room starting at column `at`; `None` when the id column is NULL.
pub fn from_row(r: &dyn Row, at: usize) -> DbResult<Option<Room>> {
    let Some(id) = r.opt_int(at)? else {
        return Ok(None);
    };
    let kind = RoomType::from_code(r.int(at + 2)?).ok_or_else(|| DbError::Other("bad room type".into()))?;
    Ok(Some(Room {
        id: RoomId(id),
        app: AppId(r.int(at + 1)?),
        kind,
        personal_pair: r.opt_text(at + 3)?.as_deref().and_then(parse_personal_key),
        external_id: r.opt_text(at + 4)?,
        name: r.text(at + 5)?,
        photo_thumb: r.text(at + 6)?,
        photo_full: r.text(at + 7)?,
        color: r.text(at + 8)?,
        options: r.text(at + 9)?,
        tags: json_strings(&r.text(at + 10)?),
        participant_roles: json_strings(&r.text(at + 11)?),
        is_locked: r.bool(at + 12)?,
        locked_time: r.int(at + 13)?,
        created: r.int(at + 14)?,
        updated: r.int(at + 15)?,
        deleted: r.int(at + 16)?,
    }))
}

fn one(r: &dyn Row) -> DbResult<Room> {
    from_row(r, 0)?.ok_or_else(|| DbError::Other("room row without id".into()))
}

/// A room by external id (deleted rooms included).
pub fn by_external_id(conn: &mut dyn Conn, app: AppId, external_id: &str) -> DbResult<Option<Room>> {
    conn.query_opt(
        concat!("SELECT ", room_cols!("r"), " FROM rooms r WHERE r.app_id = $1 AND r.external_id = $2"),
        &[app.0.into(), external_id.into()],
        one,
    )
}

/// A room however the caller names it (deleted rooms included). An [`RoomRef::IdOrExternal`]
/// names the live room with that external id if there is one, else (when it parses as a
/// number) the room of that id: a room given the unique id "8" stays the one "8" names after
/// room 8 comes into being.
pub fn by_ref(conn: &mut dyn Conn, app: AppId, room: &RoomRef) -> DbResult<Option<Room>> {
    match room {
        RoomRef::Id(id) => conn.query_opt(
            concat!("SELECT ", room_cols!("r"), " FROM rooms r WHERE r.id = $1 AND r.app_id = $2"),
            &[id.0.into(), app.0.into()],
            one,
        ),
        RoomRef::Personal(a, b) => conn.query_opt(
            concat!("SELECT ", room_cols!("r"), " FROM rooms r WHERE r.app_id = $1 AND r.personal_key = $2"),
            &[app.0.into(), personal_key(*a, *b).as_str().into()],
            one,
        ),
        RoomRef::External(id) => by_external_id(conn, app, id.as_str()),
        RoomRef::IdOrExternal(text) => {
            let external = by_external_id(conn, app, text)?;
            if external.as_ref().is_some_and(|r| !r.is_deleted()) {
                return Ok(external);
            }
            match text.parse::<i64>() {
                Ok(n) => match by_ref(conn, app, &RoomRef::Id(RoomId(n)))? {
                    Some(room) if !room.is_deleted() => Ok(Some(room)),
                    other => Ok(external.or(other)),
                },
                Err(_) => Ok(external),
            }
        }
    }
}

/// A page of an app's rooms, deleted ones included, newest first (an operator's listing).
pub fn page_of_app(conn: &mut dyn Conn, app: AppId, offset: i64, limit: i64) -> DbResult<Vec<Room>> {
    let sql =
        format!("SELECT {} FROM rooms r WHERE r.app_id = $1 ORDER BY r.id DESC LIMIT $2 OFFSET $3", room_cols!("r"));
    conn.query(&sql, &[app.0.into(), limit.into(), offset.into()], one)
}

/// Rooms by internal ids; unknown ids are skipped.
pub fn by_ids(conn: &mut dyn Conn, app: AppId, ids: &[RoomId]) -> DbResult<Vec<Room>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {} FROM rooms r WHERE r.app_id = $1 AND r.id {} ORDER BY r.id",
        room_cols!("r"),
        in_ints(conn.dialect(), 2)
    );
    let list = json_ints(ids.iter().map(|i| i.0));
    conn.query(&sql, &[app.0.into(), list.as_str().into()], one)
}

/// Inserts `room` (its id is ignored) and returns it with the new id; `None` if a room with
/// the same personal key or external id exists (possibly just inserted by another node).
pub fn insert(conn: &mut dyn Conn, room: &Room) -> DbResult<Option<Room>> {
    let key = room.personal_pair.map(|(a, b)| personal_key(a, b));
    let id = conn.query_opt(
        "INSERT INTO rooms (app_id, type, personal_key, external_id, name, photo_thumb, photo_full, color, options, \
         tags, participant_roles, is_locked, locked_time, created, updated, deleted) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) ON CONFLICT DO NOTHING RETURNING id",
        &[
            room.app.0.into(),
            room.kind.code().into(),
            key.as_deref().into(),
            room.external_id.as_deref().into(),
            (&room.name).into(),
            (&room.photo_thumb).into(),
            (&room.photo_full).into(),
            (&room.color).into(),
            (&room.options).into(),
            to_json_strings(&room.tags).as_str().into(),
            to_json_strings(&room.participant_roles).as_str().into(),
            room.is_locked.into(),
            room.locked_time.into(),
            room.created.into(),
            room.updated.into(),
            room.deleted.into(),
        ],
        |r| r.int(0),
    )?;
    Ok(id.map(|id| Room { id: RoomId(id), ..room.clone() }))
}

/// Writes every mutable field of `room`.
pub fn update(conn: &mut dyn Conn, room: &Room) -> DbResult<()> {
    conn.execute(
        "UPDATE rooms SET external_id = $1, name = $2, photo_thumb = $3, photo_full = $4, color = $5, options = $6, \
         tags = $7, participant_roles = $8, is_locked = $9, locked_time = $10, updated = $11, deleted = $12 \
         WHERE id = $13",
        &[
            room.external_id.as_deref().into(),
            (&room.name).into(),
            (&room.photo_thumb).into(),
            (&room.photo_full).into(),
            (&room.color).into(),
            (&room.options).into(),
            to_json_strings(&room.tags).as_str().into(),
            to_json_strings(&room.participant_roles).as_str().into(),
            room.is_locked.into(),
            room.locked_time.into(),
            room.updated.into(),
            room.deleted.into(),
            room.id.0.into(),
        ],
    )?;
    Ok(())
}

/// Ids of the non-personal rooms whose participant roles include `role`.
pub fn ids_with_role(conn: &mut dyn Conn, app: AppId, role: &str) -> DbResult<Vec<RoomId>> {
    if role.is_empty() {
        return Ok(Vec::new());
    }
    // Roles are few per room; filter the JSON text in SQL coarsely, then exactly here.
    let pattern = format!("%{}%", like_literal(&serde_json::to_string(role).unwrap_or_default()));
    let rooms = conn.query(
        concat!(
            "SELECT ",
            room_cols!("r"),
            " FROM rooms r WHERE r.app_id = $1 AND r.deleted = 0 \
                 AND r.participant_roles LIKE $2 ESCAPE '\\'"
        ),
        &[app.0.into(), pattern.as_str().into()],
        one,
    )?;
    Ok(rooms.into_iter().filter(|r| r.participant_roles.iter().any(|x| x == role)).map(|r| r.id).collect())
}

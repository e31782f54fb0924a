//! Uploaded files' metadata; the bytes live on disk under the data directory.

use crate::db::{Conn, DbResult, Row, Value, in_ints, in_texts, json_ints, json_list};
use palaver_domain::{AppId, MessageId, RoomId, StoredFile, UserId};

fn from_row(r: &dyn Row) -> DbResult<StoredFile> {
    Ok(StoredFile {
        id: r.text(0)?,
        app: AppId(r.int(1)?),
        room: r.opt_int(2)?.map(RoomId),
        uploader: UserId(r.int(3)?),
        file_name: r.text(4)?,
        media_type: r.text(5)?,
        size: r.int(6)?,
        created: r.int(7)?,
    })
}

/// Records a file.
pub fn insert(conn: &mut dyn Conn, f: &StoredFile) -> DbResult<()> {
    conn.execute(
        "INSERT INTO files (id, app_id, room_id, uploader_id, file_name, media_type, size, created) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        &[
            f.id.as_str().into(),
            f.app.0.into(),
            f.room.map_or(Value::Null, |r| r.0.into()),
            f.uploader.0.into(),
            f.file_name.as_str().into(),
            f.media_type.as_str().into(),
            f.size.into(),
            f.created.into(),
        ],
    )?;
    Ok(())
}

/// A file by id.
pub fn by_id(conn: &mut dyn Conn, id: &str) -> DbResult<Option<StoredFile>> {
    conn.query_opt(
        "SELECT id, app_id, room_id, uploader_id, file_name, media_type, size, created FROM files WHERE id = $1",
        &[id.into()],
        from_row,
    )
}

/// Marks the files `ids` (uploaded into `room` and not yet shared) as shared by `message`,
/// so that they are deleted with it.
pub fn attach(conn: &mut dyn Conn, room: RoomId, message: MessageId, ids: &[String]) -> DbResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "UPDATE files SET message_id = $1 WHERE room_id = $2 AND message_id IS NULL AND id {}",
        in_texts(conn.dialect(), 3)
    );
    conn.execute(&sql, &[message.0.into(), room.0.into(), json_list(ids).as_str().into()])?;
    Ok(())
}

/// Deletes the rows of the files shared by `messages` and returns them (their bytes are
/// removed once the deletion is committed).
pub fn take_of_messages(conn: &mut dyn Conn, messages: &[MessageId]) -> DbResult<Vec<StoredFile>> {
    if messages.is_empty() {
        return Ok(Vec::new());
    }
    let list = json_ints(messages.iter().map(|m| m.0));
    let condition = format!("message_id {}", in_ints(conn.dialect(), 1));
    take_where(conn, &condition, &[list.as_str().into()])
}

/// Deletes the row of the file `id` of `app` and returns it, if there is one.
pub fn take(conn: &mut dyn Conn, app: AppId, id: &str) -> DbResult<Vec<StoredFile>> {
    take_where(conn, "id = $1 AND app_id = $2", &[id.into(), app.0.into()])
}

/// Deletes the rows of every file shared in `room` and returns them.
pub fn take_of_room(conn: &mut dyn Conn, room: RoomId) -> DbResult<Vec<StoredFile>> {
    take_where(conn, "room_id = $1", &[room.0.into()])
}

fn take_where(conn: &mut dyn Conn, condition: &str, params: &[Value<'_>]) -> DbResult<Vec<StoredFile>> {
    let files = conn.query(
        &format!(
            "SELECT id, app_id, room_id, uploader_id, file_name, media_type, size, created FROM files WHERE {condition}"
        ),
        params,
        from_row,
    )?;
    if !files.is_empty() {
        conn.execute(&format!("DELETE FROM files WHERE {condition}"), params)?;
    }
    Ok(files)
}

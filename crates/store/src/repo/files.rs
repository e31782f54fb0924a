//! Uploaded files' metadata; the bytes live on disk under the data directory.

use crate::db::{Conn, DbResult, Row};
use palaver_domain::{AppId, RoomId, StoredFile, UserId};

fn from_row(r: &dyn Row) -> DbResult<StoredFile> {
    Ok(StoredFile {
        id: r.text(0)?,
        app: AppId(r.int(1)?),
        room: RoomId(r.int(2)?),
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
            f.room.0.into(),
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

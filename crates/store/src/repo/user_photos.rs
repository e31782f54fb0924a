//! Users' profile photos; their bytes are uploaded files of no room.

use crate::db::{Conn, DbResult, Row};
use palaver_domain::{AppId, UserId, UserPhoto};

const COLS: &str = "id, app_id, user_id, file_id, full_url, thumb_url, created";

fn photo(r: &dyn Row) -> DbResult<UserPhoto> {
    Ok(UserPhoto {
        id: r.int(0)?,
        app: AppId(r.int(1)?),
        user: UserId(r.int(2)?),
        file_id: r.text(3)?,
        full_url: r.text(4)?,
        thumb_url: r.text(5)?,
        created: r.int(6)?,
    })
}

/// Adds a photo (its `id` is ignored); returns its id.
pub fn insert(conn: &mut dyn Conn, p: &UserPhoto) -> DbResult<i64> {
    conn.query_int(
        "INSERT INTO user_photos (app_id, user_id, file_id, full_url, thumb_url, created) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        &[
            p.app.0.into(),
            p.user.0.into(),
            p.file_id.as_str().into(),
            p.full_url.as_str().into(),
            p.thumb_url.as_str().into(),
            p.created.into(),
        ],
    )
}

/// A user's photos, newest first.
pub fn of_user(conn: &mut dyn Conn, user: UserId) -> DbResult<Vec<UserPhoto>> {
    conn.query(&format!("SELECT {COLS} FROM user_photos WHERE user_id = $1 ORDER BY id DESC"), &[user.0.into()], photo)
}

/// How many photos a user has.
pub fn count_of_user(conn: &mut dyn Conn, user: UserId) -> DbResult<i64> {
    conn.query_int("SELECT COUNT(*) FROM user_photos WHERE user_id = $1", &[user.0.into()])
}

/// One of a user's photos.
pub fn of_user_by_id(conn: &mut dyn Conn, user: UserId, id: i64) -> DbResult<Option<UserPhoto>> {
    conn.query_opt(
        &format!("SELECT {COLS} FROM user_photos WHERE user_id = $1 AND id = $2"),
        &[user.0.into(), id.into()],
        photo,
    )
}

/// Deletes a photo's row.
pub fn delete(conn: &mut dyn Conn, id: i64) -> DbResult<()> {
    conn.execute("DELETE FROM user_photos WHERE id = $1", &[id.into()])?;
    Ok(())
}

//! `client/user/update_bio`, `client/user/photo/*`, `client/room/photo/upload` and
//! `client/user/exists/username`: what users change on their own profiles and groups.

use super::auth::Client;
use super::files::{Purpose, file_error, file_url_prefix, read_form};
use super::users::{user_id, users_for};
use crate::TapTalk;
use crate::envelope::{ApiError, ApiResult, Reply};
use crate::params::Params;
use crate::wire::room::RoomDto;
use axum::extract::{Request, State};
use palaver_domain::{Entity, Error, User, UserPhoto};
use serde_json::{Value, json};

/// `{user}` as the caller sees itself.
async fn me(t: &TapTalk, user: User) -> ApiResult<Value> {
    let dto = users_for(t, user.id, std::slice::from_ref(&user)).await?.pop();
    Ok(Reply(json!({ "user": dto })))
}

/// The `id` of a photo: a number (or a numeric string).
fn photo_id(p: &Params) -> Result<i64, ApiError> {
    p.req_int("id", "id")
}

/// A photo as `get_list` shows it.
fn photo_json(p: &UserPhoto) -> Value {
    json!({
        "id": p.id,
        "fullsizeImageURL": p.full_url,
        "thumbnailImageURL": p.thumb_url,
        "createdTime": p.created,
    })
}

/// Photo errors: an unknown photo is TapTalk's 40401.
fn photo_error(e: Error) -> ApiError {
    match e {
        Error::NotFound(Entity::Photo) => ApiError::new(404, "40401", "Photo is not found", ""),
        other => file_error(other),
    }
}

/// `client/user/update_bio`: `{bio}` (may be empty, which clears it).
pub async fn update_bio(State(t): State<TapTalk>, c: Client, p: Params) -> ApiResult<Value> {
    let bio = p.opt_str("bio", "bio")?.ok_or_else(|| crate::params::required("bio", "bio"))?;
    let user = t.core.set_bio(c.session.app, c.session.user.id, bio).await?;
    me(&t, user).await
}

/// `client/user/photo/upload`: multipart `file` (an image; Android adds `fileType=image`);
/// the photo becomes the caller's main one.
pub async fn upload_user_photo(State(t): State<TapTalk>, c: Client, req: Request) -> ApiResult<Value> {
    let mut form = read_form(&t, &c, req, Purpose::Photo, &[]).await?;
    let (upload, name, media) = form.take_file()?;
    let user = t
        .core
        .add_user_photo(upload, name.as_deref(), media.as_deref(), file_url_prefix(&t))
        .await
        .map_err(file_error)?;
    me(&t, user).await
}

/// `client/user/photo/get_list`: `{userID}`, any user of the app.
pub async fn photo_list(State(t): State<TapTalk>, c: Client, p: Params) -> ApiResult<Value> {
    let user = user_id(&p, "userID")?;
    let photos = t.core.user_photos(c.session.app, user).await?;
    Ok(Reply(json!({ "photos": photos.iter().map(photo_json).collect::<Vec<_>>() })))
}

/// `client/user/photo/set_main`: `{id}`, one of the caller's photos.
pub async fn set_main_photo(State(t): State<TapTalk>, c: Client, p: Params) -> ApiResult<Value> {
    let id = photo_id(&p)?;
    let user = t.core.set_main_photo(c.session.app, c.session.user.id, id).await.map_err(photo_error)?;
    me(&t, user).await
}

/// `client/user/photo/delete`: `{id, createdTime}`, one of the caller's photos; `createdTime`
/// (which the SDKs send from the list) is read but not needed.
pub async fn delete_photo(State(t): State<TapTalk>, c: Client, p: Params) -> ApiResult<Value> {
    let id = photo_id(&p)?;
    p.opt_int("createdTime", "createdTime")?;
    let user = t.core.delete_user_photo(c.session.app, c.session.user.id, id).await.map_err(photo_error)?;
    me(&t, user).await
}

/// `client/room/photo/upload`: multipart `roomID`, `file` (an image), by an admin of the
/// group, as for `client/room/update`.
pub async fn upload_room_photo(State(t): State<TapTalk>, c: Client, req: Request) -> ApiResult<Value> {
    let mut form = read_form(&t, &c, req, Purpose::Photo, &["roomID"]).await?;
    let room = form.text("roomID").ok_or_else(|| crate::params::required("roomID", "roomID"))?;
    let room =
        crate::wire::parse_room_id(room).ok_or_else(|| ApiError::param("Param 'roomID' is not a room ID", "roomID"))?;
    let (upload, name, media) = form.take_file()?;
    let d = t
        .core
        .set_room_photo(upload, room, name.as_deref(), media.as_deref(), file_url_prefix(&t))
        .await
        .map_err(file_error)?;
    Ok(Reply(json!({ "room": RoomDto::new(&d.room, None) })))
}

/// `client/user/exists/username`: `{username, ignoreCase}` -> `{exists}`.
pub async fn username_exists(State(t): State<TapTalk>, c: Client, p: Params) -> ApiResult<Value> {
    let username = p.req_str("username", "username")?;
    let ignore_case = p.opt_bool("ignoreCase", "ignoreCase")?.unwrap_or(false);
    let exists = match t.core.user_by_username(c.session.app, username, ignore_case).await {
        Ok(_) => true,
        Err(Error::NotFound(_)) => false,
        Err(e) => return Err(e.into()),
    };
    Ok(Reply(json!({ "exists": exists })))
}

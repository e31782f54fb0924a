//! What users change on their own profiles through a client API: the bio and the profile
//! photos (uploaded, listed, chosen as main, deleted), and the photo of a group they
//! administer.
//!
//! A photo is an uploaded image of no room whose public URL the face gives (the face knows
//! where it serves files); the profile's photo URLs are the main photo's. Thumbnails are not
//! made: both URLs name the uploaded image.

use crate::changes::record;
use crate::files::{Upload, Uploaded};
use crate::lookup::{details, live_user, live_user_by_id};
use crate::membership::managed_room;
use crate::messages::announce;
use crate::rooms::save_room;
use crate::{Actor, Core};
use palaver_domain::limits::{MAX_BIO_CHARS, MAX_USER_PHOTOS, check_chars};
use palaver_domain::{
    AppId, ChangeKind, Entity, Error, Field, Invalid, RoomChange, RoomDetails, RoomRef, StoredFile, SystemAction, User,
    UserChange, UserId, UserPhoto, UserRef, time::now_ms,
};
use palaver_store::WriteTx;
use palaver_store::repo::{files, user_photos, users};

/// Writes a user whose profile changed and records the change, if anything changed (`user`
/// is `before` with some fields changed).
fn save_user(tx: &mut WriteTx<'_>, before: &User, mut user: User) -> Result<User, Error> {
    if *before == user {
        return Ok(user);
    }
    user.updated = now_ms();
    users::update(tx.conn(), &user)?;
    record(tx, user.app, Some(user.id), ChangeKind::User { change: UserChange::Updated, user: user.clone() })?;
    Ok(user)
}

/// Shows `photo` (or no photo) as the user's picture.
fn show_photo(tx: &mut WriteTx<'_>, user: &User, photo: Option<&UserPhoto>) -> Result<User, Error> {
    let mut changed = user.clone();
    changed.photo_full = photo.map(|p| p.full_url.clone()).unwrap_or_default();
    changed.photo_thumb = photo.map(|p| p.thumb_url.clone()).unwrap_or_default();
    save_user(tx, user, changed)
}

/// The URL of a stored file, given the prefix its face serves files under.
fn file_url(prefix: &str, file: &StoredFile) -> String {
    format!("{prefix}{}", file.id)
}

impl Core {
    /// Sets the user's bio (at most [`MAX_BIO_CHARS`] characters); returns the user.
    pub async fn set_bio(&self, app: AppId, user: UserId, bio: String) -> Result<User, Error> {
        check_chars(Field::Bio, &bio, MAX_BIO_CHARS)?;
        self.store()
            .write(move |tx| {
                let before = live_user_by_id(tx.conn(), app, user)?;
                let changed = User { bio, ..before.clone() };
                save_user(tx, &before, changed)
            })
            .await
    }

    /// Completes a photo upload (see [`Core::begin_photo_upload`]) as the user's newest
    /// profile photo, which becomes its main one; `url_prefix` followed by the file's id is
    /// where its face serves the file. Refused for anything but an image, and when the user
    /// has [`MAX_USER_PHOTOS`] photos already. Returns the user.
    pub async fn add_user_photo(
        &self,
        upload: Upload,
        file_name: Option<&str>,
        media_type: Option<&str>,
        url_prefix: String,
    ) -> Result<User, Error> {
        let (app, user) = (upload.app(), upload.user());
        let (_, user): (Uploaded, User) = upload
            .complete(file_name, media_type, true, move |tx, file| {
                let before = live_user_by_id(tx.conn(), app, user)?;
                if user_photos::count_of_user(tx.conn(), user)? >= MAX_USER_PHOTOS as i64 {
                    return Err(Error::invalid(Field::File, Invalid::TooMany { max: MAX_USER_PHOTOS }));
                }
                let url = file_url(&url_prefix, file);
                let mut photo = UserPhoto {
                    id: 0,
                    app,
                    user,
                    file_id: file.id.clone(),
                    full_url: url.clone(),
                    thumb_url: url,
                    created: file.created,
                };
                photo.id = user_photos::insert(tx.conn(), &photo)?;
                show_photo(tx, &before, Some(&photo))
            })
            .await?;
        Ok(user)
    }

    /// The profile photos of a live user of the app, newest first.
    pub async fn user_photos(&self, app: AppId, user: UserId) -> Result<Vec<UserPhoto>, Error> {
        self.store()
            .read(move |c| {
                let user = live_user(c, app, &UserRef::Id(user))?;
                Ok(user_photos::of_user(c, user.id)?)
            })
            .await
    }

    /// Makes one of the user's own photos its main one; returns the user.
    pub async fn set_main_photo(&self, app: AppId, user: UserId, photo: i64) -> Result<User, Error> {
        self.store()
            .write(move |tx| {
                let before = live_user_by_id(tx.conn(), app, user)?;
                let photo =
                    user_photos::of_user_by_id(tx.conn(), user, photo)?.ok_or(Error::NotFound(Entity::Photo))?;
                show_photo(tx, &before, Some(&photo))
            })
            .await
    }

    /// Deletes one of the user's own photos (its file too). If it was the main one, the
    /// newest remaining photo becomes main, or the profile is left without a picture.
    /// Returns the user.
    pub async fn delete_user_photo(&self, app: AppId, user: UserId, photo: i64) -> Result<User, Error> {
        let (user, gone) = self
            .store()
            .write(move |tx| {
                let before = live_user_by_id(tx.conn(), app, user)?;
                let photo =
                    user_photos::of_user_by_id(tx.conn(), user, photo)?.ok_or(Error::NotFound(Entity::Photo))?;
                user_photos::delete(tx.conn(), photo.id)?;
                let gone = files::take(tx.conn(), app, &photo.file_id)?;
                let user = if before.photo_full == photo.full_url {
                    let next = user_photos::of_user(tx.conn(), user)?.into_iter().next();
                    show_photo(tx, &before, next.as_ref())?
                } else {
                    before
                };
                Ok::<_, Error>((user, gone))
            })
            .await?;
        self.remove_file_bytes(gone).await;
        Ok(user)
    }

    /// Completes a photo upload (see [`Core::begin_photo_upload`]) as the picture of a group
    /// room the uploader administers (the rule of every room change a user makes), announced
    /// in the room; `url_prefix` is as for [`Core::add_user_photo`]. Returns the room.
    pub async fn set_room_photo(
        &self,
        upload: Upload,
        room: RoomRef,
        file_name: Option<&str>,
        media_type: Option<&str>,
        url_prefix: String,
    ) -> Result<RoomDetails, Error> {
        let (app, user) = (upload.app(), upload.user());
        let (_, room) = upload
            .complete(file_name, media_type, true, move |tx, file| {
                let before = managed_room(tx, app, Actor::User(user), &room)?;
                let actor = live_user_by_id(tx.conn(), app, user)?;
                let url = file_url(&url_prefix, file);
                let mut room = before.clone();
                room.photo_full = url.clone();
                room.photo_thumb = url;
                room.updated = now_ms();
                save_room(tx, Some(user), &room, RoomChange::Updated)?;
                announce(tx, &room, &actor, SystemAction::RoomAvatarChanged, None)?;
                details(tx.conn(), room)
            })
            .await?;
        Ok(room)
    }
}

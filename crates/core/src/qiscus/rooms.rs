//! Qiscus rooms: groups, single rooms and channels.

use super::{room_by_qiscus_id, users_by_qiscus_ids};
use crate::Core;
use crate::messages::personal_room;
use crate::rooms::add_members;
use crate::users::live_user_by_xc;
use palaver_domain::{AppId, Error, Room, RoomRef, RoomType, time::now_ms};
use palaver_store::repo::{participants, rooms};
use palaver_store::{Conn, DbError};

/// What `create_room` asks for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GroupSpec {
    /// Room name.
    pub name: String,
    /// Avatar URL.
    pub avatar_url: String,
    /// Options as JSON text.
    pub options: String,
    /// User id of the creator, who becomes an admin if among the participants.
    pub creator: String,
    /// User ids of the participants (Qiscus does not add the creator by itself).
    pub participants: Vec<String>,
}

/// What `update_room` asks to change; `None` leaves a field as it is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RoomPatch {
    /// New name.
    pub name: Option<String>,
    /// New avatar URL.
    pub avatar_url: Option<String>,
    /// New options as JSON text.
    pub options: Option<String>,
    /// New unique id (`room_channel_id`).
    pub channel_id: Option<String>,
}

/// What `get_or_create_channel` asks for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChannelSpec {
    /// The channel's unique id.
    pub unique_id: String,
    /// User ids that must be participants.
    pub participants: Vec<String>,
    /// Name; a new channel without one is named after its unique id.
    pub name: Option<String>,
    /// Avatar URL.
    pub avatar_url: Option<String>,
    /// Options as JSON text.
    pub options: Option<String>,
}

/// A fresh room value to insert.
fn new_room(app: AppId, kind: RoomType, xc: Option<String>, name: String, now: i64) -> Room {
    Room { xc_room_id: xc, name, ..Room::draft(app, kind, now) }
}

/// Sets the avatar as both photo sizes.
fn set_avatar(room: &mut Room, url: &str) {
    room.photo_full = url.to_string();
    room.photo_thumb = url.to_string();
}

/// A room whose participants may change: anything but a single room.
pub(super) fn group_room(room: Room) -> Result<Room, Error> {
    if room.kind == RoomType::Personal {
        Err(Error::invalid("room_id", "The room is not a group room"))
    } else {
        Ok(room)
    }
}

/// Writes a room, reporting a unique id taken meanwhile as the caller's mistake.
fn save(conn: &mut dyn Conn, room: &Room) -> Result<(), Error> {
    rooms::update(conn, room).map_err(|e| match e {
        DbError::Unique(_) => taken(),
        other => other.into(),
    })
}

fn taken() -> Error {
    Error::invalid("room_channel_id", "Param 'room_channel_id' is already used by another room")
}

impl Core {
    /// Creates a group room with the given participants.
    pub async fn qiscus_create_room(&self, app: AppId, spec: GroupSpec) -> Result<Room, Error> {
        self.store()
            .write(move |tx| {
                let conn = tx.conn();
                let now = now_ms();
                let creator = live_user_by_xc(conn, app, &spec.creator)?;
                let members = users_by_qiscus_ids(conn, app, &spec.participants)?;
                let mut draft = new_room(app, RoomType::Group, None, spec.name, now);
                set_avatar(&mut draft, &spec.avatar_url);
                draft.options = spec.options;
                let room = rooms::insert(conn, &draft)?
                    .ok_or_else(|| Error::internal("a room without unique id conflicted"))?;
                let ids: Vec<_> = members.iter().map(|u| u.id).collect();
                add_members(conn, &room, &ids, now)?;
                if ids.contains(&creator.id) {
                    participants::set_admin(conn, room.id, creator.id, true)?;
                }
                Ok(room)
            })
            .await
    }

    /// Changes a group room; returns it and whether anything changed.
    pub async fn qiscus_update_room(
        &self,
        app: AppId,
        room_id: String,
        patch: RoomPatch,
    ) -> Result<(Room, bool), Error> {
        self.store()
            .write(move |tx| {
                let conn = tx.conn();
                let before = group_room(room_by_qiscus_id(conn, app, &room_id)?)?;
                let mut room = before.clone();
                if let Some(name) = patch.name {
                    room.name = name;
                }
                if let Some(url) = patch.avatar_url {
                    set_avatar(&mut room, &url);
                }
                if let Some(options) = patch.options {
                    room.options = options;
                }
                if let Some(xc) = patch.channel_id {
                    let holder = rooms::by_ref(conn, app, &RoomRef::Xc(xc.clone()))?;
                    if holder.is_some_and(|h| h.id != room.id) {
                        return Err(taken());
                    }
                    room.xc_room_id = Some(xc);
                }
                let changed = room != before;
                if changed {
                    room.updated = now_ms();
                    save(conn, &room)?;
                }
                Ok((room, changed))
            })
            .await
    }

    /// The single room of two different users, created on first use; `options` apply only
    /// when the room is created.
    pub async fn qiscus_room_with_target(
        &self,
        app: AppId,
        user_ids: [String; 2],
        options: Option<String>,
    ) -> Result<Room, Error> {
        self.store()
            .write(move |tx| {
                let conn = tx.conn();
                let [a, b] = user_ids;
                if a == b {
                    return Err(Error::invalid("user_ids", "Param 'user_ids' must name two different users"));
                }
                let a = live_user_by_xc(conn, app, &a)?;
                let b = live_user_by_xc(conn, app, &b)?;
                let existed = rooms::by_ref(conn, app, &RoomRef::Personal(a.id, b.id))?.is_some();
                let mut room = personal_room(conn, &a, &b)?;
                if let Some(options) = options.filter(|_| !existed) {
                    room.options = options;
                    rooms::update(conn, &room)?;
                }
                Ok(room)
            })
            .await
    }

    /// The channel with this unique id, created on first use, with the given participants
    /// added; given fields replace stored ones. Returns the room and whether anything
    /// (room or membership) changed.
    pub async fn qiscus_channel(&self, app: AppId, spec: ChannelSpec) -> Result<(Room, bool), Error> {
        self.store()
            .write(move |tx| {
                let conn = tx.conn();
                let now = now_ms();
                let members = users_by_qiscus_ids(conn, app, &spec.participants)?;
                let ids: Vec<_> = members.iter().map(|u| u.id).collect();
                let existing = rooms::by_ref(conn, app, &RoomRef::Xc(spec.unique_id.clone()))?;
                let Some(before) = existing else {
                    let name = spec.name.unwrap_or_else(|| spec.unique_id.clone());
                    let mut draft = new_room(app, RoomType::Channel, Some(spec.unique_id), name, now);
                    set_avatar(&mut draft, spec.avatar_url.as_deref().unwrap_or_default());
                    draft.options = spec.options.unwrap_or_else(|| "{}".into());
                    let room = rooms::insert(conn, &draft)?
                        .ok_or_else(|| Error::invalid("unique_id", "The channel was created concurrently; retry"))?;
                    add_members(conn, &room, &ids, now)?;
                    return Ok((room, true));
                };
                let mut room = group_room(before.clone())?;
                room.deleted = 0;
                if let Some(name) = spec.name {
                    room.name = name;
                }
                if let Some(url) = spec.avatar_url {
                    set_avatar(&mut room, &url);
                }
                if let Some(options) = spec.options {
                    room.options = options;
                }
                let mut changed = room != before;
                if changed {
                    room.updated = now;
                    rooms::update(conn, &room)?;
                }
                changed |= !add_members(conn, &room, &ids, now)?.is_empty();
                Ok((room, changed))
            })
            .await
    }
}

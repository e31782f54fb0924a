//! Rooms and membership.

use crate::Core;
use crate::users::{live_user_by_xc, live_users_by_xcs};
use palaver_domain::limits::MAX_GROUP_PARTICIPANTS;
use palaver_domain::{AppId, Entity, Error, Participant, Room, RoomRef, RoomType, User, UserId, time::now_ms};
use palaver_store::Conn;
use palaver_store::repo::room_list::{self, RoomListEntry, RoomListFilter};
use palaver_store::repo::{messages, participants, rooms, users};
use participants::Membership;

/// A room with its participants and admins: what room endpoints answer with.
#[derive(Clone, Debug, PartialEq)]
pub struct RoomDetails {
    /// The room.
    pub room: Room,
    /// Its participants, in joining order.
    pub participants: Vec<Participant>,
    /// Its admins.
    pub admins: Vec<UserId>,
}

/// What the TapTalk Server API's `create_or_update` asks for.
#[derive(Clone, Debug, PartialEq)]
pub struct RoomSpec {
    /// The customer's room id (the upsert key).
    pub xc_room_id: String,
    /// Room type; must equal an existing room's type.
    pub kind: RoomType,
    /// Name.
    pub name: String,
    /// Thumbnail URL, unchanged when `None`.
    pub photo_thumb: Option<String>,
    /// Full-size photo URL, unchanged when `None`.
    pub photo_full: Option<String>,
    /// Tags; replace the room's tags when given.
    pub tags: Option<Vec<String>>,
    /// External ids of the first participants; used only when the room is created.
    pub participants: Option<Vec<String>>,
    /// Role codes whose users count as participants; replace the room's roles when given.
    pub participant_roles: Option<Vec<String>>,
}

/// A room however named; deleted rooms included.
pub(crate) fn room_by_ref(conn: &mut dyn Conn, app: AppId, r: &RoomRef) -> Result<Room, Error> {
    rooms::by_ref(conn, app, r)?.ok_or(Error::NotFound(Entity::Room))
}

/// A room that is not deleted.
pub(crate) fn live_room(conn: &mut dyn Conn, app: AppId, r: &RoomRef) -> Result<Room, Error> {
    room_by_ref(conn, app, r).and_then(
        |room| {
            if room.is_deleted() { Err(Error::NotFound(Entity::Room)) } else { Ok(room) }
        },
    )
}

/// A room's participants and admins.
pub(crate) fn details(conn: &mut dyn Conn, room: Room) -> Result<RoomDetails, Error> {
    let participants = participants::all(conn, room.id)?;
    let admins = participants.iter().filter(|p| p.is_admin).map(|p| p.user.id).collect();
    Ok(RoomDetails { room, participants, admins })
}

/// Adds users by name to a room, history before joining counting as read; enforces the
/// participant limit of group-like rooms.
pub(crate) fn add_members(conn: &mut dyn Conn, room: &Room, users: &[UserId], now: i64) -> Result<Vec<UserId>, Error> {
    let latest = messages::latest_id(conn, room.id)?;
    let mut added = Vec::new();
    for &user in users {
        if participants::add(conn, room.id, user, Membership::Direct, latest, now)? {
            added.push(user);
        }
    }
    if room.kind != RoomType::Channel && participants::count_direct(conn, room.id)? > MAX_GROUP_PARTICIPANTS as i64 {
        return Err(Error::invalid(
            "participants",
            format!("A room has at most {MAX_GROUP_PARTICIPANTS} participants"),
        ));
    }
    Ok(added)
}

/// Replaces a room's participant roles and brings role memberships in line.
fn apply_roles(conn: &mut dyn Conn, room: &Room, now: i64) -> Result<(), Error> {
    participants::remove_role_members_except(conn, room.id, &room.participant_roles)?;
    let latest = messages::latest_id(conn, room.id)?;
    for user in users::ids_with_roles(conn, room.app, &room.participant_roles)? {
        participants::add(conn, room.id, user, Membership::ViaRole, latest, now)?;
    }
    Ok(())
}

fn non_personal(room: Room) -> Result<Room, Error> {
    if room.kind == RoomType::Personal {
        Err(Error::Forbidden("The participants of a personal room cannot change".into()))
    } else {
        Ok(room)
    }
}

impl Core {
    /// Creates the room named by `spec.xc_room_id`, or updates it (its type must match).
    /// Returns the room and whether it was created.
    pub async fn create_or_update_room(&self, app: AppId, spec: RoomSpec) -> Result<(RoomDetails, bool), Error> {
        self.store()
            .write(move |tx| {
                let conn = tx.conn();
                let now = now_ms();
                let existing = rooms::by_ref(conn, app, &RoomRef::Xc(spec.xc_room_id.clone()))?;
                let created = existing.is_none();
                let room = match existing {
                    Some(mut room) => {
                        if room.kind != spec.kind {
                            return Err(Error::invalid("type", "Room type does not match the existing room's type"));
                        }
                        room.name = spec.name;
                        if let Some(v) = spec.photo_thumb {
                            room.photo_thumb = v;
                        }
                        if let Some(v) = spec.photo_full {
                            room.photo_full = v;
                        }
                        if let Some(tags) = spec.tags {
                            room.tags = tags;
                        }
                        let roles_changed = spec.participant_roles.is_some();
                        if let Some(roles) = spec.participant_roles {
                            room.participant_roles = roles;
                        }
                        room.deleted = 0;
                        room.updated = now;
                        rooms::update(conn, &room)?;
                        if roles_changed {
                            apply_roles(conn, &room, now)?;
                        }
                        room
                    }
                    None => {
                        let members = live_users_by_xcs(conn, app, spec.participants.as_deref().unwrap_or_default())?;
                        let room = rooms::insert(
                            conn,
                            &Room {
                                xc_room_id: Some(spec.xc_room_id),
                                name: spec.name,
                                photo_thumb: spec.photo_thumb.unwrap_or_default(),
                                photo_full: spec.photo_full.unwrap_or_default(),
                                tags: spec.tags.unwrap_or_default(),
                                participant_roles: spec.participant_roles.unwrap_or_default(),
                                ..Room::draft(app, spec.kind, now)
                            },
                        )?
                        .ok_or_else(|| Error::invalid("xcRoomID", "The room was created concurrently; retry"))?;
                        add_members(conn, &room, &members.iter().map(|u| u.id).collect::<Vec<_>>(), now)?;
                        apply_roles(conn, &room, now)?;
                        room
                    }
                };
                Ok((details(conn, room)?, created))
            })
            .await
    }

    /// A room with its participants.
    pub async fn room_details(&self, app: AppId, room: RoomRef) -> Result<RoomDetails, Error> {
        self.store()
            .read(move |c| {
                let room = room_by_ref(c, app, &room)?;
                details(c, room)
            })
            .await
    }

    /// Adds users, by external id, to a room.
    pub async fn add_participants_by_xc(
        &self,
        app: AppId,
        room: RoomRef,
        xcs: Vec<String>,
    ) -> Result<RoomDetails, Error> {
        self.store()
            .write(move |tx| {
                let conn = tx.conn();
                let room = non_personal(live_room(conn, app, &room)?)?;
                let users = live_users_by_xcs(conn, app, &xcs)?;
                add_members(conn, &room, &users.iter().map(|u| u.id).collect::<Vec<_>>(), now_ms())?;
                details(conn, room)
            })
            .await
    }

    /// Removes users, by external id, from a room.
    pub async fn remove_participants_by_xc(
        &self,
        app: AppId,
        room: RoomRef,
        xcs: Vec<String>,
    ) -> Result<RoomDetails, Error> {
        self.store()
            .write(move |tx| {
                let conn = tx.conn();
                let room = non_personal(live_room(conn, app, &room)?)?;
                for user in live_users_by_xcs(conn, app, &xcs)? {
                    participants::remove(conn, room.id, user.id)?;
                }
                details(conn, room)
            })
            .await
    }

    /// Locks or unlocks a room on behalf of a user; returns false if it already was so.
    pub async fn set_room_lock(&self, app: AppId, room: RoomRef, by_xc: &str, locked: bool) -> Result<bool, Error> {
        let by_xc = by_xc.to_string();
        self.store()
            .write(move |tx| {
                let conn = tx.conn();
                let mut room = live_room(conn, app, &room)?;
                let by = live_user_by_xc(conn, app, &by_xc)?;
                if room.is_locked == locked {
                    return Ok(false);
                }
                let now = now_ms();
                room.is_locked = locked;
                room.locked_time = if locked { now } else { 0 };
                room.updated = now;
                rooms::update(conn, &room)?;
                rooms::set_locked_by(conn, room.id, if locked { by.id } else { UserId(0) })?;
                Ok(true)
            })
            .await
    }

    /// A user's rooms with last messages and unread counts, most recently active first.
    pub async fn room_list(&self, user: UserId, filter: RoomListFilter) -> Result<Vec<RoomListEntry>, Error> {
        self.store().read(move |c| room_list::for_user(c, user, &filter).map_err(Error::from)).await
    }

    /// A user (by external id) and its room list, in one database round trip.
    pub async fn room_list_of(
        &self,
        app: AppId,
        xc: &str,
        filter: RoomListFilter,
    ) -> Result<(User, Vec<RoomListEntry>), Error> {
        let xc = xc.to_string();
        self.store()
            .read(move |c| {
                let user = live_user_by_xc(c, app, &xc)?;
                let list = room_list::for_user(c, user.id, &filter)?;
                Ok((user, list))
            })
            .await
    }

    /// How many rooms a room list with this filter has in all.
    pub async fn room_count(&self, user: UserId, filter: RoomListFilter) -> Result<i64, Error> {
        self.store().read(move |c| room_list::count_for_user(c, user, &filter).map_err(Error::from)).await
    }
}

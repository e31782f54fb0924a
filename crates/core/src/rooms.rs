//! Rooms: creating, getting-or-creating by external id, personal rooms, changing, locking and
//! deleting them, and the lists and lookups of rooms.

use crate::changes::record;
use crate::lookup::{any_room, details, live_room, live_user, live_users, member_room};
use crate::membership::{
    acting_user, add_in, add_rows, apply_roles, managed_room, record_added, record_member, record_roles,
};
use crate::messages::{announce, personal_room_in};
use crate::{Actor, Core};
use palaver_domain::limits::{MAX_JSON_CHARS, MAX_NAME_CHARS, MAX_URL_CHARS, check_codes, check_opt_chars};
use palaver_domain::{
    AppId, ChangeKind, Entity, Error, ExternalId, Field, Invalid, MemberChange, Participant, Room, RoomChange,
    RoomDetails, RoomFilter, RoomId, RoomRef, RoomSummary, RoomType, SystemAction, User, UserId, UserRef, time::now_ms,
};
use palaver_store::repo::{files, participants, room_list, rooms, unread};
use palaver_store::{DbError, WriteTx};

/// A group-like room to create.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewRoom {
    /// Type: anything but personal.
    pub kind: RoomType,
    /// Name.
    pub name: String,
    /// Thumbnail photo URL.
    pub photo_thumb: String,
    /// Full-size photo URL.
    pub photo_full: String,
    /// Options (JSON text).
    pub options: String,
    /// The participants. A user creating the room is added by itself.
    pub members: Vec<UserRef>,
    /// For the backend, who becomes the room's admin if among the members (a user creating
    /// a room always becomes its admin).
    pub admin: Option<UserRef>,
}

/// Changes to a room; `None` leaves a field as it is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RoomPatch {
    /// Name.
    pub name: Option<String>,
    /// Thumbnail photo URL.
    pub photo_thumb: Option<String>,
    /// Full-size photo URL.
    pub photo_full: Option<String>,
    /// Options (JSON text).
    pub options: Option<String>,
    /// Tags (replace the room's).
    pub tags: Option<Vec<String>>,
    /// Role codes whose users count as participants (replace the room's).
    pub participant_roles: Option<Vec<String>>,
    /// A new external id.
    pub external_id: Option<ExternalId>,
}

/// Checks a room's texts against their limits.
fn check_texts(
    name: Option<&str>,
    thumb: Option<&str>,
    full: Option<&str>,
    options: Option<&str>,
) -> Result<(), Error> {
    check_opt_chars(Field::RoomName, name, MAX_NAME_CHARS)?;
    check_opt_chars(Field::PhotoThumb, thumb, MAX_URL_CHARS)?;
    check_opt_chars(Field::PhotoFull, full, MAX_URL_CHARS)?;
    check_opt_chars(Field::RoomOptions, options, MAX_JSON_CHARS)
}

impl NewRoom {
    /// Checks the room's fields against their limits.
    fn check(&self) -> Result<(), Error> {
        check_texts(Some(&self.name), Some(&self.photo_thumb), Some(&self.photo_full), Some(&self.options))
    }
}

impl RoomPatch {
    /// Checks the given fields against their limits.
    fn check(&self) -> Result<(), Error> {
        check_texts(
            self.name.as_deref(),
            self.photo_thumb.as_deref(),
            self.photo_full.as_deref(),
            self.options.as_deref(),
        )?;
        check_codes(Field::Tags, self.tags.as_deref().unwrap_or_default())?;
        check_codes(Field::Roles, self.participant_roles.as_deref().unwrap_or_default())
    }

    fn apply(self, room: &mut Room) {
        let set = |field: &mut String, v: Option<String>| {
            if let Some(v) = v {
                *field = v;
            }
        };
        set(&mut room.name, self.name);
        set(&mut room.photo_thumb, self.photo_thumb);
        set(&mut room.photo_full, self.photo_full);
        set(&mut room.options, self.options);
        if let Some(tags) = self.tags {
            room.tags = tags;
        }
        if let Some(roles) = self.participant_roles {
            room.participant_roles = roles;
        }
        if let Some(id) = self.external_id {
            room.external_id = Some(id.into_string());
        }
    }
}

/// Which type an existing room named by external id must have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KindRule {
    /// Exactly this type; a new room gets it.
    Exactly(RoomType),
    /// Any group-like type; a new room gets this one.
    AnyGroup(RoomType),
}

/// Getting or creating a room by its external id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnsureRoom {
    /// The room's external id.
    pub external_id: ExternalId,
    /// Its type.
    pub kind: KindRule,
    /// Fields to set; a new room without a name is named after its external id.
    pub patch: RoomPatch,
    /// Users who must be participants.
    pub members: Vec<UserRef>,
    /// Whether `members` apply only when the room is created (else they are added to an
    /// existing room too).
    pub members_on_create_only: bool,
}

/// The outcome of [`Core::ensure_room`].
#[derive(Clone, Debug, PartialEq)]
pub struct EnsuredRoom {
    /// The room.
    pub room: RoomDetails,
    /// Whether it was created now.
    pub created: bool,
    /// Whether it or its membership changed.
    pub changed: bool,
}

/// Records a new room's creation: once its first participants are in, so they hear of it.
pub(crate) fn record_created(tx: &mut WriteTx<'_>, actor: Option<UserId>, room: &Room) -> Result<(), Error> {
    record(tx, room.app, actor, ChangeKind::Room { change: RoomChange::Created, room: room.clone() }).map(drop)
}

/// Writes a changed room and records the change; a taken external id is the caller's mistake.
pub(crate) fn save_room(
    tx: &mut WriteTx<'_>,
    actor: Option<UserId>,
    room: &Room,
    change: RoomChange,
) -> Result<(), Error> {
    rooms::update(tx.conn(), room).map_err(|e| match e {
        DbError::Unique(_) => Error::invalid(Field::RoomExternalId, Invalid::Taken),
        other => other.into(),
    })?;
    record(tx, room.app, actor, ChangeKind::Room { change, room: room.clone() }).map(drop)
}

/// Whether two states of a room differ in anything but the time of the last change.
fn differs(a: &Room, b: &Room) -> bool {
    Room { updated: 0, ..a.clone() } != Room { updated: 0, ..b.clone() }
}

impl Core {
    /// Creates a group-like room.
    pub async fn create_room(&self, app: AppId, by: Actor, new: NewRoom) -> Result<RoomDetails, Error> {
        if new.kind == RoomType::Personal {
            return Err(Error::invalid(Field::RoomType, Invalid::PersonalRoom));
        }
        new.check()?;
        self.store()
            .write(move |tx| {
                let now = now_ms();
                let creator = acting_user(tx, app, by)?;
                let admin = match (&creator, &new.admin) {
                    (Some(c), _) => Some(c.clone()),
                    (None, Some(r)) => Some(live_user(tx.conn(), app, r)?),
                    (None, None) => None,
                };
                let mut members: Vec<User> = creator.iter().cloned().collect();
                for user in live_users(tx.conn(), app, &new.members)? {
                    if !members.iter().any(|m| m.id == user.id) {
                        members.push(user);
                    }
                }
                let draft = Room {
                    name: new.name,
                    photo_thumb: new.photo_thumb,
                    photo_full: new.photo_full,
                    options: new.options,
                    ..Room::draft(app, new.kind, now)
                };
                let room = rooms::insert(tx.conn(), &draft)?.ok_or_else(|| Error::internal("a new room collided"))?;
                let added = add_rows(tx, &room, &members)?;
                let admin = admin.filter(|a| members.iter().any(|m| m.id == a.id));
                if let Some(admin) = &admin {
                    participants::set_admin(tx.conn(), room.id, admin.id, true)?;
                }
                record_created(tx, by.user(), &room)?;
                record_added(tx, by.user(), None, &room, &added)?;
                if let Some(admin) = &admin {
                    record_member(tx, by.user(), &room, admin, MemberChange::Promoted)?;
                }
                if let Some(creator) = &creator {
                    announce(tx, &room, creator, SystemAction::RoomCreated, None)?;
                }
                details(tx.conn(), room)
            })
            .await
    }

    /// The room with this external id, created if there is none; given fields replace the
    /// stored ones, and a deleted room comes back.
    pub async fn ensure_room(&self, app: AppId, e: EnsureRoom) -> Result<EnsuredRoom, Error> {
        e.patch.check()?;
        self.store()
            .write(move |tx| {
                let now = now_ms();
                let existing = rooms::by_external_id(tx.conn(), app, e.external_id.as_str())?;
                let members = match existing {
                    Some(_) if e.members_on_create_only => Vec::new(),
                    _ => live_users(tx.conn(), app, &e.members)?,
                };
                let Some(before) = existing else {
                    let kind = match e.kind {
                        KindRule::Exactly(k) | KindRule::AnyGroup(k) => k,
                    };
                    let mut draft =
                        Room { external_id: Some(e.external_id.to_string()), ..Room::draft(app, kind, now) };
                    draft.name = e.external_id.to_string();
                    e.patch.apply(&mut draft);
                    let room = rooms::insert(tx.conn(), &draft)?
                        .ok_or(Error::invalid(Field::RoomExternalId, Invalid::Concurrent))?;
                    let added = add_rows(tx, &room, &members)?;
                    let roles = apply_roles(tx, &room, now)?;
                    record_created(tx, None, &room)?;
                    record_added(tx, None, None, &room, &added)?;
                    record_roles(tx, &room, roles)?;
                    return Ok(EnsuredRoom { room: details(tx.conn(), room)?, created: true, changed: true });
                };
                match e.kind {
                    KindRule::Exactly(k) if k != before.kind => {
                        return Err(Error::invalid(Field::RoomType, Invalid::TypeMismatch));
                    }
                    KindRule::AnyGroup(_) if !before.is_group() => {
                        return Err(Error::invalid(Field::Room, Invalid::NotGroup));
                    }
                    _ => {}
                }
                let roles_given = e.patch.participant_roles.is_some();
                let mut room = before.clone();
                room.deleted = 0;
                e.patch.apply(&mut room);
                let mut changed = differs(&room, &before);
                if changed {
                    room.updated = now;
                    save_room(tx, None, &room, RoomChange::Updated)?;
                }
                if roles_given {
                    let roles = apply_roles(tx, &room, now)?;
                    record_roles(tx, &room, roles)?;
                }
                if !e.members_on_create_only {
                    changed |= !add_in(tx, None, None, &room, &members)?.is_empty();
                }
                Ok(EnsuredRoom { room: details(tx.conn(), room)?, created: false, changed })
            })
            .await
    }

    /// The personal room of two different users, created on first use; `options` apply only
    /// when it is created.
    pub async fn personal_room(
        &self,
        app: AppId,
        a: UserRef,
        b: UserRef,
        options: Option<String>,
    ) -> Result<Room, Error> {
        self.store()
            .write(move |tx| {
                let a = live_user(tx.conn(), app, &a)?;
                let b = live_user(tx.conn(), app, &b)?;
                if a.id == b.id {
                    return Err(Error::invalid(Field::Users, Invalid::SameUser));
                }
                personal_room_in(tx, &a, &b, options)
            })
            .await
    }

    /// Changes a group room: the backend any, a user one it administers (a new name is then
    /// announced). Returns the room and whether anything changed.
    pub async fn update_room(
        &self,
        app: AppId,
        by: Actor,
        room: RoomRef,
        patch: RoomPatch,
    ) -> Result<(RoomDetails, bool), Error> {
        patch.check()?;
        self.store()
            .write(move |tx| {
                let before = managed_room(tx, app, by, &room)?;
                let actor = acting_user(tx, app, by)?;
                if let Some(id) = &patch.external_id {
                    let holder = rooms::by_external_id(tx.conn(), app, id.as_str())?;
                    if holder.is_some_and(|h| h.id != before.id) {
                        return Err(Error::invalid(Field::RoomExternalId, Invalid::Taken));
                    }
                }
                let roles_given = patch.participant_roles.is_some();
                let mut room = before.clone();
                patch.apply(&mut room);
                let changed = differs(&room, &before);
                if changed {
                    room.updated = now_ms();
                    save_room(tx, by.user(), &room, RoomChange::Updated)?;
                    if roles_given {
                        let roles = apply_roles(tx, &room, room.updated)?;
                        record_roles(tx, &room, roles)?;
                    }
                }
                if let Some(actor) = actor.filter(|_| room.name != before.name) {
                    announce(tx, &room, &actor, SystemAction::RoomRenamed, None)?;
                }
                Ok((details(tx.conn(), room)?, changed))
            })
            .await
    }

    /// Locks or unlocks a room on behalf of a user; returns false if it already was so.
    pub async fn set_room_locked(&self, app: AppId, room: RoomRef, by: UserRef, locked: bool) -> Result<bool, Error> {
        self.store()
            .write(move |tx| {
                let mut room = live_room(tx.conn(), app, &room)?;
                let by = live_user(tx.conn(), app, &by)?;
                if room.is_locked == locked {
                    return Ok(false);
                }
                let now = now_ms();
                room.is_locked = locked;
                room.locked_time = if locked { now } else { 0 };
                room.updated = now;
                let change = if locked { RoomChange::Locked } else { RoomChange::Unlocked };
                save_room(tx, Some(by.id), &room, change)?;
                Ok(true)
            })
            .await
    }

    /// Deletes a group room: the backend any, a user one it administers (members are told
    /// before it goes).
    pub async fn delete_room(&self, app: AppId, by: Actor, room: RoomRef) -> Result<(), Error> {
        let gone = self
            .store()
            .write(move |tx| {
                let mut room = managed_room(tx, app, by, &room)?;
                if let Some(actor) = acting_user(tx, app, by)? {
                    announce(tx, &room, &actor, SystemAction::RoomDeleted, None)?;
                }
                room.deleted = now_ms();
                room.updated = room.deleted;
                save_room(tx, by.user(), &room, RoomChange::Deleted)?;
                Ok::<_, Error>(files::take_of_room(tx.conn(), room.id)?)
            })
            .await?;
        self.remove_file_bytes(gone).await;
        Ok(())
    }

    /// A page of an app's rooms, deleted ones included, newest first: what an operator lists.
    pub async fn app_rooms(&self, app: AppId, offset: i64, limit: i64) -> Result<Vec<Room>, Error> {
        self.store().read(move |c| Ok(rooms::page_of_app(c, app, offset, limit)?)).await
    }

    /// A room (deleted ones included) with its participants.
    pub async fn room(&self, app: AppId, room: RoomRef) -> Result<RoomDetails, Error> {
        self.store()
            .read(move |c| {
                let room = any_room(c, app, &room)?;
                details(c, room)
            })
            .await
    }

    /// A live room with its participants, if `user` is one of them.
    pub async fn member_room(&self, app: AppId, user: UserId, room: RoomRef) -> Result<RoomDetails, Error> {
        self.store()
            .read(move |c| {
                let room = member_room(c, app, user, &room)?;
                details(c, room)
            })
            .await
    }

    /// The participants of several rooms (of the user's room list, say), each in joining
    /// order, read at once.
    pub async fn participants_of_rooms(
        &self,
        rooms: Vec<RoomId>,
    ) -> Result<std::collections::HashMap<RoomId, Vec<Participant>>, Error> {
        let rows = self.store().read(move |c| participants::of_rooms(c, &rooms)).await?;
        let mut by_room: std::collections::HashMap<RoomId, Vec<Participant>> = Default::default();
        for (room, p) in rows {
            by_room.entry(room).or_default().push(p);
        }
        Ok(by_room)
    }

    /// A page of a live room's participants, in joining order, and how many it has in all.
    pub async fn participants(
        &self,
        app: AppId,
        room: RoomRef,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<Participant>, i64), Error> {
        self.store()
            .read(move |c| {
                let room = live_room(c, app, &room)?;
                Ok((participants::list(c, room.id, offset, limit)?, participants::count(c, room.id)?))
            })
            .await
    }

    /// Live rooms, in the order named, each once; unknown ones are left out.
    pub async fn rooms(&self, app: AppId, refs: Vec<RoomRef>) -> Result<Vec<Room>, Error> {
        self.store()
            .read(move |c| {
                let mut found: Vec<Room> = Vec::new();
                for r in &refs {
                    match live_room(c, app, r) {
                        Ok(room) if !found.iter().any(|f| f.id == room.id) => found.push(room),
                        Ok(_) | Err(Error::NotFound(Entity::Room)) => {}
                        Err(e) => return Err(e),
                    }
                }
                Ok(found)
            })
            .await
    }

    /// A user's rooms with their last messages and unread counts, most recently active first.
    pub async fn room_list(
        &self,
        app: AppId,
        user: UserRef,
        filter: RoomFilter,
    ) -> Result<(User, Vec<RoomSummary>), Error> {
        self.store()
            .read(move |c| {
                let user = live_user(c, app, &user)?;
                let list = room_list::for_user(c, user.id, &filter)?;
                Ok((user, list))
            })
            .await
    }

    /// How many rooms a user's list with this filter has in all (offset and limit aside).
    pub async fn room_count(&self, user: UserId, filter: RoomFilter) -> Result<i64, Error> {
        self.store().read(move |c| room_list::count_for_user(c, user, &filter).map_err(Error::from)).await
    }

    /// The user's unread count in each named room (0 where not a participant); unknown rooms
    /// are left out.
    pub async fn unread_counts(
        &self,
        app: AppId,
        user: UserRef,
        refs: Vec<RoomRef>,
    ) -> Result<Vec<(Room, i64)>, Error> {
        let rooms = self.rooms(app, refs).await?;
        self.store()
            .read(move |c| {
                let user = live_user(c, app, &user)?;
                let mut out = Vec::with_capacity(rooms.len());
                for room in rooms {
                    let unread = unread::in_room(c, room.id, user.id)?;
                    out.push((room, unread));
                }
                Ok(out)
            })
            .await
    }
}

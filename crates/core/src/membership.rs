//! Room membership: adding and removing participants, leaving, admins, and members that come
//! with a role. Changes a user makes are announced in the room with system messages; the
//! backend's are not.

use crate::changes::record;
use crate::lookup::{details, live_room, live_user_by_id, live_users, member_room};
use crate::messages::announce;
use crate::{Actor, Core};
use palaver_domain::limits::MAX_GROUP_PARTICIPANTS;
use palaver_domain::{
    AppId, ChangeKind, Denied, Entity, Error, Field, Invalid, MemberChange, Room, RoomDetails, RoomRef, RoomType,
    SystemAction, User, UserId, UserRef, time::now_ms,
};
use palaver_store::WriteTx;
use palaver_store::repo::participants::{self, Membership};
use palaver_store::repo::{messages, rooms, users};

/// What a membership operation changed.
#[derive(Clone, Debug, PartialEq)]
pub struct MembershipChange {
    /// The room after the change.
    pub room: RoomDetails,
    /// The users whose membership really changed, in the order named.
    pub changed: Vec<User>,
}

/// A room `by` may manage (its participants, name, existence): any group for the backend;
/// for a user, a group it administers.
pub(crate) fn managed_room(tx: &mut WriteTx<'_>, app: AppId, by: Actor, r: &RoomRef) -> Result<Room, Error> {
    let room = match by {
        Actor::Backend => live_room(tx.conn(), app, r)?,
        Actor::User(user) => member_room(tx.conn(), app, user, r)?,
    };
    if !room.is_group() {
        return Err(match by {
            Actor::Backend => Error::invalid(Field::Room, Invalid::NotGroup),
            Actor::User(_) => Error::Forbidden(Denied::PersonalRoomAdmins),
        });
    }
    if let Actor::User(user) = by
        && !participants::is_admin(tx.conn(), room.id, user)?
    {
        return Err(Error::Forbidden(Denied::NotAdmin));
    }
    Ok(room)
}

/// The user acting, when a user acts: the one whose changes are announced.
pub(crate) fn acting_user(tx: &mut WriteTx<'_>, app: AppId, by: Actor) -> Result<Option<User>, Error> {
    by.user().map(|u| live_user_by_id(tx.conn(), app, u)).transpose()
}

/// Adds users to a room (history before joining counts as read), enforcing the participant
/// limit of groups; returns those who were not participants before. Records nothing (see
/// [`record_added`]), so that a new room's creation can be recorded first and heard of by all
/// its participants.
pub(crate) fn add_rows(tx: &mut WriteTx<'_>, room: &Room, users: &[User]) -> Result<Vec<User>, Error> {
    let latest = messages::latest_id(tx.conn(), room.id)?;
    let now = now_ms();
    let mut added = Vec::new();
    for user in users {
        if participants::add(tx.conn(), room.id, user.id, Membership::Direct, latest, now)? {
            added.push(user.clone());
        }
    }
    if room.kind != RoomType::Channel && participants::count_direct(tx.conn(), room.id)? > MAX_GROUP_PARTICIPANTS as i64
    {
        return Err(Error::invalid(Field::Users, Invalid::TooMany { max: MAX_GROUP_PARTICIPANTS }));
    }
    Ok(added)
}

/// Records additions as made by `actor`, announcing each when `announcer` is given.
pub(crate) fn record_added(
    tx: &mut WriteTx<'_>,
    actor: Option<UserId>,
    announcer: Option<&User>,
    room: &Room,
    added: &[User],
) -> Result<(), Error> {
    for user in added {
        record_member(tx, actor, room, user, MemberChange::Added)?;
        if let Some(announcer) = announcer {
            announce(tx, room, announcer, SystemAction::MemberAdded, Some(user))?;
        }
    }
    Ok(())
}

/// Adds users to an existing room and records (and, with `announcer`, announces) each
/// addition; returns those who were not participants before.
pub(crate) fn add_in(
    tx: &mut WriteTx<'_>,
    actor: Option<UserId>,
    announcer: Option<&User>,
    room: &Room,
    users: &[User],
) -> Result<Vec<User>, Error> {
    let added = add_rows(tx, room, users)?;
    record_added(tx, actor, announcer, room, &added)?;
    Ok(added)
}

/// Removes a user from a room, recording it and, when `announcer` is given, announcing it
/// first (so the removed user hears of it too). Returns whether it was a participant.
pub(crate) fn remove_in(
    tx: &mut WriteTx<'_>,
    announcer: Option<&User>,
    room: &Room,
    user: &User,
    left: bool,
) -> Result<bool, Error> {
    if !participants::is_member(tx.conn(), room.id, user.id)? {
        return Ok(false);
    }
    if let Some(actor) = announcer {
        let (action, target) =
            if left { (SystemAction::MemberLeft, None) } else { (SystemAction::MemberRemoved, Some(user)) };
        announce(tx, room, actor, action, target)?;
    }
    participants::remove(tx.conn(), room.id, user.id)?;
    let change = if left { MemberChange::Left } else { MemberChange::Removed };
    let actor = if left { Some(user.id) } else { announcer.map(|a| a.id) };
    record_member(tx, actor, room, user, change)?;
    Ok(true)
}

pub(crate) fn record_member(
    tx: &mut WriteTx<'_>,
    actor: Option<UserId>,
    room: &Room,
    user: &User,
    change: MemberChange,
) -> Result<(), Error> {
    record(tx, room.app, actor, ChangeKind::Member { change, room: room.clone(), user: user.clone() }).map(drop)
}

/// Brings a user's role-based memberships in line with its role: leaves rooms whose roles no
/// longer include it, joins rooms that list it.
pub(crate) fn sync_role_rooms(tx: &mut WriteTx<'_>, user: &User, now: i64) -> Result<(), Error> {
    for (room_id, roles) in participants::role_rooms_of(tx.conn(), user.id)? {
        if !roles.contains(&user.role_code)
            && let Some(room) = rooms::by_ref(tx.conn(), user.app, &RoomRef::Id(room_id))?
        {
            remove_in(tx, None, &room, user, false)?;
        }
    }
    for room_id in rooms::ids_with_role(tx.conn(), user.app, &user.role_code)? {
        let latest = messages::latest_id(tx.conn(), room_id)?;
        if participants::add(tx.conn(), room_id, user.id, Membership::ViaRole, latest, now)?
            && let Some(room) = rooms::by_ref(tx.conn(), user.app, &RoomRef::Id(room_id))?
        {
            record_member(tx, None, &room, user, MemberChange::Added)?;
        }
    }
    Ok(())
}

/// Brings a room's role-based members in line with its participant roles; returns the users
/// who joined and those who left. Records nothing (see [`record_roles`]).
pub(crate) fn apply_roles(tx: &mut WriteTx<'_>, room: &Room, now: i64) -> Result<(Vec<User>, Vec<User>), Error> {
    let mut left = Vec::new();
    for gone in participants::remove_role_members_except(tx.conn(), room.id, &room.participant_roles)? {
        left.extend(users::by_id(tx.conn(), room.app, gone)?);
    }
    let latest = messages::latest_id(tx.conn(), room.id)?;
    let mut joined = Vec::new();
    for id in users::ids_with_roles(tx.conn(), room.app, &room.participant_roles)? {
        if participants::add(tx.conn(), room.id, id, Membership::ViaRole, latest, now)? {
            joined.extend(users::by_id(tx.conn(), room.app, id)?);
        }
    }
    Ok((joined, left))
}

/// Records what [`apply_roles`] changed.
pub(crate) fn record_roles(
    tx: &mut WriteTx<'_>,
    room: &Room,
    (joined, left): (Vec<User>, Vec<User>),
) -> Result<(), Error> {
    for user in &left {
        record_member(tx, None, room, user, MemberChange::Removed)?;
    }
    record_added(tx, None, None, room, &joined)
}

impl Core {
    /// Adds users to a group room.
    pub async fn add_members(
        &self,
        app: AppId,
        by: Actor,
        room: RoomRef,
        users: Vec<UserRef>,
    ) -> Result<MembershipChange, Error> {
        self.store()
            .write(move |tx| {
                let room = managed_room(tx, app, by, &room)?;
                let actor = acting_user(tx, app, by)?;
                let users = live_users(tx.conn(), app, &users)?;
                let changed = add_in(tx, by.user(), actor.as_ref(), &room, &users)?;
                Ok(MembershipChange { room: details(tx.conn(), room)?, changed })
            })
            .await
    }

    /// Removes users from a group room.
    pub async fn remove_members(
        &self,
        app: AppId,
        by: Actor,
        room: RoomRef,
        users: Vec<UserRef>,
    ) -> Result<MembershipChange, Error> {
        self.store()
            .write(move |tx| {
                let room = managed_room(tx, app, by, &room)?;
                let actor = acting_user(tx, app, by)?;
                let mut changed = Vec::new();
                for user in live_users(tx.conn(), app, &users)? {
                    if remove_in(tx, actor.as_ref(), &room, &user, false)? {
                        changed.push(user);
                    }
                }
                Ok(MembershipChange { room: details(tx.conn(), room)?, changed })
            })
            .await
    }

    /// Leaves a group. If the last admin leaves, the longest-standing member becomes admin.
    pub async fn leave_room(&self, app: AppId, user: UserId, room: RoomRef) -> Result<(), Error> {
        self.store()
            .write(move |tx| {
                let room = member_room(tx.conn(), app, user, &room)?;
                if !room.is_group() {
                    return Err(Error::Forbidden(Denied::PersonalRoomLeave));
                }
                let me = live_user_by_id(tx.conn(), app, user)?;
                remove_in(tx, Some(&me), &room, &me, true)?;
                if participants::admin_ids(tx.conn(), room.id)?.is_empty()
                    && let Some(next) = participants::user_ids(tx.conn(), room.id)?.first().copied()
                {
                    participants::set_admin(tx.conn(), room.id, next, true)?;
                    if let Some(next) = users::by_id(tx.conn(), app, next)? {
                        record_member(tx, None, &room, &next, MemberChange::Promoted)?;
                    }
                }
                Ok(())
            })
            .await
    }

    /// Promotes participants to admins, or demotes them.
    pub async fn set_admins(
        &self,
        app: AppId,
        by: Actor,
        room: RoomRef,
        users: Vec<UserRef>,
        promote: bool,
    ) -> Result<RoomDetails, Error> {
        self.store()
            .write(move |tx| {
                let room = managed_room(tx, app, by, &room)?;
                let actor = acting_user(tx, app, by)?;
                for target in live_users(tx.conn(), app, &users)? {
                    if !participants::is_member(tx.conn(), room.id, target.id)? {
                        return Err(Error::NotFound(Entity::User));
                    }
                    if !participants::set_admin(tx.conn(), room.id, target.id, promote)? {
                        continue;
                    }
                    let (change, action) = if promote {
                        (MemberChange::Promoted, SystemAction::AdminPromoted)
                    } else {
                        (MemberChange::Demoted, SystemAction::AdminDemoted)
                    };
                    record_member(tx, by.user(), &room, &target, change)?;
                    if let Some(actor) = &actor {
                        announce(tx, &room, actor, action, Some(&target))?;
                    }
                }
                details(tx.conn(), room)
            })
            .await
    }
}

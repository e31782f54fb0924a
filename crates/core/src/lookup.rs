//! Lookups every operation shares inside its transaction: live users and rooms however a
//! request names them, the room a caller may use, and messages with their context.

use palaver_domain::{
    AppId, Denied, Entity, Error, Message, Participant, Room, RoomDetails, RoomMessage, RoomRef, User, UserId, UserRef,
};
use palaver_store::Conn;
use palaver_store::repo::{participants, rooms, users};
use std::collections::HashMap;

/// A live (not deleted) user.
pub(crate) fn live_user(conn: &mut dyn Conn, app: AppId, user: &UserRef) -> Result<User, Error> {
    let found = match user {
        UserRef::Id(id) => users::by_id(conn, app, *id)?,
        UserRef::External(id) => users::by_external_id(conn, app, id.as_str())?,
    };
    found.filter(|u| !u.is_deleted()).ok_or(Error::NotFound(Entity::User))
}

/// A live user by internal id.
pub(crate) fn live_user_by_id(conn: &mut dyn Conn, app: AppId, id: UserId) -> Result<User, Error> {
    live_user(conn, app, &UserRef::Id(id))
}

/// Live users, in the order named with repeats dropped; one unknown or deleted user fails
/// the whole lookup.
pub(crate) fn live_users(conn: &mut dyn Conn, app: AppId, refs: &[UserRef]) -> Result<Vec<User>, Error> {
    let mut unique: Vec<&UserRef> = Vec::with_capacity(refs.len());
    for r in refs {
        if !unique.contains(&r) {
            unique.push(r);
        }
    }
    let ids: Vec<UserId> =
        unique.iter().filter_map(|r| if let UserRef::Id(id) = r { Some(*id) } else { None }).collect();
    let externals: Vec<String> = unique
        .iter()
        .filter_map(|r| if let UserRef::External(id) = r { Some(id.as_str().to_string()) } else { None })
        .collect();
    let mut found = users::by_ids(conn, app, &ids)?;
    found.extend(users::by_external_ids(conn, app, &externals)?);
    let mut out: Vec<User> = Vec::with_capacity(unique.len());
    for r in unique {
        let user = found
            .iter()
            .find(|u| match r {
                UserRef::Id(id) => u.id == *id,
                UserRef::External(x) => u.external_id == x.as_str(),
            })
            .filter(|u| !u.is_deleted())
            .ok_or(Error::NotFound(Entity::User))?;
        if !out.iter().any(|u| u.id == user.id) {
            out.push(user.clone());
        }
    }
    Ok(out)
}

/// A room however named; deleted rooms included.
pub(crate) fn any_room(conn: &mut dyn Conn, app: AppId, r: &RoomRef) -> Result<Room, Error> {
    rooms::by_ref(conn, app, r)?.ok_or(Error::NotFound(Entity::Room))
}

/// A room that is not deleted.
pub(crate) fn live_room(conn: &mut dyn Conn, app: AppId, r: &RoomRef) -> Result<Room, Error> {
    any_room(conn, app, r)
        .and_then(|room| if room.is_deleted() { Err(Error::NotFound(Entity::Room)) } else { Ok(room) })
}

/// A live room `user` participates in.
pub(crate) fn member_room(conn: &mut dyn Conn, app: AppId, user: UserId, r: &RoomRef) -> Result<Room, Error> {
    let room = live_room(conn, app, r)?;
    if !participants::is_member(conn, room.id, user)? {
        return Err(Error::Forbidden(Denied::NotParticipant));
    }
    Ok(room)
}

/// A room's participants and admins.
pub(crate) fn details(conn: &mut dyn Conn, room: Room) -> Result<RoomDetails, Error> {
    let participants: Vec<Participant> = participants::all(conn, room.id)?;
    let admins = participants.iter().filter(|p| p.is_admin).map(|p| p.user.id).collect();
    Ok(RoomDetails { room, participants, admins })
}

/// A message with its room, sender and personal-room partner; `partner` may name the partner
/// when the caller already has it, saving a lookup.
pub(crate) fn room_message(
    conn: &mut dyn Conn,
    room: &Room,
    sender: &User,
    partner: Option<&User>,
    message: Message,
) -> Result<RoomMessage, Error> {
    let partner = match room.partner_of(sender.id) {
        Some(id) if id == sender.id => Some(sender.clone()),
        Some(id) => match partner.filter(|p| p.id == id) {
            Some(p) => Some(p.clone()),
            None => users::by_id(conn, room.app, id)?,
        },
        None => None,
    };
    Ok(RoomMessage { message, room: room.clone(), sender: sender.clone(), partner })
}

/// Adds room, sender and partner to messages of one app, loading each room and user once;
/// messages whose room or sender is gone are left out.
pub(crate) fn with_context(conn: &mut dyn Conn, app: AppId, messages: Vec<Message>) -> Result<Vec<RoomMessage>, Error> {
    let mut room_ids: Vec<_> = messages.iter().map(|m| m.room).collect();
    room_ids.sort();
    room_ids.dedup();
    let rooms: HashMap<_, _> = rooms::by_ids(conn, app, &room_ids)?.into_iter().map(|r| (r.id, r)).collect();
    let mut user_ids: Vec<_> = messages.iter().map(|m| m.sender).collect();
    user_ids.extend(rooms.values().filter_map(|r| r.personal_pair).flat_map(|(a, b)| [a, b]));
    user_ids.sort();
    user_ids.dedup();
    let users: HashMap<_, _> = users::by_ids(conn, app, &user_ids)?.into_iter().map(|u| (u.id, u)).collect();
    Ok(messages
        .into_iter()
        .filter_map(|message| {
            let room = rooms.get(&message.room)?.clone();
            let sender = users.get(&message.sender)?.clone();
            let partner = room.partner_of(sender.id).and_then(|p| users.get(&p).cloned());
            Some(RoomMessage { message, room, sender, partner })
        })
        .collect())
}

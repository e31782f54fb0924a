//! Qiscus room membership and a user's rooms: participants, room lookups, room lists and
//! unread counts.

use super::rooms::group_room;
use super::{room_by_qiscus_id, users_by_qiscus_ids};
use crate::Core;
use crate::rooms::{add_members, live_room};
use crate::users::live_user_by_xc;
use palaver_domain::{AppId, Entity, Error, Participant, Room, RoomRef, RoomType, User, UserId, time::now_ms};
use palaver_store::Conn;
use palaver_store::repo::room_list::{self, RoomListEntry, RoomListFilter};
use palaver_store::repo::{messages, participants, users};

/// Users by internal ids, in the order given.
fn users_in_order(conn: &mut dyn Conn, room: &Room, ids: &[UserId]) -> Result<Vec<User>, Error> {
    let found = users::by_ids(conn, room.app, ids)?;
    Ok(ids.iter().filter_map(|id| found.iter().find(|u| u.id == *id).cloned()).collect())
}

impl Core {
    /// Rooms by Qiscus room ids and unique ids, in the order asked, each once; unknown ids
    /// are left out.
    pub async fn qiscus_rooms_info(
        &self,
        app: AppId,
        room_ids: Vec<String>,
        channel_ids: Vec<String>,
    ) -> Result<Vec<Room>, Error> {
        self.store().read(move |c| find_rooms(c, app, &room_ids, &channel_ids)).await
    }

    /// Adds users to a group room; returns those who were not participants before.
    pub async fn qiscus_add_participants(
        &self,
        app: AppId,
        room_id: String,
        user_ids: Vec<String>,
    ) -> Result<Vec<User>, Error> {
        self.store()
            .write(move |tx| {
                let conn = tx.conn();
                let room = group_room(room_by_qiscus_id(conn, app, &room_id)?)?;
                let users = users_by_qiscus_ids(conn, app, &user_ids)?;
                let ids: Vec<_> = users.iter().map(|u| u.id).collect();
                let added = add_members(conn, &room, &ids, now_ms())?;
                users_in_order(conn, &room, &added)
            })
            .await
    }

    /// Removes users from a group room; returns those who were participants.
    pub async fn qiscus_remove_participants(
        &self,
        app: AppId,
        room_id: String,
        user_ids: Vec<String>,
    ) -> Result<Vec<User>, Error> {
        self.store()
            .write(move |tx| {
                let conn = tx.conn();
                let room = group_room(room_by_qiscus_id(conn, app, &room_id)?)?;
                let mut removed = Vec::new();
                for user in users_by_qiscus_ids(conn, app, &user_ids)? {
                    if participants::remove(conn, room.id, user.id)? {
                        removed.push(user);
                    }
                }
                Ok(removed)
            })
            .await
    }

    /// A page of a room's participants, in joining order, and their number.
    pub async fn qiscus_participants(
        &self,
        app: AppId,
        room_id: String,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<Participant>, i64), Error> {
        self.store()
            .read(move |c| {
                let room = room_by_qiscus_id(c, app, &room_id)?;
                let page = participants::list(c, room.id, offset, limit)?;
                Ok((page, participants::count(c, room.id)?))
            })
            .await
    }

    /// A page of a user's rooms, most recently active first (with the partner of each
    /// single room), and their number.
    pub async fn qiscus_user_rooms(
        &self,
        app: AppId,
        user_id: String,
        kinds: Option<Vec<RoomType>>,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<RoomListEntry>, i64), Error> {
        self.store()
            .read(move |c| {
                let user = live_user_by_xc(c, app, &user_id)?;
                let filter = RoomListFilter { kinds, offset, limit, ..RoomListFilter::default() };
                let rooms = room_list::for_user(c, user.id, &filter)?;
                let total = room_list::count_for_user(c, user.id, &filter)?;
                Ok((rooms, total))
            })
            .await
    }

    /// The user's unread count in each named room (0 where not a participant); unknown rooms
    /// are left out.
    pub async fn qiscus_unread_counts(
        &self,
        app: AppId,
        user_id: String,
        room_ids: Vec<String>,
        channel_ids: Vec<String>,
    ) -> Result<Vec<(Room, i64)>, Error> {
        self.store()
            .read(move |c| {
                let user = live_user_by_xc(c, app, &user_id)?;
                let mut out = Vec::new();
                for room in find_rooms(c, app, &room_ids, &channel_ids)? {
                    let unread = messages::unread_count(c, room.id, user.id)?;
                    out.push((room, unread));
                }
                Ok(out)
            })
            .await
    }
}

/// Rooms named by room ids then unique ids, each once, unknown ones skipped.
fn find_rooms(
    conn: &mut dyn Conn,
    app: AppId,
    room_ids: &[String],
    channel_ids: &[String],
) -> Result<Vec<Room>, Error> {
    let mut found: Vec<Room> = Vec::new();
    for id in room_ids {
        let room = room_by_qiscus_id(conn, app, id);
        push_found(&mut found, room)?;
    }
    for xc in channel_ids {
        let room = live_room(conn, app, &RoomRef::Xc(xc.clone()));
        push_found(&mut found, room)?;
    }
    Ok(found)
}

/// Keeps a found room unless already kept; a missing room is skipped, other errors stop.
fn push_found(found: &mut Vec<Room>, result: Result<Room, Error>) -> Result<(), Error> {
    match result {
        Ok(room) if !found.iter().any(|r| r.id == room.id) => found.push(room),
        Ok(_) | Err(Error::NotFound(Entity::Room)) => {}
        Err(e) => return Err(e),
    }
    Ok(())
}

//! Rooms as clients manage them: groups with admins, where every membership change leaves a
//! system message (type 9001, notes section 8.3) that tells every member's client.

use crate::Core;
use crate::messages::{Draft, insert_message};
use crate::rooms::{RoomDetails, add_members, details, live_room};
use crate::users::live_user;
use palaver_domain::limits::MAX_GROUP_PARTICIPANTS;
use palaver_domain::{AppId, Entity, Error, MessageKind, Room, RoomRef, RoomType, User, UserId, time::now_ms};
use palaver_store::repo::{participants, rooms};
use palaver_store::{Conn, WriteTx};
use serde_json::json;

/// A live room `user` participates in.
pub(crate) fn member_room(conn: &mut dyn Conn, app: AppId, user: UserId, r: &RoomRef) -> Result<Room, Error> {
    let room = live_room(conn, app, r)?;
    if !participants::is_member(conn, room.id, user)? {
        return Err(Error::Forbidden("You are not a participant of this room".into()));
    }
    Ok(room)
}

/// A live group-like room `user` administers.
fn admin_room(conn: &mut dyn Conn, app: AppId, user: UserId, r: &RoomRef) -> Result<Room, Error> {
    let room = member_room(conn, app, user, r)?;
    if room.kind == RoomType::Personal {
        return Err(Error::Forbidden("A personal room has no admins".into()));
    }
    if !participants::is_admin(conn, room.id, user)? {
        return Err(Error::Forbidden("Only an admin of the room can do this".into()));
    }
    Ok(room)
}

/// Posts a system message by `actor` about `target`; its body is a template clients fill in.
fn announce(
    tx: &mut WriteTx<'_>,
    room: &Room,
    actor: &User,
    action: &str,
    body: &str,
    target: Option<&User>,
) -> Result<(), Error> {
    let mut draft = Draft::new(MessageKind::SYSTEM, body.to_string(), String::new());
    draft.action = action.to_string();
    if let Some(t) = target {
        draft.target = json!({"targetType": "user", "targetID": t.id.0.to_string(), "targetXCID": t.xc_user_id,
                              "targetName": t.fullname})
        .to_string();
    }
    insert_message(tx, room, actor, None, draft).map(|_| ())
}

fn check_name(name: &str) -> Result<(), Error> {
    let n = name.chars().count();
    if (1..=100).contains(&n) { Ok(()) } else { Err(Error::invalid("name", "A room name is 1 to 100 characters")) }
}

fn live_users(conn: &mut dyn Conn, app: AppId, ids: &[UserId]) -> Result<Vec<User>, Error> {
    ids.iter().map(|id| live_user(conn, app, *id)).collect()
}

impl Core {
    /// Creates a group (or transaction room) with its creator as admin and `members`.
    pub async fn create_group(
        &self,
        app: AppId,
        creator: UserId,
        name: String,
        kind: RoomType,
        members: Vec<UserId>,
    ) -> Result<RoomDetails, Error> {
        check_name(&name)?;
        if kind == RoomType::Personal {
            return Err(Error::invalid("type", "Personal rooms are created by sending a message"));
        }
        if members.len() + 1 > MAX_GROUP_PARTICIPANTS {
            return Err(Error::invalid("userIDs", format!("A room has at most {MAX_GROUP_PARTICIPANTS} participants")));
        }
        self.store()
            .write(move |tx| {
                let now = now_ms();
                let conn = tx.conn();
                let actor = live_user(conn, app, creator)?;
                let others = live_users(conn, app, &members)?;
                let room = rooms::insert(conn, &Room { name, ..Room::draft(app, kind, now) })?
                    .ok_or_else(|| Error::internal("a new room collided"))?;
                let mut ids = vec![actor.id];
                ids.extend(others.iter().map(|u| u.id).filter(|id| *id != actor.id));
                add_members(conn, &room, &ids, now)?;
                participants::set_admin(conn, room.id, actor.id, true)?;
                announce(tx, &room, &actor, "room/create", "{{sender}} created this group", None)?;
                details(tx.conn(), room)
            })
            .await
    }

    /// A room with its participants, if `user` is one of them.
    pub async fn member_room_details(&self, app: AppId, user: UserId, r: RoomRef) -> Result<RoomDetails, Error> {
        self.store()
            .read(move |c| {
                let room = member_room(c, app, user, &r)?;
                details(c, room)
            })
            .await
    }

    /// Renames a group; admins only.
    pub async fn rename_room(&self, app: AppId, user: UserId, r: RoomRef, name: String) -> Result<RoomDetails, Error> {
        check_name(&name)?;
        self.store()
            .write(move |tx| {
                let conn = tx.conn();
                let mut room = admin_room(conn, app, user, &r)?;
                let actor = live_user(conn, app, user)?;
                room.name = name;
                room.updated = now_ms();
                rooms::update(conn, &room)?;
                announce(tx, &room, &actor, "room/update", "{{sender}} changed the group name", None)?;
                details(tx.conn(), room)
            })
            .await
    }

    /// Deletes a group; admins only. Members are told before it goes.
    pub async fn delete_room(&self, app: AppId, user: UserId, r: RoomRef) -> Result<(), Error> {
        self.store()
            .write(move |tx| {
                let conn = tx.conn();
                let mut room = admin_room(conn, app, user, &r)?;
                let actor = live_user(conn, app, user)?;
                announce(tx, &room, &actor, "room/delete", "{{sender}} deleted this group", None)?;
                room.deleted = now_ms();
                room.updated = room.deleted;
                rooms::update(tx.conn(), &room)?;
                Ok(())
            })
            .await
    }

    /// Leaves a group. If the last admin leaves, the longest-standing member becomes admin.
    pub async fn leave_room(&self, app: AppId, user: UserId, r: RoomRef) -> Result<(), Error> {
        self.store()
            .write(move |tx| {
                let conn = tx.conn();
                let room = member_room(conn, app, user, &r)?;
                if room.kind == RoomType::Personal {
                    return Err(Error::Forbidden("A personal room cannot be left".into()));
                }
                let actor = live_user(conn, app, user)?;
                announce(tx, &room, &actor, "room/leave", "{{sender}} left the group", None)?;
                let conn = tx.conn();
                participants::remove(conn, room.id, user)?;
                if participants::admin_ids(conn, room.id)?.is_empty() {
                    if let Some(next) = participants::user_ids(conn, room.id)?.first() {
                        participants::set_admin(conn, room.id, *next, true)?;
                    }
                }
                Ok(())
            })
            .await
    }

    /// Adds or removes members of a group; admins only. Each change is announced.
    pub async fn change_members(
        &self,
        app: AppId,
        user: UserId,
        r: RoomRef,
        ids: Vec<UserId>,
        add: bool,
    ) -> Result<RoomDetails, Error> {
        self.store()
            .write(move |tx| {
                let conn = tx.conn();
                let room = admin_room(conn, app, user, &r)?;
                let actor = live_user(conn, app, user)?;
                let targets = live_users(conn, app, &ids)?;
                for target in &targets {
                    if add {
                        if add_members(tx.conn(), &room, &[target.id], now_ms())?.is_empty() {
                            continue;
                        }
                        announce(
                            tx,
                            &room,
                            &actor,
                            "room/addParticipant",
                            "{{sender}} added {{target}}",
                            Some(target),
                        )?;
                    } else {
                        if !participants::is_member(tx.conn(), room.id, target.id)? {
                            continue;
                        }
                        // Announce first so the removed member learns of it too.
                        announce(
                            tx,
                            &room,
                            &actor,
                            "room/removeParticipant",
                            "{{sender}} removed {{target}}",
                            Some(target),
                        )?;
                        participants::remove(tx.conn(), room.id, target.id)?;
                    }
                }
                details(tx.conn(), room)
            })
            .await
    }

    /// Promotes members to admins or demotes them; admins only.
    pub async fn change_admins(
        &self,
        app: AppId,
        user: UserId,
        r: RoomRef,
        ids: Vec<UserId>,
        promote: bool,
    ) -> Result<RoomDetails, Error> {
        self.store()
            .write(move |tx| {
                let conn = tx.conn();
                let room = admin_room(conn, app, user, &r)?;
                let actor = live_user(conn, app, user)?;
                let targets = live_users(conn, app, &ids)?;
                for target in &targets {
                    if !participants::is_member(tx.conn(), room.id, target.id)? {
                        return Err(Error::NotFound(Entity::User));
                    }
                    if !participants::set_admin(tx.conn(), room.id, target.id, promote)? {
                        continue;
                    }
                    let (action, body) = if promote {
                        ("room/promoteAdmin", "{{sender}} made {{target}} an admin")
                    } else {
                        ("room/demoteAdmin", "{{sender}} removed {{target}} as an admin")
                    };
                    announce(tx, &room, &actor, action, body, Some(target))?;
                }
                details(tx.conn(), room)
            })
            .await
    }
}

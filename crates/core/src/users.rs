//! Users: profiles, deletion, auth tickets.

use crate::{Core, secrets};
use palaver_domain::user::valid_external_id;
use palaver_domain::{AppId, Entity, Error, RoomType, User, UserId, UserProfile, time::now_ms};
use palaver_store::Conn;
use palaver_store::repo::{messages, participants, rooms, sessions, users};
use participants::Membership;

/// A live (not deleted) user by external id.
pub(crate) fn live_user_by_xc(conn: &mut dyn Conn, app: AppId, xc: &str) -> Result<User, Error> {
    users::by_xc(conn, app, xc)?.filter(|u| !u.is_deleted()).ok_or(Error::NotFound(Entity::User))
}

/// A live user by internal id.
pub(crate) fn live_user(conn: &mut dyn Conn, app: AppId, id: UserId) -> Result<User, Error> {
    users::by_id(conn, app, id)?.filter(|u| !u.is_deleted()).ok_or(Error::NotFound(Entity::User))
}

/// Live users by external ids, in the order given; any unknown id fails the whole lookup.
pub(crate) fn live_users_by_xcs(conn: &mut dyn Conn, app: AppId, xcs: &[String]) -> Result<Vec<User>, Error> {
    let found = users::by_xcs(conn, app, xcs)?;
    xcs.iter()
        .map(|xc| {
            found.iter().find(|u| &u.xc_user_id == xc && !u.is_deleted()).cloned().ok_or(Error::NotFound(Entity::User))
        })
        .collect()
}

/// Brings a user's role-based memberships in line with its role: leaves rooms whose roles no
/// longer include it, joins rooms that list it.
pub(crate) fn sync_role_rooms(conn: &mut dyn Conn, user: &User, now: i64) -> Result<(), Error> {
    for (room, roles) in participants::role_rooms_of(conn, user.id)? {
        if !roles.contains(&user.role_code) {
            participants::remove(conn, room, user.id)?;
        }
    }
    for room in rooms::ids_with_role(conn, user.app, &user.role_code)? {
        let latest = messages::latest_id(conn, room)?;
        participants::add(conn, room, user.id, Membership::ViaRole, latest, now)?;
    }
    Ok(())
}

fn check_xc_user_id(xc: &str) -> Result<(), Error> {
    if valid_external_id(xc) {
        Ok(())
    } else {
        Err(Error::invalid("xcUserID", "Param 'xcUserID' must be 1 to 50 characters"))
    }
}

impl Core {
    /// Creates the user or updates its profile; returns it and whether it was created.
    pub async fn upsert_user(&self, app: AppId, xc: &str, profile: UserProfile) -> Result<(User, bool), Error> {
        check_xc_user_id(xc)?;
        let xc = xc.to_string();
        self.store()
            .write(move |tx| {
                let conn = tx.conn();
                let before = users::by_xc(conn, app, &xc)?;
                let (user, created) = users::upsert(conn, app, &xc, &profile, now_ms())?;
                if before.map(|b| b.role_code) != Some(user.role_code.clone()) {
                    sync_role_rooms(conn, &user, now_ms())?;
                }
                Ok((user, created))
            })
            .await
    }

    /// A live user by external id.
    pub async fn user_by_xc(&self, app: AppId, xc: &str) -> Result<User, Error> {
        let xc = xc.to_string();
        self.store().read(move |c| live_user_by_xc(c, app, &xc)).await
    }

    /// A live user by internal id.
    pub async fn user_by_id(&self, app: AppId, id: UserId) -> Result<User, Error> {
        self.store().read(move |c| live_user(c, app, id)).await
    }

    /// Deletes a user: its sessions end, its personal rooms lock, it leaves every other room.
    pub async fn delete_user(&self, app: AppId, xc: &str) -> Result<User, Error> {
        let xc = xc.to_string();
        self.store()
            .write(move |tx| {
                let conn = tx.conn();
                let mut user = live_user_by_xc(conn, app, &xc)?;
                let now = now_ms();
                user.deleted = now;
                user.updated = now;
                users::update(conn, &user)?;
                sessions::revoke_all(conn, user.id)?;
                for room_id in participants::room_ids_of(conn, user.id)? {
                    let Some(mut room) = rooms::by_ref(conn, app, &palaver_domain::RoomRef::Id(room_id))? else {
                        continue;
                    };
                    if room.kind == RoomType::Personal {
                        if !room.is_locked {
                            room.is_locked = true;
                            room.locked_time = now;
                            room.updated = now;
                            rooms::update(conn, &room)?;
                        }
                    } else {
                        participants::remove(conn, room_id, user.id)?;
                    }
                }
                Ok(user)
            })
            .await
    }

    /// Creates or updates the user and issues a single-use ticket its client redeems for an
    /// access token within the hour.
    pub async fn issue_auth_ticket(&self, app: AppId, xc: &str, profile: UserProfile) -> Result<(String, User), Error> {
        let (user, _) = self.upsert_user(app, xc, profile).await?;
        let ticket = secrets::random_token(64);
        let hash = secrets::hash(&ticket);
        let user_id = user.id;
        let ttl = self.config().ticket_ttl_ms;
        self.store()
            .write(move |tx| {
                let now = now_ms();
                sessions::insert_ticket(tx.conn(), &hash, app, user_id, now + ttl, now).map_err(Error::from)
            })
            .await?;
        Ok((ticket, user))
    }

    /// Whether the user has a live connection on this node.
    pub fn is_online(&self, app: AppId, user: UserId) -> bool {
        self.hub().is_online(app, user)
    }
}

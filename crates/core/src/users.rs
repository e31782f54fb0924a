//! Users: creating and updating profiles, deletion, (de)activation, the user list, and the
//! password and token a user logs in with where a dialect has them.

use crate::changes::record;
use crate::lookup::{live_user, live_users};
use crate::membership::sync_role_rooms;
use crate::{Core, secrets};
use palaver_domain::{
    AppId, ChangeKind, Error, ExternalId, Field, Invalid, RoomChange, RoomRef, RoomType, User, UserChange, UserId,
    UserProfile, UserQuery, UserRef, time::now_ms,
};
use palaver_store::WriteTx;
use palaver_store::repo::{participants, rooms, users};

/// Length of a user token: opaque and alphanumeric (a dialect may use it as a channel name).
const TOKEN_CHARS: usize = 20;

/// Creating or updating a user.
#[derive(Clone, Debug, PartialEq)]
pub struct UserUpsert {
    /// The user's external id.
    pub id: ExternalId,
    /// Fields to set; absent ones keep their values.
    pub profile: UserProfile,
    /// Whether a display name is needed to create the user.
    pub name_required: bool,
    /// Whether the user logs in with a password and token: a new user without a password
    /// gets a random one, and a token is issued if it has none.
    pub with_login: bool,
    /// A new password.
    pub password: Option<String>,
}

/// Whether two states of a user differ in anything but the time of the last change.
fn differs(a: &User, b: &User) -> bool {
    User { updated: 0, ..a.clone() } != User { updated: 0, ..b.clone() }
}

/// The user's token, issued now if it has none.
fn ensure_token(tx: &mut WriteTx<'_>, user: UserId) -> Result<String, Error> {
    let (_, token) = users::credentials(tx.conn(), user)?;
    if !token.is_empty() {
        return Ok(token);
    }
    let token = secrets::random_token(TOKEN_CHARS);
    users::set_token(tx.conn(), user, &token)?;
    Ok(token)
}

/// Creates or updates a user inside a transaction, recording the change and bringing its
/// role memberships in line. Returns the user and whether it is new: created now, or a deleted
/// user revived.
pub(crate) fn upsert_in(
    tx: &mut WriteTx<'_>,
    app: AppId,
    id: &ExternalId,
    profile: &UserProfile,
    name_required: bool,
) -> Result<(User, bool), Error> {
    profile.check()?;
    let known = users::by_external_id(tx.conn(), app, id.as_str())?.is_some_and(|u| !u.is_deleted());
    if !known && name_required && profile.fullname.as_deref().is_none_or(str::is_empty) {
        return Err(Error::invalid(Field::DisplayName, Invalid::Missing));
    }
    let now = now_ms();
    let (before, user) = users::upsert(tx.conn(), app, id.as_str(), profile, now)?;
    let change = match &before {
        None => Some(UserChange::Created),
        Some(b) if differs(b, &user) => Some(UserChange::Updated),
        Some(_) => None,
    };
    if let Some(change) = change {
        record(tx, app, None, ChangeKind::User { change, user: user.clone() })?;
    }
    if before.as_ref().map(|b| &b.role_code) != Some(&user.role_code) {
        sync_role_rooms(tx, &user, now)?;
    }
    Ok((user, !known))
}

impl Core {
    /// Creates the user or updates its profile; returns it and whether it is new (created, or
    /// a deleted user revived).
    pub async fn upsert_user(&self, app: AppId, u: UserUpsert) -> Result<(User, bool), Error> {
        let id = u.id;
        // Stretching a password takes milliseconds of CPU: done here, never on the writer.
        let password_hash = match u.password.filter(|s| !s.is_empty()) {
            Some(p) => Some(
                tokio::task::spawn_blocking(move || secrets::hash_password(&p))
                    .await
                    .map_err(|_| Error::internal("hashing the password failed"))?,
            ),
            None => None,
        };
        let (profile, name_required, with_login) = (u.profile, u.name_required, u.with_login);
        self.store()
            .write(move |tx| {
                let (user, new) = upsert_in(tx, app, &id, &profile, name_required)?;
                if with_login {
                    let hash = match password_hash {
                        Some(h) => Some(h),
                        None if new => Some(secrets::hash_random_password(&secrets::random_token(32))),
                        None => None,
                    };
                    if let Some(h) = hash {
                        users::set_password_hash(tx.conn(), user.id, &h)?;
                    }
                    ensure_token(tx, user.id)?;
                }
                Ok((user, new))
            })
            .await
    }

    /// A live user.
    pub async fn user(&self, app: AppId, user: UserRef) -> Result<User, Error> {
        self.store().read(move |c| live_user(c, app, &user)).await
    }

    /// Live users by internal id; unknown and deleted ones are left out.
    pub async fn users(&self, app: AppId, ids: Vec<UserId>) -> Result<Vec<User>, Error> {
        self.store()
            .read(move |c| Ok(users::by_ids(c, app, &ids)?.into_iter().filter(|u| !u.is_deleted()).collect()))
            .await
    }

    /// A live user by username.
    pub async fn user_by_username(&self, app: AppId, username: String, ignore_case: bool) -> Result<User, Error> {
        self.store()
            .read(move |c| {
                users::by_username(c, app, &username, ignore_case)?.ok_or(Error::NotFound(palaver_domain::Entity::User))
            })
            .await
    }

    /// A page of the app's live users and how many there are in all.
    pub async fn user_page(&self, app: AppId, query: UserQuery) -> Result<(Vec<User>, i64), Error> {
        self.store().read(move |c| users::page(c, app, &query).map_err(Error::from)).await
    }

    /// Deletes a user: its sessions end, its personal rooms lock, it leaves every other room.
    pub async fn delete_user(&self, app: AppId, user: UserRef) -> Result<User, Error> {
        self.store()
            .write(move |tx| {
                let mut user = live_user(tx.conn(), app, &user)?;
                let now = now_ms();
                user.deleted = now;
                user.updated = now;
                users::update(tx.conn(), &user)?;
                record(tx, app, None, ChangeKind::User { change: UserChange::Deleted, user: user.clone() })?;
                if crate::sessions::revoke_all(tx.conn(), user.id)? {
                    record(tx, app, None, ChangeKind::SessionsRevoked { user: user.id, session: None })?;
                }
                for room_id in participants::room_ids_of(tx.conn(), user.id)? {
                    let Some(mut room) = rooms::by_ref(tx.conn(), app, &RoomRef::Id(room_id))? else {
                        continue;
                    };
                    if room.kind == RoomType::Personal {
                        if !room.is_locked {
                            room.is_locked = true;
                            room.locked_time = now;
                            room.updated = now;
                            rooms::update(tx.conn(), &room)?;
                            record(tx, app, None, ChangeKind::Room { change: RoomChange::Locked, room })?;
                        }
                    } else {
                        crate::membership::remove_in(tx, None, &room, &user, false)?;
                    }
                }
                Ok(user)
            })
            .await
    }

    /// Activates or deactivates users (every one must exist); returns them in the order named.
    pub async fn set_users_active(&self, app: AppId, refs: Vec<UserRef>, active: bool) -> Result<Vec<User>, Error> {
        self.store()
            .write(move |tx| {
                let found = live_users(tx.conn(), app, &refs)?;
                let changed = users::set_active(tx.conn(), &found, active, now_ms())?;
                let change = if active { UserChange::Reactivated } else { UserChange::Deactivated };
                for user in &changed {
                    record(tx, app, None, ChangeKind::User { change, user: user.clone() })?;
                }
                Ok(found.into_iter().map(|u| changed.iter().find(|c| c.id == u.id).cloned().unwrap_or(u)).collect())
            })
            .await
    }

    /// The user's token, issued now if it has none.
    pub async fn user_token(&self, app: AppId, user: UserRef) -> Result<String, Error> {
        self.store()
            .write(move |tx| {
                let user = live_user(tx.conn(), app, &user)?;
                ensure_token(tx, user.id)
            })
            .await
    }

    /// Replaces the user's token; the old one stops working at once.
    pub async fn reset_user_token(&self, app: AppId, user: UserRef) -> Result<String, Error> {
        self.store()
            .write(move |tx| {
                let user = live_user(tx.conn(), app, &user)?;
                let token = secrets::random_token(TOKEN_CHARS);
                users::set_token(tx.conn(), user.id, &token)?;
                record(tx, app, None, ChangeKind::SessionsRevoked { user: user.id, session: None })?;
                Ok(token)
            })
            .await
    }

    /// Whether the user has a live connection on this node or, as far as it has heard, on
    /// another.
    pub fn is_online(&self, app: AppId, user: UserId) -> bool {
        self.hub().is_online(app, user)
    }
}

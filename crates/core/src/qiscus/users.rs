//! Qiscus users: `login_or_register`, tokens, the user list and (de)activation.

use super::users_by_qiscus_ids;
use crate::users::live_user_by_xc;
use crate::{Core, secrets};
use palaver_domain::user::valid_external_id;
use palaver_domain::{AppId, Error, User, UserId, UserProfile, time::now_ms};
use palaver_store::Conn;
use palaver_store::repo::users::{self, UserOrder};

/// Length of a Qiscus user token: opaque, alphanumeric (it doubles as an MQTT topic name).
const TOKEN_CHARS: usize = 20;

/// What `login_or_register` asks for. `None` leaves a stored value unchanged.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QiscusLogin {
    /// The user's Qiscus `user_id` (Palaver's external user id).
    pub user_id: String,
    /// Display name; required to register a new user.
    pub username: Option<String>,
    /// Avatar URL, stored as both photo sizes.
    pub avatar_url: Option<String>,
    /// Extras as JSON object text.
    pub extras: Option<String>,
    /// Password; a new user without one gets a random password.
    pub password: Option<String>,
}

/// One page of the user list.
#[derive(Clone, Debug, PartialEq)]
pub struct UserPage {
    /// The users on the page.
    pub users: Vec<User>,
    /// Users matching in all.
    pub total: i64,
}

/// The user's Qiscus token, issued on first need.
fn ensure_token(conn: &mut dyn Conn, user: UserId) -> Result<String, Error> {
    let (_, token) = users::qiscus_credentials(conn, user)?;
    if !token.is_empty() {
        return Ok(token);
    }
    let token = secrets::random_token(TOKEN_CHARS);
    users::set_qiscus_credentials(conn, user, None, Some(&token))?;
    Ok(token)
}

impl Core {
    /// Creates the user or updates its profile; a given password replaces the stored one.
    /// Returns the user and whether it was created. The user gets a Qiscus token if it has
    /// none yet.
    pub async fn qiscus_login_or_register(&self, app: AppId, mut login: QiscusLogin) -> Result<(User, bool), Error> {
        if !valid_external_id(&login.user_id) {
            return Err(Error::invalid("user_id", "Param 'user_id' must be 1 to 50 characters"));
        }
        // Stretching a password takes milliseconds of CPU: done here, never on the writer.
        let given_hash = match login.password.take().filter(|s| !s.is_empty()) {
            Some(p) => Some(
                tokio::task::spawn_blocking(move || secrets::hash_password(&p))
                    .await
                    .map_err(|_| Error::internal("hashing the password failed"))?,
            ),
            None => None,
        };
        self.store()
            .write(move |tx| {
                let conn = tx.conn();
                let username = login.username.filter(|s| !s.is_empty());
                let known = users::by_xc(conn, app, &login.user_id)?.is_some_and(|u| !u.is_deleted());
                if !known && username.is_none() {
                    return Err(Error::invalid("username", "Param 'username' is required to register a user"));
                }
                let profile = UserProfile {
                    fullname: username,
                    photo_thumb: login.avatar_url.clone(),
                    photo_full: login.avatar_url,
                    extras: login.extras,
                    ..UserProfile::default()
                };
                let (user, created) = users::upsert(conn, app, &login.user_id, &profile, now_ms())?;
                let password_hash = match given_hash {
                    Some(h) => Some(h),
                    None if !known => Some(secrets::hash_random_password(&secrets::random_token(32))),
                    None => None,
                };
                if let Some(h) = password_hash {
                    users::set_qiscus_credentials(conn, user.id, Some(&h), None)?;
                }
                ensure_token(conn, user.id)?;
                Ok((user, created))
            })
            .await
    }

    /// The user's Qiscus token, issued now if it has none.
    pub async fn qiscus_user_token(&self, app: AppId, user_id: &str) -> Result<String, Error> {
        let xc = user_id.to_string();
        self.store()
            .write(move |tx| {
                let conn = tx.conn();
                let user = live_user_by_xc(conn, app, &xc)?;
                ensure_token(conn, user.id)
            })
            .await
    }

    /// Replaces the user's Qiscus token; the old one stops working at once.
    pub async fn qiscus_reset_user_token(&self, app: AppId, user_id: &str) -> Result<String, Error> {
        let xc = user_id.to_string();
        self.store()
            .write(move |tx| {
                let conn = tx.conn();
                let user = live_user_by_xc(conn, app, &xc)?;
                let token = secrets::random_token(TOKEN_CHARS);
                users::set_qiscus_credentials(conn, user.id, None, Some(&token))?;
                Ok(token)
            })
            .await
    }

    /// A page of the app's users, leaving out the user `hidden` (the system user).
    pub async fn qiscus_user_page(
        &self,
        app: AppId,
        hidden: &str,
        offset: i64,
        limit: i64,
        order: UserOrder,
        include_inactive: bool,
    ) -> Result<UserPage, Error> {
        let hidden = hidden.to_string();
        self.store()
            .read(move |c| {
                let (users, total) = users::page_except(c, app, offset, limit, order, include_inactive, &hidden)?;
                Ok(UserPage { users, total })
            })
            .await
    }

    /// Activates or deactivates users; every id must name a live user.
    pub async fn qiscus_set_active(&self, app: AppId, user_ids: Vec<String>, active: bool) -> Result<Vec<User>, Error> {
        self.store()
            .write(move |tx| {
                let conn = tx.conn();
                let found = users_by_qiscus_ids(conn, app, &user_ids)?;
                let xcs: Vec<String> = found.into_iter().map(|u| u.xc_user_id).collect();
                let changed = users::set_active(conn, app, &xcs, active, now_ms())?;
                // Answer in the order asked.
                Ok(xcs.iter().filter_map(|xc| changed.iter().find(|u| &u.xc_user_id == xc).cloned()).collect())
            })
            .await
    }
}

//! Logging in with a user's own password, and knowing a user by its long-lived token: the
//! credentials of dialects whose clients hold one token per user (Qiscus). Sessions with
//! expiring access tokens (TapTalk) are in `sessions`.

use crate::users::UserUpsert;
use crate::{Core, secrets};
use palaver_domain::error::AuthError;
use palaver_domain::{AppId, Error, ExternalId, User, UserProfile, UserRef};
use palaver_store::repo::{devices, users};

/// Characters of a login nonce.
const NONCE_CHARS: usize = 32;
/// How long a login nonce may be used: ten minutes, as Qiscus documents.
const NONCE_TTL_MS: i64 = 10 * 60 * 1000;
use std::net::IpAddr;

/// A client logging in with its user id and password, registering if the user is new.
#[derive(Clone, Debug, PartialEq)]
pub struct PasswordLogin {
    /// The user's external id.
    pub id: ExternalId,
    /// The password (the user key of the app).
    pub password: String,
    /// Profile fields to set; absent ones keep their values.
    pub profile: UserProfile,
}

/// A logged-in user and its token.
#[derive(Clone, Debug, PartialEq)]
pub struct Account {
    /// The user.
    pub user: User,
    /// Its token.
    pub token: String,
}

impl Core {
    /// Logs a user in with its password, creating the user (with that password) if it does
    /// not exist; an existing user's profile takes the fields given. A wrong password is
    /// `Unauthorized` and counts against the caller's address.
    pub async fn password_login(
        &self,
        app: AppId,
        login: PasswordLogin,
        from: Option<IpAddr>,
    ) -> Result<Account, Error> {
        self.may_authenticate(from)?;
        let id = login.id.clone();
        let existing = self
            .store()
            .read(move |c| match users::by_external_id(c, app, id.as_str())?.filter(|u| !u.is_deleted()) {
                Some(u) => Ok::<_, Error>(Some((u.id, users::credentials(c, u.id)?.0))),
                None => Ok(None),
            })
            .await?;
        let mut new_password = Some(login.password.clone());
        if let Some((_, stored)) = &existing {
            let (password, stored) = (login.password.clone(), stored.clone());
            let (valid, rehash) = tokio::task::spawn_blocking(move || {
                (secrets::verify_password(&password, &stored), secrets::needs_rehash(&stored))
            })
            .await
            .map_err(|_| Error::internal("checking the password failed"))?;
            if !valid {
                let e = Error::Unauthorized(AuthError::Invalid);
                self.count_failure(from, &e);
                return Err(e);
            }
            // A stored hash of an earlier kind is replaced now that the password is known.
            if !rehash {
                new_password = None;
            }
        }
        let upsert = UserUpsert {
            id: login.id,
            profile: login.profile,
            name_required: false,
            with_login: true,
            password: new_password,
        };
        let (user, _) = self.upsert_user(app, upsert).await?;
        let token = self.user_token(app, UserRef::Id(user.id)).await?;
        Ok(Account { user, token })
    }

    /// The live user holding `token`, in `app` if one is given (an MQTT client names no
    /// app). An unknown token is `Unauthorized` and counts against the caller's address.
    pub async fn user_by_token(&self, app: Option<AppId>, token: &str, from: Option<IpAddr>) -> Result<User, Error> {
        self.may_authenticate(from)?;
        let token = token.to_string();
        let user = self
            .store()
            .read(move |c| {
                users::by_token(c, &token)?
                    .filter(|u| !u.is_deleted() && app.is_none_or(|a| a == u.app))
                    .ok_or(Error::Unauthorized(AuthError::Invalid))
            })
            .await
            .inspect_err(|e| self.count_failure(from, e))?;
        // A disabled app's tokens open nothing (its MQTT token topics included).
        self.app_open(user.app)?;
        Ok(user)
    }

    /// A new single-use login nonce of `app` and when it expires (Unix ms): the first step of
    /// a login with an identity token signed by the customer's backend.
    pub async fn issue_login_nonce(&self, app: AppId) -> Result<(String, i64), Error> {
        let nonce = secrets::random_token(NONCE_CHARS);
        let expires = palaver_domain::time::now_ms() + NONCE_TTL_MS;
        let stored = nonce.clone();
        self.store().write(move |tx| Ok::<_, Error>(devices::insert_nonce(tx.conn(), app, &stored, expires)?)).await?;
        Ok((nonce, expires))
    }

    /// Uses up a login nonce of `app`: true if it was issued and had not expired. A nonce
    /// works once.
    pub async fn take_login_nonce(&self, app: AppId, nonce: &str) -> Result<bool, Error> {
        let nonce = nonce.to_string();
        let now = palaver_domain::time::now_ms();
        self.store().write(move |tx| Ok::<_, Error>(devices::take_nonce(tx.conn(), app, &nonce, now)?)).await
    }

    /// Refuses a login from an address that failed too often lately (rate limits).
    pub fn may_log_in(&self, from: Option<IpAddr>) -> Result<(), Error> {
        self.may_authenticate(from)
    }

    /// Counts a failed login (a bad identity token, say) against its address.
    pub fn note_failed_login(&self, from: Option<IpAddr>) {
        self.count_failure(from, &Error::Unauthorized(AuthError::Invalid));
    }
}

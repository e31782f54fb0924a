//! Client sessions: a ticket from the customer's backend becomes an access token and a
//! rotating refresh token for one device.

use crate::changes::record;
use crate::lookup::live_user_by_id;
use crate::users::upsert_in;
use crate::{Core, secrets};
use palaver_domain::error::AuthError;
use palaver_domain::{AppId, ChangeKind, Error, ExternalId, User, UserId, UserProfile, UserRef, time::now_ms};
use palaver_store::Conn;
use palaver_store::repo::sessions::{self, SessionTokens, TicketState};
use palaver_store::repo::users;
use std::net::IpAddr;

/// The tokens of a session, given to the client once.
#[derive(Clone, Debug)]
pub struct IssuedTokens {
    /// Bearer token for requests and the realtime channel.
    pub access_token: String,
    /// When the access token expires, Unix ms.
    pub access_expires: i64,
    /// Token that obtains new tokens; replaced at every refresh.
    pub refresh_token: String,
    /// When the refresh token expires, Unix ms.
    pub refresh_expires: i64,
    /// The session's user.
    pub user: User,
}

/// An authenticated client request.
#[derive(Clone, Debug)]
pub struct ClientSession {
    /// Session id (for logout).
    pub id: i64,
    /// The app.
    pub app: AppId,
    /// The user.
    pub user: User,
    /// The device the session was opened on.
    pub device_id: String,
    /// When the access token expires, Unix ms.
    pub access_expires: i64,
}

fn unauthorized(e: AuthError) -> Error {
    Error::Unauthorized(e)
}

/// Ends every session of a user; returns whether one was live.
pub(crate) fn revoke_all(conn: &mut dyn Conn, user: UserId) -> Result<bool, Error> {
    Ok(sessions::revoke_all(conn, user)? > 0)
}

impl Core {
    fn new_tokens(&self) -> (String, String, SessionTokens) {
        let now = now_ms();
        let access = secrets::random_token(48);
        let refresh = secrets::random_token(48);
        let hashes = SessionTokens {
            access_hash: secrets::hash(&access),
            access_expires: now + self.config().access_token_ttl_ms,
            refresh_hash: secrets::hash(&refresh),
            refresh_expires: now + self.config().refresh_token_ttl_ms,
        };
        (access, refresh, hashes)
    }

    /// Creates or updates the user and issues a single-use ticket its client redeems for a
    /// session within the ticket's lifetime; returns the ticket and the user.
    pub async fn issue_ticket(
        &self,
        app: AppId,
        id: ExternalId,
        profile: UserProfile,
    ) -> Result<(String, User), Error> {
        let ticket = secrets::random_token(64);
        let hash = secrets::hash(&ticket);
        let ttl = self.config().ticket_ttl_ms;
        let user = self
            .store()
            .write(move |tx| {
                let (user, _) = upsert_in(tx, app, &id, &profile, false)?;
                let now = now_ms();
                sessions::insert_ticket(tx.conn(), &hash, app, user.id, now + ttl, now)?;
                Ok::<_, Error>(user)
            })
            .await?;
        Ok((ticket, user))
    }

    /// Redeems a single-use auth ticket for a new session on `device_id`.
    pub async fn redeem_ticket(
        &self,
        app: AppId,
        ticket: &str,
        device_id: &str,
        from: Option<IpAddr>,
    ) -> Result<IssuedTokens, Error> {
        self.may_authenticate(from)?;
        let hash = secrets::hash(ticket);
        let device = device_id.to_string();
        let (access, refresh, tokens) = self.new_tokens();
        let (user, tokens) = self
            .store()
            .write(move |tx| {
                let conn = tx.conn();
                let now = now_ms();
                let (ticket_app, user_id) = match sessions::redeem_ticket(conn, &hash, now)? {
                    TicketState::Redeemed(a, u) => (a, u),
                    TicketState::Expired => return Err(unauthorized(AuthError::Expired)),
                    TicketState::Unknown | TicketState::Used => return Err(unauthorized(AuthError::Invalid)),
                };
                if ticket_app != app {
                    return Err(unauthorized(AuthError::WrongApp));
                }
                let mut user = live_user_by_id(conn, app, user_id).map_err(|_| unauthorized(AuthError::UserGone))?;
                sessions::create(conn, app, user.id, &device, &tokens, now)?;
                users::touch_login(conn, user.id, now)?;
                user.last_login = now;
                user.last_activity = now;
                Ok((user, tokens))
            })
            .await
            .inspect_err(|e| self.count_failure(from, e))?;
        Ok(IssuedTokens {
            access_token: access,
            access_expires: tokens.access_expires,
            refresh_token: refresh,
            refresh_expires: tokens.refresh_expires,
            user,
        })
    }

    /// Exchanges a refresh token for new access and refresh tokens; the old ones stop working.
    pub async fn refresh_session(
        &self,
        app: AppId,
        refresh_token: &str,
        from: Option<IpAddr>,
    ) -> Result<IssuedTokens, Error> {
        self.may_authenticate(from)?;
        let hash = secrets::hash(refresh_token);
        let (access, refresh, tokens) = self.new_tokens();
        let (user, tokens) = self
            .store()
            .write(move |tx| {
                let conn = tx.conn();
                let session = sessions::by_refresh_hash(conn, &hash)?
                    .filter(|s| !s.revoked)
                    .ok_or(unauthorized(AuthError::Invalid))?;
                if session.app != app {
                    return Err(unauthorized(AuthError::WrongApp));
                }
                if session.refresh_expires <= now_ms() {
                    return Err(unauthorized(AuthError::Expired));
                }
                let user = live_user_by_id(conn, app, session.user).map_err(|_| unauthorized(AuthError::UserGone))?;
                sessions::rotate(conn, session.id, &tokens)?;
                Ok((user, tokens))
            })
            .await
            .inspect_err(|e| self.count_failure(from, e))?;
        Ok(IssuedTokens {
            access_token: access,
            access_expires: tokens.access_expires,
            refresh_token: refresh,
            refresh_expires: tokens.refresh_expires,
            user,
        })
    }

    /// The session an access token opens.
    pub async fn authenticate(
        &self,
        app: AppId,
        access_token: &str,
        from: Option<IpAddr>,
    ) -> Result<ClientSession, Error> {
        self.may_authenticate(from)?;
        let hash = secrets::hash(access_token);
        self.store()
            .read(move |conn| {
                let session = sessions::by_access_hash(conn, &hash)?
                    .filter(|s| !s.revoked)
                    .ok_or(unauthorized(AuthError::Invalid))?;
                if session.app != app {
                    return Err(unauthorized(AuthError::WrongApp));
                }
                if session.access_expires <= now_ms() {
                    return Err(unauthorized(AuthError::Expired));
                }
                let user = live_user_by_id(conn, app, session.user).map_err(|_| unauthorized(AuthError::UserGone))?;
                Ok(ClientSession {
                    id: session.id,
                    app,
                    user,
                    device_id: session.device_id,
                    access_expires: session.access_expires,
                })
            })
            .await
            .inspect_err(|e| self.count_failure(from, e))
    }

    /// Ends every session of a user (an operator's command): their tokens stop working, and
    /// their live connections close on every node. Returns how many sessions were live.
    pub async fn revoke_sessions(&self, app: AppId, user: UserRef) -> Result<u64, Error> {
        self.store()
            .write(move |tx| {
                let user = crate::lookup::live_user(tx.conn(), app, &user)?;
                let n = sessions::revoke_all(tx.conn(), user.id)?;
                if n > 0 {
                    record(tx, app, None, ChangeKind::SessionsRevoked { user: user.id, session: None })?;
                }
                Ok(n)
            })
            .await
    }

    /// Ends a session: its tokens stop working.
    pub async fn logout(&self, session: &ClientSession) -> Result<(), Error> {
        let (app, user, id) = (session.app, session.user.id, session.id);
        self.store()
            .write(move |tx| {
                if sessions::revoke(tx.conn(), id)? {
                    record(tx, app, Some(user), ChangeKind::SessionsRevoked { user, session: Some(id) })?;
                }
                Ok(())
            })
            .await
    }
}

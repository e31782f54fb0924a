//! Live connections, presence and typing: a user's first connection announces it online to
//! everyone who shares a room with it, its last one announces it offline; typing is relayed
//! to a room's other participants, and a client's custom room events to all of them. None of
//! it is stored in the change log: it is not state.

use crate::Core;
use crate::lookup::{live_user_by_id, member_room};
use crate::realtime::Connection;
use palaver_domain::{AppId, Error, Event, Field, Invalid, Room, RoomRef, User, UserId, time::now_ms};
use palaver_store::repo::{participants, users};
use std::sync::Arc;

/// Largest custom room event passed on.
const MAX_SIGNAL_BYTES: usize = 16 * 1024;

impl Core {
    /// Registers a live connection with the hub.
    pub async fn connect(&self, conn: Arc<Connection>) -> Result<(), Error> {
        let (app, user) = (conn.app, conn.user);
        if !self.may_connect(app) {
            return Err(Error::Unavailable);
        }
        if self.hub().register(conn, self.config().max_connections_per_user) == 1 {
            self.announce_presence(app, user, true).await;
        }
        Ok(())
    }

    /// Whether an app's users may open another live connection on this node (the app's cap;
    /// a user's own cap replaces their oldest connection instead).
    pub fn may_connect(&self, app: AppId) -> bool {
        let max = self.config().max_connections_per_app;
        max == 0 || self.hub().app_connections(app) < max
    }

    /// Removes a live connection; the user's last one records its activity.
    pub async fn disconnect(&self, conn: &Connection) {
        if self.hub().unregister(conn.app, conn.user, conn.id) == 0 {
            let user = conn.user;
            let _ = self
                .store()
                .write(move |tx| users::touch_activity(tx.conn(), user, now_ms()).map_err(Error::from))
                .await;
            self.announce_presence(conn.app, user, false).await;
        }
    }

    async fn announce_presence(&self, app: AppId, user: UserId, online: bool) {
        let found = self
            .store()
            .read(move |c| Ok::<(User, _), Error>((live_user_by_id(c, app, user)?, participants::room_mates(c, user)?)))
            .await;
        // Announced even with no one to tell here: other nodes track who is online.
        match found {
            Ok((user, recipients)) => {
                let last_active = if online { now_ms() } else { user.last_activity.max(now_ms()) };
                self.router().publish(Event::Presence { user, online, last_active, recipients }).await;
            }
            Err(e) => tracing::debug!(error = %e, "presence not announced"),
        }
    }

    /// Whether two users share a room: who may see whose presence.
    pub async fn share_a_room(&self, a: UserId, b: UserId) -> Result<bool, Error> {
        if a == b {
            return Ok(true);
        }
        self.store().read(move |c| Ok(participants::share_a_room(c, a, b)?)).await
    }

    /// Relays that `user` started or stopped typing in a room to its other participants.
    pub async fn typing(&self, app: AppId, user: UserId, room: RoomRef, typing: bool) -> Result<(), Error> {
        let (room, who, mut recipients) = self.signalling(app, user, room).await?;
        recipients.retain(|u| *u != user);
        self.router().publish(Event::Typing { room, user: who, typing, recipients }).await;
        Ok(())
    }

    /// Passes a participant's own event (JSON text) on to everyone in the room, itself
    /// included; nothing is stored. Counted like typing.
    pub async fn room_signal(&self, app: AppId, user: UserId, room: RoomRef, data: String) -> Result<(), Error> {
        if data.len() > MAX_SIGNAL_BYTES {
            return Err(Error::invalid(Field::Extras, Invalid::TooLarge { max_bytes: MAX_SIGNAL_BYTES as u64 }));
        }
        let (room, who, recipients) = self.signalling(app, user, room).await?;
        self.router().publish(Event::RoomSignal { room, user: who, data, recipients }).await;
        Ok(())
    }

    /// For a live signal from `user` in a room (typing, a custom event): the rate limit, the
    /// room (the user must be in it), the user, and every participant.
    async fn signalling(&self, app: AppId, user: UserId, room: RoomRef) -> Result<(Room, User, Vec<UserId>), Error> {
        self.rates().user(app, user, crate::Rated::Typing)?;
        self.store()
            .read(move |c| {
                let room = member_room(c, app, user, &room)?;
                let who = live_user_by_id(c, app, user)?;
                let recipients = participants::recipients(c, room.id)?;
                Ok((room, who, recipients))
            })
            .await
    }
}

//! Live connections and presence: a user's first connection announces it online to everyone
//! who shares a room with it, its last one announces it offline.

use crate::Core;
use crate::realtime::Connection;
use crate::users::live_user;
use palaver_domain::{Error, Event, User, time::now_ms};
use palaver_store::repo::{participants, users};
use std::sync::Arc;

impl Core {
    /// Registers a live connection with the hub.
    pub async fn connect(&self, conn: Arc<Connection>) {
        let (app, user) = (conn.app, conn.user);
        if self.hub().register(conn) == 1 {
            self.announce_presence(app, user, true).await;
        }
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

    async fn announce_presence(&self, app: palaver_domain::AppId, user: palaver_domain::UserId, online: bool) {
        let found = self
            .store()
            .read(move |c| Ok::<(User, _), Error>((live_user(c, app, user)?, participants::room_mates(c, user)?)))
            .await;
        // Announced even with no one to tell here: other nodes track who is online.
        match found {
            Ok((user, recipients)) => {
                let last_active = if online { now_ms() } else { user.last_activity.max(now_ms()) };
                self.router().publish(Event::Presence { app, user, online, last_active, recipients });
            }
            Err(e) => tracing::debug!(error = %e, "presence not announced"),
        }
    }
}

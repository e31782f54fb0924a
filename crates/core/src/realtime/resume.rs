//! Realtime sessions that outlive their connection (MQTT `clean_session=false`): a face keeps
//! what it needs under the client's id when the connection ends, and takes it back when the
//! client returns, then hears from the change log what the user missed in between. Kept in
//! the database, so a client may come back after a restart or to another node.

use crate::Core;
use crate::changes::events;
use palaver_domain::{AppId, ChangeId, Error, Event, UserId, time::now_ms};
use palaver_store::repo::changes as log;
use palaver_store::repo::devices::{self, Resumable};

/// How long a session waits for its client to return.
pub const RESUMABLE_TTL_MS: i64 = 24 * 3600 * 1000;

impl Core {
    /// The newest change this node has handed to its connections: where a new session's
    /// record of what it was written starts.
    pub fn delivered_upto(&self) -> ChangeId {
        self.router().last_seen()
    }

    /// Keeps `state` (the face's own encoding) for the client `client_id` of `face`, for
    /// [`RESUMABLE_TTL_MS`], replacing whatever was kept for it.
    pub async fn keep_resumable(
        &self,
        face: &'static str,
        client_id: String,
        app: AppId,
        user: UserId,
        state: String,
    ) -> Result<(), Error> {
        let session = Resumable { app, user, state };
        let expires = now_ms() + RESUMABLE_TTL_MS;
        self.store()
            .write(move |tx| Ok::<_, Error>(devices::save_resumable(tx.conn(), face, &client_id, &session, expires)?))
            .await
    }

    /// Takes back what was kept for `client_id` of `face`, if anything still is; a session
    /// is resumed once. Taking with no use for it forgets it (a clean start).
    pub async fn take_resumable(&self, face: &'static str, client_id: String) -> Result<Option<Resumable>, Error> {
        self.store()
            .write(move |tx| Ok::<_, Error>(devices::take_resumable(tx.conn(), face, &client_id, now_ms())?))
            .await
    }

    /// Forgets whatever was kept for `client_id` of `face` (a client starting clean); costs a
    /// read when nothing was.
    pub async fn discard_resumable(&self, face: &'static str, client_id: String) -> Result<(), Error> {
        let id = client_id.clone();
        if self.store().read(move |c| Ok::<_, Error>(devices::has_resumable(c, face, &id)?)).await? {
            self.take_resumable(face, client_id).await?;
        }
        Ok(())
    }

    /// The committed events after `after` that concern `user` (its rooms' and its own),
    /// oldest first, at most `limit`: what a resumed session missed.
    pub async fn events_of_user(
        &self,
        app: AppId,
        user: UserId,
        after: ChangeId,
        limit: i64,
    ) -> Result<Vec<Event>, Error> {
        self.store()
            .read(move |c| {
                let rows = log::after_for_user(c, app, user, after, limit)?;
                events(c, rows)
            })
            .await
    }
}

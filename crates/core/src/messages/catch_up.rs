//! Catching a device up from the change log: every message created or changed in the user's
//! rooms since the device last synced (its cursor, a change id), as the user sees it now.

use crate::Core;
use crate::changes::purged_upto;
use crate::lookup::with_context;
use palaver_domain::{AppId, ChangeId, Error, MessageId, RoomMessage, UserId};
use palaver_store::Conn;
use palaver_store::repo::changes::{self as log, ChangeRow};
use palaver_store::repo::{self, messages, sessions};
use std::collections::HashMap;

/// Most messages one catch-up returns; the device asks again for the rest.
const MAX_MESSAGES: usize = 1000;
/// Changes read per catch-up.
const MAX_CHANGES: i64 = 2000;

/// The messages a stored change is about: its message, or the range a receipt covers.
fn messages_of(conn: &mut dyn Conn, row: &ChangeRow) -> Result<Vec<MessageId>, Error> {
    match (row.kind.as_str(), row.message, row.room, row.actor, row.facts.from) {
        ("message.delivered" | "message.read", Some(upto), Some(room), Some(reader), Some(from)) => {
            Ok(messages::ids_in_range_from_others(conn, room, reader, from.0, upto.0)?)
        }
        (kind, Some(m), _, _, _) if kind.starts_with("message.") => Ok(vec![m]),
        _ => Ok(Vec::new()),
    }
}

/// What changed for `user` after `cursor`, and the cursor to continue from.
fn changed_since(conn: &mut dyn Conn, app: AppId, user: UserId, cursor: i64) -> Result<(Vec<RoomMessage>, i64), Error> {
    // Read first: every change up to it is committed (see the sequence in ARCHITECTURE.md).
    let now = repo::current_seq(conn)?;
    let (found, next) = if ChangeId(cursor) < purged_upto(conn)? {
        // The log no longer reaches back that far: new messages are all it can give.
        let list = messages::created_for_user(conn, user, cursor, MAX_MESSAGES as i64)?;
        let next = if list.len() == MAX_MESSAGES { list.last().map_or(cursor, |m| m.id.0) } else { now };
        (list, next)
    } else {
        let rows = log::after_for_user(conn, app, user, ChangeId(cursor), MAX_CHANGES)?;
        let complete = (rows.len() as i64) < MAX_CHANGES;
        // Each message once, at the place of its latest change.
        let mut order: Vec<MessageId> = Vec::new();
        let mut next = cursor;
        let mut stopped = false;
        for row in &rows {
            let ids = messages_of(conn, row)?;
            order.retain(|id| !ids.contains(id));
            if order.len() + ids.len() > MAX_MESSAGES && !order.is_empty() {
                stopped = true;
                break;
            }
            order.extend(ids);
            next = row.id.0;
        }
        let position: HashMap<MessageId, usize> = order.iter().enumerate().map(|(i, m)| (*m, i)).collect();
        let mut list = messages::visible_by_ids(conn, user, &order)?;
        list.sort_by_key(|m| position.get(&m.id).copied().unwrap_or(usize::MAX));
        (list, if complete && !stopped { now.max(next) } else { next })
    };
    Ok((with_context(conn, app, found)?, next))
}

impl Core {
    /// What changed in `user`'s rooms since this device last synced, oldest change first;
    /// moves the device's cursor on. A device's first call starts it from now (it loads
    /// history separately) and returns nothing. The changes are read on a reader; only the
    /// cursor is written.
    pub async fn catch_up(&self, app: AppId, user: UserId, device: String) -> Result<Vec<RoomMessage>, Error> {
        let key = device.clone();
        let (found, next) = self
            .store()
            .read(move |c| match sessions::device_cursor(c, user, &key)? {
                Some(cursor) => changed_since(c, app, user, cursor),
                None => Ok((Vec::new(), repo::current_seq(c)?)),
            })
            .await?;
        self.save_device_cursor(user, device, ChangeId(next)).await?;
        Ok(found)
    }

    /// Gives a device that has never synced a cursor at `at` (where its live connection
    /// starts: it loads what came before as history), so that what arrives after a
    /// disconnection is caught up even if its connection never carried a message. A device
    /// with a cursor keeps it (it may have missed changes before this connection); costs a
    /// read when it has one.
    pub async fn start_device_cursor(&self, user: UserId, device: String, at: ChangeId) -> Result<(), Error> {
        let key = device.clone();
        if self.store().read(move |c| Ok::<_, Error>(sessions::device_cursor(c, user, &key)?)).await?.is_some() {
            return Ok(());
        }
        self.store()
            .write(move |tx| {
                if sessions::device_cursor(tx.conn(), user, &device)?.is_none() {
                    sessions::set_device_cursor(tx.conn(), user, &device, at.0)?;
                }
                Ok(())
            })
            .await
    }

    /// Records that a device has received every change up to `seq` (its connection closed,
    /// or it caught up); a cursor never moves back.
    pub async fn save_device_cursor(&self, user: UserId, device: String, seq: ChangeId) -> Result<(), Error> {
        if seq.0 <= 0 {
            return Ok(());
        }
        self.store()
            .write(move |tx| {
                let conn = tx.conn();
                match sessions::device_cursor(conn, user, &device)? {
                    Some(current) if current >= seq.0 => {}
                    _ => sessions::set_device_cursor(conn, user, &device, seq.0)?,
                }
                Ok(())
            })
            .await
    }
}

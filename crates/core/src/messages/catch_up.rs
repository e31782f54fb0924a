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

impl Core {
    /// What changed in `user`'s rooms since this device last synced, oldest change first;
    /// moves the device's cursor on. A device's first call starts it from now (it loads
    /// history separately) and returns nothing.
    pub async fn catch_up(&self, app: AppId, user: UserId, device: String) -> Result<Vec<RoomMessage>, Error> {
        self.store()
            .write(move |tx| {
                let conn = tx.conn();
                let now = repo::current_seq(conn)?;
                let Some(cursor) = sessions::device_cursor(conn, user, &device)? else {
                    sessions::set_device_cursor(conn, user, &device, now)?;
                    return Ok(Vec::new());
                };
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
                    (list, if complete && !stopped { now } else { next })
                };
                sessions::set_device_cursor(conn, user, &device, next.max(cursor))?;
                with_context(conn, app, found)
            })
            .await
    }

    /// Records that a device has received every change up to `seq` (its connection closed).
    pub async fn save_device_cursor(&self, user: UserId, device: String, seq: ChangeId) -> Result<(), Error> {
        if seq.0 <= 0 || device.is_empty() {
            return Ok(());
        }
        self.store()
            .write(move |tx| {
                let conn = tx.conn();
                let current = sessions::device_cursor(conn, user, &device)?.unwrap_or(0);
                if seq.0 > current {
                    sessions::set_device_cursor(conn, user, &device, seq.0)?;
                }
                Ok(())
            })
            .await
    }
}

//! The change log, the core's side: each operation records its changes here, in its own
//! transaction, which both appends the row and queues the live event (so nothing is
//! published that was not committed, and nothing is committed without being published);
//! readers get changes back with the current state they name.

use crate::Core;
use crate::housekeeping::PURGE_BATCH;
use crate::lookup::with_context;
use palaver_domain::{
    AppId, Change, ChangeId, ChangeKind, Error, Event, MemberChange, MessageId, Receipt, ReceiptKind, RoomChange,
    RoomId, RoomStateChange, UserChange, UserId, Via, time::now_ms,
};
use palaver_store::repo::changes::{self as log, ChangeRow};
use palaver_store::repo::{messages, participants, rooms, settings, users};
use palaver_store::{Conn, WriteTx};
use std::collections::HashMap;

/// The setting holding the highest change id purged so far.
const PURGED_UPTO: &str = "changes_purged_upto";

/// Records a change with a fresh id.
pub(crate) fn record(
    tx: &mut WriteTx<'_>,
    app: AppId,
    actor: Option<UserId>,
    kind: ChangeKind,
) -> Result<ChangeId, Error> {
    let id = ChangeId(tx.next_seq()?);
    record_as(tx, id, app, actor, kind)
}

/// Records a change whose id the caller took already (a new message's creation has the
/// message's id).
pub(crate) fn record_as(
    tx: &mut WriteTx<'_>,
    id: ChangeId,
    app: AppId,
    actor: Option<UserId>,
    kind: ChangeKind,
) -> Result<ChangeId, Error> {
    let change = Change { id, app, at: now_ms(), actor, kind };
    let recipients = recipients(tx.conn(), &change, None)?;
    tx.emit(Event::Committed { change: Box::new(change), recipients });
    Ok(id)
}

/// Who hears of a change: the participants of its room now and its own users; a receipt
/// only its reader and the senders of the messages it covers. `members`, when given, caches
/// rooms' participants across calls.
fn recipients(
    conn: &mut dyn Conn,
    change: &Change,
    members: Option<&mut HashMap<RoomId, Vec<UserId>>>,
) -> Result<Vec<UserId>, Error> {
    let pair = match &change.kind {
        ChangeKind::Receipt(r) => {
            let mut out = vec![r.reader];
            for m in &r.messages {
                if !out.contains(&m.sender.id) {
                    out.push(m.sender.id);
                }
            }
            return Ok(out);
        }
        ChangeKind::MessageCreated { item, .. }
        | ChangeKind::MessageEdited { item }
        | ChangeKind::MessageDeleted { item } => item.room.personal_pair,
        ChangeKind::Room { room, .. } | ChangeKind::Member { room, .. } => room.personal_pair,
        _ => None,
    };
    // A room's participants are distinct; only the change's own users (one at most) may
    // repeat one of them.
    let mut out = match (pair, change.room()) {
        // A personal room's participants are its pair; no need to ask.
        (Some((a, b)), _) if a == b => vec![a],
        (Some((a, b)), _) => vec![a, b],
        (None, Some(room)) => match members {
            Some(cache) => match cache.get(&room) {
                Some(list) => list.clone(),
                None => {
                    let list = participants::recipients(conn, room)?;
                    cache.insert(room, list.clone());
                    list
                }
            },
            None => participants::recipients(conn, room)?,
        },
        (None, None) => Vec::new(),
    };
    for user in change.users() {
        if !out.contains(&user) {
            out.push(user);
        }
    }
    Ok(out)
}

/// Stored changes with the state they name, as live events addressed as [`recipients`] says.
/// Rows whose state is gone are skipped.
pub(crate) fn events(conn: &mut dyn Conn, rows: Vec<ChangeRow>) -> Result<Vec<Event>, Error> {
    let mut members = HashMap::new();
    let mut out = Vec::with_capacity(rows.len());
    for change in load(conn, rows)? {
        let recipients = recipients(conn, &change, Some(&mut members))?;
        out.push(Event::Committed { change: Box::new(change), recipients });
    }
    Ok(out)
}

/// Rebuilds changes from stored rows, joining the current state of the messages, rooms and
/// users they name (every one of those is kept when deleted, so the join finds it).
pub(crate) fn load(conn: &mut dyn Conn, rows: Vec<ChangeRow>) -> Result<Vec<Change>, Error> {
    let mut by_app: HashMap<AppId, Vec<ChangeRow>> = HashMap::new();
    for row in rows {
        by_app.entry(row.app).or_default().push(row);
    }
    let mut out = Vec::new();
    for (app, rows) in by_app {
        out.extend(load_app(conn, app, rows)?);
    }
    out.sort_by_key(|c| c.id);
    Ok(out)
}

fn load_app(conn: &mut dyn Conn, app: AppId, rows: Vec<ChangeRow>) -> Result<Vec<Change>, Error> {
    // Receipts name a range of messages: the ones of others after the old pointer.
    let mut ranges: HashMap<ChangeId, Vec<MessageId>> = HashMap::new();
    // A new message's predecessor (Qiscus' `comment_before_id`): the visible message before
    // it now, as the log keeps no copy of what was visible then.
    let mut previous: HashMap<ChangeId, MessageId> = HashMap::new();
    let mut message_ids = Vec::new();
    for row in &rows {
        if let (Some(room), Some(m), "message.created") = (row.room, row.message, row.kind.as_str()) {
            previous.insert(row.id, MessageId(messages::previous_visible_id(conn, room, m)?));
        }
        // Every message change names its message (a receipt, the newest it covers).
        if let (Some(m), true) = (row.message, row.kind.starts_with("message.")) {
            message_ids.push(m);
        }
        if let (Some(room), Some(reader), Some(upto), Some(from)) = (row.room, row.actor, row.message, row.facts.from)
            && (row.kind == "message.delivered" || row.kind == "message.read")
        {
            let ids = messages::ids_in_range_from_others(conn, room, reader, from.0, upto.0)?;
            message_ids.extend(ids.iter().copied());
            ranges.insert(row.id, ids);
        }
    }
    message_ids.sort();
    message_ids.dedup();
    let found = messages::by_ids(conn, app, &message_ids)?;
    let found = with_context(conn, app, found)?;
    let items: HashMap<_, _> = found.into_iter().map(|m| (m.message.id, m)).collect();
    let mut room_ids: Vec<RoomId> = rows.iter().filter_map(|r| r.room.or(r.facts.view_of)).collect();
    room_ids.sort();
    room_ids.dedup();
    let rooms: HashMap<_, _> = rooms::by_ids(conn, app, &room_ids)?.into_iter().map(|r| (r.id, r)).collect();
    // A user's view of a personal room names the partner.
    let partner_of = |r: &ChangeRow| {
        let room = rooms.get(&r.facts.view_of?)?;
        room.partner_of(*r.users.first()?)
    };
    let mut user_ids: Vec<UserId> = rows
        .iter()
        .flat_map(|r| r.users.iter().copied().chain(r.facts.other).chain(r.actor).chain(partner_of(r)))
        .collect();
    user_ids.sort();
    user_ids.dedup();
    let users: HashMap<_, _> = users::by_ids(conn, app, &user_ids)?.into_iter().map(|u| (u.id, u)).collect();

    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let item = || row.message.and_then(|m| items.get(&m).cloned());
        let room = || row.room.and_then(|r| rooms.get(&r).cloned());
        let user = || row.users.first().and_then(|u| users.get(u).cloned());
        let other = || row.facts.other.and_then(|u| users.get(&u).cloned());
        let room_change = |change| room().map(|room| ChangeKind::Room { change, room });
        let member = |change| Some(ChangeKind::Member { change, room: room()?, user: user()? });
        let user_change = |change| user().map(|user| ChangeKind::User { change, user });
        let receipt = |kind| {
            let upto = row.message?;
            let upto_local_id = items.get(&upto)?.message.local_id.clone();
            let messages = ranges.get(&row.id)?.iter().filter_map(|id| items.get(id).cloned()).collect();
            Some(ChangeKind::Receipt(Receipt {
                kind,
                room: row.room?,
                reader: row.actor?,
                reader_external_id: users.get(&row.actor?)?.external_id.clone(),
                from: row.facts.from?,
                upto,
                upto_local_id,
                messages,
            }))
        };
        let kind = match row.kind.as_str() {
            "message.created" => item().map(|item| ChangeKind::MessageCreated {
                item,
                via: row.facts.via.unwrap_or(Via::Client),
                scheduled: row.facts.scheduled,
                previous: previous.get(&row.id).copied().unwrap_or_default(),
            }),
            "message.edited" => item().map(|item| ChangeKind::MessageEdited { item }),
            "message.deleted" => item().map(|item| ChangeKind::MessageDeleted { item }),
            "history.cleared" => {
                item().zip(row.users.first()).map(|(item, u)| ChangeKind::HistoryCleared { item, user: *u })
            }
            "message.hidden" => {
                item().zip(row.users.first()).map(|(item, u)| ChangeKind::MessageHidden { item, user: *u })
            }
            "message.delivered" => receipt(ReceiptKind::Delivered),
            "message.read" => receipt(ReceiptKind::Read),
            "room.created" => room_change(RoomChange::Created),
            "room.updated" => room_change(RoomChange::Updated),
            "room.locked" => room_change(RoomChange::Locked),
            "room.unlocked" => room_change(RoomChange::Unlocked),
            "room.deleted" => room_change(RoomChange::Deleted),
            "participant.added" => member(MemberChange::Added),
            "participant.removed" => member(MemberChange::Removed),
            "participant.left" => member(MemberChange::Left),
            "participant.promoted" => member(MemberChange::Promoted),
            "participant.demoted" => member(MemberChange::Demoted),
            "user.created" => user_change(UserChange::Created),
            "user.updated" => user_change(UserChange::Updated),
            "user.deleted" => user_change(UserChange::Deleted),
            "user.deactivated" => user_change(UserChange::Deactivated),
            "user.reactivated" => user_change(UserChange::Reactivated),
            "contact.added" | "contact.removed" => other().zip(row.users.first()).map(|(contact, owner)| {
                ChangeKind::Contact { added: row.kind == "contact.added", owner: *owner, contact }
            }),
            "user.blocked" | "user.unblocked" => other().zip(row.users.first()).map(|(subject, blocker)| {
                ChangeKind::Block { blocked: row.kind == "user.blocked", blocker: *blocker, subject }
            }),
            "room.muted" | "room.unmuted" | "room.pinned" | "room.unpinned" | "room.marked_unread"
            | "room.marked_read" => {
                let state = match row.kind.as_str() {
                    "room.muted" => RoomStateChange::Muted { until: row.facts.until },
                    "room.unmuted" => RoomStateChange::Unmuted,
                    "room.pinned" => RoomStateChange::Pinned,
                    "room.unpinned" => RoomStateChange::Unpinned,
                    "room.marked_unread" => RoomStateChange::MarkedUnread,
                    _ => RoomStateChange::MarkedRead,
                };
                let room = row.facts.view_of.and_then(|r| rooms.get(&r).cloned());
                let partner = partner_of(&row).and_then(|u| users.get(&u).cloned());
                room.zip(row.users.first()).map(|(room, u)| ChangeKind::RoomState { user: *u, room, partner, state })
            }
            // The room once it exists; before, the personal room of the user and the other.
            "schedule.changed" => row.users.first().and_then(|u| {
                let room = match row.facts.view_of {
                    Some(r) => rooms.get(&r).cloned()?,
                    None => {
                        let other = row.facts.other?;
                        let draft = palaver_domain::Room::draft(app, palaver_domain::RoomType::Personal, row.at);
                        palaver_domain::Room { personal_pair: Some(((*u).min(other), (*u).max(other))), ..draft }
                    }
                };
                let partner = room.partner_of(*u).and_then(|p| users.get(&p).cloned());
                Some(ChangeKind::ScheduleChanged { user: *u, room, partner })
            }),
            "session.revoked" => {
                row.users.first().map(|u| ChangeKind::SessionsRevoked { user: *u, session: row.facts.session })
            }
            _ => None,
        };
        match kind {
            Some(kind) => out.push(Change { id: row.id, app, at: row.at, actor: row.actor, kind }),
            None => tracing::warn!(change = row.id.0, kind = %row.kind, "skipping a change whose state is gone"),
        }
    }
    Ok(out)
}

impl Core {
    /// An app's changes after `after`, oldest first, at most `limit`, with the state they
    /// name: what webhooks read. Read on the store's background reader (lowest CPU priority),
    /// so that consumers of the log never take CPU from clients.
    pub async fn changes_of_app(&self, app: AppId, after: ChangeId, limit: i64) -> Result<Vec<Change>, Error> {
        self.store()
            .read_in_background(move |c| {
                let rows = log::after_for_app(c, app, after, limit)?;
                load(c, rows)
            })
            .await
    }

    /// The changes after `after` that concern `user` (those of its rooms and those naming
    /// it), oldest first, at most `limit`, with the state they name.
    pub async fn changes_of_user(
        &self,
        app: AppId,
        user: UserId,
        after: ChangeId,
        limit: i64,
    ) -> Result<Vec<Change>, Error> {
        self.store()
            .read(move |c| {
                let rows = log::after_for_user(c, app, user, after, limit)?;
                load(c, rows)
            })
            .await
    }

    /// The newest change id, and the id up to which old changes were purged: a reader
    /// starting from a cursor at or above the second misses nothing.
    pub async fn log_bounds(&self) -> Result<(ChangeId, ChangeId), Error> {
        self.store().read(|c| Ok((ChangeId(palaver_store::repo::current_seq(c)?), purged_upto(c)?))).await
    }

    /// Deletes changes older than the retention, a small batch per transaction, and notes
    /// how far it got (device catch-up falls back to plain history before that point).
    pub async fn purge_changes(&self) -> Result<usize, Error> {
        let cutoff = now_ms() - self.config().change_retention_ms;
        let apps = self.store().read(|c| palaver_store::repo::apps::list(c)).await?;
        let mut total = 0;
        for app in apps.into_iter().map(|a| a.id) {
            loop {
                let n = self
                    .store()
                    .write(move |tx| {
                        let (n, upto) = log::purge(tx.conn(), app, cutoff, PURGE_BATCH as i64)?;
                        let before = purged_upto(tx.conn())?;
                        if let Some(upto) = upto.filter(|u| *u > before) {
                            settings::set(tx.conn(), PURGED_UPTO, &upto.0.to_string())?;
                        }
                        Ok::<_, Error>(n)
                    })
                    .await?;
                total += n;
                if n < PURGE_BATCH {
                    break;
                }
            }
        }
        Ok(total)
    }
}

/// The highest change id purged so far (0 when none).
pub(crate) fn purged_upto(conn: &mut dyn Conn) -> Result<ChangeId, Error> {
    Ok(ChangeId(settings::get(conn, PURGED_UPTO)?.and_then(|v| v.parse().ok()).unwrap_or(0)))
}

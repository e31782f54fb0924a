//! Scheduled messages: a user's message to be sent by the server at a later time.
//!
//! An item is a row of `scheduled_messages` until it is sent, dropped or deleted. Sending is
//! the ordinary post (`messages::post_in`, as a client of the sender, so the room's rules are
//! checked again), done in the same transaction that marks the item sent: a crash leaves
//! either both or neither, so an item is never lost and never sent twice. One loop per node
//! ([`Core::start_scheduled_messages`]) wakes when the earliest item is due (at least every
//! second, and when an item is added or moved), reads which are due and sends each in a write
//! of its own that first claims the row (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so that two
//! nodes never both send it; SQLite's single writer serialises the claims). An item whose
//! sender may no longer post there is dropped, with the reason kept. Every change to a user's
//! list is a `schedule.changed` change that only the user hears of.

use crate::changes::record;
use crate::lookup::{live_user, live_user_by_id, member_room};
use crate::messages::{message_of, post_in};
use crate::{Author, Content, Core, Destination, Draft, Post};
use palaver_domain::room::{parse_personal_key, personal_key};
use palaver_domain::time::now_ms;
use palaver_domain::{
    AppId, ChangeKind, Denied, Entity, Error, MessageId, Room, RoomId, RoomMessage, RoomRef, RoomType, User, UserId,
    UserRef, Via,
};
use palaver_store::repo::scheduled::{self as repo, ScheduledRow};
use palaver_store::repo::{contacts, rooms, users};
use palaver_store::{Conn, WriteTx};
use std::time::Duration;

/// Longest the loop sleeps between two looks.
const POLL_MS: i64 = 1_000;
/// How long the loop waits when every due item was another node's to send.
const SKIPPED_MS: i64 = 50;
/// Most due items read per look.
const DUE_BATCH: i64 = 64;

/// A waiting scheduled message.
#[derive(Clone, Debug, PartialEq)]
pub struct ScheduledMessage {
    /// Its id.
    pub id: i64,
    /// When it was scheduled, Unix ms.
    pub created: i64,
    /// When it last changed, Unix ms.
    pub updated: i64,
    /// When it is to be sent, Unix ms.
    pub scheduled_at: i64,
    /// The message as it will be sent (id 0, `created` its scheduled time), its room (a
    /// draft with id 0 for a personal room not created yet), sender and partner.
    pub item: RoomMessage,
}

/// Where a user may post, as stored (`room_key`) and as shown.
struct Target {
    key: String,
    room: Room,
    partner: Option<User>,
}

/// A personal room's draft, for one that does not exist yet.
fn personal_draft(app: AppId, a: UserId, b: UserId) -> Room {
    Room { personal_pair: Some((a.min(b), a.max(b))), ..Room::draft(app, RoomType::Personal, now_ms()) }
}

/// The room `r` names, which `user` must be a participant of (or, for a personal room, one of
/// its pair). With `to_post`, the room must also take the user's messages as a client's send
/// checks them (not deleted, locked or blocked), without creating a personal room (its first
/// message will); reading and removing one's own items needs only the first.
fn target(conn: &mut dyn Conn, app: AppId, user: &User, r: &RoomRef, to_post: bool) -> Result<Target, Error> {
    let (a, b) = match r {
        RoomRef::Personal(a, b) => (*a, *b),
        other => {
            let room = member_room(conn, app, user.id, other)?;
            match room.personal_pair {
                Some(pair) => pair,
                None if room.is_locked && to_post => return Err(Error::Forbidden(Denied::Locked)),
                None => return Ok(Target { key: room.id.0.to_string(), room, partner: None }),
            }
        }
    };
    if user.id != a && user.id != b {
        return Err(Error::Forbidden(Denied::NotParticipant));
    }
    let other = live_user(conn, app, &UserRef::Id(if user.id == a { b } else { a }))?;
    let room = rooms::by_ref(conn, app, &RoomRef::Personal(a.min(b), a.max(b)))?;
    if let Some(room) = room.as_ref().filter(|_| to_post) {
        if room.is_deleted() {
            return Err(Error::NotFound(Entity::Room));
        }
        if room.is_locked {
            return Err(Error::Forbidden(Denied::Locked));
        }
    }
    if to_post && contacts::blocked_either_way(conn, user.id, other.id)? {
        return Err(Error::Forbidden(Denied::Blocked));
    }
    let room = room.unwrap_or_else(|| personal_draft(app, a, b));
    Ok(Target { key: personal_key(a, b), room, partner: Some(other) })
}

/// How a stored room key names its room.
fn room_ref_of(key: &str) -> Option<RoomRef> {
    match parse_personal_key(key) {
        Some((a, b)) => Some(RoomRef::Personal(a, b)),
        None => key.parse().ok().map(|id| RoomRef::Id(RoomId(id))),
    }
}

/// The room a stored key names now, or a draft of a personal room not created yet.
fn room_of_key(conn: &mut dyn Conn, app: AppId, key: &str) -> Result<Room, Error> {
    let r = room_ref_of(key).ok_or_else(|| Error::internal("a scheduled message names no room"))?;
    match (rooms::by_ref(conn, app, &r)?, &r) {
        (Some(room), _) => Ok(room),
        (None, RoomRef::Personal(a, b)) => Ok(personal_draft(app, *a, *b)),
        (None, _) => Err(Error::NotFound(Entity::Room)),
    }
}

fn content_of(row: &ScheduledRow) -> Content {
    Content {
        type_code: row.type_code,
        type_name: row.type_name.clone(),
        body: row.body.clone(),
        data: row.data.clone(),
        extras: row.extras.clone(),
        filter_id: row.filter_id.clone(),
        is_hidden: row.is_hidden,
        quote: row.quote.clone(),
        reply_to: row.reply_to.clone(),
        forward_from: row.forward_from.clone(),
        system: None,
        attachments: row.attachments.clone(),
    }
}

/// Writes a draft's content (and client id) into a row.
fn fill(row: &mut ScheduledRow, draft: Draft) {
    let c = draft.content;
    row.local_id = draft.local_id.unwrap_or_else(crate::secrets::random_local_id);
    (row.type_code, row.type_name, row.body, row.data, row.extras) =
        (c.type_code, c.type_name, c.body, c.data, c.extras);
    (row.filter_id, row.is_hidden, row.quote, row.reply_to) = (c.filter_id, c.is_hidden, c.quote, c.reply_to);
    (row.forward_from, row.attachments) = (c.forward_from, c.attachments);
}

fn view(row: &ScheduledRow, sender: &User, t: &Target) -> ScheduledMessage {
    let mut message = message_of(content_of(row), None);
    (message.app, message.room, message.sender, message.local_id) =
        (row.app, t.room.id, sender.id, row.local_id.clone());
    (message.created, message.updated) = (row.scheduled_at, row.updated);
    let item = RoomMessage { message, room: t.room.clone(), sender: sender.clone(), partner: t.partner.clone() };
    ScheduledMessage { id: row.id, created: row.created, updated: row.updated, scheduled_at: row.scheduled_at, item }
}

/// Records that `user`'s list in `room` changed.
fn changed(tx: &mut WriteTx<'_>, app: AppId, user: UserId, room: Room, partner: Option<User>) -> Result<(), Error> {
    record(tx, app, Some(user), ChangeKind::ScheduleChanged { user, room, partner }).map(drop)
}

/// The user's own pending item, or not found (someone else's included).
fn own(conn: &mut dyn Conn, app: AppId, user: UserId, id: i64) -> Result<ScheduledRow, Error> {
    repo::get(conn, app, id)?
        .filter(|r| r.user == user && r.status == repo::PENDING)
        .ok_or(Error::NotFound(Entity::Message))
}

/// Sends a pending item now, in the caller's transaction: claims it, posts it as its
/// sender's client would, and marks it sent. `None` if it is not pending (or another node
/// holds it, or `owner` is given and does not match).
fn send_in(tx: &mut WriteTx<'_>, id: i64, owner: Option<(AppId, UserId, &str)>) -> Result<Option<MessageId>, Error> {
    let Some(row) = repo::claim(tx.conn(), id)? else { return Ok(None) };
    if owner.is_some_and(|(app, user, key)| row.app != app || row.user != user || row.room_key != key) {
        return Ok(None);
    }
    let to = room_ref_of(&row.room_key).ok_or_else(|| Error::internal("a scheduled message names no room"))?;
    let draft = Draft { local_id: Some(row.local_id.clone()), content: content_of(&row) };
    let post = Post {
        author: Author::User(UserRef::Id(row.user)),
        via: Via::Client,
        to: Destination::Room(to),
        drafts: vec![draft],
    };
    let posted = post_in(tx, row.app, post, true)?;
    let Some(sent) = posted.into_iter().next() else { return Err(Error::internal("nothing was posted")) };
    repo::mark_sent(tx.conn(), id, sent.item.message.id, now_ms())?;
    changed(tx, row.app, row.user, sent.item.room.clone(), sent.item.partner_for(row.user).cloned())?;
    Ok(Some(sent.item.message.id))
}

/// Drops a pending item that cannot be sent, keeping why.
fn drop_in(tx: &mut WriteTx<'_>, id: i64, reason: &str) -> Result<(), Error> {
    let Some(row) = repo::claim(tx.conn(), id)? else { return Ok(()) };
    if repo::mark_dropped(tx.conn(), id, reason, now_ms())? {
        let room = room_of_key(tx.conn(), row.app, &row.room_key)?;
        let partner = match room.partner_of(row.user) {
            Some(p) => users::by_id(tx.conn(), row.app, p)?,
            None => None,
        };
        changed(tx, row.app, row.user, room, partner)?;
    }
    Ok(())
}

/// Whether a failed send means the item can never be sent (rather than "try again later").
fn is_final(e: &Error) -> bool {
    matches!(e, Error::NotFound(_) | Error::Forbidden(_) | Error::Invalid { .. })
}

impl Core {
    /// Sends items, each in a write of its own (all queued at once, so that they share
    /// commits and keep their order); an item refused drops it. Returns the ids sent now.
    async fn deliver_scheduled(
        &self,
        ids: Vec<i64>,
        owner: Option<(AppId, UserId, String)>,
    ) -> Result<Vec<i64>, Error> {
        let writes: Vec<_> = ids
            .into_iter()
            .map(|id| {
                let o = owner.clone();
                let only =
                    move |tx: &mut WriteTx<'_>| send_in(tx, id, o.as_ref().map(|(a, u, k)| (*a, *u, k.as_str())));
                (id, self.store().write(only))
            })
            .collect();
        let mut sent = Vec::new();
        for (id, write) in writes {
            match write.await {
                Ok(Some(_)) => sent.push(id),
                Ok(None) => {}
                Err(e) if is_final(&e) => {
                    tracing::info!(scheduled = id, error = %e, "dropping a scheduled message that can no longer be sent");
                    let reason = e.to_string();
                    self.store().write(move |tx| drop_in(tx, id, &reason)).await?;
                }
                Err(e) => return Err(e),
            }
        }
        Ok(sent)
    }

    /// Schedules a message from `user` into `room` for `at` (Unix ms). A time already past is
    /// due at once: the message goes out within moments, as the sender expects.
    pub async fn schedule_message(
        &self,
        app: AppId,
        user: UserId,
        room: RoomRef,
        draft: Draft,
        at: i64,
    ) -> Result<ScheduledMessage, Error> {
        self.rates().user(app, user, crate::Rated::Send)?;
        let made = self
            .store()
            .write(move |tx| {
                let sender = live_user_by_id(tx.conn(), app, user)?;
                let t = target(tx.conn(), app, &sender, &room, true)?;
                let now = now_ms();
                let mut row = ScheduledRow {
                    app,
                    user,
                    room_key: t.key.clone(),
                    scheduled_at: at,
                    created: now,
                    updated: now,
                    ..ScheduledRow::default()
                };
                fill(&mut row, draft);
                row.id = repo::insert(tx.conn(), &row)?;
                changed(tx, app, user, t.room.clone(), t.partner.clone())?;
                Ok::<_, Error>(view(&row, &sender, &t))
            })
            .await?;
        self.inner_scheduled().notify_one();
        Ok(made)
    }

    /// The caller's pending items in a room, by scheduled time.
    pub async fn scheduled_messages(
        &self,
        app: AppId,
        user: UserId,
        room: RoomRef,
    ) -> Result<Vec<ScheduledMessage>, Error> {
        self.store()
            .read(move |c| {
                let sender = live_user_by_id(c, app, user)?;
                let t = target(c, app, &sender, &room, false)?;
                Ok(repo::pending_in_room(c, user, &t.key)?.iter().map(|r| view(r, &sender, &t)).collect())
            })
            .await
    }

    /// Sends the caller's pending items `ids` in `room` now; returns those sent.
    pub async fn send_scheduled_now(
        &self,
        app: AppId,
        user: UserId,
        room: RoomRef,
        ids: Vec<i64>,
    ) -> Result<Vec<i64>, Error> {
        let key = self
            .store()
            .read(move |c| {
                let sender = live_user_by_id(c, app, user)?;
                Ok::<_, Error>(target(c, app, &sender, &room, false)?.key)
            })
            .await?;
        let mut unique = Vec::with_capacity(ids.len());
        for id in ids {
            if !unique.contains(&id) {
                unique.push(id);
            }
        }
        self.deliver_scheduled(unique, Some((app, user, key))).await
    }

    /// Deletes the caller's pending items `ids` in `room`; returns those deleted.
    pub async fn delete_scheduled(
        &self,
        app: AppId,
        user: UserId,
        room: RoomRef,
        ids: Vec<i64>,
    ) -> Result<Vec<i64>, Error> {
        self.store()
            .write(move |tx| {
                let sender = live_user_by_id(tx.conn(), app, user)?;
                let t = target(tx.conn(), app, &sender, &room, false)?;
                let mut deleted = Vec::new();
                for id in ids {
                    let mine = repo::get(tx.conn(), app, id)?.is_some_and(|r| r.user == user && r.room_key == t.key);
                    if mine && !deleted.contains(&id) && repo::delete(tx.conn(), id)? {
                        deleted.push(id);
                    }
                }
                if !deleted.is_empty() {
                    changed(tx, app, user, t.room, t.partner)?;
                }
                Ok(deleted)
            })
            .await
    }

    /// Moves the caller's pending item to another time (a past one sends it at once).
    pub async fn reschedule_message(&self, app: AppId, user: UserId, id: i64, at: i64) -> Result<(), Error> {
        self.store()
            .write(move |tx| {
                let row = own(tx.conn(), app, user, id)?;
                let sender = live_user_by_id(tx.conn(), app, user)?;
                let room = room_ref_of(&row.room_key).ok_or(Error::NotFound(Entity::Room))?;
                let t = target(tx.conn(), app, &sender, &room, false)?;
                if repo::set_time(tx.conn(), id, at, now_ms())? {
                    changed(tx, app, user, t.room, t.partner)?;
                }
                Ok::<_, Error>(())
            })
            .await?;
        self.inner_scheduled().notify_one();
        Ok(())
    }

    /// Replaces the content (and client id) of the caller's pending item; it stays in its
    /// room whatever room the new content names.
    pub async fn edit_scheduled(&self, app: AppId, user: UserId, id: i64, draft: Draft) -> Result<(), Error> {
        self.store()
            .write(move |tx| {
                let mut row = own(tx.conn(), app, user, id)?;
                let sender = live_user_by_id(tx.conn(), app, user)?;
                let room = room_ref_of(&row.room_key).ok_or(Error::NotFound(Entity::Room))?;
                let t = target(tx.conn(), app, &sender, &room, false)?;
                fill(&mut row, draft);
                row.updated = now_ms();
                if repo::set_content(tx.conn(), &row)? {
                    changed(tx, app, user, t.room, t.partner)?;
                }
                Ok(())
            })
            .await
    }

    /// Sends every item due now, each in a write of its own; returns how many were sent.
    /// Items another node is sending are skipped.
    pub async fn send_due_scheduled(&self) -> Result<usize, Error> {
        let now = now_ms();
        let due = self.store().read(move |c| Ok::<_, Error>(repo::due(c, now, DUE_BATCH)?)).await?;
        Ok(self.deliver_scheduled(due, None).await?.len())
    }

    /// Starts this node's loop sending scheduled messages at their time, until shutdown.
    pub fn start_scheduled_messages(&self) {
        self.tasks().spawn(self.clone().scheduled_forever());
    }

    async fn scheduled_forever(self) {
        loop {
            let wait = match self.store().read(|c| Ok::<_, Error>(repo::next_due(c)?)).await {
                Ok(Some(at)) if at <= now_ms() => match self.send_due_scheduled().await {
                    Ok(0) => SKIPPED_MS,
                    Ok(_) => continue,
                    Err(e) => {
                        tracing::warn!(error = %e, "sending scheduled messages");
                        POLL_MS
                    }
                },
                Ok(Some(at)) => (at - now_ms()).clamp(1, POLL_MS),
                Ok(None) => POLL_MS,
                Err(e) => {
                    tracing::warn!(error = %e, "reading scheduled messages");
                    POLL_MS
                }
            };
            tokio::select! {
                () = tokio::time::sleep(Duration::from_millis(wait as u64)) => {}
                () = self.inner_scheduled().notified() => {}
                () = self.tasks().stopping() => return,
            }
        }
    }
}

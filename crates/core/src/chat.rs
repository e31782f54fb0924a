//! Messaging as clients do it: sending with permission checks, editing, deleting, delivery
//! and read feedback, and the lists a client syncs from.

use crate::Core;
use crate::groups::member_room;
use crate::messages::{Draft, enrich, insert_message, personal_room, room_message};
use crate::rooms::live_room;
use crate::users::live_user;
use futures_util::future::Either;
use palaver_domain::{
    AppId, Entity, Error, Event, Message, MessageEvent, MessageId, MessageKind, Room, RoomMessage, RoomRef, RoomType,
    User, UserId, time::now_ms,
};
use palaver_store::repo::{self, contacts, messages, participants, sessions};
use palaver_store::{Conn, WriteTx};
use std::collections::BTreeMap;

/// Most unread messages `room_list_and_unread` returns besides each room's last message.
const MAX_UNREAD_LISTED: i64 = 1000;
/// Most changes one `new_and_updated` call returns.
const MAX_CHANGES_LISTED: i64 = 1000;

/// What a client sends: the room it names and the message content (plaintext).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OutgoingMessage {
    /// Client-chosen id, unique per room.
    pub local_id: String,
    /// TapTalk type.
    pub kind: i64,
    /// Text.
    pub body: String,
    /// Payload string.
    pub data: String,
    /// Filter id.
    pub filter_id: String,
    /// Hidden from lists.
    pub is_hidden: bool,
    /// Quote object as JSON text.
    pub quote: String,
    /// Reply-to object as JSON text.
    pub reply_to: String,
    /// Forward-from object as JSON text.
    pub forward_from: String,
}

/// The room a client writes to: personal rooms are created on the first message, so either
/// side may name one that does not exist yet.
/// Returns the room and, for a personal room, the other user.
fn writable_room(conn: &mut dyn Conn, app: AppId, sender: &User, r: &RoomRef) -> Result<(Room, Option<User>), Error> {
    let (room, other) = match r {
        RoomRef::Personal(a, b) => {
            if sender.id != *a && sender.id != *b {
                return Err(Error::Forbidden("You are not a participant of this room".into()));
            }
            let other = live_user(conn, app, if sender.id == *a { *b } else { *a })?;
            let room = personal_room(conn, sender, &other)?;
            if room.is_deleted() {
                return Err(Error::NotFound(Entity::Room));
            }
            if contacts::blocked_either_way(conn, sender.id, other.id)? {
                return Err(Error::Forbidden("Messages between these users are blocked".into()));
            }
            (room, Some(other))
        }
        other => (member_room(conn, app, sender.id, other)?, None),
    };
    if room.is_locked {
        return Err(Error::Forbidden("The room is locked".into()));
    }
    Ok((room, other))
}

/// Loads messages by id that `user` may see (it is a participant of their room).
fn visible_messages(conn: &mut dyn Conn, app: AppId, user: UserId, ids: &[MessageId]) -> Result<Vec<Message>, Error> {
    let mut out = Vec::new();
    for m in messages::by_ids(conn, app, ids)? {
        if participants::is_member(conn, m.room, user)? {
            out.push(m);
        }
    }
    Ok(out)
}

/// Emits the current state of messages whose state changed, to `recipients_of(message)`.
fn emit_updates(
    tx: &mut WriteTx<'_>,
    app: AppId,
    ids: &[MessageId],
    recipients_of: impl Fn(&Message) -> Vec<UserId>,
) -> Result<(), Error> {
    let current = messages::by_ids(tx.conn(), app, ids)?;
    for item in enrich(tx.conn(), app, current)? {
        let recipients = recipients_of(&item.message);
        tx.emit(Event::MessageUpdated(MessageEvent { item, recipients }));
    }
    Ok(())
}

impl Core {
    /// Sends a message as `sender`. Returns it with its context, and whether it is new: a
    /// repeated local id returns the stored message without sending it again.
    ///
    /// The write is queued when this is called, so messages sent one after another from one
    /// connection are stored in that order however their replies are awaited.
    pub fn send_message(
        &self,
        app: AppId,
        sender: UserId,
        room: RoomRef,
        m: OutgoingMessage,
    ) -> impl Future<Output = Result<(RoomMessage, bool), Error>> + Send + 'static + use<> {
        if m.local_id.is_empty() || m.local_id.chars().count() > 64 {
            let refused = Err(Error::invalid("localID", "A message needs a localID of 1 to 64 characters"));
            return Either::Left(std::future::ready(refused));
        }
        Either::Right(self.store().write(move |tx| {
            let conn = tx.conn();
            let sender = live_user(conn, app, sender)?;
            let (room, other) = writable_room(conn, app, &sender, &room)?;
            let draft = Draft {
                local_id: m.local_id,
                kind: m.kind,
                qtype: MessageKind::qiscus_type(m.kind).to_string(),
                body: m.body,
                data: m.data,
                filter_id: m.filter_id,
                is_hidden: m.is_hidden,
                quote: m.quote,
                reply_to: m.reply_to,
                forward_from: m.forward_from,
                ..Draft::default()
            };
            insert_message(tx, &room, &sender, other.as_ref(), draft)
        }))
    }

    /// Edits the content of one's own message (text, or the caption of an image or video).
    pub fn edit_message(
        &self,
        app: AppId,
        user: UserId,
        id: MessageId,
        body: String,
        data: Option<String>,
        quote: Option<String>,
    ) -> impl Future<Output = Result<RoomMessage, Error>> + Send + 'static + use<> {
        self.store().write(move |tx| {
            let conn = tx.conn();
            let mut message =
                visible_messages(conn, app, user, &[id])?.pop().ok_or(Error::NotFound(Entity::Message))?;
            if message.sender != user {
                return Err(Error::Forbidden("Only the sender can edit a message".into()));
            }
            if message.is_deleted() {
                return Err(Error::NotFound(Entity::Message));
            }
            if !MessageKind::editable(message.kind) {
                return Err(Error::invalid("type", "Only text, image and video messages can be edited"));
            }
            let room = live_room(conn, app, &RoomRef::Id(message.room))?;
            if room.is_locked {
                return Err(Error::Forbidden("The room is locked".into()));
            }
            message.body = body;
            if let Some(d) = data {
                message.data = d;
            }
            if let Some(q) = quote {
                message.quote = q;
            }
            message.is_edited = true;
            message.updated = now_ms();
            message.change_seq = tx.next_seq()?;
            let conn = tx.conn();
            messages::update(conn, &message)?;
            let sender = live_user(conn, app, user)?;
            let recipients = participants::recipients(conn, room.id)?;
            let item = room_message(conn, &room, &sender, None, message)?;
            tx.emit(Event::MessageUpdated(MessageEvent { item: item.clone(), recipients }));
            Ok(item)
        })
    }

    /// Deletes messages of a room: for everyone (own messages only; content is erased) or
    /// just for `user`. Returns the ids deleted.
    pub fn delete_messages(
        &self,
        app: AppId,
        user: UserId,
        room: RoomRef,
        ids: Vec<MessageId>,
        for_everyone: bool,
    ) -> impl Future<Output = Result<Vec<MessageId>, Error>> + Send + 'static + use<> {
        self.store().write(move |tx| {
            let room = member_room(tx.conn(), app, user, &room)?;
            let now = now_ms();
            let mut deleted = Vec::new();
            for mut m in messages::by_ids(tx.conn(), app, &ids)?.into_iter().filter(|m| m.room == room.id) {
                if for_everyone {
                    if m.sender != user {
                        return Err(Error::Forbidden("Only the sender can delete a message for everyone".into()));
                    }
                    if m.is_deleted() {
                        continue;
                    }
                    m.deleted = now;
                    m.updated = now;
                    m.body.clear();
                    m.data.clear();
                    m.quote.clear();
                    m.change_seq = tx.next_seq()?;
                    messages::update(tx.conn(), &m)?;
                } else if !messages::hide_for(tx.conn(), user, m.id)? {
                    continue;
                }
                deleted.push(m.id);
            }
            let members = participants::recipients(tx.conn(), room.id)?;
            emit_updates(tx, app, &deleted, |_| if for_everyone { members.clone() } else { vec![user] })?;
            Ok(deleted)
        })
    }

    /// Records that `user` received (or read) messages: its pointers move forward in each
    /// room and every message whose state changed is sent, updated, to its sender and to
    /// the user's own devices. Returns the ids whose state changed.
    pub fn mark_messages(
        &self,
        app: AppId,
        user: UserId,
        ids: Vec<MessageId>,
        read: bool,
    ) -> impl Future<Output = Result<Vec<MessageId>, Error>> + Send + 'static + use<> {
        if ids.is_empty() {
            return Either::Left(std::future::ready(Ok(Vec::new())));
        }
        Either::Right(self.store().write(move |tx| {
            let conn = tx.conn();
            let mut upto: BTreeMap<_, i64> = BTreeMap::new();
            for m in visible_messages(conn, app, user, &ids)? {
                let e = upto.entry(m.room).or_default();
                *e = (*e).max(m.id.0);
            }
            let mut changed = Vec::new();
            for (room, max) in upto {
                let (read_to, delivered_to) = if read { (Some(max), Some(max)) } else { (None, Some(max)) };
                let Some((before, after)) = participants::advance(conn, room, user, read_to, delivered_to)? else {
                    continue;
                };
                let from = if read { before.read } else { before.delivered };
                let to = if read { after.read } else { after.delivered };
                if to > from {
                    changed.extend(messages::ids_in_range_from_others(conn, room, user, from, to)?);
                }
            }
            if !changed.is_empty() {
                let seq = tx.next_seq()?;
                messages::touch(tx.conn(), &changed, seq, now_ms())?;
                emit_updates(tx, app, &changed, |m| vec![m.sender, user])?;
            }
            Ok(changed)
        }))
    }

    /// For each room of `user`: its last message, plus every message the user has not read.
    pub async fn room_list_and_unread(&self, app: AppId, user: UserId) -> Result<Vec<RoomMessage>, Error> {
        self.store()
            .read(move |c| {
                let list = repo::room_list::for_user(c, user, &Default::default())?;
                let mut seen = std::collections::HashSet::new();
                let mut out = Vec::new();
                for e in list {
                    if let (Some(message), Some(sender)) = (e.last_message, e.sender) {
                        seen.insert(message.id);
                        let partner = if e.room.kind == RoomType::Personal {
                            if sender.id == user { e.partner } else { repo::users::by_id(c, app, user)? }
                        } else {
                            None
                        };
                        out.push(RoomMessage { message, room: e.room, sender, partner });
                    }
                }
                let unread: Vec<_> = messages::unread_for_user(c, user, MAX_UNREAD_LISTED)?
                    .into_iter()
                    .filter(|m| !seen.contains(&m.id))
                    .collect();
                out.extend(enrich(c, app, unread)?);
                Ok(out)
            })
            .await
    }

    /// What changed in `user`'s rooms since this device last synced; moves its cursor on.
    pub async fn new_and_updated(&self, app: AppId, user: UserId, device: String) -> Result<Vec<RoomMessage>, Error> {
        self.store()
            .write(move |tx| {
                let conn = tx.conn();
                let now_seq = repo::current_seq(conn)?;
                let Some(cursor) = sessions::device_cursor(conn, user, &device)? else {
                    // A device's first sync: it starts from now (it loads history separately).
                    sessions::set_device_cursor(conn, user, &device, now_seq)?;
                    return Ok(Vec::new());
                };
                let changed = messages::changed_for_user(conn, user, cursor, MAX_CHANGES_LISTED)?;
                let next = if changed.len() as i64 == MAX_CHANGES_LISTED {
                    changed.last().map_or(cursor, |m| m.change_seq)
                } else {
                    now_seq
                };
                sessions::set_device_cursor(conn, user, &device, next.max(cursor))?;
                enrich(conn, app, changed)
            })
            .await
    }

    /// Records that a device has received every change up to `seq` (its connection closed).
    pub async fn save_device_cursor(&self, user: UserId, device: String, seq: i64) -> Result<(), Error> {
        if seq <= 0 || device.is_empty() {
            return Ok(());
        }
        self.store()
            .write(move |tx| {
                let conn = tx.conn();
                let current = sessions::device_cursor(conn, user, &device)?.unwrap_or(0);
                if seq > current {
                    sessions::set_device_cursor(conn, user, &device, seq)?;
                }
                Ok(())
            })
            .await
    }

    /// Up to `limit` messages of a room created before `max_created` (0: newest), newest
    /// first, and whether there are more.
    pub async fn messages_before(
        &self,
        app: AppId,
        user: UserId,
        room: RoomRef,
        max_created: i64,
        limit: i64,
    ) -> Result<(Vec<RoomMessage>, bool), Error> {
        self.store()
            .read(move |c| {
                let room = member_room(c, app, user, &room)?;
                let mut list = messages::before(c, room.id, user, max_created, limit + 1)?;
                let more = list.len() as i64 > limit;
                list.truncate(limit as usize);
                Ok((enrich(c, app, list)?, more))
            })
            .await
    }

    /// Up to `limit` messages of a room created after `min_created` or changed after
    /// `last_updated`, newest first, and whether there are more.
    pub async fn messages_after(
        &self,
        app: AppId,
        user: UserId,
        room: RoomRef,
        min_created: i64,
        last_updated: i64,
        limit: i64,
    ) -> Result<(Vec<RoomMessage>, bool), Error> {
        self.store()
            .read(move |c| {
                let room = member_room(c, app, user, &room)?;
                let mut list = messages::after(c, room.id, user, min_created, last_updated, limit + 1)?;
                let more = list.len() as i64 > limit;
                list.truncate(limit as usize);
                list.reverse();
                Ok((enrich(c, app, list)?, more))
            })
            .await
    }

    /// Relays that `user` started or stopped typing in a room to its other participants.
    pub async fn typing(&self, app: AppId, user: UserId, room: RoomRef, typing: bool) -> Result<(), Error> {
        let (room, user, recipients) = self
            .store()
            .read(move |c| {
                let room = member_room(c, app, user, &room)?;
                let who = live_user(c, app, user)?;
                let others: Vec<UserId> =
                    participants::recipients(c, room.id)?.into_iter().filter(|u| *u != user).collect();
                Ok::<_, Error>((room, who, others))
            })
            .await?;
        self.router().publish(Event::Typing {
            app,
            room: room.id,
            tap_room_id: room.tap_room_id(),
            user,
            typing,
            recipients,
        });
        Ok(())
    }
}

//! Messages: the one insert path every face uses, and the Server API's send.

use crate::Core;
use crate::rooms::live_room;
use crate::secrets;
use crate::users::live_user_by_xc;
use palaver_domain::limits::{MAX_BODY_CHARS, MAX_DATA_CHARS};
use palaver_domain::message::split_content;
use palaver_domain::{
    AppId, Entity, Error, Event, Message, MessageEvent, MessageId, MessageKind, Room, RoomMessage, RoomRef, RoomType,
    User, time::now_ms,
};
use palaver_store::repo::{self, messages, participants, rooms};
use palaver_store::{Conn, WriteTx};

/// The content of a message about to be stored; everything else is set on insert.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Draft {
    pub local_id: String,
    pub kind: i64,
    pub qtype: String,
    pub body: String,
    pub data: String,
    pub extras: String,
    pub filter_id: String,
    pub is_hidden: bool,
    pub quote: String,
    pub reply_to: String,
    pub forward_from: String,
    pub action: String,
    pub target: String,
}

impl Draft {
    /// A draft of a TapTalk-typed message with a fresh local id.
    pub(crate) fn new(kind: i64, body: String, data: String) -> Self {
        Draft {
            local_id: secrets::random_local_id(),
            kind,
            qtype: MessageKind::qiscus_type(kind).to_string(),
            body,
            data,
            ..Draft::default()
        }
    }
}

/// A message with its room, sender and personal-room partner; `partner` may name the partner
/// when the caller already has it, saving a lookup.
pub(crate) fn room_message(
    conn: &mut dyn Conn,
    room: &Room,
    sender: &User,
    partner: Option<&User>,
    message: Message,
) -> Result<RoomMessage, Error> {
    let partner = match room.partner_of(sender.id) {
        Some(id) if id == sender.id => Some(sender.clone()),
        Some(id) => match partner.filter(|p| p.id == id) {
            Some(p) => Some(p.clone()),
            None => repo::users::by_id(conn, room.app, id)?,
        },
        None => None,
    };
    Ok(RoomMessage { message, room: room.clone(), sender: sender.clone(), partner })
}

/// Stores a message from `sender` in `room` and emits it to every participant. A message
/// with the same local id in the room is returned instead, with `false`: sending is
/// idempotent. `partner` is as for [`room_message`].
pub(crate) fn insert_message(
    tx: &mut WriteTx<'_>,
    room: &Room,
    sender: &User,
    partner: Option<&User>,
    draft: Draft,
) -> Result<(RoomMessage, bool), Error> {
    if let Some(existing) = messages::by_local_id(tx.conn(), room.id, &draft.local_id)? {
        return Ok((room_message(tx.conn(), room, sender, partner, existing)?, false));
    }
    let seq = tx.next_seq()?;
    let conn = tx.conn();
    let now = now_ms();
    let message = Message {
        id: MessageId(seq),
        app: room.app,
        room: room.id,
        sender: sender.id,
        local_id: draft.local_id,
        kind: draft.kind,
        qtype: draft.qtype,
        body: draft.body,
        data: draft.data,
        extras: draft.extras,
        filter_id: draft.filter_id,
        is_hidden: draft.is_hidden,
        quote: draft.quote,
        reply_to: draft.reply_to,
        forward_from: draft.forward_from,
        action: draft.action,
        target: draft.target,
        is_edited: false,
        deleted: 0,
        created: now,
        updated: now,
        change_seq: seq,
        status: Default::default(),
    };
    messages::insert(conn, &message)?;
    // A personal room's participants are its pair; no need to ask.
    let recipients = match room.personal_pair {
        Some((a, b)) if a == b => vec![a],
        Some((a, b)) => vec![a, b],
        None => participants::recipients(conn, room.id)?,
    };
    let item = room_message(conn, room, sender, partner, message)?;
    tx.emit(Event::MessageCreated(MessageEvent { item: item.clone(), recipients }));
    Ok((item, true))
}

/// The personal room of two users, created (with both as participants) on first use.
pub(crate) fn personal_room(conn: &mut dyn Conn, a: &User, b: &User) -> Result<Room, Error> {
    let key = RoomRef::Personal(a.id, b.id);
    if let Some(room) = rooms::by_ref(conn, a.app, &key)? {
        return Ok(room);
    }
    let now = now_ms();
    let pair = if a.id <= b.id { (a.id, b.id) } else { (b.id, a.id) };
    let draft = Room { personal_pair: Some(pair), ..Room::draft(a.app, RoomType::Personal, now) };
    if let Some(room) = rooms::insert(conn, &draft)? {
        for user in [pair.0, pair.1] {
            participants::add(conn, room.id, user, participants::Membership::Direct, 0, now)?;
        }
        return Ok(room);
    }
    rooms::by_ref(conn, a.app, &key)?.ok_or(Error::NotFound(Entity::Room))
}

/// Where a Server API message goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MessageTarget {
    /// The personal room with this user (external id), created on first use.
    User(String),
    /// The room with this external id.
    Room(String),
}

/// A message the customer's backend sends on behalf of a user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerMessage {
    /// TapTalk type.
    pub kind: i64,
    /// Text.
    pub body: String,
    /// Payload string.
    pub data: String,
    /// Filter id; when set, only the last part of a split message is visible.
    pub filter_id: String,
    /// External id of the sender.
    pub sender: String,
    /// Destination.
    pub target: MessageTarget,
}

impl Core {
    /// Sends a message on behalf of a user. Content longer than the limits is split into
    /// several messages, all committed together; with a filter id only the last is visible.
    pub async fn send_server_message(&self, app: AppId, m: ServerMessage) -> Result<Vec<Message>, Error> {
        self.store()
            .write(move |tx| {
                let conn = tx.conn();
                let sender = live_user_by_xc(conn, app, &m.sender)?;
                let (room, recipient) = match &m.target {
                    MessageTarget::User(xc) => {
                        let recipient = live_user_by_xc(conn, app, xc)?;
                        (personal_room(conn, &sender, &recipient)?, Some(recipient))
                    }
                    MessageTarget::Room(xc) => {
                        let room = live_room(conn, app, &RoomRef::Xc(xc.clone()))?;
                        if !participants::is_member(conn, room.id, sender.id)? {
                            return Err(Error::Forbidden("The sender is not a participant of the room".into()));
                        }
                        (room, None)
                    }
                };
                let parts = split_content(&m.body, &m.data, MAX_BODY_CHARS, MAX_DATA_CHARS);
                let last = parts.len() - 1;
                let mut sent = Vec::with_capacity(parts.len());
                for (i, (body, data)) in parts.into_iter().enumerate() {
                    let mut draft = Draft::new(m.kind, body, data);
                    draft.filter_id = m.filter_id.clone();
                    draft.is_hidden = !m.filter_id.is_empty() && i < last;
                    sent.push(insert_message(tx, &room, &sender, recipient.as_ref(), draft)?.0.message);
                }
                Ok(sent)
            })
            .await
    }

    /// A message by id, with the room and sender needed to render it.
    pub async fn message_by_id(&self, app: AppId, id: MessageId) -> Result<RoomMessage, Error> {
        self.store()
            .read(move |c| {
                let message = messages::by_ids(c, app, &[id])?.pop().ok_or(Error::NotFound(Entity::Message))?;
                enrich(c, app, vec![message])?.pop().ok_or(Error::NotFound(Entity::Message))
            })
            .await
    }
}

/// Adds room, sender and partner to messages, loading each room and user once.
pub(crate) fn enrich(conn: &mut dyn Conn, app: AppId, messages: Vec<Message>) -> Result<Vec<RoomMessage>, Error> {
    use std::collections::HashMap;
    let mut room_ids: Vec<_> = messages.iter().map(|m| m.room).collect();
    room_ids.sort();
    room_ids.dedup();
    let rooms: HashMap<_, _> = rooms::by_ids(conn, app, &room_ids)?.into_iter().map(|r| (r.id, r)).collect();
    let mut user_ids: Vec<_> = messages.iter().map(|m| m.sender).collect();
    user_ids.extend(rooms.values().filter_map(|r| r.personal_pair).flat_map(|(a, b)| [a, b]));
    user_ids.sort();
    user_ids.dedup();
    let users: HashMap<_, _> = repo::users::by_ids(conn, app, &user_ids)?.into_iter().map(|u| (u.id, u)).collect();
    Ok(messages
        .into_iter()
        .filter_map(|message| {
            let room = rooms.get(&message.room)?.clone();
            let sender = users.get(&message.sender)?.clone();
            let partner = room.partner_of(sender.id).and_then(|p| users.get(&p).cloned());
            Some(RoomMessage { message, room, sender, partner })
        })
        .collect())
}

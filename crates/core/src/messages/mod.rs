//! Messages: posting (the one insert path every face uses), editing and deleting, receipts,
//! history, and catching a device up.

mod catch_up;
mod edit;
mod history;
mod marks;
mod receipts;
mod search;

pub use edit::Edit;
pub use history::HistoryEntry;
pub use marks::{MarkChange, MarkKind, MarkedPage, PinPayload};
pub use receipts::MessageReceipts;
pub use search::{MessageSearch, SharedContent};

use crate::changes::record_as;
use crate::lookup::{live_room, live_user, live_users, member_room, room_message};
use crate::membership::record_added;
use crate::rooms::record_created;
use crate::users::upsert_in;
use crate::{Core, secrets};
use palaver_domain::{
    AppId, ChangeId, ChangeKind, Denied, Entity, Error, ExternalId, Message, MessageId, MessageType, Room, RoomMessage,
    RoomRef, RoomType, SystemAction, SystemEvent, User, UserBrief, UserProfile, UserRef, Via, time::now_ms,
};
use palaver_store::WriteTx;
use palaver_store::repo::{contacts, files, messages, participants, rooms, users};

/// Who a message is from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Author {
    /// A user.
    User(UserRef),
    /// The app's system user with this external id: created on first use, named "System",
    /// never a participant. Only the backend posts as it.
    System(ExternalId),
}

/// Where a message goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Destination {
    /// A room. A personal room named by its two users comes into being with its first message.
    Room(RoomRef),
    /// The personal room of the author and this user, created on first use.
    PersonalWith(UserRef),
}

/// The facts of a system message to post, with users named as the request names them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SystemDraft {
    /// What it reports.
    pub action: SystemAction,
    /// Who did it, when not the author.
    pub actor: Option<UserRef>,
    /// Whom it was done to.
    pub targets: Vec<UserRef>,
    /// The room name it mentions; the room's own name when absent.
    pub room_name: Option<String>,
}

/// What a message says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Content {
    /// Type as a number.
    pub type_code: i64,
    /// Type as a name.
    pub type_name: String,
    /// Text.
    pub body: String,
    /// Payload.
    pub data: String,
    /// Extras (JSON text).
    pub extras: String,
    /// Filter id.
    pub filter_id: String,
    /// Hidden from lists.
    pub is_hidden: bool,
    /// Quote (JSON text).
    pub quote: String,
    /// Reply-to (JSON text).
    pub reply_to: String,
    /// Forward origin (JSON text).
    pub forward_from: String,
    /// For a system message, its facts.
    pub system: Option<SystemDraft>,
    /// Ids of files uploaded into the room that this message shares; they are deleted with
    /// it when it is deleted for everyone.
    pub attachments: Vec<String>,
}

impl Content {
    /// Content of a numbered type (its name from the well-known types).
    pub fn numbered(type_code: i64) -> Self {
        Self { type_code, type_name: MessageType::name_of(type_code).to_string(), ..Self::default() }
    }

    /// Content of a named type (its number from the well-known types).
    pub fn named(type_name: &str) -> Self {
        Self { type_code: MessageType::code_of(type_name), type_name: type_name.to_string(), ..Self::default() }
    }
}

/// One message of a post: its client id (a fresh one when absent) and content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Draft {
    /// The client's id; posting the same id into a room again returns the stored message.
    pub local_id: Option<String>,
    /// The content.
    pub content: Content,
}

/// Posting messages: one, or several parts of one content committed together.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Post {
    /// Who it is from.
    pub author: Author,
    /// Through which kind of API: a client's is held to what a user may do (participant of
    /// the room, not blocked, room not locked); the backend's only needs a participant author.
    pub via: Via,
    /// Where it goes.
    pub to: Destination,
    /// The messages, in order.
    pub drafts: Vec<Draft>,
}

/// A posted message and whether it is new (a repeated client id returns the stored one).
#[derive(Clone, Debug, PartialEq)]
pub struct Posted {
    /// The message with its context.
    pub item: RoomMessage,
    /// Whether it was stored now.
    pub created: bool,
}

/// Stores a message from `sender` in `room` and records it. A message with the same client
/// id in the room is returned instead, with `false`: posting is idempotent. `partner` may
/// name a personal room's other user when the caller has it, saving a lookup. `scheduled`
/// says that the server sends it at a time its sender scheduled.
#[allow(clippy::too_many_arguments)]
pub(crate) fn insert_message(
    tx: &mut WriteTx<'_>,
    room: &Room,
    sender: &User,
    partner: Option<&User>,
    local_id: String,
    content: Message,
    via: Via,
    scheduled: bool,
) -> Result<(RoomMessage, bool), Error> {
    // The client id's uniqueness in the room decides: a repeat inserts nothing (and its id from
    // the sequence goes unused, which is harmless), and the stored message is the answer.
    let id = tx.next_seq()?;
    let newest = messages::newest(tx.conn(), room.id)?;
    let created = messages::created_after(newest.as_ref(), now_ms());
    let message = Message {
        id: MessageId(id),
        app: room.app,
        room: room.id,
        sender: sender.id,
        local_id,
        created,
        updated: created,
        ..content
    };
    if !messages::insert(tx.conn(), &message, newest.as_ref())? {
        let existing = messages::by_local_id(tx.conn(), room.id, &message.local_id)?
            .ok_or_else(|| Error::internal("a message with this client id vanished"))?;
        let sender = if existing.sender == sender.id {
            sender.clone()
        } else {
            users::by_id(tx.conn(), room.app, existing.sender)?.unwrap_or_else(|| sender.clone())
        };
        return Ok((room_message(tx.conn(), room, &sender, partner, existing)?, false));
    }
    // Hidden parts of a split message are not listed: only a visible one names its predecessor
    // (usually the room's newest message, read above).
    let previous = match newest {
        _ if message.is_hidden => MessageId(0),
        Some(n) if n.visible => n.id,
        Some(_) => MessageId(messages::previous_visible_id(tx.conn(), room.id, message.id)?),
        None => MessageId(0),
    };
    let item = room_message(tx.conn(), room, sender, partner, message)?;
    let kind = ChangeKind::MessageCreated { item: item.clone(), via, previous, scheduled };
    record_as(tx, ChangeId(id), room.app, Some(sender.id), kind)?;
    Ok((item, true))
}

/// A message value holding `content`, to be completed by [`insert_message`].
pub(crate) fn message_of(content: Content, system: Option<SystemEvent>) -> Message {
    Message {
        id: MessageId(0),
        app: Default::default(),
        room: Default::default(),
        sender: Default::default(),
        local_id: String::new(),
        type_code: content.type_code,
        type_name: content.type_name,
        body: content.body,
        data: content.data,
        extras: content.extras,
        filter_id: content.filter_id,
        is_hidden: content.is_hidden,
        quote: content.quote,
        reply_to: content.reply_to,
        forward_from: content.forward_from,
        system,
        is_edited: false,
        deleted: 0,
        created: 0,
        updated: 0,
        status: Default::default(),
    }
}

/// Posts a system message by `actor` reporting `action` (done to `target`), worded by each
/// face; used when users change a room's membership.
pub(crate) fn announce(
    tx: &mut WriteTx<'_>,
    room: &Room,
    actor: &User,
    action: SystemAction,
    target: Option<&User>,
) -> Result<(), Error> {
    let event = SystemEvent {
        action,
        actor: None,
        targets: target.map(UserBrief::from).into_iter().collect(),
        room_name: room.name.clone(),
    };
    let message = message_of(Content::numbered(MessageType::SYSTEM), Some(event));
    insert_message(tx, room, actor, None, secrets::random_local_id(), message, Via::Client, false).map(drop)
}

/// The personal room of two users, created (with both as participants, and `options` if
/// given) on first use.
pub(crate) fn personal_room_in(
    tx: &mut WriteTx<'_>,
    a: &User,
    b: &User,
    options: Option<String>,
) -> Result<Room, Error> {
    let key = RoomRef::Personal(a.id, b.id);
    if let Some(room) = rooms::by_ref(tx.conn(), a.app, &key)? {
        return Ok(room);
    }
    let now = now_ms();
    let pair = if a.id <= b.id { (a.id, b.id) } else { (b.id, a.id) };
    let mut draft = Room { personal_pair: Some(pair), ..Room::draft(a.app, RoomType::Personal, now) };
    if let Some(options) = options {
        draft.options = options;
    }
    if let Some(room) = rooms::insert(tx.conn(), &draft)? {
        let members = if a.id == b.id { vec![a.clone()] } else { vec![a.clone(), b.clone()] };
        for user in &members {
            participants::add(tx.conn(), room.id, user.id, participants::Membership::Direct, 0, now)?;
        }
        record_created(tx, None, &room)?;
        record_added(tx, None, None, &room, &members)?;
        return Ok(room);
    }
    rooms::by_ref(tx.conn(), a.app, &key)?.ok_or(Error::NotFound(Entity::Room))
}

/// The app's system user with this external id, created on first use.
fn system_user(tx: &mut WriteTx<'_>, app: AppId, id: &ExternalId) -> Result<User, Error> {
    if let Some(user) = users::by_external_id(tx.conn(), app, id.as_str())?.filter(|u| !u.is_deleted()) {
        return Ok(user);
    }
    let profile = UserProfile { fullname: Some("System".into()), ..UserProfile::default() };
    Ok(upsert_in(tx, app, id, &profile, false)?.0)
}

/// The room a client may post into, and a personal room's other user.
fn client_room(
    tx: &mut WriteTx<'_>,
    app: AppId,
    sender: &User,
    to: &Destination,
) -> Result<(Room, Option<User>), Error> {
    let named = match to {
        Destination::PersonalWith(other) => {
            let other = live_user(tx.conn(), app, other)?;
            RoomRef::Personal(sender.id.min(other.id), sender.id.max(other.id))
        }
        Destination::Room(r) => r.clone(),
    };
    let (room, other) = match named {
        RoomRef::Personal(a, b) => {
            let (room, other) = personal_room_of(tx, app, sender, a, b)?;
            (room, Some(other))
        }
        other => {
            let room = member_room(tx.conn(), app, sender.id, &other)?;
            // A personal room named by its id obeys the same rules (blocks) as by its pair.
            match room.personal_pair {
                Some((a, b)) => {
                    let (room, other) = personal_room_of(tx, app, sender, a, b)?;
                    (room, Some(other))
                }
                None => (room, None),
            }
        }
    };
    if room.is_locked {
        return Err(Error::Forbidden(Denied::Locked));
    }
    Ok((room, other))
}

/// The personal room of users `a` and `b` that one of them uses (sends to, shares a file in),
/// created if it does not exist yet (the SDKs name personal rooms without asking the server),
/// and the other user. Refused when neither is `user`, when the room was deleted, or when one
/// blocked the other.
pub(crate) fn personal_room_of(
    tx: &mut WriteTx<'_>,
    app: AppId,
    user: &User,
    a: palaver_domain::UserId,
    b: palaver_domain::UserId,
) -> Result<(Room, User), Error> {
    if user.id != a && user.id != b {
        return Err(Error::Forbidden(Denied::NotParticipant));
    }
    let other = live_user(tx.conn(), app, &UserRef::Id(if user.id == a { b } else { a }))?;
    let room = personal_room_in(tx, user, &other, None)?;
    if room.is_deleted() {
        return Err(Error::NotFound(Entity::Room));
    }
    if contacts::blocked_either_way(tx.conn(), user.id, other.id)? {
        return Err(Error::Forbidden(Denied::Blocked));
    }
    Ok((room, other))
}

/// The room the backend posts into for `author`, and a personal room's other user.
fn backend_room(
    tx: &mut WriteTx<'_>,
    app: AppId,
    author: &User,
    is_user: bool,
    to: &Destination,
) -> Result<(Room, Option<User>), Error> {
    match to {
        Destination::PersonalWith(other) => {
            let other = live_user(tx.conn(), app, other)?;
            Ok((personal_room_in(tx, author, &other, None)?, Some(other)))
        }
        Destination::Room(r) => {
            let room = live_room(tx.conn(), app, r)?;
            if is_user && !participants::is_member(tx.conn(), room.id, author.id)? {
                return Err(Error::Forbidden(Denied::SenderNotParticipant));
            }
            Ok((room, None))
        }
    }
}

/// The facts of a system draft, its users looked up.
fn system_event(tx: &mut WriteTx<'_>, app: AppId, room: &Room, d: &SystemDraft) -> Result<SystemEvent, Error> {
    let actor = match &d.actor {
        Some(r) => Some(UserBrief::from(&live_user(tx.conn(), app, r)?)),
        None => None,
    };
    let targets = live_users(tx.conn(), app, &d.targets)?.iter().map(UserBrief::from).collect();
    Ok(SystemEvent {
        action: d.action,
        actor,
        targets,
        room_name: d.room_name.clone().unwrap_or_else(|| room.name.clone()),
    })
}

/// Posts messages inside a transaction; `scheduled` marks messages the server sends at a time
/// their sender scheduled.
pub(crate) fn post_in(tx: &mut WriteTx<'_>, app: AppId, post: Post, scheduled: bool) -> Result<Vec<Posted>, Error> {
    let (author, is_user) = match &post.author {
        Author::User(r) => (live_user(tx.conn(), app, r)?, true),
        Author::System(id) => (system_user(tx, app, id)?, false),
    };
    let (room, other) = match post.via {
        Via::Client if is_user => client_room(tx, app, &author, &post.to)?,
        Via::Client => return Err(Error::Forbidden(Denied::NotParticipant)),
        Via::Backend => backend_room(tx, app, &author, is_user, &post.to)?,
    };
    let mut out = Vec::with_capacity(post.drafts.len());
    for mut draft in post.drafts {
        let system = match &draft.content.system {
            Some(d) => Some(system_event(tx, app, &room, d)?),
            None => None,
        };
        let local_id = draft.local_id.unwrap_or_else(secrets::random_local_id);
        let attachments = std::mem::take(&mut draft.content.attachments);
        let message = message_of(draft.content, system);
        let (item, created) =
            insert_message(tx, &room, &author, other.as_ref(), local_id, message, post.via, scheduled)?;
        if created {
            files::attach(tx.conn(), room.id, item.message.id, &attachments)?;
        }
        out.push(Posted { item, created });
    }
    Ok(out)
}

impl Core {
    /// Posts messages. The write is queued when this is called, so posts made one after
    /// another (from one connection, say) are stored in that order however their replies are
    /// awaited.
    pub fn post(
        &self,
        app: AppId,
        post: Post,
    ) -> impl Future<Output = Result<Vec<Posted>, Error>> + Send + 'static + use<> {
        let allowed = match (&post.via, &post.author) {
            (Via::Client, Author::User(UserRef::Id(user))) => self.rates().user(app, *user, crate::Rated::Send),
            _ => Ok(()),
        };
        let write = allowed.map(|()| self.store().write(move |tx| post_in(tx, app, post, false)));
        let sent = self.inner.messages_sent.clone();
        async move {
            let posted = write?.await?;
            sent.increment(posted.iter().filter(|p| p.created).count() as u64);
            Ok(posted)
        }
    }
}

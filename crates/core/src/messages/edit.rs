//! Editing and deleting messages, and clearing a room's history for one user.

use crate::Core;
use crate::changes::record;
use crate::lookup::{live_room, live_user_by_id, member_room, room_message, with_context};
use palaver_domain::{
    AppId, ChangeKind, Denied, Entity, Error, Field, Invalid, Message, MessageId, MessageType, Room, RoomRef, UserId,
    time::now_ms,
};
use palaver_store::Conn;
use palaver_store::repo::{files, messages, participants};

/// Messages by id that `user` may see (it is a participant of their room).
pub(super) fn visible_messages(
    conn: &mut dyn Conn,
    app: AppId,
    user: UserId,
    ids: &[MessageId],
) -> Result<Vec<Message>, Error> {
    let mut out = Vec::new();
    for m in messages::by_ids(conn, app, ids)? {
        if participants::is_member(conn, m.room, user)? {
            out.push(m);
        }
    }
    Ok(out)
}

/// New content for a message; `None` keeps a part as it is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Edit {
    /// Text.
    pub body: String,
    /// Payload.
    pub data: Option<String>,
    /// Quote (JSON text).
    pub quote: Option<String>,
    /// Extras (JSON text).
    pub extras: Option<String>,
}

impl Core {
    /// Edits the content of one's own message (text, or the caption of an image or video).
    pub fn edit_message(
        &self,
        app: AppId,
        user: UserId,
        id: MessageId,
        edit: Edit,
    ) -> impl Future<Output = Result<palaver_domain::RoomMessage, Error>> + Send + 'static + use<> {
        self.store().write(move |tx| {
            let mut message =
                visible_messages(tx.conn(), app, user, &[id])?.pop().ok_or(Error::NotFound(Entity::Message))?;
            if message.sender != user {
                return Err(Error::Forbidden(Denied::EditOthers));
            }
            if message.is_deleted() {
                return Err(Error::NotFound(Entity::Message));
            }
            if !MessageType::editable(message.type_code) {
                return Err(Error::invalid(Field::MessageType, Invalid::NotEditable));
            }
            let room = live_room(tx.conn(), app, &RoomRef::Id(message.room))?;
            if room.is_locked {
                return Err(Error::Forbidden(Denied::Locked));
            }
            message.body = edit.body;
            if let Some(d) = edit.data {
                message.data = d;
            }
            if let Some(q) = edit.quote {
                message.quote = q;
            }
            if let Some(x) = edit.extras {
                message.extras = x;
            }
            message.is_edited = true;
            message.updated = now_ms();
            messages::update(tx.conn(), &message)?;
            let sender = live_user_by_id(tx.conn(), app, user)?;
            let item = room_message(tx.conn(), &room, &sender, None, message)?;
            record(tx, app, Some(user), ChangeKind::MessageEdited { item: item.clone() })?;
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
        let core = self.clone();
        let write = self.store().write(move |tx| {
            let room = member_room(tx.conn(), app, user, &room)?;
            let now = now_ms();
            let found: Vec<Message> =
                messages::by_ids(tx.conn(), app, &ids)?.into_iter().filter(|m| m.room == room.id).collect();
            let mut deleted = Vec::new();
            for mut m in found {
                if for_everyone {
                    if m.sender != user {
                        return Err(Error::Forbidden(Denied::DeleteOthers));
                    }
                    if m.is_deleted() {
                        continue;
                    }
                    m.deleted = now;
                    m.updated = now;
                    m.body.clear();
                    m.data.clear();
                    m.quote.clear();
                    messages::update(tx.conn(), &m)?;
                } else if !messages::hide_for(tx.conn(), user, m.id)? {
                    continue;
                }
                deleted.push(m);
            }
            let ids: Vec<MessageId> = deleted.iter().map(|m| m.id).collect();
            let gone = if for_everyone { files::take_of_messages(tx.conn(), &ids)? } else { Vec::new() };
            for item in with_context(tx.conn(), app, deleted)? {
                let kind = if for_everyone {
                    ChangeKind::MessageDeleted { item }
                } else {
                    ChangeKind::MessageHidden { item, user }
                };
                record(tx, app, Some(user), kind)?;
            }
            Ok((ids, gone))
        });
        async move {
            let (ids, gone) = write.await?;
            core.remove_file_bytes(gone).await;
            Ok(ids)
        }
    }

    /// Clears rooms' history for `user` alone: it no longer sees (nor counts as unread) the
    /// messages posted so far. Returns the rooms whose history changed.
    pub async fn clear_history(&self, app: AppId, user: UserId, rooms: Vec<RoomRef>) -> Result<Vec<Room>, Error> {
        self.store()
            .write(move |tx| {
                let mut cleared = Vec::new();
                for r in &rooms {
                    let room = member_room(tx.conn(), app, user, r)?;
                    let latest = messages::latest_id(tx.conn(), room.id)?;
                    let before = participants::cleared_id(tx.conn(), room.id, user)?.unwrap_or(0);
                    if latest <= before || cleared.iter().any(|c: &Room| c.id == room.id) {
                        continue;
                    }
                    participants::set_cleared(tx.conn(), room.id, user, latest)?;
                    let newest = messages::by_ids(tx.conn(), app, &[MessageId(latest)])?;
                    if let Some(item) = with_context(tx.conn(), app, newest)?.pop() {
                        record(tx, app, Some(user), ChangeKind::HistoryCleared { item, user })?;
                    }
                    cleared.push(room);
                }
                Ok(cleared)
            })
            .await
    }
}

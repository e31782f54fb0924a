//! Qiscus comments: posting on behalf of a user and loading a room's history.

use super::room_by_qiscus_id;
use crate::Core;
use crate::messages::{Draft, insert_message};
use crate::secrets;
use crate::users::live_user_by_xc;
use palaver_domain::{AppId, Error, Message, MessageKind, Room, User};
use palaver_store::repo::{messages, participants, users};
use palaver_store::{Conn, WriteTx};

/// A comment to post.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CommentDraft {
    /// Sender's user id; must be a participant of the room.
    pub user_id: String,
    /// Qiscus room id or unique id.
    pub room_id: String,
    /// Text.
    pub text: String,
    /// Qiscus type (`text`, `custom`, `buttons` ...).
    pub qtype: String,
    /// Payload as JSON object text, empty when none.
    pub payload: String,
    /// Extras as JSON object text, empty when none.
    pub extras: String,
    /// Client id of the comment; a fresh one is generated when absent. Posting the same id
    /// twice into a room returns the stored comment.
    pub unique_temp_id: Option<String>,
}

/// A stored comment with what its Qiscus shape needs.
#[derive(Clone, Debug, PartialEq)]
pub struct QiscusComment {
    /// The message.
    pub message: Message,
    /// Its sender.
    pub sender: User,
    /// Id of the visible comment before it in the room, 0 for the first.
    pub before_id: i64,
}

/// Stores `draft` from `sender` in `room` and describes the result the Qiscus way.
pub(crate) fn post(tx: &mut WriteTx<'_>, room: &Room, sender: &User, draft: Draft) -> Result<QiscusComment, Error> {
    let message = insert_message(tx, room, sender, None, draft)?.0.message;
    let conn = tx.conn();
    let sender = if message.sender == sender.id {
        sender.clone()
    } else {
        // A repeated unique_temp_id answers the stored comment, whoever sent it.
        users::by_id(conn, room.app, message.sender)?.unwrap_or_else(|| sender.clone())
    };
    let before_id = messages::previous_visible_id(conn, room.id, message.id)?;
    Ok(QiscusComment { message, sender, before_id })
}

/// A page of a room's visible comments, newest first, with senders and previous ids.
fn page(conn: &mut dyn Conn, room: &Room, offset: i64, limit: i64) -> Result<Vec<QiscusComment>, Error> {
    // One row more than asked gives the last comment's predecessor.
    let mut rows = messages::visible_page_newest_first(conn, room.id, offset, limit + 1)?;
    let extra = if rows.len() as i64 > limit { rows.pop() } else { None };
    let mut ids: Vec<_> = rows.iter().map(|m| m.sender).collect();
    ids.sort();
    ids.dedup();
    let senders = users::by_ids(conn, room.app, &ids)?;
    let befores: Vec<i64> = rows.iter().skip(1).map(|m| m.id.0).chain([extra.map_or(0, |m| m.id.0)]).collect();
    let mut out = Vec::with_capacity(rows.len());
    for (message, before_id) in rows.into_iter().zip(befores) {
        let Some(sender) = senders.iter().find(|u| u.id == message.sender).cloned() else {
            continue;
        };
        out.push(QiscusComment { message, sender, before_id });
    }
    Ok(out)
}

impl Core {
    /// Posts a comment on behalf of a participant of the room.
    pub async fn qiscus_post_comment(&self, app: AppId, c: CommentDraft) -> Result<QiscusComment, Error> {
        self.store()
            .write(move |tx| {
                let conn = tx.conn();
                let sender = live_user_by_xc(conn, app, &c.user_id)?;
                let room = room_by_qiscus_id(conn, app, &c.room_id)?;
                if !participants::is_member(conn, room.id, sender.id)? {
                    return Err(Error::Forbidden("The sender is not a participant of the room".into()));
                }
                let draft = Draft {
                    local_id: c.unique_temp_id.unwrap_or_else(secrets::random_local_id),
                    kind: MessageKind::from_qiscus_type(&c.qtype),
                    qtype: c.qtype,
                    body: c.text,
                    data: c.payload,
                    extras: c.extras,
                    ..Draft::default()
                };
                post(tx, &room, &sender, draft)
            })
            .await
    }

    /// A page of a room's comments, newest first.
    pub async fn qiscus_load_comments(
        &self,
        app: AppId,
        room_id: String,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<QiscusComment>, Error> {
        self.store()
            .read(move |c| {
                let room = room_by_qiscus_id(c, app, &room_id)?;
                page(c, &room, offset, limit)
            })
            .await
    }
}

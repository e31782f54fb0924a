//! Marks on messages: stars, each user's own, and pins, a room's for all its members. Pinning
//! and unpinning post a system message carrying the message, so every member's list follows.

use super::{Content, insert_message, message_of};
use crate::Core;
use crate::lookup::{live_user_by_id, member_room, with_context};
use crate::secrets::random_local_id;
use palaver_domain::{
    AppId, Error, MessageId, MessageType, RoomMessage, RoomRef, SystemAction, SystemEvent, UserId, Via, time::now_ms,
};
use palaver_store::repo::message_marks::{self as marks, Marks};
use palaver_store::repo::messages;
use std::sync::Arc;

/// Which marks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MarkKind {
    /// The caller's stars.
    Star,
    /// The room's pins.
    Pin,
}

/// Renders the payload of a pin's system message from the pinned message (each face puts
/// the message there in its own shape).
pub type PinPayload = Arc<dyn Fn(&RoomMessage) -> String + Send + Sync>;

/// A change of marks: a pin's or unpin's system message carries a payload rendered by the
/// caller's face.
#[derive(Clone)]
pub enum MarkChange {
    /// Star messages for the caller.
    Star,
    /// Take the caller's stars off.
    Unstar,
    /// Pin messages in the room.
    Pin(PinPayload),
    /// Unpin messages.
    Unpin(PinPayload),
}

impl MarkChange {
    fn parts(&self) -> (MarkKind, bool, Option<&PinPayload>) {
        match self {
            MarkChange::Star => (MarkKind::Star, true, None),
            MarkChange::Unstar => (MarkKind::Star, false, None),
            MarkChange::Pin(p) => (MarkKind::Pin, true, Some(p)),
            MarkChange::Unpin(p) => (MarkKind::Pin, false, Some(p)),
        }
    }
}

/// A page of marked messages.
#[derive(Clone, Debug, PartialEq)]
pub struct MarkedPage {
    /// The page's messages, newest first.
    pub items: Vec<RoomMessage>,
    /// How many messages are marked in all.
    pub total: usize,
}

fn scope(kind: MarkKind, user: UserId, room: palaver_domain::RoomId) -> Marks {
    match kind {
        MarkKind::Star => Marks::Starred { user, room },
        MarkKind::Pin => Marks::Pinned { room },
    }
}

impl Core {
    /// Marks or unmarks messages of a room `user` is in. Messages to mark must be visible
    /// to it in that room (others are left out); unmarking takes any mark off. Returns the
    /// ids now marked (or no longer marked). A pin or unpin that changes something posts a
    /// system message with the payload the change renders.
    pub async fn mark_room_messages(
        &self,
        app: AppId,
        user: UserId,
        room: RoomRef,
        ids: Vec<MessageId>,
        change: MarkChange,
    ) -> Result<Vec<MessageId>, Error> {
        self.store()
            .write(move |tx| {
                let (kind, on, pin_payload) = change.parts();
                let room = member_room(tx.conn(), app, user, &room)?;
                let scope = scope(kind, user, room.id);
                let mut done = Vec::new();
                let mut changed = Vec::new();
                if on {
                    let visible = messages::visible_by_ids(tx.conn(), user, &ids)?;
                    let now = now_ms();
                    for m in visible.into_iter().filter(|m| m.room == room.id && m.deleted == 0) {
                        if marks::add(tx.conn(), scope, m.id, user, now)? {
                            changed.push(m.clone());
                        }
                        done.push(m.id);
                    }
                } else {
                    let mut unique = ids.clone();
                    unique.sort();
                    unique.dedup();
                    for id in unique {
                        if marks::remove(tx.conn(), scope, id)? {
                            done.push(id);
                            changed.extend(messages::by_ids(tx.conn(), app, &[id])?);
                        }
                    }
                }
                if kind == MarkKind::Pin && !changed.is_empty() {
                    let actor = live_user_by_id(tx.conn(), app, user)?;
                    let action = if on { SystemAction::MessagePinned } else { SystemAction::MessageUnpinned };
                    for item in with_context(tx.conn(), app, changed)? {
                        let event =
                            SystemEvent { action, actor: None, targets: Vec::new(), room_name: room.name.clone() };
                        let mut content = Content::numbered(MessageType::SYSTEM);
                        content.data = pin_payload.map(|p| p(&item)).unwrap_or_default();
                        let message = message_of(content, Some(event));
                        insert_message(tx, &room, &actor, None, random_local_id(), message, Via::Client, false)?;
                    }
                }
                Ok(done)
            })
            .await
    }

    /// The marked messages of a room `user` is in that it can see, newest first: all their
    /// ids, or one page of the messages (`page` from 1).
    pub async fn marked_messages(
        &self,
        app: AppId,
        user: UserId,
        room: RoomRef,
        kind: MarkKind,
        page: Option<(usize, usize)>,
    ) -> Result<(Vec<MessageId>, MarkedPage), Error> {
        self.store()
            .read(move |c| {
                let room = member_room(c, app, user, &room)?;
                let ids = marks::ids(c, scope(kind, user, room.id))?;
                // Only what the user still sees (not cleared, not deleted for it), newest first.
                let mut visible = messages::visible_by_ids(c, user, &ids)?;
                visible.reverse();
                let ids: Vec<MessageId> = visible.iter().map(|m| m.id).collect();
                let total = visible.len();
                let items = match page {
                    Some((number, size)) => {
                        let start = number.saturating_sub(1).saturating_mul(size).min(total);
                        let wanted: Vec<_> = visible.drain(start..start.saturating_add(size).min(total)).collect();
                        with_context(c, app, wanted)?
                    }
                    None => Vec::new(),
                };
                Ok((ids, MarkedPage { items, total }))
            })
            .await
    }
}

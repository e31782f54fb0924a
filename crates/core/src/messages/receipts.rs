//! Delivery and read receipts: a reader's pointers move forward, and the messages whose state
//! changed are recorded with the receipt.

use super::edit::visible_messages;
use crate::changes::record;
use crate::lookup::{live_user_by_id, with_context};
use crate::room_views::record_view;
use crate::{Core, Rated};
use futures_util::future::Either;
use palaver_domain::{
    AppId, ChangeKind, Entity, Error, MessageId, Receipt, ReceiptKind, RoomStateChange, UserId, time::now_ms,
};
use palaver_store::repo::{messages, participants, room_views, rooms, users};
use std::collections::BTreeMap;

impl Core {
    /// Records that `user` received (or read) messages: its pointers move forward in each
    /// room to the newest message named, and each room's receipt carries the messages whose
    /// state changed. Returns their ids.
    pub fn mark_messages(
        &self,
        app: AppId,
        user: UserId,
        ids: Vec<MessageId>,
        kind: ReceiptKind,
    ) -> impl Future<Output = Result<Vec<MessageId>, Error>> + Send + 'static + use<> {
        if ids.is_empty() {
            return Either::Left(std::future::ready(Ok(Vec::new())));
        }
        if let Err(e) = self.rates().user(app, user, Rated::Receipt) {
            return Either::Left(std::future::ready(Err(e)));
        }
        Either::Right(self.store().write(move |tx| {
            let mut upto: BTreeMap<_, (MessageId, String)> = BTreeMap::new();
            for m in visible_messages(tx.conn(), app, user, &ids)? {
                let e = upto.entry(m.room).or_insert((m.id, m.local_id.clone()));
                if m.id > e.0 {
                    *e = (m.id, m.local_id);
                }
            }
            let read = kind == ReceiptKind::Read;
            let mut changed = Vec::new();
            let mut reader_external_id = None;
            for (room, (newest, local_id)) in upto {
                let (read_to, delivered_to) =
                    if read { (Some(newest.0), Some(newest.0)) } else { (None, Some(newest.0)) };
                let Some((before, after)) = participants::advance(tx.conn(), room, user, read_to, delivered_to)? else {
                    continue;
                };
                // Reading a room takes away its "unread" mark.
                if read
                    && room_views::set_marked_unread(tx.conn(), room, user, false)?
                    && let Some(r) = rooms::by_ids(tx.conn(), app, &[room])?.pop()
                {
                    record_view(tx, app, user, &r, RoomStateChange::MarkedRead)?;
                }
                let (from, to) = if read { (before.read, after.read) } else { (before.delivered, after.delivered) };
                if to <= from {
                    continue;
                }
                let ids = messages::ids_in_range_from_others(tx.conn(), room, user, from, to)?;
                messages::touch_range_from_others(tx.conn(), room, user, from, to, now_ms())?;
                let now = messages::by_ids(tx.conn(), app, &ids)?;
                let items = with_context(tx.conn(), app, now)?;
                changed.extend(ids);
                let reader_external_id = match &reader_external_id {
                    Some(id) => String::clone(id),
                    None => {
                        let id = live_user_by_id(tx.conn(), app, user)?.external_id;
                        reader_external_id.insert(id).clone()
                    }
                };
                let receipt = Receipt {
                    kind,
                    room,
                    reader: user,
                    reader_external_id,
                    from: MessageId(from),
                    upto: MessageId(to),
                    upto_local_id: local_id,
                    messages: items,
                };
                record(tx, app, Some(user), ChangeKind::Receipt(receipt))?;
            }
            Ok(changed)
        }))
    }
}

/// Who of a message's room has read it, who has only received it, and who neither: the
/// sender is in none.
#[derive(Clone, Debug, PartialEq)]
pub struct MessageReceipts {
    /// The message with its context.
    pub item: palaver_domain::RoomMessage,
    /// Participants who read it.
    pub read_by: Vec<palaver_domain::User>,
    /// Participants who received it and have not read it.
    pub delivered_to: Vec<palaver_domain::User>,
    /// Participants who have not received it.
    pub pending: Vec<palaver_domain::User>,
    /// When each reader's receipts first covered it (Unix ms), as the change log still
    /// knows: (delivered, read), 0 where not known.
    pub times: std::collections::HashMap<UserId, (i64, i64)>,
}

impl Core {
    /// Where a message stands with each participant of its room, as a participant `user`
    /// asks.
    pub async fn message_receipts(&self, app: AppId, user: UserId, id: MessageId) -> Result<MessageReceipts, Error> {
        self.store()
            .read(move |c| {
                let message = visible_messages(c, app, user, &[id])?.pop().ok_or(Error::NotFound(Entity::Message))?;
                let pointers = participants::all_pointers(c, message.room)?;
                let message_room = message.room;
                let ids: Vec<UserId> = pointers.iter().map(|(u, _)| *u).collect();
                let people: std::collections::HashMap<UserId, palaver_domain::User> =
                    users::by_ids(c, app, &ids)?.into_iter().map(|u| (u.id, u)).collect();
                let item = with_context(c, app, vec![message])?.pop().ok_or(Error::NotFound(Entity::Message))?;
                let mut times: std::collections::HashMap<UserId, (i64, i64)> = Default::default();
                for (u, read, at) in palaver_store::repo::changes::receipt_times(c, message_room, id)? {
                    let t = times.entry(u).or_default();
                    if read {
                        t.1 = at;
                    } else {
                        t.0 = at;
                    }
                }
                // A read message was received, when or before it was read.
                for t in times.values_mut() {
                    if t.0 == 0 || (t.1 != 0 && t.1 < t.0) {
                        t.0 = t.1;
                    }
                }
                let mut r = MessageReceipts { item, read_by: vec![], delivered_to: vec![], pending: vec![], times };
                for (u, p) in pointers {
                    let Some(person) = people.get(&u).filter(|_| u != r.item.message.sender).cloned() else { continue };
                    if p.read >= id.0 {
                        r.read_by.push(person);
                    } else if p.delivered >= id.0 {
                        r.delivered_to.push(person);
                    } else {
                        r.pending.push(person);
                    }
                }
                Ok(r)
            })
            .await
    }
}

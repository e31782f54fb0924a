//! Reading messages: a room's history as a participant or the backend sees it, and the
//! latest and unread messages of a user's rooms.

use crate::Core;
use crate::lookup::{live_room, live_user, member_room, with_context};
use palaver_domain::{AppId, Error, MessageId, RoomMessage, RoomRef, RoomType, User, UserId, UserRef};
use palaver_store::repo::{self, messages};

/// Most messages [`Core::reply_times`] reads.
pub const MAX_REPLY_SCAN: i64 = 200_000;

/// Most unread messages `latest_and_unread` returns in all, shared fairly between rooms.
const MAX_UNREAD_LISTED: i64 = 1000;

/// A message of a room's history and the visible message before it (0 for the first).
#[derive(Clone, Debug, PartialEq)]
pub struct HistoryEntry {
    /// The message with its context.
    pub item: RoomMessage,
    /// The id of the visible message before it in the room.
    pub previous: MessageId,
}

impl Core {
    /// Up to `limit` messages of a room created before `max_created` (0: newest), newest
    /// first, as the participant `user` sees them, and whether there are more.
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
                Ok((with_context(c, app, list)?, more))
            })
            .await
    }

    /// Up to `limit` messages of a room created after `min_created` or changed after
    /// `last_updated`, newest first, as the participant `user` sees them, and whether there
    /// are more.
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
                Ok((with_context(c, app, list)?, more))
            })
            .await
    }

    /// A page of a room's visible messages (neither hidden nor deleted), newest first, each
    /// with the visible message before it.
    pub async fn room_history(
        &self,
        app: AppId,
        room: RoomRef,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<HistoryEntry>, Error> {
        self.store()
            .read(move |c| {
                let room = live_room(c, app, &room)?;
                let rows = messages::visible_page_newest_first(c, room.id, offset, limit + 1)?;
                older_page(c, app, rows, limit)
            })
            .await
    }

    /// Up to `limit` visible messages of a room next to message `anchor`, newest first, each
    /// with the visible message before it, as the participant `user` sees them: older than
    /// `anchor` (0: the newest), or with `newer`, the ones right after it. Paging by id
    /// never skips or repeats a message.
    pub async fn messages_next_to(
        &self,
        app: AppId,
        user: UserId,
        room: RoomRef,
        anchor: MessageId,
        newer: bool,
        limit: i64,
    ) -> Result<Vec<HistoryEntry>, Error> {
        self.store()
            .read(move |c| {
                let room = member_room(c, app, user, &room)?;
                if newer {
                    let mut rows = messages::visible_next_to(c, room.id, user, anchor, true, limit)?;
                    rows.reverse();
                    return looked_up_page(c, app, rows);
                }
                let rows = messages::visible_next_to(c, room.id, user, anchor, false, limit + 1)?;
                older_page(c, app, rows, limit)
            })
            .await
    }

    /// The messages with these client ids in the rooms of `user`, as it sees them, in id
    /// order: how a dialect that names messages by client id (Qiscus `unique_id`) finds them.
    pub async fn messages_by_local_ids(
        &self,
        app: AppId,
        user: UserId,
        local_ids: Vec<String>,
    ) -> Result<Vec<RoomMessage>, Error> {
        self.store()
            .read(move |c| {
                let rows = messages::visible_by_local_ids(c, user, &local_ids)?;
                with_context(c, app, rows)
            })
            .await
    }

    /// The newest message id in any room of `user` (0 when none): where a device that has
    /// seen everything up to now starts catching up from.
    pub async fn latest_message_id(&self, user: UserId) -> Result<MessageId, Error> {
        self.store().read(move |c| Ok(MessageId(messages::latest_id_for_user(c, user)?))).await
    }

    /// Up to `limit` messages of any room of `user` with an id above `after`, oldest first,
    /// as the user sees them, each with the visible message before it in its room: what a
    /// device missed since the last message it received.
    pub async fn messages_since(
        &self,
        app: AppId,
        user: UserId,
        after: MessageId,
        limit: i64,
    ) -> Result<Vec<HistoryEntry>, Error> {
        self.store()
            .read(move |c| {
                let rows = messages::created_for_user(c, user, after.0, limit)?;
                // Within the page a message's predecessor is the last visible one of its room
                // before it; only each room's first needs a lookup.
                let mut last: std::collections::HashMap<palaver_domain::RoomId, MessageId> = Default::default();
                let mut previous = Vec::with_capacity(rows.len());
                for m in &rows {
                    let before = match last.get(&m.room) {
                        Some(id) => *id,
                        None => MessageId(messages::previous_visible_id(c, m.room, m.id)?),
                    };
                    previous.push((m.id, before));
                    if !m.is_hidden && !m.is_deleted() {
                        last.insert(m.room, m.id);
                    } else {
                        last.entry(m.room).or_insert(before);
                    }
                }
                with_previous(c, app, rows, previous.into_iter().collect())
            })
            .await
    }

    /// Up to `limit` visible messages of a room with ids in `first..=last`, newest first, each
    /// with the visible message before it, as the backend sees them.
    pub async fn messages_between(
        &self,
        app: AppId,
        room: RoomRef,
        first: MessageId,
        last: MessageId,
        limit: i64,
    ) -> Result<Vec<HistoryEntry>, Error> {
        self.store()
            .read(move |c| {
                let room = live_room(c, app, &room)?;
                let rows = messages::visible_between(c, room.id, first, last, limit)?;
                looked_up_page(c, app, rows)
            })
            .await
    }

    /// How many messages the user has not read in all its rooms, counting those created
    /// within `from..=to` (Unix ms), and in how many rooms they are.
    pub async fn unread_total(&self, app: AppId, user: UserRef, from: i64, to: i64) -> Result<(User, i64, i64), Error> {
        self.store()
            .read(move |c| {
                let user = live_user(c, app, &user)?;
                let (messages, rooms) = messages::unread_total(c, user.id, from, to)?;
                Ok((user, messages, rooms))
            })
            .await
    }

    /// How long `user` took to answer, in ms, for each time others wrote to it within
    /// `from..=to` (Unix ms): from the first message of others since the user last wrote, to
    /// the user's next message in that room. At most the first [`MAX_REPLY_SCAN`] messages of
    /// the window are read.
    pub async fn reply_times(&self, app: AppId, user: UserRef, from: i64, to: i64) -> Result<(User, Vec<i64>), Error> {
        self.store()
            .read(move |c| {
                let user = live_user(c, app, &user)?;
                let rows = messages::senders_between(c, user.id, from, to, MAX_REPLY_SCAN)?;
                let mut durations = Vec::new();
                let mut room = None;
                let mut waiting_since: Option<i64> = None;
                for (r, sender, created) in rows {
                    if room != Some(r) {
                        room = Some(r);
                        waiting_since = None;
                    }
                    if sender != user.id {
                        waiting_since.get_or_insert(created);
                    } else if let Some(since) = waiting_since.take() {
                        durations.push(created - since);
                    }
                }
                Ok((user, durations))
            })
            .await
    }

    /// A page of the app's users with a message they have not read created within
    /// `from..=to` (Unix ms), by user id.
    pub async fn users_with_unread(
        &self,
        app: AppId,
        from: i64,
        to: i64,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<User>, Error> {
        self.store()
            .read(move |c| {
                let ids = messages::users_with_unread(c, app, from, to, offset, limit)?;
                Ok(repo::users::by_ids(c, app, &ids)?.into_iter().filter(|u| !u.is_deleted()).collect())
            })
            .await
    }

    /// The id of the visible message before message `id` in its room (0 for the first).
    pub async fn previous_message(&self, app: AppId, id: MessageId) -> Result<MessageId, Error> {
        self.store()
            .read(move |c| {
                let Some(m) = messages::by_ids(c, app, &[id])?.pop() else {
                    return Ok(MessageId(0));
                };
                Ok(MessageId(messages::previous_visible_id(c, m.room, id)?))
            })
            .await
    }

    /// For each room of `user`: its last message, plus the newest messages the user has not
    /// read; newest first. The SDKs count a room's unread messages from this list, so every
    /// room's are listed when they are [`MAX_UNREAD_LISTED`] or fewer in all; beyond that each
    /// room gets an equal share (a room with fewer keeps all of its own, the rest share what
    /// it leaves). Rooms without unread messages cost one entry of the room list, whatever
    /// their history.
    pub async fn latest_and_unread(&self, app: AppId, user: UserId) -> Result<Vec<RoomMessage>, Error> {
        self.store()
            .read(move |c| {
                let list = repo::room_list::for_user(c, user, &Default::default())?;
                let mut seen = std::collections::HashSet::new();
                let mut out = Vec::new();
                let mut unread = Vec::new();
                let shares = fair_shares(&list.iter().map(|e| e.unread).collect::<Vec<_>>(), MAX_UNREAD_LISTED);
                for (e, share) in list.into_iter().zip(shares) {
                    if share > 0 {
                        unread.extend(messages::unread_in_room(c, e.room.id, user, share)?);
                    }
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
                unread.retain(|m| !seen.contains(&m.id));
                out.extend(with_context(c, app, unread)?);
                // Newest first, as history pages are: the SDKs take a room's next page cursor
                // from the last (oldest) of its messages here.
                out.sort_by_key(|m| std::cmp::Reverse((m.message.created, m.message.id)));
                Ok(out)
            })
            .await
    }
}

/// How many of each room's unread messages to list within `budget`: all of them for rooms
/// with no more than an equal share of what is left, an equal share for the others.
fn fair_shares(counts: &[i64], budget: i64) -> Vec<i64> {
    let mut order: Vec<usize> = (0..counts.len()).filter(|&i| counts[i] > 0).collect();
    order.sort_by_key(|&i| counts[i]);
    let (mut shares, mut left, mut rooms_left) = (vec![0; counts.len()], budget, order.len() as i64);
    for i in order {
        let take = counts[i].min(left / rooms_left.max(1));
        shares[i] = take;
        left -= take;
        rooms_left -= 1;
    }
    shares
}

/// Messages given newest first, each with the visible message before it; `before_oldest` is
/// the one before the last (oldest) of them.
fn entries(
    c: &mut dyn palaver_store::Conn,
    app: AppId,
    rows: Vec<palaver_domain::Message>,
    before_oldest: MessageId,
) -> Result<Vec<HistoryEntry>, Error> {
    let previous: Vec<MessageId> = rows.iter().skip(1).map(|m| m.id).chain([before_oldest]).collect();
    let previous = rows.iter().map(|m| m.id).zip(previous).collect();
    with_previous(c, app, rows, previous)
}

/// Messages with their context, each paired with its predecessor from `previous` (0 when
/// it has none there).
fn with_previous(
    c: &mut dyn palaver_store::Conn,
    app: AppId,
    rows: Vec<palaver_domain::Message>,
    previous: std::collections::HashMap<MessageId, MessageId>,
) -> Result<Vec<HistoryEntry>, Error> {
    Ok(with_context(c, app, rows)?
        .into_iter()
        .map(|item| {
            let previous = previous.get(&item.message.id).copied().unwrap_or_default();
            HistoryEntry { item, previous }
        })
        .collect())
}

/// A page of messages of one room, newest first, whose oldest message's predecessor is
/// looked up.
fn looked_up_page(
    c: &mut dyn palaver_store::Conn,
    app: AppId,
    rows: Vec<palaver_domain::Message>,
) -> Result<Vec<HistoryEntry>, Error> {
    let before_oldest = match rows.last() {
        Some(m) => MessageId(messages::previous_visible_id(c, m.room, m.id)?),
        None => MessageId(0),
    };
    entries(c, app, rows, before_oldest)
}

/// A page of `limit` messages read newest first with one row more than asked: that extra
/// row, when there is one, is the predecessor of the page's oldest message.
fn older_page(
    c: &mut dyn palaver_store::Conn,
    app: AppId,
    mut rows: Vec<palaver_domain::Message>,
    limit: i64,
) -> Result<Vec<HistoryEntry>, Error> {
    let extra = if rows.len() as i64 > limit { rows.pop() } else { None };
    entries(c, app, rows, extra.map_or(MessageId(0), |m| m.id))
}

#[cfg(test)]
mod tests {
    use super::fair_shares;

    #[test]
    fn unread_listing_is_shared_fairly_between_rooms() {
        assert_eq!(fair_shares(&[120, 0, 3], 1000), vec![120, 0, 3], "everything when it fits");
        assert_eq!(fair_shares(&[2000, 2000, 10], 1000), vec![495, 495, 10], "small rooms keep theirs");
        let many = fair_shares(&[5; 300], 1000);
        assert!(many.iter().sum::<i64>() <= 1000, "never beyond the budget");
        assert!(many.iter().all(|&n| (3..=4).contains(&n)), "{many:?}");
        assert_eq!(fair_shares(&[], 1000), Vec::<i64>::new());
    }
}

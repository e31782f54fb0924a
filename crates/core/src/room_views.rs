//! Each user's own view of its rooms: muted (for a while or for good), pinned, marked unread.
//! A change reaches all of the user's devices (as a change of the log naming that user
//! alone); the room's other members never hear of it.

use crate::Core;
use crate::changes::record;
use crate::lookup::{live_user_by_id, member_room};
use palaver_domain::{AppId, ChangeKind, Error, Room, RoomRef, RoomStateChange, User, UserId, time::now_ms};
use palaver_store::repo::{room_views, rooms};
use std::collections::HashMap;

/// How a user sees one of its rooms, where that differs from the default.
#[derive(Clone, Debug, PartialEq)]
pub struct RoomView {
    /// The room.
    pub room: Room,
    /// Muted until this time (Unix ms), 0 for good; `None` when not muted (a mute whose
    /// time has passed is over).
    pub muted_until: Option<i64>,
    /// Pinned since (Unix ms); 0 when not pinned.
    pub pinned_at: i64,
    /// Marked unread by hand.
    pub marked_unread: bool,
    /// When the newest message the user cleared was posted (Unix ms); 0 when never cleared.
    pub cleared_at: i64,
}

/// Applies `change` to a member's row; whether it changed anything.
fn apply(
    conn: &mut dyn palaver_store::Conn,
    room: &Room,
    user: UserId,
    change: RoomStateChange,
) -> Result<bool, Error> {
    let (r, u) = (room.id, user);
    Ok(match change {
        RoomStateChange::Muted { until } => room_views::set_muted(conn, r, u, until.unwrap_or(0))?,
        RoomStateChange::Unmuted => room_views::set_unmuted(conn, r, u)?,
        RoomStateChange::Pinned => room_views::set_pinned(conn, r, u, now_ms())?,
        RoomStateChange::Unpinned => room_views::set_pinned(conn, r, u, 0)?,
        RoomStateChange::MarkedUnread => room_views::set_marked_unread(conn, r, u, true)?,
        RoomStateChange::MarkedRead => room_views::set_marked_unread(conn, r, u, false)?,
    })
}

/// Records that `user`'s view of `room` changed, for all of its devices.
pub(crate) fn record_view(
    tx: &mut palaver_store::WriteTx<'_>,
    app: AppId,
    user: UserId,
    room: &Room,
    state: RoomStateChange,
) -> Result<(), Error> {
    // The partner as it is, deleted or not: the room is still named after it.
    let partner = match room.partner_of(user) {
        Some(p) => palaver_store::repo::users::by_ids(tx.conn(), app, &[p])?.pop(),
        None => None,
    };
    record(tx, app, Some(user), ChangeKind::RoomState { user, room: room.clone(), partner, state })?;
    Ok(())
}

impl Core {
    /// Changes how `user` sees `rooms` (each must be one it is in; a mute's `until` in the
    /// past is refused as a bad value by the caller's face). Returns the rooms whose view
    /// changed; rooms already so are left alone and not announced again.
    pub async fn set_room_view(
        &self,
        app: AppId,
        user: UserId,
        rooms: Vec<RoomRef>,
        change: RoomStateChange,
    ) -> Result<Vec<Room>, Error> {
        self.store()
            .write(move |tx| {
                let mut changed: Vec<Room> = Vec::new();
                for r in &rooms {
                    let room = member_room(tx.conn(), app, user, r)?;
                    if changed.iter().any(|c| c.id == room.id) || !apply(tx.conn(), &room, user, change)? {
                        continue;
                    }
                    record_view(tx, app, user, &room, change)?;
                    changed.push(room);
                }
                Ok(changed)
            })
            .await
    }

    /// The rooms `user` muted, pinned, marked unread or cleared.
    pub async fn room_views(&self, app: AppId, user: UserId) -> Result<Vec<RoomView>, Error> {
        self.store()
            .read(move |c| {
                let rows = room_views::of_user(c, user)?;
                let ids: Vec<_> = rows.iter().map(|r| r.room).collect();
                let found: HashMap<_, _> = rooms::by_ids(c, app, &ids)?.into_iter().map(|r| (r.id, r)).collect();
                let now = now_ms();
                Ok(rows
                    .into_iter()
                    .filter_map(|row| {
                        let room = found.get(&row.room)?.clone();
                        let muted_until = row.muted.filter(|until| *until == 0 || *until > now);
                        Some(RoomView {
                            room,
                            muted_until,
                            pinned_at: row.pinned_at,
                            marked_unread: row.marked_unread,
                            cleared_at: row.cleared_at,
                        })
                    })
                    .collect())
            })
            .await
    }

    /// The group rooms both `user` and `other` are in.
    pub async fn groups_in_common(&self, app: AppId, user: UserId, other: UserId) -> Result<Vec<Room>, Error> {
        self.store()
            .read(move |c| {
                let other: User = live_user_by_id(c, app, other)?;
                let ids = palaver_store::repo::participants::rooms_in_common(c, user, other.id)?;
                Ok(rooms::by_ids(c, app, &ids)?
                    .into_iter()
                    .filter(|r| r.kind != palaver_domain::RoomType::Personal && !r.is_deleted())
                    .collect())
            })
            .await
    }
}

//! Services of the Qiscus Server API (REST v2.1).
//!
//! They speak Qiscus' nouns (a `user_id` is an external user id, a `room_id` a numeric id or
//! a unique id) but work on the same users, rooms and messages as every other face: each
//! call is one group-committed transaction built from the core's shared helpers, so whatever
//! fails leaves nothing written.

mod members;
mod messages;
mod rooms;
mod system;
mod users;

pub use messages::{CommentDraft, QiscusComment};
pub use palaver_store::repo::users::UserOrder;
pub use rooms::{ChannelSpec, GroupSpec, RoomPatch};
pub use system::{SYSTEM_EVENT_TYPES, SystemEventDraft, system_user_id};
pub use users::{QiscusLogin, UserPage};

use crate::rooms::live_room;
use crate::users::live_users_by_xcs;
use palaver_domain::{AppId, Error, Room, RoomId, RoomRef, User};
use palaver_store::Conn;
use palaver_store::repo::rooms as room_repo;

/// A live room named by a Qiscus `room_id`: a numeric id when it parses as one and such a
/// room exists, otherwise a unique id (`room_channel_id`), as notes section 3.8 describe.
pub(crate) fn room_by_qiscus_id(conn: &mut dyn Conn, app: AppId, id: &str) -> Result<Room, Error> {
    if let Ok(n) = id.parse::<i64>() {
        let by_id = room_repo::by_ref(conn, app, &RoomRef::Id(RoomId(n)))?;
        if let Some(room) = by_id.filter(|r| !r.is_deleted()) {
            return Ok(room);
        }
    }
    live_room(conn, app, &RoomRef::Xc(id.to_string()))
}

/// Live users by Qiscus user ids, in the order given with repeats dropped; one unknown id
/// fails the whole lookup.
pub(crate) fn users_by_qiscus_ids(conn: &mut dyn Conn, app: AppId, ids: &[String]) -> Result<Vec<User>, Error> {
    let mut unique: Vec<String> = Vec::with_capacity(ids.len());
    for id in ids {
        if !unique.contains(id) {
            unique.push(id.clone());
        }
    }
    live_users_by_xcs(conn, app, &unique)
}

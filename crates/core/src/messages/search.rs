//! Searching the messages of a user's rooms: full text, by room, sender, type and room type
//! (Qiscus `search`, `search_messages`, `file_list`).

use crate::Core;
use crate::lookup::{any_room, with_context};
use palaver_domain::{AppId, Error, RoomMessage, RoomRef, RoomType, UserId, UserRef};
use palaver_store::repo::messages::{self, SearchFilter};
use palaver_store::repo::users;

/// What a search asks for; absent parts select everything.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MessageSearch {
    /// Words the body must contain (the last one as a prefix).
    pub text: Option<String>,
    /// Only these rooms (of the user's).
    pub rooms: Option<Vec<RoomRef>>,
    /// Only messages of this sender.
    pub sender: Option<UserRef>,
    /// Only messages of this type name (`text`, `file_attachment`...).
    pub type_name: Option<String>,
    /// Only rooms of these types.
    pub room_kinds: Option<Vec<RoomType>>,
    /// Messages to skip.
    pub offset: i64,
    /// Most messages.
    pub limit: i64,
}

impl Core {
    /// A page of the visible messages of `user`'s rooms that `search` selects, newest first,
    /// and how many it selects in all. A text without words, or an unknown sender or room,
    /// selects nothing.
    pub async fn search_messages(
        &self,
        app: AppId,
        user: UserId,
        search: MessageSearch,
    ) -> Result<(Vec<RoomMessage>, i64), Error> {
        self.store()
            .read(move |c| {
                let none = Ok((Vec::new(), 0));
                let text = match &search.text {
                    Some(t) => match palaver_store::text_query(c.dialect(), t) {
                        Some(q) => Some(q),
                        None => return none,
                    },
                    None => None,
                };
                let rooms = search
                    .rooms
                    .as_ref()
                    .map(|refs| refs.iter().filter_map(|r| any_room(c, app, r).ok().map(|r| r.id)).collect());
                let sender = match &search.sender {
                    Some(UserRef::Id(id)) => Some(*id),
                    Some(UserRef::External(id)) => match users::by_external_id(c, app, id.as_str())? {
                        Some(u) => Some(u.id),
                        None => return none,
                    },
                    None => None,
                };
                let filter = SearchFilter {
                    text,
                    rooms,
                    sender,
                    type_name: search.type_name.clone(),
                    room_kinds: search.room_kinds.as_ref().map(|k| k.iter().map(|k| k.code()).collect()),
                };
                let (rows, total) = messages::search(c, user, &filter, search.offset, search.limit)?;
                Ok((with_context(c, app, rows)?, total))
            })
            .await
    }
}

/// Which of a room's shared messages to list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SharedContent {
    /// Message type codes.
    pub types: Vec<i64>,
    /// Posted after this (Unix ms).
    pub min_created: i64,
    /// Posted before this (Unix ms; 0: no bound).
    pub max_created: i64,
    /// Oldest first (else newest first).
    pub ascending: bool,
    /// Most messages.
    pub limit: i64,
}

impl Core {
    /// The messages of some types (media, files, links) posted in a room `user` is in, that
    /// it still sees.
    pub async fn shared_in_room(
        &self,
        app: AppId,
        user: UserId,
        room: RoomRef,
        shared: SharedContent,
    ) -> Result<Vec<RoomMessage>, Error> {
        self.store()
            .read(move |c| {
                let room = crate::lookup::member_room(c, app, user, &room)?;
                let q = palaver_store::repo::message_marks::SharedQuery {
                    viewer: user,
                    room: room.id,
                    types: shared.types,
                    min_created: shared.min_created,
                    max_created: shared.max_created,
                    ascending: shared.ascending,
                    limit: shared.limit,
                };
                let rows = palaver_store::repo::message_marks::shared(c, &q)?;
                with_context(c, app, rows)
            })
            .await
    }
}

//! `chat/message/*`: history, sync, delivery and read feedback, deletion, server-encrypted
//! sending.

use super::auth::Client;
use super::rooms::room_ref;
use crate::TapTalk;
use crate::envelope::{ApiError, ApiResult, Outcome, Reply};
use crate::params::Params;
use crate::wire::message::MessageDto;
use axum::extract::State;
use palaver_core::{Author, Content, Destination, Draft, Post};
use palaver_domain::limits::{MAX_BODY_CHARS, MAX_DATA_CHARS};
use palaver_domain::{MessageId, ReceiptKind, RoomMessage, RoomRef, UserId, UserRef, Via};
use serde_json::{Value, json};

/// Most messages one history page holds.
const MAX_PAGE: i64 = 100;

/// Longest client id of a message.
pub const MAX_LOCAL_ID_CHARS: usize = 64;

/// `{messages}` or `{messages, hasMore}`, serialized straight from the message shapes.
#[derive(serde::Serialize)]
pub struct Messages {
    messages: Vec<MessageDto>,
    #[serde(rename = "hasMore", skip_serializing_if = "Option::is_none")]
    has_more: Option<bool>,
}

/// Renders messages for the caller.
pub fn render(t: &TapTalk, viewer: UserId, list: &[RoomMessage]) -> Vec<MessageDto> {
    list.iter().map(|rm| MessageDto::for_viewer(rm, viewer, t.core.is_online(rm.room.app, rm.sender.id))).collect()
}

/// Parses the `messageIDs` list.
pub fn message_ids(p: &Params) -> Result<Vec<MessageId>, ApiError> {
    let Some(list) = p.opt_str_list("messageIDs", "messageIDs")? else {
        return Err(crate::params::required("messageIDs", "messageIDs"));
    };
    list.iter()
        .map(|s| {
            s.parse()
                .map(MessageId)
                .map_err(|_| ApiError::param("Param 'messageIDs' must hold message IDs", "messageIDs"))
        })
        .collect()
}

/// `chat/message/room_list_and_unread`: each room's last message and every unread one.
pub async fn room_list_and_unread(State(t): State<TapTalk>, c: Client) -> ApiResult<Messages> {
    let me = c.session.user.id;
    let list = t.core.latest_and_unread(c.session.app, me).await?;
    Ok(Reply(Messages { messages: render(&t, me, &list), has_more: None }))
}

/// `chat/message/new_and_updated`: what changed since this device last synced.
pub async fn new_and_updated(State(t): State<TapTalk>, c: Client) -> ApiResult<Messages> {
    let me = c.session.user.id;
    let list = t.core.catch_up(c.session.app, me, c.device.clone()).await?;
    Ok(Reply(Messages { messages: render(&t, me, &list), has_more: None }))
}

/// `chat/message/list_by_room/before`: older history, newest first.
pub async fn before(State(t): State<TapTalk>, c: Client, p: Params) -> ApiResult<Messages> {
    let me = c.session.user.id;
    let room = room_ref(&p)?;
    let max_created = p.opt_int("maxCreated", "maxCreated")?.unwrap_or(0);
    let limit = p.opt_int("limit", "limit")?.unwrap_or(50).clamp(1, MAX_PAGE);
    let (list, more) = t.core.messages_before(c.session.app, me, room, max_created, limit).await?;
    Ok(Reply(Messages { messages: render(&t, me, &list), has_more: Some(more) }))
}

/// `chat/message/list_by_room/after`: messages created or changed since a point, newest first.
pub async fn after(State(t): State<TapTalk>, c: Client, p: Params) -> ApiResult<Messages> {
    let me = c.session.user.id;
    let room = room_ref(&p)?;
    let min_created = p.opt_int("minCreated", "minCreated")?.unwrap_or(0);
    let last_updated = p.opt_int("lastUpdated", "lastUpdated")?.unwrap_or(min_created);
    let limit = p.opt_int("limit", "limit")?.unwrap_or(MAX_PAGE).clamp(1, MAX_PAGE);
    let (list, more) = t.core.messages_after(c.session.app, me, room, min_created, last_updated, limit).await?;
    Ok(Reply(Messages { messages: render(&t, me, &list), has_more: Some(more) }))
}

/// `chat/message/feedback/delivered`.
pub async fn delivered(State(t): State<TapTalk>, c: Client, p: Params) -> ApiResult<Value> {
    let ids = t.core.mark_messages(c.session.app, c.session.user.id, message_ids(&p)?, ReceiptKind::Delivered).await?;
    Ok(Reply(json!({"updatedMessageIDs": ids.iter().map(|i| i.0.to_string()).collect::<Vec<_>>()})))
}

/// `chat/message/feedback/read`.
pub async fn read(State(t): State<TapTalk>, c: Client, p: Params) -> ApiResult<Value> {
    let ids = t.core.mark_messages(c.session.app, c.session.user.id, message_ids(&p)?, ReceiptKind::Read).await?;
    Ok(Reply(json!({"updatedMessageIDs": ids.iter().map(|i| i.0.to_string()).collect::<Vec<_>>()})))
}

/// `chat/message/delete`: for everyone (own messages) or only for the caller.
pub async fn delete(State(t): State<TapTalk>, c: Client, p: Params) -> ApiResult<Value> {
    let room = room_ref(&p)?;
    let ids = message_ids(&p)?;
    let for_everyone = p.opt_bool("forEveryone", "forEveryone")?.unwrap_or(false);
    let deleted = t.core.delete_messages(c.session.app, c.session.user.id, room, ids, for_everyone).await?;
    Ok(Reply(json!({"deletedMessageIDs": deleted.iter().map(|i| i.0.to_string()).collect::<Vec<_>>()})))
}

/// `chat/message/send/custom`: plaintext content from the client; Palaver encrypts it on
/// the way out like any other message.
pub async fn send_custom(State(t): State<TapTalk>, c: Client, p: Params) -> ApiResult<Outcome> {
    let me = c.session.user.id;
    let room = match (
        p.opt_str("roomID", "roomID")?.filter(|s| !s.is_empty()),
        p.opt_str("recipientUserID", "recipientUserID")?,
    ) {
        (Some(id), _) => crate::wire::parse_room_id(&id)
            .ok_or_else(|| ApiError::param("Param 'roomID' is not a room ID", "roomID"))?,
        (None, Some(other)) if !other.is_empty() => {
            let other: i64 = other
                .parse()
                .map_err(|_| ApiError::param("Param 'recipientUserID' must be a user ID", "recipientUserID"))?;
            RoomRef::Personal(me.min(UserId(other)), me.max(UserId(other)))
        }
        _ => return Err(ApiError::param("Param 'roomID' or 'recipientUserID' is required", "roomID")),
    };
    let kind = p.req_int("messageType", "messageType")?;
    if (9000..10000).contains(&kind) {
        return Err(ApiError::param("Param 'messageType' cannot be a system type", "messageType"));
    }
    let body = p.opt_str("body", "body")?.unwrap_or_default();
    let data = p.opt_str("data", "data")?.unwrap_or_default();
    check_content(&body, &data)?;
    let local_id = p.opt_str("localID", "localID")?.filter(|s| !s.is_empty());
    if let Some(id) = &local_id {
        crate::params::check_len(id, "localID", "localID", 1, MAX_LOCAL_ID_CHARS)?;
    }
    let content = Content {
        body,
        attachments: crate::wire::message::attachments(&data),
        data,
        filter_id: p.opt_str("filterID", "filterID")?.unwrap_or_default(),
        is_hidden: p.opt_bool("isHidden", "isHidden")?.unwrap_or(false),
        ..Content::numbered(kind)
    };
    let post = Post {
        author: Author::User(UserRef::Id(me)),
        via: Via::Client,
        to: Destination::Room(room),
        drafts: vec![Draft { local_id, content }],
    };
    t.core.post(c.session.app, post).await?;
    Ok(Reply(Outcome::done("The message has been sent")))
}

/// Checks the content limits of a client message.
pub fn check_content(body: &str, data: &str) -> Result<(), ApiError> {
    if body.chars().count() > MAX_BODY_CHARS {
        return Err(ApiError::param(format!("Param 'body' is longer than {MAX_BODY_CHARS} characters"), "body"));
    }
    if data.chars().count() > 4 * MAX_DATA_CHARS {
        return Err(ApiError::param(format!("Param 'data' is longer than {} characters", 4 * MAX_DATA_CHARS), "data"));
    }
    Ok(())
}

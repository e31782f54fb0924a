//! `chat/message/*` marks and details: stars (the caller's own), pins (the room's, announced
//! by `message/pin` and `message/unpin` system messages carrying the message), read counts,
//! who received and read a message; `chat/room/get_shared_content`.

use super::auth::Client;
use super::messages::{message_ids, render};
use super::rooms::room_ref;
use crate::TapTalk;
use crate::envelope::{ApiError, ApiResult, Reply};
use crate::params::Params;
use crate::wire::ImageUrl;
use crate::wire::message::MessageDto;
use axum::extract::State;
use palaver_core::{MarkChange, MarkKind, PinPayload, SharedContent};
use palaver_domain::{MessageId, User};
use serde_json::{Value, json};
use std::sync::Arc;

/// Most messages one call marks.
const MAX_MARKED: usize = 100;
/// Largest page of a marked list (the web SDK asks for 99,999: it gets them all).
const MAX_PAGE_SIZE: i64 = 100_000;
/// Most messages of each kind `get_shared_content` answers.
const MAX_SHARED: i64 = 500;

fn marked_ids(p: &Params) -> Result<Vec<MessageId>, ApiError> {
    let ids = message_ids(p)?;
    if ids.is_empty() || ids.len() > MAX_MARKED {
        return Err(ApiError::param(format!("Param 'messageIDs' must hold 1 to {MAX_MARKED} IDs"), "messageIDs"));
    }
    Ok(ids)
}

fn texts(ids: &[MessageId]) -> Vec<String> {
    ids.iter().map(|id| id.0.to_string()).collect()
}

/// The payload of a pin's system message: the pinned message, as `me` sees it.
fn pinned_message(me: palaver_domain::UserId) -> PinPayload {
    Arc::new(move |item| serde_json::to_string(&MessageDto::for_viewer(item, me, false)).unwrap_or_default())
}

async fn mark(t: TapTalk, c: Client, p: Params, change: MarkChange) -> Result<Vec<String>, ApiError> {
    let (app, me) = (c.session.app, c.session.user.id);
    let ids = t.core.mark_room_messages(app, me, room_ref(&p)?, marked_ids(&p)?, change).await?;
    Ok(texts(&ids))
}

/// `chat/message/star`.
pub async fn star(State(t): State<TapTalk>, c: Client, p: Params) -> ApiResult<Value> {
    Ok(Reply(json!({ "starredMessageIDs": mark(t, c, p, MarkChange::Star).await? })))
}

/// `chat/message/unstar`.
pub async fn unstar(State(t): State<TapTalk>, c: Client, p: Params) -> ApiResult<Value> {
    Ok(Reply(json!({ "unstarredMessageIDs": mark(t, c, p, MarkChange::Unstar).await? })))
}

/// `chat/message/pin`: posts a `message/pin` system message for each message newly pinned.
pub async fn pin(State(t): State<TapTalk>, c: Client, p: Params) -> ApiResult<Value> {
    let change = MarkChange::Pin(pinned_message(c.session.user.id));
    Ok(Reply(json!({ "pinnedMessageIDs": mark(t, c, p, change).await? })))
}

/// `chat/message/unpin`: posts a `message/unpin` system message for each message unpinned.
pub async fn unpin(State(t): State<TapTalk>, c: Client, p: Params) -> ApiResult<Value> {
    let change = MarkChange::Unpin(pinned_message(c.session.user.id));
    Ok(Reply(json!({ "unpinnedMessageIDs": mark(t, c, p, change).await? })))
}

async fn ids_of(t: &TapTalk, c: &Client, p: &Params, kind: MarkKind) -> Result<Vec<String>, ApiError> {
    let (ids, _) = t.core.marked_messages(c.session.app, c.session.user.id, room_ref(p)?, kind, None).await?;
    Ok(texts(&ids))
}

/// `chat/message/get_starred_ids`: `messageIDs` (the web's key) and `starredMessageIDs`.
pub async fn starred_ids(State(t): State<TapTalk>, c: Client, p: Params) -> ApiResult<Value> {
    let ids = ids_of(&t, &c, &p, MarkKind::Star).await?;
    Ok(Reply(json!({ "messageIDs": ids, "starredMessageIDs": ids })))
}

/// `chat/message/get_pinned_ids`.
pub async fn pinned_ids(State(t): State<TapTalk>, c: Client, p: Params) -> ApiResult<Value> {
    Ok(Reply(json!({ "pinnedMessageIDs": ids_of(&t, &c, &p, MarkKind::Pin).await? })))
}

async fn list(t: TapTalk, c: Client, p: Params, kind: MarkKind) -> ApiResult<Value> {
    let number = p.opt_int("pageNumber", "pageNumber")?.unwrap_or(1);
    let size = p.opt_int("pageSize", "pageSize")?.unwrap_or(50);
    if number < 1 {
        return Err(ApiError::param("Param 'pageNumber' must be at least 1", "pageNumber"));
    }
    if !(1..=MAX_PAGE_SIZE).contains(&size) {
        return Err(ApiError::param(format!("Param 'pageSize' must be 1 to {MAX_PAGE_SIZE}"), "pageSize"));
    }
    let (me, page) = (c.session.user.id, Some((number as usize, size as usize)));
    let (_, found) = t.core.marked_messages(c.session.app, me, room_ref(&p)?, kind, page).await?;
    let total_pages = found.total.div_ceil(size as usize);
    Ok(Reply(json!({
        "messages": render(&t, me, &found.items),
        "hasMore": (number as usize) < total_pages,
        "pageNumber": number,
        "totalItems": found.total,
        "totalPages": total_pages,
    })))
}

/// `chat/message/get_starred_list`: newest first, by page.
pub async fn starred_list(State(t): State<TapTalk>, c: Client, p: Params) -> ApiResult<Value> {
    list(t, c, p, MarkKind::Star).await
}

/// `chat/message/get_pinned_list`: newest first, by page.
pub async fn pinned_list(State(t): State<TapTalk>, c: Client, p: Params) -> ApiResult<Value> {
    list(t, c, p, MarkKind::Pin).await
}

fn message_id(p: &Params) -> Result<MessageId, ApiError> {
    let raw = p.req_str("messageID", "messageID")?;
    raw.parse().map(MessageId).map_err(|_| ApiError::param("Param 'messageID' must be a message ID", "messageID"))
}

/// `chat/message/get_total_read`: how many participants (the sender aside) read it.
pub async fn total_read(State(t): State<TapTalk>, c: Client, p: Params) -> ApiResult<Value> {
    let r = t.core.message_receipts(c.session.app, c.session.user.id, message_id(&p)?).await?;
    Ok(Reply(json!({ "count": r.read_by.len() })))
}

/// `chat/message/get_details`: the message, who received it and who read it, with when
/// (0 when the change log no longer knows).
pub async fn details(State(t): State<TapTalk>, c: Client, p: Params) -> ApiResult<Value> {
    let me = c.session.user.id;
    let r = t.core.message_receipts(c.session.app, me, message_id(&p)?).await?;
    let reader = |u: &User| {
        let (delivered, read) = r.times.get(&u.id).copied().unwrap_or_default();
        json!({
            "userID": u.id.0.to_string(),
            "xcUserID": u.external_id,
            "fullname": u.fullname,
            "userImageURL": ImageUrl::new(&u.photo_thumb, &u.photo_full),
            "deliveredTime": delivered,
            "readTime": read,
        })
    };
    // Whoever read it also received it.
    let delivered_to: Vec<Value> = r.read_by.iter().chain(&r.delivered_to).map(reader).collect();
    let read_by: Vec<Value> = r.read_by.iter().map(reader).collect();
    let online = t.core.is_online(r.item.room.app, r.item.sender.id);
    Ok(Reply(json!({
        "message": MessageDto::for_viewer(&r.item, me, online),
        "deliveredTo": delivered_to,
        "readBy": read_by,
    })))
}

/// Message types `get_shared_content` lists under each key: images and videos; files, voice
/// notes and audio; links.
const MEDIA: [i64; 2] = [1002, 1003];
const FILES: [i64; 3] = [1004, 1008, 1009];
const LINKS: [i64; 1] = [1010];

/// `chat/room/get_shared_content`: `{media, files, links}`, each item with the message's
/// encrypted `data`.
pub async fn shared_content(State(t): State<TapTalk>, c: Client, p: Params) -> ApiResult<Value> {
    let (app, me) = (c.session.app, c.session.user.id);
    let room = room_ref(&p)?;
    let min_created = p.opt_int("minCreated", "minCreated")?.unwrap_or(0);
    let max_created = p.opt_int("maxCreated", "maxCreated")?.unwrap_or(0);
    let ascending = match p.opt_str("sortOrder", "sortOrder")?.as_deref().map(str::to_ascii_uppercase).as_deref() {
        None | Some("" | "DESC") => false,
        Some("ASC") => true,
        Some(_) => return Err(ApiError::param("Param 'sortOrder' must be ASC or DESC", "sortOrder")),
    };
    let mut out = serde_json::Map::new();
    for (key, types) in [("media", &MEDIA[..]), ("files", &FILES[..]), ("links", &LINKS[..])] {
        let q = SharedContent { types: types.to_vec(), min_created, max_created, ascending, limit: MAX_SHARED };
        let found = t.core.shared_in_room(app, me, room.clone(), q).await?;
        let items: Vec<Value> = found
            .iter()
            .map(|rm| {
                let dto = MessageDto::for_viewer(rm, me, false);
                json!({
                    "messageID": dto.message_id,
                    "localID": dto.local_id,
                    "messageType": dto.kind,
                    "created": dto.created,
                    "userID": rm.sender.id.0.to_string(),
                    "userFullname": rm.sender.fullname,
                    "data": dto.data,
                })
            })
            .collect();
        out.insert(key.to_string(), Value::Array(items));
    }
    Ok(Reply(Value::Object(out)))
}

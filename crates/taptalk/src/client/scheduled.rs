//! `chat/scheduled_message/*`: messages the server sends for the user at a time the user
//! chose. The message object arrives as the SDK sends it on the socket (encrypted) and is read
//! by the socket's own parser; items are answered as encrypted message objects.

use super::auth::Client;
use super::rooms::room_ref;
use crate::TapTalk;
use crate::envelope::{ApiError, ApiResult, Outcome, Reply};
use crate::params::{Params, required};
use crate::realtime::incoming::parse_message;
use crate::wire::message::MessageDto;
use axum::extract::State;
use palaver_core::{Draft, ScheduledMessage};
use palaver_domain::{RoomRef, UserId};
use serde::Serialize;
use serde_json::{Value, json};

/// One scheduled message as the SDKs read it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScheduledItem {
    /// Its id.
    id: i64,
    /// When it was scheduled, Unix ms.
    created_time: i64,
    /// When it last changed, Unix ms.
    updated_time: i64,
    /// When it will be sent, Unix ms.
    scheduled_time: i64,
    /// The message, encrypted like any other.
    message: MessageDto,
}

fn item(t: &TapTalk, me: UserId, s: &ScheduledMessage) -> ScheduledItem {
    let online = t.core.is_online(s.item.room.app, me);
    ScheduledItem {
        id: s.id,
        created_time: s.created,
        updated_time: s.updated,
        scheduled_time: s.scheduled_at,
        message: MessageDto::for_viewer(&s.item, me, online),
    }
}

/// `message`: a message object as `chat/sendMessage` carries it, validated by the same parser.
fn message(p: &Params) -> Result<(RoomRef, Draft), ApiError> {
    let m = match p.raw("message") {
        Some(Value::Object(m)) => Params(m.clone()),
        Some(_) => return Err(ApiError::param("Param 'message' must be a message object", "message")),
        None => return Err(required("message", "message")),
    };
    parse_message(&m)
        .map_err(|why| ApiError::param(format!("Param 'message' is not a valid message: {why}"), "message"))
}

fn scheduled_time(p: &Params) -> Result<i64, ApiError> {
    let at = p.req_int("scheduledTime", "scheduledTime")?;
    if at <= 0 {
        return Err(ApiError::param("Param 'scheduledTime' must be a time in Unix milliseconds", "scheduledTime"));
    }
    Ok(at)
}

fn id(p: &Params) -> Result<i64, ApiError> {
    let id = p.req_int("id", "id")?;
    if id <= 0 {
        return Err(ApiError::param("Param 'id' must be a scheduled message ID", "id"));
    }
    Ok(id)
}

fn ids(p: &Params) -> Result<Vec<i64>, ApiError> {
    p.req_str_list("ids", "ids")?
        .iter()
        .map(|s| {
            s.parse()
                .ok()
                .filter(|id: &i64| *id > 0)
                .ok_or_else(|| ApiError::param("Param 'ids' must hold scheduled message IDs", "ids"))
        })
        .collect()
}

/// `chat/scheduled_message/create`: schedules a message; a time already past sends it at once.
pub async fn create(State(t): State<TapTalk>, c: Client, p: Params) -> ApiResult<Value> {
    let (room, draft) = message(&p)?;
    let at = scheduled_time(&p)?;
    let me = c.session.user.id;
    let made = t.core.schedule_message(c.session.app, me, room, draft, at).await?;
    Ok(Reply(json!({
        "success": true,
        "message": "The message has been scheduled",
        "createdItem": item(&t, me, &made),
    })))
}

/// `chat/scheduled_message/get_scheduled_list`: the caller's waiting messages in a room.
pub async fn list(State(t): State<TapTalk>, c: Client, p: Params) -> ApiResult<Value> {
    let room = room_ref(&p)?;
    let me = c.session.user.id;
    let list = t.core.scheduled_messages(c.session.app, me, room).await?;
    Ok(Reply(json!({"items": list.iter().map(|s| item(&t, me, s)).collect::<Vec<_>>()})))
}

/// `chat/scheduled_message/send_now`: sends the caller's waiting messages now.
pub async fn send_now(State(t): State<TapTalk>, c: Client, p: Params) -> ApiResult<Value> {
    let (room, ids) = (room_ref(&p)?, ids(&p)?);
    let sent = t.core.send_scheduled_now(c.session.app, c.session.user.id, room, ids).await?;
    Ok(Reply(json!({ "ids": sent })))
}

/// `chat/scheduled_message/delete`: deletes the caller's waiting messages.
pub async fn delete(State(t): State<TapTalk>, c: Client, p: Params) -> ApiResult<Value> {
    let (room, ids) = (room_ref(&p)?, ids(&p)?);
    let deleted = t.core.delete_scheduled(c.session.app, c.session.user.id, room, ids).await?;
    Ok(Reply(json!({ "ids": deleted })))
}

/// `chat/scheduled_message/edit_scheduled_time`: moves a waiting message to another time.
pub async fn edit_time(State(t): State<TapTalk>, c: Client, p: Params) -> ApiResult<Outcome> {
    let (id, at) = (id(&p)?, scheduled_time(&p)?);
    t.core.reschedule_message(c.session.app, c.session.user.id, id, at).await?;
    Ok(Reply(Outcome::done("The scheduled time has been changed")))
}

/// `chat/scheduled_message/edit_content`: replaces a waiting message's content.
pub async fn edit_content(State(t): State<TapTalk>, c: Client, p: Params) -> ApiResult<Outcome> {
    let id = id(&p)?;
    let (_, draft) = message(&p)?;
    t.core.edit_scheduled(c.session.app, c.session.user.id, id, draft).await?;
    Ok(Reply(Outcome::done("The scheduled message has been changed")))
}

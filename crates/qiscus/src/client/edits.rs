//! Changing sent comments, named by their client id (`unique_id`, the `unique_temp_id` they
//! were posted with): `update_message`, `delete_messages`; and `clear_room_messages`.

use super::UserCall;
use crate::Qiscus;
use crate::envelope::{ApiError, ApiResult, Reply};
use crate::params::required;
use crate::validate;
use crate::wire::client::{RoomView, comment, room};
use axum::extract::State;
use palaver_core::Edit;
use palaver_domain::limits::MAX_BODY_CHARS;
use palaver_domain::{Entity, Error, MessageId, RoomRef};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// `update_message`: the caller's comment `unique_id` gets the text `comment` (and `payload`,
/// `extras` when given). Participants hear of it on `<token>/update`.
pub async fn update_message(State(q): State<Qiscus>, call: UserCall) -> ApiResult<Value> {
    let p = &call.params;
    let unique_id = p.opt_nonempty("unique_id")?.ok_or_else(|| required("unique_id"))?;
    let text = p.opt_str("comment")?.ok_or_else(|| required("comment"))?;
    validate::max_chars(&text, "comment", MAX_BODY_CHARS)?;
    let me = call.user.id;
    let found = q.core.messages_by_local_ids(call.app, me, vec![unique_id]).await?;
    let Some(target) = found.last() else {
        return Err(Error::NotFound(Entity::Message).into());
    };
    let edit =
        Edit { body: text, data: p.opt_object_text("payload")?, quote: None, extras: p.opt_object_text("extras")? };
    let item = q.core.edit_message(call.app, me, target.message.id, edit).await?;
    let previous = q.core.previous_message(call.app, item.message.id).await?;
    Ok(Reply(json!({"comment": comment(&item, previous.0, me)})))
}

/// `delete_messages`: deletes the comments `unique_ids` (a JSON body on DELETE, as the web
/// SDK sends): for everyone (the default; own comments only) or, with
/// `is_delete_for_everyone=false`, for the caller alone. Answers the comments deleted.
pub async fn delete_messages(State(q): State<Qiscus>, call: UserCall) -> ApiResult<Value> {
    let p = &call.params;
    let unique_ids = p.req_list("unique_ids")?;
    if unique_ids.is_empty() {
        return Err(ApiError::bad_request("Param 'unique_ids' must name at least one comment"));
    }
    let for_everyone = p.opt_bool("is_delete_for_everyone")?.unwrap_or(true);
    let me = call.user.id;
    let found = q.core.messages_by_local_ids(call.app, me, unique_ids).await?;
    let mut by_room: BTreeMap<_, Vec<MessageId>> = BTreeMap::new();
    for item in &found {
        by_room.entry(item.message.room).or_default().push(item.message.id);
    }
    let mut deleted = Vec::new();
    for (room, ids) in by_room {
        deleted.extend(q.core.delete_messages(call.app, me, RoomRef::Id(room), ids, for_everyone).await?);
    }
    let comments: Vec<Value> = found
        .iter()
        .filter(|item| deleted.contains(&item.message.id))
        .map(|item| {
            let mut c = comment(item, 0, me);
            c["is_deleted"] = json!(true);
            c
        })
        .collect();
    Ok(Reply(json!({ "comments": comments })))
}

/// `clear_room_messages`: clears the history of the caller's rooms `room_channel_ids` (unique
/// ids, or room ids for rooms without one) for the caller alone; answers the rooms cleared.
/// The caller's other devices hear a `clear_room` event.
pub async fn clear_room_messages(State(q): State<Qiscus>, call: UserCall) -> ApiResult<Value> {
    let ids = validate::room_ids(&call.params, "room_channel_ids")?;
    if ids.is_empty() {
        return Err(required("room_channel_ids"));
    }
    let rooms: Vec<RoomRef> = ids.into_iter().map(RoomRef::IdOrExternal).collect();
    let cleared = q.core.clear_history(call.app, call.user.id, rooms).await?;
    let rooms: Vec<Value> = cleared
        .iter()
        .map(|r| {
            let view =
                RoomView { partner: None, participants: None, last_comment: None, unread: 0, total_participants: 0 };
            room(r, view)
        })
        .collect();
    Ok(Reply(json!({ "rooms": rooms })))
}

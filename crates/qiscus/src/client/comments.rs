//! Comments as a user sends and reads them: `post_comment`, `load_comments`,
//! `update_comment_status`, `sync`, `comment_receipt`.

use super::UserCall;
use crate::Qiscus;
use crate::envelope::{ApiError, ApiResult, Reply};
use crate::params::required;
use crate::validate;
use crate::wire::client::{comment, participant};
use axum::extract::State;
use palaver_core::{Author, Content, Destination, Draft, Post};
use palaver_domain::limits::MAX_BODY_CHARS;
use palaver_domain::{MessageId, ReceiptKind, UserRef, Via};
use serde_json::{Value, json};

/// Longest client id of a comment.
const MAX_UNIQUE_TEMP_ID_CHARS: usize = 100;
/// Comments `load_comments` and `sync` give by default, and at most.
const DEFAULT_COMMENTS: i64 = 20;
const MAX_COMMENTS: i64 = 100;

/// Reads an optional comment id parameter (a number or a numeric string; 0 when absent).
fn comment_id(p: &crate::params::Params, name: &str) -> Result<MessageId, ApiError> {
    let id = p.opt_int(name)?.unwrap_or(0);
    if id < 0 {
        return Err(ApiError::bad_request(format!("Param '{name}' must not be negative")));
    }
    Ok(MessageId(id))
}

/// `limit`: default 20, larger values lowered to 100, values below 1 refused.
fn limit(p: &crate::params::Params) -> Result<i64, ApiError> {
    match p.opt_int("limit")? {
        None => Ok(DEFAULT_COMMENTS),
        Some(n) if n < 1 => Err(ApiError::bad_request("Param 'limit' must be at least 1")),
        Some(n) => Ok(n.min(MAX_COMMENTS)),
    }
}

/// `post_comment`: a comment from the caller into one of its rooms (`topic_id`). Posting is
/// idempotent on `unique_temp_id`: a repeat answers with the comment stored first.
pub async fn post_comment(State(q): State<Qiscus>, call: UserCall) -> ApiResult<Value> {
    let p = &call.params;
    let room = validate::room_ref(p, "topic_id")?;
    let qtype = p.opt_nonempty("type")?.unwrap_or_else(|| "text".into());
    if qtype == "system_event" {
        return Err(ApiError::bad_request("Param 'type' cannot be system_event"));
    }
    let text = p.opt_str("comment")?.unwrap_or_default();
    if text.is_empty() && matches!(qtype.as_str(), "text" | "reply") {
        return Err(required("comment"));
    }
    validate::max_chars(&text, "comment", MAX_BODY_CHARS)?;
    let local_id = p.opt_nonempty("unique_temp_id")?;
    if let Some(id) = &local_id {
        validate::max_chars(id, "unique_temp_id", MAX_UNIQUE_TEMP_ID_CHARS)?;
    }
    let content = Content {
        body: text,
        data: p.opt_object_text("payload")?.unwrap_or_default(),
        extras: p.opt_object_text("extras")?.unwrap_or_default(),
        ..Content::named(&qtype)
    };
    let post = Post {
        author: Author::User(UserRef::Id(call.user.id)),
        via: Via::Client,
        to: Destination::Room(room),
        drafts: vec![Draft { local_id, content }],
    };
    let item =
        q.core.post(call.app, post).await?.pop().ok_or_else(|| ApiError::new(500, "Internal server error"))?.item;
    let previous = q.core.previous_message(call.app, item.message.id).await?;
    Ok(Reply(json!({"comment": comment(&item, previous.0, call.user.id)})))
}

/// `load_comments`: comments of a room of the caller, newest first: older than
/// `last_comment_id` (absent or 0: the newest), or with `after=true` the ones right after it.
pub async fn load_comments(State(q): State<Qiscus>, call: UserCall) -> ApiResult<Value> {
    let p = &call.params;
    let room = validate::room_ref(p, "topic_id")?;
    let anchor = comment_id(p, "last_comment_id")?;
    let after = p.opt_bool("after")?.unwrap_or(false);
    let me = call.user.id;
    let list = q.core.messages_next_to(call.app, me, room, anchor, after, limit(p)?).await?;
    let comments: Vec<Value> = list.iter().map(|e| comment(&e.item, e.previous.0, me)).collect();
    Ok(Reply(json!({ "comments": comments })))
}

/// `update_comment_status`: the caller received (`last_comment_received_id`) or read
/// (`last_comment_read_id`) a room's comments up to the one named.
pub async fn update_comment_status(State(q): State<Qiscus>, call: UserCall) -> ApiResult<Value> {
    let p = &call.params;
    let room = validate::room_ref(p, "room_id")?;
    let read = comment_id(p, "last_comment_read_id")?;
    let received = comment_id(p, "last_comment_received_id")?;
    if read.0 == 0 && received.0 == 0 {
        return Err(ApiError::bad_request("Param 'last_comment_read_id' or 'last_comment_received_id' is required"));
    }
    // The room must be the caller's; the ids then only count within it.
    q.core.member_room(call.app, call.user.id, room).await?;
    let mut changed = false;
    for (id, kind) in [(received, ReceiptKind::Delivered), (read, ReceiptKind::Read)] {
        if id.0 > 0 {
            changed |= !q.core.mark_messages(call.app, call.user.id, vec![id], kind).await?.is_empty();
        }
    }
    Ok(Reply(json!({
        "changed": changed,
        "last_comment_read_id": read.0,
        "last_comment_read_id_str": read.0.to_string(),
        "last_comment_received_id": received.0,
        "last_comment_received_id_str": received.0.to_string(),
        "user_id": call.user.id.0,
        "user_id_str": call.user.id.0.to_string(),
    })))
}

/// `sync`: comments of every room of the caller after `last_received_comment_id`, oldest
/// first, and the id to continue from.
pub async fn sync(State(q): State<Qiscus>, call: UserCall) -> ApiResult<Value> {
    let p = &call.params;
    let after = comment_id(p, "last_received_comment_id")?;
    let me = call.user.id;
    // The web SDK asks without a limit: it gets the most a page holds.
    let most = if p.raw("limit").is_some() { limit(p)? } else { MAX_COMMENTS };
    let list = q.core.messages_since(call.app, me, after, most).await?;
    let last = list.last().map_or(after.0, |e| e.item.message.id.0);
    let comments: Vec<Value> = list.iter().map(|e| comment(&e.item, e.previous.0, me)).collect();
    Ok(Reply(json!({
        "comments": comments,
        "meta": {"last_received_comment_id": last, "need_clear": false},
    })))
}

/// `comment_receipt`: where a comment stands with each other participant: who read it, who
/// only received it, who neither.
pub async fn comment_receipt(State(q): State<Qiscus>, call: UserCall) -> ApiResult<Value> {
    let id = comment_id(&call.params, "comment_id")?;
    if id.0 == 0 {
        return Err(required("comment_id"));
    }
    let r = q.core.message_receipts(call.app, call.user.id, id).await?;
    let people = |list: &[palaver_domain::User]| list.iter().map(participant).collect::<Vec<_>>();
    Ok(Reply(json!({
        "comment": comment(&r.item, 0, call.user.id),
        "read_by": people(&r.read_by),
        "delivered_to": people(&r.delivered_to),
        "pending": people(&r.pending),
    })))
}

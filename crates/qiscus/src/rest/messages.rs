//! Comments: `post_comment`, `load_comments`, `post_system_event_message`.

use crate::Qiscus;
use crate::auth::QiscusApp;
use crate::envelope::{ApiError, ApiResult, Reply};
use crate::params::{Params, required};
use crate::validate::{self, Paging};
use crate::wire::comment::CommentDto;
use axum::extract::State;
use palaver_core::qiscus::{CommentDraft, SystemEventDraft};
use palaver_domain::limits::{MAX_BODY_CHARS, MAX_SYSTEM_EVENT_CHARS};
use serde_json::{Value, json};

/// The comment types `post_comment` accepts (documentation page D).
const COMMENT_TYPES: &[&str] = &[
    "account_linking",
    "button_postback_response",
    "buttons",
    "card",
    "carousel",
    "contact_person",
    "custom",
    "file_attachment",
    "location",
    "reply",
    "text",
];

/// Longest client id of a comment.
const MAX_UNIQUE_TEMP_ID_CHARS: usize = 100;

fn unique_temp_id(p: &Params) -> Result<Option<String>, ApiError> {
    let id = p.opt_nonempty("unique_temp_id")?;
    if let Some(id) = &id {
        validate::max_chars(id, "unique_temp_id", MAX_UNIQUE_TEMP_ID_CHARS)?;
    }
    Ok(id)
}

/// `post_comment`: a comment on behalf of a participant of the room.
pub async fn post_comment(State(q): State<Qiscus>, auth: QiscusApp, p: Params) -> ApiResult<Value> {
    let user_id = validate::user_ref(&p, "user_id")?;
    let room_id = validate::room_ref(&p, "room_id")?;
    let qtype = p.opt_nonempty("type")?.unwrap_or_else(|| "text".into());
    if qtype == "system_event" {
        return Err(ApiError::bad_request("Param 'type' cannot be system_event here: use post_system_event_message"));
    }
    if !COMMENT_TYPES.contains(&qtype.as_str()) {
        return Err(ApiError::bad_request(format!("Param 'type' must be one of {}", COMMENT_TYPES.join(", "))));
    }
    let text = p.opt_str("message")?.unwrap_or_default();
    if text.is_empty() && matches!(qtype.as_str(), "text" | "reply") {
        return Err(required("message"));
    }
    validate::max_chars(&text, "message", MAX_BODY_CHARS)?;
    let payload = p.opt_object("payload")?;
    if qtype == "custom" && !payload.as_ref().is_some_and(|m| m.get("type").is_some_and(Value::is_string)) {
        return Err(ApiError::bad_request(
            "Param 'payload' of a custom comment must be an object with a string 'type'",
        ));
    }
    let draft = CommentDraft {
        user_id,
        room_id,
        text,
        qtype,
        payload: payload.map(|m| Value::Object(m).to_string()).unwrap_or_default(),
        extras: p.opt_object_text("extras")?.unwrap_or_default(),
        unique_temp_id: unique_temp_id(&p)?,
    };
    let comment = q.core.qiscus_post_comment(auth.app, draft).await?;
    Ok(Reply(json!({"comment": CommentDto::new(&comment)})))
}

/// `load_comments`: a page of a room's comments, newest first (default 20, at most 100).
pub async fn load_comments(State(q): State<Qiscus>, auth: QiscusApp, p: Params) -> ApiResult<Value> {
    let room_id = validate::room_ref(&p, "room_id")?;
    let paging = Paging::read(&p, 20, 100)?;
    let comments = q.core.qiscus_load_comments(auth.app, room_id, paging.offset(), paging.limit).await?;
    let comments: Vec<CommentDto> = comments.iter().map(CommentDto::new).collect();
    Ok(Reply(json!({ "comments": comments })))
}

/// `post_system_event_message`: a `system_event` comment from the app's system user. The
/// type defaults to `custom`; the other types get Qiscus' generated text when no `message`
/// is given.
pub async fn post_system_event_message(State(q): State<Qiscus>, auth: QiscusApp, p: Params) -> ApiResult<Value> {
    let room_id = validate::room_ref(&p, "room_id")?;
    let subject = match p.raw("subject_user_id") {
        Some(_) => Some(validate::user_ref(&p, "subject_user_id")?),
        None => None,
    };
    let mut objects = Vec::new();
    for name in ["object_user_id", "object_user_ids"] {
        if p.raw(name).is_some() {
            objects.extend(validate::user_refs(&p, name)?);
        }
    }
    let message = p.opt_nonempty("message")?;
    if let Some(m) = &message {
        validate::max_chars(m, "message", MAX_SYSTEM_EVENT_CHARS)?;
    }
    let event = SystemEventDraft {
        event_type: p.opt_nonempty("system_event_type")?.unwrap_or_else(|| "custom".into()),
        room_id,
        subject,
        objects,
        message,
        payload: p.opt_object("payload")?.unwrap_or_default(),
        extras: p.opt_object_text("extras")?.unwrap_or_default(),
        room_name: match p.opt_nonempty("updated_room_name")? {
            Some(name) => Some(name),
            None => p.opt_nonempty("room_name")?,
        },
        unique_temp_id: unique_temp_id(&p)?,
    };
    let comment = q.core.qiscus_post_system_event(auth.app, &auth.app_code, event).await?;
    Ok(Reply(json!({"comment": CommentDto::new(&comment)})))
}

//! Comments: `post_comment`, `load_comments`, `load_comments_with_range`, `broadcast`,
//! `post_system_event_message`.

use crate::Qiscus;
use crate::auth::QiscusApp;
use crate::envelope::{ApiError, ApiResult, Reply};
use crate::params::{Params, required};
use crate::system_user_id;
use crate::validate::{self, Paging};
use crate::wire::comment::CommentDto;
use crate::wire::system;
use axum::extract::State;
use palaver_core::{Author, Content, Destination, Draft, Post, SystemDraft};
use palaver_domain::limits::MAX_BODY_CHARS;
use palaver_domain::{ExternalId, MessageId, MessageType, SystemAction, UserRef, Via};
use serde_json::{Value, json};

/// Longest text of a system event.
const MAX_SYSTEM_EVENT_CHARS: usize = 5000;

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

/// A comment's content from `type`, `message`, `payload` and `extras`, checked as Qiscus
/// does.
fn comment_content(p: &Params) -> Result<Content, ApiError> {
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
    Ok(Content {
        body: text,
        data: payload.map(|m| Value::Object(m).to_string()).unwrap_or_default(),
        extras: p.opt_object_text("extras")?.unwrap_or_default(),
        ..Content::named(&qtype)
    })
}

/// `post_comment`: a comment on behalf of a participant of the room.
pub async fn post_comment(State(q): State<Qiscus>, auth: QiscusApp, p: Params) -> ApiResult<Value> {
    let user = validate::user_ref(&p, "user_id")?;
    let room = validate::room_ref(&p, "room_id")?;
    let post = Post {
        author: Author::User(user),
        via: Via::Backend,
        to: Destination::Room(room),
        drafts: vec![Draft { local_id: unique_temp_id(&p)?, content: comment_content(&p)? }],
    };
    posted(&q, auth.app, post).await
}

/// Longest call id of a broadcast (each comment's client id is the call id and its target).
const MAX_BROADCAST_ID_CHARS: usize = 48;
/// Most targets of one broadcast.
const MAX_BROADCAST_TARGETS: usize = 100;

/// `broadcast`: the same comment from `sender_user_id` into its single room with each of
/// `target_user_ids` (rooms are created as needed). With a `broadcast_id`, repeating the call
/// posts nothing twice: each comment's client id is the call id and its target.
pub async fn broadcast(State(q): State<Qiscus>, auth: QiscusApp, p: Params) -> ApiResult<Value> {
    let sender = validate::user_ref(&p, "sender_user_id")?;
    let targets = p.req_list("target_user_ids")?;
    if targets.len() > MAX_BROADCAST_TARGETS {
        return Err(ApiError::bad_request(format!(
            "Param 'target_user_ids' lists more than {MAX_BROADCAST_TARGETS} users"
        )));
    }
    let call = p.opt_nonempty("broadcast_id")?;
    if let Some(id) = &call {
        validate::max_chars(id, "broadcast_id", MAX_BROADCAST_ID_CHARS)?;
    }
    let content = comment_content(&p)?;
    let mut comments = Vec::with_capacity(targets.len());
    for target in targets {
        let target = validate::external_id(target, "target_user_ids")?;
        let post = Post {
            author: Author::User(sender.clone()),
            via: Via::Backend,
            to: Destination::PersonalWith(UserRef::External(target.clone())),
            drafts: vec![Draft {
                local_id: call.as_ref().map(|id| format!("{id}/{target}")),
                content: content.clone(),
            }],
        };
        let item =
            q.core.post(auth.app, post).await?.pop().ok_or_else(|| ApiError::new(500, "Internal server error"))?.item;
        let previous = q.core.previous_message(auth.app, item.message.id).await?;
        let mut c = serde_json::to_value(CommentDto::new(&item, previous)).unwrap_or_default();
        c["target_user_id"] = json!(target.as_str());
        c["target_email"] = json!(target.as_str());
        comments.push(c);
    }
    Ok(Reply(json!({ "comments": comments })))
}

/// Most comments `load_comments_with_range` returns.
const MAX_RANGE_COMMENTS: i64 = 100;

/// `load_comments_with_range`: a room's comments with ids from `first_comment_id` to
/// `last_comment_id` (both included), newest first, at most 100 (the newest of the range).
pub async fn load_comments_with_range(State(q): State<Qiscus>, auth: QiscusApp, p: Params) -> ApiResult<Value> {
    let room = validate::room_ref(&p, "room_id")?;
    let id = |name: &str| -> Result<MessageId, ApiError> {
        match p.opt_int(name)? {
            Some(n) if n >= 0 => Ok(MessageId(n)),
            Some(_) => Err(ApiError::bad_request(format!("Param '{name}' must not be negative"))),
            None => Err(crate::params::required(name)),
        }
    };
    let (first, last) = (id("first_comment_id")?, id("last_comment_id")?);
    if first > last {
        return Err(ApiError::bad_request("Param 'first_comment_id' must not be above 'last_comment_id'"));
    }
    let list = q.core.messages_between(auth.app, room, first, last, MAX_RANGE_COMMENTS).await?;
    let comments: Vec<Value> = list
        .iter()
        .map(|e| {
            let mut c = serde_json::to_value(CommentDto::new(&e.item, e.previous)).unwrap_or_default();
            c["unique_id"] = json!(e.item.message.local_id);
            c
        })
        .collect();
    Ok(Reply(json!({ "comments": comments })))
}

/// Posts and answers with the comment, as every posting endpoint does.
async fn posted(q: &Qiscus, app: palaver_domain::AppId, post: Post) -> ApiResult<Value> {
    let item = q.core.post(app, post).await?.pop().ok_or_else(|| ApiError::new(500, "Internal server error"))?.item;
    let previous = q.core.previous_message(app, item.message.id).await?;
    Ok(Reply(json!({"comment": CommentDto::new(&item, previous)})))
}

/// `load_comments`: a page of a room's comments, newest first (default 20, at most 100).
pub async fn load_comments(State(q): State<Qiscus>, auth: QiscusApp, p: Params) -> ApiResult<Value> {
    let room = validate::room_ref(&p, "room_id")?;
    let paging = Paging::read(&p, 20, 100)?;
    let history = q.core.room_history(auth.app, room, paging.offset(), paging.limit).await?;
    let comments: Vec<CommentDto> = history.iter().map(|e| CommentDto::new(&e.item, e.previous)).collect();
    Ok(Reply(json!({ "comments": comments })))
}

/// `post_system_event_message`: a `system_event` comment from the app's system user. The
/// type defaults to `custom`; the other types get Qiscus' generated text when no `message`
/// is given.
pub async fn post_system_event_message(State(q): State<Qiscus>, auth: QiscusApp, p: Params) -> ApiResult<Value> {
    let room = validate::room_ref(&p, "room_id")?;
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
    let kind = p.opt_nonempty("system_event_type")?.unwrap_or_else(|| "custom".into());
    let Some(action) = system::action_of(&kind) else {
        return Err(ApiError::bad_request(format!(
            "Param 'system_event_type' must be one of {}",
            system::TYPES.join(", ")
        )));
    };
    if action == SystemAction::Custom && message.is_none() {
        return Err(ApiError::bad_request("Param 'message' is required for custom system events"));
    }
    if action != SystemAction::Custom && subject.is_none() {
        return Err(ApiError::bad_request("Param 'subject_user_id' is required for this system event type"));
    }
    if matches!(action, SystemAction::MemberAdded | SystemAction::MemberRemoved) && objects.is_empty() {
        return Err(ApiError::bad_request("Param 'object_user_id' is required for this system event type"));
    }
    let room_name = match p.opt_nonempty("updated_room_name")? {
        Some(name) => Some(name),
        None => p.opt_nonempty("room_name")?,
    };
    let content = Content {
        body: message.unwrap_or_default(),
        data: p.opt_object_text("payload")?.unwrap_or_default(),
        extras: p.opt_object_text("extras")?.unwrap_or_default(),
        system: Some(SystemDraft { action, actor: subject, targets: objects, room_name }),
        ..Content::numbered(MessageType::SYSTEM)
    };
    let system_user =
        ExternalId::parse(system_user_id(&auth.app_code)).map_err(|_| ApiError::new(500, "Internal server error"))?;
    let post = Post {
        author: Author::System(system_user),
        via: Via::Backend,
        to: Destination::Room(room),
        drafts: vec![Draft { local_id: unique_temp_id(&p)?, content }],
    };
    posted(&q, auth.app, post).await
}

//! `/v1/server/message/send/custom`.

use super::auth::ServerApp;
use crate::TapTalk;
use crate::envelope::{ApiError, ApiResult, ParamNames, Reply};
use crate::params::Params;
use axum::extract::State;
use palaver_core::{Author, Content, Destination, Draft, Post};
use palaver_domain::limits::{MAX_BODY_CHARS, MAX_DATA_CHARS};
use palaver_domain::message::split_content;
use palaver_domain::{Field, MessageType, RoomRef, UserRef, Via};
use serde_json::{Value, json};

const PARAMS: ParamNames = &[
    (Field::MessageType, "messageType", "103"),
    (Field::User, "senderXCUserID", "107"),
    (Field::RoomExternalId, "xcRoomID", "109"),
];

/// Whether the Server API may send this type: text, image, products or a customer 3xxx type.
fn allowed(kind: i64) -> bool {
    matches!(kind, MessageType::TEXT | MessageType::IMAGE | MessageType::PRODUCTS) || (3000..=3999).contains(&kind)
}

/// `message/send/custom`: sends a message on behalf of a user, to a user (personal room,
/// created on first use) or to a room. Content longer than the limits is split into several
/// messages committed together; with a filter id only the last is visible. The answer names
/// the local id of the last (visible) part.
pub async fn send_custom(State(t): State<TapTalk>, ServerApp(app): ServerApp, p: Params) -> ApiResult<Value> {
    let kind = p.req_int("messageType", "103")?;
    if !allowed(kind) {
        return Err(ApiError::param("Param 'messageType' must be 1001, 1002, 2001 or 3xxx", "103"));
    }
    let body = p.req_str("body", "104")?;
    let data = p.opt_str("data", "105")?.unwrap_or_default();
    let filter_id = p.opt_str("filterID", "106")?.unwrap_or_default();
    let sender = p.req_external_id("senderXCUserID", "107")?;
    let recipient = p.opt_str("recipientXCUserID", "108")?.filter(|s| !s.is_empty());
    let room = p.opt_str("xcRoomID", "109")?.filter(|s| !s.is_empty());
    let to = match (recipient, room) {
        (Some(user), None) => {
            Destination::PersonalWith(UserRef::External(crate::params::external_id(user, "recipientXCUserID", "108")?))
        }
        (None, Some(room)) => {
            Destination::Room(RoomRef::External(crate::params::external_id(room, "xcRoomID", "109")?))
        }
        (None, None) => {
            return Err(ApiError::param("Param 'recipientXCUserID' or 'xcRoomID' is required", "108"));
        }
        (Some(_), Some(_)) => {
            return Err(ApiError::param("Params 'recipientXCUserID' and 'xcRoomID' cannot be used together", "109"));
        }
    };
    let parts = split_content(&body, &data, MAX_BODY_CHARS, MAX_DATA_CHARS);
    let last = parts.len() - 1;
    let drafts = parts
        .into_iter()
        .enumerate()
        .map(|(i, (body, data))| Draft {
            local_id: None,
            content: Content {
                body,
                data,
                filter_id: filter_id.clone(),
                is_hidden: !filter_id.is_empty() && i < last,
                ..Content::numbered(kind)
            },
        })
        .collect();
    let post = Post { author: Author::User(UserRef::External(sender)), via: Via::Backend, to, drafts };
    let sent = t.core.post(app, post).await.map_err(|e| ApiError::from_core(e, PARAMS))?;
    let local_id = sent.last().map(|m| m.item.message.local_id.clone()).unwrap_or_default();
    Ok(Reply(json!({"success": true, "localID": local_id})))
}

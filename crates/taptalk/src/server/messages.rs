//! `/v1/server/message/send/custom`.

use super::auth::ServerApp;
use crate::TapTalk;
use crate::envelope::{ApiError, ApiResult, Reply};
use crate::params::{Params, check_len};
use axum::extract::State;
use palaver_core::{MessageTarget, ServerMessage};
use palaver_domain::MessageKind;
use palaver_domain::limits::MAX_EXTERNAL_ID_CHARS;
use serde_json::{Value, json};

const FIELDS: &[(&str, &str)] = &[
    ("messageType", "103"),
    ("body", "104"),
    ("data", "105"),
    ("filterID", "106"),
    ("senderXCUserID", "107"),
    ("recipientXCUserID", "108"),
    ("xcRoomID", "109"),
];

/// `message/send/custom`: sends a message on behalf of a user, to a user (personal room,
/// created on first use) or to a room. Long content is split; the answer names the local id
/// of the last (visible) part.
pub async fn send_custom(State(t): State<TapTalk>, ServerApp(app): ServerApp, p: Params) -> ApiResult<Value> {
    let kind = p.req_int("messageType", "103")?;
    if !MessageKind::allowed_for_server_api(kind) {
        return Err(ApiError::param("Param 'messageType' must be 1001, 1002, 2001 or 3xxx", "103"));
    }
    let body = p.req_str("body", "104")?;
    let data = p.opt_str("data", "105")?.unwrap_or_default();
    let filter_id = p.opt_str("filterID", "106")?.unwrap_or_default();
    let sender = p.req_str("senderXCUserID", "107")?;
    check_len(&sender, "senderXCUserID", "107", 1, MAX_EXTERNAL_ID_CHARS)?;
    let recipient = p.opt_str("recipientXCUserID", "108")?.filter(|s| !s.is_empty());
    let room = p.opt_str("xcRoomID", "109")?.filter(|s| !s.is_empty());
    let target = match (recipient, room) {
        (Some(user), None) => {
            check_len(&user, "recipientXCUserID", "108", 1, MAX_EXTERNAL_ID_CHARS)?;
            MessageTarget::User(user)
        }
        (None, Some(room)) => {
            check_len(&room, "xcRoomID", "109", 1, MAX_EXTERNAL_ID_CHARS)?;
            MessageTarget::Room(room)
        }
        (None, None) => {
            return Err(ApiError::param("Param 'recipientXCUserID' or 'xcRoomID' is required", "108"));
        }
        (Some(_), Some(_)) => {
            return Err(ApiError::param("Params 'recipientXCUserID' and 'xcRoomID' cannot be used together", "109"));
        }
    };
    let sent = t
        .core
        .send_server_message(app, ServerMessage { kind, body, data, filter_id, sender, target })
        .await
        .map_err(|e| ApiError::from_core(e, FIELDS))?;
    let local_id = sent.last().map(|m| m.local_id.clone()).unwrap_or_default();
    Ok(Reply(json!({"success": true, "localID": local_id})))
}

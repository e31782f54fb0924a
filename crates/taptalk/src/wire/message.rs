//! The TapTalk message object. Content leaves Palaver encrypted (notes section 9) because
//! the SDKs decrypt every message they receive.

use super::room::RoomDto;
use super::system;
use super::user::UserDto;
use crate::crypto;
use palaver_domain::{Message, Room, User, UserId};
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{Value, json};

/// A message, all keys present and nested objects never null.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageDto {
    /// Server id as a string.
    #[serde(rename = "messageID")]
    pub message_id: String,
    /// Client id.
    #[serde(rename = "localID")]
    pub local_id: String,
    /// Type code.
    #[serde(rename = "type")]
    pub kind: i64,
    /// Encrypted text.
    pub body: String,
    /// Encrypted payload, or empty.
    pub data: String,
    /// Filter id.
    #[serde(rename = "filterID")]
    pub filter_id: String,
    /// Whether hidden.
    pub is_hidden: bool,
    /// Quoted message, `content` encrypted.
    pub quote: Box<RawValue>,
    /// Replied-to message.
    pub reply_to: Box<RawValue>,
    /// Forward origin.
    pub forward_from: Box<RawValue>,
    /// The room, as the viewer sees it.
    pub room: RoomDto,
    /// The sender.
    pub user: UserDto,
    /// The other user of a personal room, `"0"` otherwise.
    #[serde(rename = "recipientID")]
    pub recipient_id: String,
    /// System message action.
    pub action: String,
    /// System message target.
    pub target: Box<RawValue>,
    /// Always false: the server has it.
    pub is_sending: bool,
    /// Whether another participant received it.
    pub is_delivered: bool,
    /// Whether another participant read it.
    pub is_read: bool,
    /// Whether deleted for everyone.
    pub is_deleted: bool,
    /// Whether edited.
    pub is_message_edited: bool,
    /// Always false.
    pub is_failed_send: bool,
    /// Created, Unix ms.
    pub created: i64,
    /// Updated, Unix ms.
    pub updated: i64,
    /// Deleted, Unix ms.
    pub deleted: i64,
}

const QUOTE: &str = r#"{"title":"","content":"","imageURL":"","fileID":"","fileType":""}"#;
const REPLY_TO: &str = r#"{"userID":"0","xcUserID":"","fullname":"","messageID":"0","localID":"","messageType":0}"#;
const FORWARD_FROM: &str = r#"{"userID":"0","xcUserID":"","fullname":"","messageID":"0","localID":""}"#;
const TARGET: &str = r#"{"targetType":"","targetID":"0","targetXCID":"","targetName":""}"#;

/// A nested object: `defaults` (a JSON object) with the keys of the stored JSON object
/// `stored` over it, passed through `edit`. Messages without one cost no parsing.
fn nested(defaults: &str, stored: &str, edit: impl FnOnce(&mut Value)) -> Box<RawValue> {
    let raw = |text: String| {
        RawValue::from_string(text).unwrap_or_else(|_| RawValue::from_string("{}".into()).expect("valid JSON"))
    };
    if stored.is_empty() {
        return raw(defaults.to_string());
    }
    let mut merged: Value = serde_json::from_str(defaults).unwrap_or_else(|_| json!({}));
    if let (Value::Object(base), Ok(Value::Object(extra))) = (&mut merged, serde_json::from_str::<Value>(stored)) {
        for (k, v) in extra {
            if !v.is_null() {
                base.insert(k, v);
            }
        }
    }
    edit(&mut merged);
    raw(merged.to_string())
}

/// Encrypts a text unless it is empty (the SDKs expect empty `data` and quote content as is).
fn encrypt_nonempty(text: &str, local_id: &str) -> String {
    if text.is_empty() { String::new() } else { crypto::encrypt(text, local_id) }
}

/// Everything a message is rendered from.
pub struct MessageView<'a> {
    /// The message.
    pub message: &'a Message,
    /// Its room.
    pub room: &'a Room,
    /// Its sender.
    pub sender: &'a User,
    /// For a personal room, the participant other than the viewer.
    pub viewer_partner: Option<&'a User>,
    /// Whether the sender is online.
    pub sender_online: bool,
}

impl MessageDto {
    /// Renders a message.
    pub fn new(v: MessageView<'_>) -> Self {
        let m = v.message;
        let (body, action, target) = match &m.system {
            Some(e) => (system::body(m, e, v.sender), system::action(e).to_string(), system::target(e)),
            None => (m.body.clone(), String::new(), String::new()),
        };
        let quote = nested(QUOTE, &m.quote, |q| {
            if let Some(Value::String(content)) = q.get_mut("content") {
                *content = encrypt_nonempty(content, &m.local_id);
            }
        });
        let recipient = v.room.partner_of(m.sender).unwrap_or(UserId(0));
        Self {
            message_id: m.id.0.to_string(),
            local_id: m.local_id.clone(),
            kind: m.type_code,
            body: crypto::encrypt(&body, &m.local_id),
            data: encrypt_nonempty(&m.data, &m.local_id),
            filter_id: m.filter_id.clone(),
            is_hidden: m.is_hidden,
            quote,
            reply_to: nested(REPLY_TO, &m.reply_to, |_| {}),
            forward_from: nested(FORWARD_FROM, &m.forward_from, |_| {}),
            room: RoomDto::new(v.room, v.viewer_partner),
            user: UserDto::new(v.sender, v.sender_online, false),
            recipient_id: recipient.0.to_string(),
            action,
            target: nested(TARGET, &target, |_| {}),
            is_sending: false,
            is_delivered: m.status.delivered || m.status.read,
            is_read: m.status.read,
            is_deleted: m.is_deleted(),
            is_message_edited: m.is_edited,
            is_failed_send: false,
            created: m.created,
            updated: m.updated,
            deleted: m.deleted,
        }
    }
}

/// Takes the plaintext of a JSON object field a client sent, keeping only an object.
pub fn object_text(v: Option<&Value>) -> String {
    match v {
        Some(Value::Object(m)) if !m.is_empty() => Value::Object(m.clone()).to_string(),
        _ => String::new(),
    }
}

impl MessageDto {
    /// Renders a message with its context as `viewer` sees it.
    pub fn for_viewer(rm: &palaver_domain::RoomMessage, viewer: UserId, sender_online: bool) -> Self {
        Self::new(MessageView {
            message: &rm.message,
            room: &rm.room,
            sender: &rm.sender,
            viewer_partner: rm.partner_for(viewer),
            sender_online,
        })
    }
}

/// The uploaded file a message's `data` shares (its `fileID`), so that the file is deleted
/// with the message.
pub fn attachments(data: &str) -> Vec<String> {
    if !data.contains("fileID") {
        return Vec::new();
    }
    match serde_json::from_str::<Value>(data) {
        Ok(Value::Object(map)) => match map.get("fileID") {
            Some(Value::String(id)) if !id.is_empty() => vec![id.clone()],
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

//! TapTalk's webhook payload (notes section 10, push-and-webhooks section 3): the message
//! object, its `body` and `data` in plain text (the socket's are encrypted), with `typeName`
//! and the sender trimmed to `userID`, `xcUserID`, `fullname` and `imageURL`. TapTalk names no
//! events: new, edited and deleted messages all send the message as it now is (`updated`,
//! `isDeleted` tell them apart); other changes are delivered by the `palaver` dialect.

use crate::wire::message::MessageDto;
use crate::wire::system;
use palaver_core::webhooks::{RenderContext, Rendered, WebhookDialect};
use palaver_domain::{Change, ChangeKind, RoomMessage};
use serde_json::{Value, json};

/// The `taptalk` dialect.
pub struct TapTalkDialect;

impl WebhookDialect for TapTalkDialect {
    fn name(&self) -> &'static str {
        "taptalk"
    }

    fn render(&self, change: &Change, _ctx: &RenderContext<'_>) -> Option<Rendered> {
        let item = match &change.kind {
            ChangeKind::MessageCreated { item, .. }
            | ChangeKind::MessageEdited { item }
            | ChangeKind::MessageDeleted { item } => item,
            _ => return None,
        };
        Some(Rendered { event: change.name().to_string(), body: message(item).to_string() })
    }
}

/// The name of a TapTalk message type (notes section 8.1).
pub fn type_name(code: i64) -> &'static str {
    match code {
        1001 => "text",
        1002 => "image",
        1003 => "video",
        1004 => "file",
        1005 => "location",
        1006 => "contact",
        1007 => "sticker",
        1008 => "voice",
        1009 => "audio",
        1010 => "link",
        2001 => "products",
        2002 => "category",
        2004 => "payment_confirmation",
        9001 => "system",
        3000..=3999 => "custom",
        _ => "unknown",
    }
}

/// The message object of a webhook, as the sender's room list names the room.
fn message(item: &RoomMessage) -> Value {
    let m = &item.message;
    let mut v = serde_json::to_value(MessageDto::for_viewer(item, item.sender.id, false)).unwrap_or(Value::Null);
    let body = match &m.system {
        Some(e) => system::body(m, e, &item.sender),
        None => m.body.clone(),
    };
    v["body"] = json!(body);
    v["data"] = json!(m.data);
    v["typeName"] = json!(if m.type_name.is_empty() { type_name(m.type_code) } else { m.type_name.as_str() });
    if let Some(content) = serde_json::from_str::<Value>(&m.quote).ok().and_then(|q| q.get("content").cloned()) {
        v["quote"]["content"] = content;
    }
    let user = &v["user"];
    v["user"] = json!({
        "userID": user["userID"],
        "xcUserID": user["xcUserID"],
        "fullname": user["fullname"],
        "imageURL": user["imageURL"],
    });
    v
}

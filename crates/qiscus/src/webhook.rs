//! Qiscus' webhook ("On Post Message", notes section 7, push-and-webhooks section 4): a new
//! comment as `{type, payload: {type, from, room, message}}`, `type` being
//! `post_comment_mobile` for comments from client apps and `post_comment_rest` for those of
//! the Server API. The payload is the superset of both documented bodies (the older one with
//! `room.participants` and `message.payload`, the newer with `id_str`, `options`,
//! `unique_temp_id` and timestamps), so receivers written for either parse it. Participants
//! are left out for public channels, as Qiscus does. Bodies carry `QISCUS-SDK-SIGNATURE`:
//! hex HMAC-SHA256 of the raw body keyed with the endpoint's secret, as the platform's
//! documented verifier checks it. Qiscus sends no other webhooks; the `palaver` dialect
//! carries every change.

use crate::wire::client::comment;
use crate::wire::room::room_type_name;
use palaver_core::webhooks::signing::hex_hmac;
use palaver_core::webhooks::{RenderContext, Rendered, WebhookDialect};
use palaver_domain::{Change, ChangeKind, RoomType, Via};
use serde_json::{Value, json};

/// The `qiscus` dialect.
pub struct QiscusDialect;

impl WebhookDialect for QiscusDialect {
    fn name(&self) -> &'static str {
        "qiscus"
    }

    fn render(&self, change: &Change, ctx: &RenderContext<'_>) -> Option<Rendered> {
        let ChangeKind::MessageCreated { item, via, previous, .. } = &change.kind else { return None };
        if item.message.is_hidden {
            return None;
        }
        let kind = match via {
            Via::Client => "post_comment_mobile",
            Via::Backend => "post_comment_rest",
        };
        let c = comment(item, previous.0, item.sender.id);
        let (room, sender) = (&item.room, &item.sender);
        let mut room_json = json!({
            "id": room.id.0,
            "id_str": room.id.0.to_string(),
            "topic_id": room.id.0,
            "topic_id_str": room.id.0.to_string(),
            "name": c["room_name"],
            "type": room_type_name(room.kind),
            "is_public_channel": room.kind == RoomType::Channel,
            "options": c["room_options"],
            "room_avatar": room.photo_full,
        });
        if room.kind != RoomType::Channel {
            let participants: Vec<Value> = ctx
                .participants
                .get(&room.id)
                .into_iter()
                .flatten()
                .map(|u| {
                    json!({
                        "id": u.id.0,
                        "id_str": u.id.0.to_string(),
                        "email": u.external_id,
                        "username": u.fullname,
                        "avatar_url": u.photo_full,
                    })
                })
                .collect();
            room_json["participants"] = json!(participants);
        }
        let body = json!({
            "type": kind,
            "payload": {
                "type": kind,
                "from": {
                    "id": sender.id.0,
                    "id_str": sender.id.0.to_string(),
                    "email": sender.external_id,
                    "name": sender.fullname,
                    "avatar_url": sender.photo_full,
                },
                "room": room_json,
                "message": {
                    "id": c["id"],
                    "id_str": c["id_str"],
                    "comment_before_id": c["comment_before_id"],
                    "comment_before_id_str": c["comment_before_id_str"],
                    "type": c["type"],
                    "text": c["message"],
                    "payload": c["payload"],
                    "extras": c["extras"],
                    "timestamp": c["timestamp"],
                    "created_at": c["timestamp"],
                    "unique_temp_id": c["unique_temp_id"],
                    "unix_timestamp": c["unix_timestamp"],
                    "unix_nano_timestamp": c["unix_nano_timestamp"],
                    "disable_link_preview": false,
                },
            },
        });
        Some(Rendered { event: kind.to_string(), body: body.to_string() })
    }

    fn sign(&self, secret: &str, body: &[u8]) -> Vec<(&'static str, String)> {
        vec![("qiscus-sdk-signature", hex_hmac(secret.as_bytes(), body))]
    }

    fn needs_participants(&self) -> bool {
        true
    }
}

//! Events a TapTalk client sends over its WebSocket: messages, edits and deletes, typing.
//! Message content arrives encrypted with the SDKs' cipher and is stored in plaintext.

use crate::TapTalk;
use crate::crypto::decrypt_lenient;
use crate::params::Params;
use crate::realtime::render::frame;
use crate::wire::message::{MessageDto, object_text};
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use futures_util::stream::FuturesUnordered;
use palaver_core::realtime::{Connection, Frame};
use palaver_core::{Author, ClientSession, Content, Destination, Draft, Edit, Post};
use palaver_domain::{ChangeId, Error, MessageId, MessageType, ReceiptKind, RoomRef, UserRef, Via};
use serde_json::Value;
use std::sync::Arc;

/// Work a connection has started and not yet finished, such as sends awaiting their commit.
/// The connection keeps reading while it waits, so one client can have many sends in flight.
pub type InFlight = FuturesUnordered<BoxFuture<'static, ()>>;

/// Handles every event of one incoming WebSocket message (events may be joined by `\n`).
/// Writes are queued in the order the events arrive; their replies land in `in_flight`.
pub fn handle(t: &TapTalk, session: &ClientSession, conn: &Arc<Connection>, text: &str, in_flight: &mut InFlight) {
    for event in decode(text) {
        match event {
            Event::SendMessage(data) => in_flight.push(send(t, session, conn.clone(), data).boxed()),
            Event::UpdateMessage(data) => in_flight.push(update(t, session, data)),
            Event::Typing { data, started } => in_flight.push(typing(t, session, &data, started).boxed()),
            Event::Other => {}
            Event::NotAnObject => {
                tracing::debug!(user = %session.user.id, "ignoring a frame that is not a JSON object");
            }
        }
    }
}

/// One event of a client's WebSocket message, decoded without the server's state, so that
/// the decoding can be tested and fuzzed apart from [`handle`].
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// `chat/sendMessage`: a new message, read by [`parse_message`].
    SendMessage(Params),
    /// `chat/updateMessage`: a delete for everyone, an edit, or a delivery or read mark.
    UpdateMessage(Params),
    /// `chat/startTyping` (`started`) or `chat/stopTyping`.
    Typing {
        /// The event's `data`, naming the room.
        data: Params,
        /// Whether typing started rather than stopped.
        started: bool,
    },
    /// A JSON object with any other event name: ignored.
    Other,
    /// A line that is not a JSON object: ignored (and logged by [`handle`]).
    NotAnObject,
}

/// Decodes every event of one WebSocket message: events may be joined by `\n`, blank lines
/// are skipped, and a missing or non-object `data` reads as no parameters.
pub fn decode(text: &str) -> impl Iterator<Item = Event> + '_ {
    text.split('\n').map(str::trim).filter(|l| !l.is_empty()).map(decode_event)
}

fn decode_event(line: &str) -> Event {
    let Ok(Value::Object(mut event)) = serde_json::from_str::<Value>(line) else {
        return Event::NotAnObject;
    };
    let data = match event.remove("data") {
        Some(Value::Object(d)) => Params(d),
        _ => Params::default(),
    };
    match event.get("eventName").and_then(Value::as_str).unwrap_or_default() {
        "chat/sendMessage" => Event::SendMessage(data),
        "chat/updateMessage" => Event::UpdateMessage(data),
        "chat/startTyping" => Event::Typing { data, started: true },
        "chat/stopTyping" => Event::Typing { data, started: false },
        _ => Event::Other,
    }
}

/// Decrypts the quote object's content, keeping the object as JSON text.
fn quote_text(v: Option<&Value>, local_id: &str) -> String {
    let mut quote = v.cloned().unwrap_or(Value::Null);
    if let Some(Value::String(content)) = quote.get_mut("content") {
        *content = decrypt_lenient(content, local_id);
    }
    object_text(Some(&quote))
}

fn room_of(data: &Params) -> Option<RoomRef> {
    let room_id = match data.raw("room") {
        Some(Value::Object(room)) => room.get("roomID").and_then(Value::as_str).map(str::to_string),
        _ => None,
    };
    room_id.or_else(|| data.opt_str("roomID", "roomID").ok().flatten()).and_then(|id| crate::wire::parse_room_id(&id))
}

/// Turns a `chat/sendMessage` event into a message, or explains why not. Public so that it
/// can be fuzzed with what [`decode`] yields.
pub fn parse_message(data: &Params) -> Result<(RoomRef, Draft), String> {
    let local_id = data.req_str("localID", "localID").map_err(|e| e.message)?;
    crate::params::check_len(&local_id, "localID", "localID", 1, crate::client::messages::MAX_LOCAL_ID_CHARS)
        .map_err(|e| e.message)?;
    let room = room_of(data).ok_or("the message names no valid room")?;
    let kind = data.opt_int("type", "type").map_err(|e| e.message)?.unwrap_or(MessageType::TEXT);
    if (9000..10000).contains(&kind) {
        return Err("clients cannot send system messages".into());
    }
    let body = decrypt_lenient(&data.opt_str("body", "body").map_err(|e| e.message)?.unwrap_or_default(), &local_id);
    let payload = decrypt_lenient(&data.opt_str("data", "data").map_err(|e| e.message)?.unwrap_or_default(), &local_id);
    crate::client::messages::check_content(&body, &payload).map_err(|e| e.message)?;
    let content = Content {
        body,
        attachments: crate::wire::message::attachments(&payload),
        data: payload,
        filter_id: data.opt_str("filterID", "filterID").ok().flatten().unwrap_or_default(),
        is_hidden: data.opt_bool("isHidden", "isHidden").ok().flatten().unwrap_or(false),
        quote: quote_text(data.raw("quote"), &local_id),
        reply_to: object_text(data.raw("replyTo")),
        forward_from: object_text(data.raw("forwardFrom")),
        ..Content::numbered(kind)
    };
    Ok((room, Draft { local_id: Some(local_id), content }))
}

/// Tells the sending connection its message was refused: the message comes back with
/// `isFailedSend: true`, matched by its `localID`.
fn refuse(conn: &Connection, data: Params, why: &str) {
    tracing::debug!(user = %conn.user, reason = why, "refusing a message");
    let mut message = data.0;
    message.insert("isSending".into(), Value::Bool(false));
    message.insert("isFailedSend".into(), Value::Bool(true));
    if let Some(bytes) = frame("chat/sendMessage", Value::Object(message)) {
        conn.outbox.push(Frame { bytes, change: ChangeId(0) });
    }
}

fn send(t: &TapTalk, session: &ClientSession, conn: Arc<Connection>, data: Params) -> impl Future<Output = ()> + use<> {
    let user = session.user.id;
    let stored = parse_message(&data).map(|(room, draft)| {
        let post = Post {
            author: Author::User(UserRef::Id(user)),
            via: Via::Client,
            to: Destination::Room(room),
            drafts: vec![draft],
        };
        t.core.post(session.app, post)
    });
    async move {
        let result = match stored {
            Ok(stored) => stored.await.map_err(|e| e.to_string()),
            Err(why) => Err(why),
        };
        match result.map(|mut posted| posted.pop()) {
            // A new message reaches every device of every participant, this one included.
            Ok(Some(p)) if p.created => {}
            // A repeated send: acknowledge it to this connection with the stored message.
            Ok(Some(p)) => {
                let rm = p.item;
                let dto = MessageDto::for_viewer(&rm, user, true);
                if let Some(bytes) = frame("chat/sendMessage", dto) {
                    conn.outbox.push(Frame { bytes, change: ChangeId(rm.message.id.0) });
                }
            }
            Ok(None) => {}
            Err(why) => refuse(&conn, data, &why),
        }
    }
}

/// A `chat/updateMessage` event: a delete for everyone, an edit, or a delivery or read mark.
fn update(t: &TapTalk, session: &ClientSession, data: Params) -> BoxFuture<'static, ()> {
    let Some(id) = data.opt_str("messageID", "messageID").ok().flatten().and_then(|s| s.parse().ok()) else {
        return std::future::ready(()).boxed();
    };
    let (app, user, id) = (session.app, session.user.id, MessageId(id));
    let local_id = data.opt_str("localID", "localID").ok().flatten().unwrap_or_default();
    let flag = |name: &str| data.opt_bool(name, name).ok().flatten() == Some(true);
    let work: BoxFuture<'static, Result<(), Error>> = if flag("isDeleted") {
        match room_of(&data) {
            Some(room) => t.core.delete_messages(app, user, room, vec![id], true).map(|r| r.map(drop)).boxed(),
            None => return std::future::ready(()).boxed(),
        }
    } else if flag("isMessageEdited") {
        let body = decrypt_lenient(&data.opt_str("body", "body").ok().flatten().unwrap_or_default(), &local_id);
        let payload = data.opt_str("data", "data").ok().flatten().map(|d| decrypt_lenient(&d, &local_id));
        let quote = data.raw("quote").map(|q| quote_text(Some(q), &local_id));
        t.core
            .edit_message(app, user, id, Edit { body, data: payload, quote, extras: None })
            .map(|r| r.map(drop))
            .boxed()
    } else if flag("isRead") || flag("isDelivered") {
        let kind = if flag("isRead") { ReceiptKind::Read } else { ReceiptKind::Delivered };
        t.core.mark_messages(app, user, vec![id], kind).map(|r| r.map(drop)).boxed()
    } else {
        return std::future::ready(()).boxed();
    };
    async move {
        if let Err(e) = work.await {
            tracing::debug!(user = %user, error = %e, "refusing a message update");
        }
    }
    .boxed()
}

fn typing(t: &TapTalk, session: &ClientSession, data: &Params, started: bool) -> impl Future<Output = ()> + use<> {
    let (core, app, user, room) = (t.core.clone(), session.app, session.user.id, room_of(data));
    async move {
        let Some(room) = room else { return };
        if let Err(e) = core.typing(app, user, room, started).await {
            tracing::debug!(user = %user, error = %e, "ignoring a typing event");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use palaver_domain::UserId;

    #[test]
    fn decode_names_each_joined_event_and_skips_blank_lines() {
        let text = "{\"eventName\":\"chat/startTyping\",\"data\":{\"roomID\":\"7\"}}\n\n  \nnot json\n\
                    {\"eventName\":\"chat/stopTyping\",\"data\":[]}\n{\"eventName\":\"chat/unknown\"}";
        let events: Vec<Event> = decode(text).collect();
        let room = Params(serde_json::json!({"roomID": "7"}).as_object().unwrap().clone());
        assert_eq!(
            events,
            vec![
                Event::Typing { data: room, started: true },
                Event::NotAnObject,
                Event::Typing { data: Params::default(), started: false },
                Event::Other,
            ]
        );
    }

    #[test]
    fn a_web_sdk_message_parses_with_its_body_decrypted() {
        let local_id = "abcdefghIJKLMNOPQRSTUVWXyz012345";
        let data = serde_json::json!({
            "localID": local_id, "type": 1001, "body": crate::crypto::encrypt("Hello", local_id),
            "room": {"roomID": "1-2"}, "quote": {"content": ""},
        });
        let text = serde_json::json!({"eventName": "chat/sendMessage", "data": data}).to_string();
        let Some(Event::SendMessage(data)) = decode(&text).next() else { panic!("not a send") };
        let (room, draft) = parse_message(&data).unwrap();
        assert_eq!(room, RoomRef::Personal(UserId(1), UserId(2)));
        assert_eq!((draft.local_id.as_deref(), draft.content.body.as_str()), (Some(local_id), "Hello"));
    }
}

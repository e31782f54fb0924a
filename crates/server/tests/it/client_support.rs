//! Harness for the TapTalk client API: logging users in and a WebSocket client.

use crate::support::{Endpoint, TestApp};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// A logged-in client device.
#[derive(Clone, Debug)]
pub struct Session {
    pub user_id: String,
    pub access: String,
    pub refresh: String,
    pub device: String,
}

impl Endpoint {
    /// Creates (or updates) a user through the Server API, gets a ticket and redeems it.
    pub async fn login(&self, xc: &str, name: &str) -> Session {
        self.login_device(xc, name, &format!("device-{xc}")).await
    }

    /// Like [`Endpoint::login`] on a named device.
    pub async fn login_device(&self, xc: &str, name: &str, device: &str) -> Session {
        let ticket = self.server_ok("/v1/server/auth_ticket/request", json!({"xcUserID": xc, "fullName": name})).await;
        let ticket = ticket["ticket"].as_str().unwrap().to_string();
        let a = self
            .request(
                "POST",
                "/v1/auth/access_token/request",
                &[
                    ("App-Key", &self.creds.app_key),
                    ("Authorization", &format!("Bearer {ticket}")),
                    ("Device-Identifier", device),
                ],
                "\"\"",
            )
            .await;
        assert_eq!(a.body["status"], 200, "ticket redeemed: {}", a.body);
        let d = &a.body["data"];
        Session {
            user_id: d["user"]["userID"].as_str().unwrap().to_string(),
            access: d["accessToken"].as_str().unwrap().to_string(),
            refresh: d["refreshToken"].as_str().unwrap().to_string(),
            device: device.to_string(),
        }
    }

    /// POSTs to the client API as `s`; returns the envelope.
    pub async fn client(&self, s: &Session, path: &str, body: Value) -> Value {
        let bearer = format!("Bearer {}", s.access);
        let headers = [
            ("App-Key", self.creds.app_key.as_str()),
            ("Authorization", bearer.as_str()),
            ("Device-Identifier", s.device.as_str()),
        ];
        let a = self.request("POST", path, &headers, body.to_string()).await;
        assert_eq!(a.http, 200, "{path}: {}", a.body);
        a.body
    }

    /// Like [`Endpoint::client`], asserting success and returning `data`.
    pub async fn client_ok(&self, s: &Session, path: &str, body: Value) -> Value {
        let env = self.client(s, path, body).await;
        assert_eq!(env["status"], 200, "{path} failed: {env}");
        env["data"].clone()
    }

    /// Opens the realtime channel as the web SDK does (credentials in the query string).
    pub async fn ws(&self, s: &Session) -> Ws {
        let url = format!(
            "ws://{}/connect?content_type=undefined&app_key={}&authorization=Bearer%20{}&device_identifier={}&device_model=Netscape&device_platform=web",
            self.addr,
            urlencode(&self.creds.app_key),
            s.access,
            s.device
        );
        let (stream, _) = tokio_tungstenite::connect_async(url).await.expect("websocket opens");
        Ws { stream, pending: VecDeque::new() }
    }

    /// Opens the realtime channel as the Android and iOS SDKs do (credentials in headers).
    pub async fn ws_with_headers(&self, s: &Session) -> Ws {
        let mut req = format!("ws://{}/connect", self.addr).into_client_request().unwrap();
        let h = req.headers_mut();
        h.insert("App-Key", self.creds.app_key.parse().unwrap());
        h.insert("Authorization", format!("Bearer {}", s.access).parse().unwrap());
        h.insert("Device-Identifier", s.device.parse().unwrap());
        h.insert("Device-Platform", "android".parse().unwrap());
        let (stream, _) = tokio_tungstenite::connect_async(req).await.expect("websocket opens");
        Ws { stream, pending: VecDeque::new() }
    }
}

/// Percent-encodes a query value.
pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A WebSocket client that reads TapTalk events.
pub struct Ws {
    pub stream: WebSocketStream<MaybeTlsStream<TcpStream>>,
    pending: VecDeque<(String, Value)>,
}

impl Ws {
    /// The next event within `wait`; `None` if none comes. Panics on a text frame: TapTalk
    /// servers must send binary frames.
    pub async fn next_within(&mut self, wait: Duration) -> Option<(String, Value)> {
        if let Some(e) = self.pending.pop_front() {
            return Some(e);
        }
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let msg = tokio::time::timeout_at(deadline, self.stream.next()).await.ok()??;
            match msg.expect("websocket message") {
                Message::Binary(bytes) => {
                    let text = std::str::from_utf8(&bytes).expect("frames are UTF-8");
                    assert!(!text.ends_with('\n'), "no trailing newline in a frame");
                    for line in text.split('\n') {
                        let v: Value = serde_json::from_str(line).expect("each line is one JSON event");
                        self.pending.push_back((v["eventName"].as_str().unwrap().to_string(), v["data"].clone()));
                    }
                    return self.pending.pop_front();
                }
                Message::Text(t) => panic!("the server sent a text frame: {t}"),
                Message::Close(_) => return None,
                _ => {}
            }
        }
    }

    /// The next event named `name`, skipping others (presence and the like); panics after 5 s.
    pub async fn expect(&mut self, name: &str) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.next_within(left).await {
                Some((n, data)) if n == name => return data,
                Some(_) => continue,
                None => panic!("no {name} event arrived"),
            }
        }
    }

    /// Asserts that no event named `name` arrives within `wait`.
    pub async fn expect_none(&mut self, name: &str, wait: Duration) {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.next_within(left).await {
                Some((n, data)) if n == name => panic!("unexpected {name}: {data}"),
                Some(_) => continue,
                None => return,
            }
        }
    }

    /// Sends an event as the web SDK does (a text frame).
    pub async fn send(&mut self, name: &str, data: Value) {
        let text = json!({"eventName": name, "data": data}).to_string();
        self.stream.send(Message::Text(text.into())).await.expect("send");
    }

    /// Sends an event as the Android SDK does (a binary frame).
    pub async fn send_binary(&mut self, name: &str, data: Value) {
        let text = json!({"eventName": name, "data": data}).to_string();
        self.stream.send(Message::Binary(text.into_bytes().into())).await.expect("send");
    }

    /// The code of the close frame the server sends within `wait` (events before it are
    /// skipped); `None` if none comes.
    pub async fn close_code_within(&mut self, wait: Duration) -> Option<u16> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match tokio::time::timeout_at(deadline, self.stream.next()).await.ok()?? {
                Ok(Message::Close(frame)) => return frame.map(|f| u16::from(f.code)),
                Ok(_) => continue,
                Err(_) => return None,
            }
        }
    }

    /// Whether the server closed the connection within `wait`.
    pub async fn closed_within(&mut self, wait: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match tokio::time::timeout_at(deadline, self.stream.next()).await {
                Err(_) => return false,
                Ok(None) | Ok(Some(Err(_))) | Ok(Some(Ok(Message::Close(_)))) => return true,
                Ok(Some(Ok(_))) => continue,
            }
        }
    }
}

/// A text message as the web SDK builds it, with `body` encrypted for `local_id`.
pub fn sdk_message(room_id: &str, room_type: i64, text: &str, local_id: &str) -> Value {
    json!({
        "messageID": "0", "localID": local_id, "type": 1001,
        "body": palaver_taptalk::crypto::encrypt(text, local_id), "data": "", "filterID": "", "isHidden": false,
        "quote": {"title": "", "content": "", "imageURL": "", "fileID": "", "fileType": ""},
        "replyTo": {"userID": "0", "xcUserID": "", "fullname": "", "messageID": "0", "localID": "", "messageType": 0},
        "forwardFrom": {"userID": "0", "xcUserID": "", "fullname": "", "messageID": "0", "localID": ""},
        "room": {"roomID": room_id, "type": room_type, "name": "", "imageURL": {"thumbnail": "", "fullsize": ""}},
        "user": {"userID": "999999"}, "recipientID": "0", "action": "",
        "target": {"targetType": "", "targetID": "0", "targetXCID": "", "targetName": ""},
        "isSending": true, "isDelivered": false, "isRead": false, "isDeleted": false,
        "created": 1, "updated": 1,
    })
}

/// Decrypts a message body as the SDKs do.
pub fn body_of(m: &Value) -> String {
    palaver_taptalk::crypto::decrypt(m["body"].as_str().unwrap(), m["localID"].as_str().unwrap())
        .expect("decryptable body")
}

/// The personal room id of two TapTalk user ids.
pub fn personal(a: &str, b: &str) -> String {
    let (a, b): (i64, i64) = (a.parse().unwrap(), b.parse().unwrap());
    format!("{}-{}", a.min(b), a.max(b))
}

/// The checksum `room/delete` asks of `s` for a group room, as the web SDK computes it: it
/// needs the session's access token expiry.
pub async fn room_delete_checksum(app: &TestApp, s: &Session, room: &str) -> String {
    let expiry = app.core.authenticate(app.core_app(), &s.access, None).await.unwrap().access_expires;
    format!("{:x}", md5::compute(format!("{room}:2:{}:{expiry}", s.user_id)))
}

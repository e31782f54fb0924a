//! Building blocks every scenario uses: many users logged in at once, many connections from
//! several loopback source addresses, and reading TapTalk events off a connection.

use crate::api::{Api, Login};
use crate::ws::Ws;
use futures_util::StreamExt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Instant;

/// The loopback address connection `i` comes from (127.0.0.1 .. 127.0.0.<sources>), so that
/// ephemeral ports do not run out.
pub fn source(i: usize, sources: usize) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1 + (i % sources.max(1)) as u8))
}

/// Logs in users `<prefix>0 .. <prefix>n-1`, `concurrency` at a time.
pub async fn logins(api: &Api, prefix: &str, n: usize, concurrency: usize) -> Result<Vec<Login>, String> {
    let results: Vec<(usize, Result<Login, String>)> = futures_util::stream::iter(0..n)
        .map(|i| {
            let api = api.clone();
            let xc = format!("{prefix}{i}");
            async move { (i, api.login(&xc).await) }
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    let mut out: Vec<Option<Login>> = vec![None; n];
    for (i, r) in results {
        out[i] = Some(r?);
    }
    Ok(out.into_iter().flatten().collect())
}

/// Creates `rooms` groups (external ids `<prefix>-<r>`) of `members` users each: room `r` holds
/// users `<user_prefix><r * members>` to `<user_prefix><r * members + members - 1>`. Returns
/// their room ids.
pub async fn groups(
    api: &Api,
    prefix: &str,
    user_prefix: &str,
    rooms: usize,
    members: usize,
) -> Result<Vec<String>, String> {
    let mut ids = Vec::with_capacity(rooms);
    for r in 0..rooms {
        let xcs: Vec<String> = (0..members).map(|m| format!("{user_prefix}{}", r * members + m)).collect();
        let body = serde_json::json!({"xcRoomID": format!("{prefix}-{r}"), "type": 2, "name": format!("Room {r}"), "participantXCUserIDs": xcs});
        let d = api.server("/v1/server/room/create_or_update", body).await?;
        ids.push(d["room"]["roomID"].as_str().unwrap_or_default().to_string());
    }
    Ok(ids)
}

/// Opens one connection per entry of `who` (indexes into `logins`), `concurrency` at a time;
/// connection `i` goes to `server(i)`. Returns the connections and the connect rate per second.
pub async fn connect_all(
    api: &Api,
    server: impl Fn(usize) -> SocketAddr,
    logins: &[Login],
    who: &[usize],
    sources: usize,
    concurrency: usize,
) -> Result<(Vec<Ws>, f64), String> {
    let started = Instant::now();
    let results: Vec<(usize, std::io::Result<Ws>)> = futures_util::stream::iter(who.iter().copied().enumerate())
        .map(|(i, user)| {
            let path = api.connect_path(&logins[user]);
            let at = server(i);
            async move { (i, Ws::connect(source(i, sources), at, &path).await) }
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    let rate = who.len() as f64 / started.elapsed().as_secs_f64();
    let mut out: Vec<Option<Ws>> = (0..who.len()).map(|_| None).collect();
    for (i, r) in results {
        out[i] = Some(r.map_err(|e| format!("connection {i}: {e}"))?);
    }
    Ok((out.into_iter().flatten().collect(), rate))
}

/// A `chat/sendMessage` event's local id, or `None` for any other event. Palaver writes
/// `{"eventName":...,"data":{"messageID":...,"localID":...` in this order, so the first
/// `localID` is the message's (nested objects come later).
pub fn sent_local_id(line: &[u8]) -> Option<&str> {
    let text = std::str::from_utf8(line).ok()?;
    if !text.starts_with("{\"eventName\":\"chat/sendMessage\"") {
        return None;
    }
    let start = text.find("\"localID\":\"")? + 11;
    let end = start + text[start..].find('"')?;
    Some(&text[start..end])
}

/// A `chat/sendMessage` frame for a text message to `room`.
pub fn message_frame(room: &str, room_type: u8, local_id: &str) -> String {
    format!(
        r#"{{"eventName":"chat/sendMessage","data":{{"localID":"{local_id}","type":1001,"body":"benchmark message","room":{{"roomID":"{room}","type":{room_type}}}}}}}"#
    )
}

/// The personal room id of two user ids.
pub fn personal(a: &str, b: &str) -> String {
    let (a, b): (i64, i64) = (a.parse().unwrap_or(0), b.parse().unwrap_or(0));
    format!("{}-{}", a.min(b), a.max(b))
}

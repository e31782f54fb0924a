//! Finding comments in the caller's rooms: `search_messages`, `search` (full text) and
//! `file_list` (file attachments).

use super::UserCall;
use crate::Qiscus;
use crate::envelope::{ApiError, ApiResult, Reply};
use crate::params::{Params, required};
use crate::validate::{self, Paging};
use crate::wire::client::comment;
use crate::wire::object_or_empty;
use crate::wire::room::room_types_named;
use axum::extract::State;
use palaver_core::MessageSearch;
use palaver_domain::{RoomMessage, RoomRef, RoomType, UserRef};
use serde_json::{Value, json};

/// Most comments `search_messages` answers (the newest matches).
const MAX_SEARCH_MESSAGES: i64 = 100;
/// Longest search text.
const MAX_QUERY_CHARS: usize = 256;

fn query(p: &Params) -> Result<String, ApiError> {
    let q = p.opt_nonempty("query")?.ok_or_else(|| required("query"))?;
    validate::max_chars(&q, "query", MAX_QUERY_CHARS)?;
    Ok(q)
}

/// Rooms named by id or unique id in a list parameter, if given.
fn rooms(p: &Params, name: &str) -> Result<Option<Vec<RoomRef>>, ApiError> {
    let ids = validate::room_ids(p, name)?;
    Ok((!ids.is_empty()).then(|| ids.into_iter().map(RoomRef::IdOrExternal).collect()))
}

fn sender(p: &Params) -> Result<Option<UserRef>, ApiError> {
    Ok(match p.opt_nonempty("sender")? {
        Some(s) => Some(UserRef::External(validate::external_id(s, "sender")?)),
        None => None,
    })
}

fn comments(list: &[RoomMessage], call: &UserCall) -> Vec<Value> {
    list.iter().map(|m| comment(m, 0, call.user.id)).collect()
}

/// `search_messages`: the newest comments (at most 100) of the caller's rooms, or of
/// `room_id`, whose text contains the words of `query`.
pub async fn search_messages(State(q): State<Qiscus>, call: UserCall) -> ApiResult<Value> {
    let p = &call.params;
    let search = MessageSearch {
        text: Some(query(p)?),
        rooms: match p.opt_nonempty("room_id")? {
            Some(_) => Some(vec![validate::room_ref(p, "room_id")?]),
            None => None,
        },
        limit: MAX_SEARCH_MESSAGES,
        ..MessageSearch::default()
    };
    let (found, _) = q.core.search_messages(call.app, call.user.id, search).await?;
    Ok(Reply(json!({ "comments": comments(&found, &call) })))
}

/// `search`: a page of the caller's comments whose text contains the words of `query`,
/// optionally only in `room_ids`, from `sender`, of `type`, in rooms of `room_type`
/// (`single`, `group`) or public channels (`is_public`).
pub async fn search(State(q): State<Qiscus>, call: UserCall) -> ApiResult<Value> {
    let p = &call.params;
    let paging = Paging::read(p, 20, 100)?;
    let room_kinds = if p.opt_bool("is_public")?.unwrap_or(false) {
        Some(vec![RoomType::Channel])
    } else {
        match p.opt_nonempty("room_type")? {
            Some(t) => Some(
                room_types_named(&t)
                    .ok_or_else(|| ApiError::bad_request("Param 'room_type' must be single, group or channel"))?,
            ),
            None => None,
        }
    };
    let search = MessageSearch {
        text: Some(query(p)?),
        rooms: rooms(p, "room_ids")?,
        sender: sender(p)?,
        type_name: p.opt_nonempty("type")?,
        room_kinds,
        offset: paging.offset(),
        limit: paging.limit,
    };
    let (found, total) = q.core.search_messages(call.app, call.user.id, search).await?;
    Ok(Reply(json!({"comments": comments(&found, &call), "page": paging.page, "limit": paging.limit, "total": total})))
}

/// Extensions of files shown as media.
const MEDIA: &[&str] = &["jpg", "jpeg", "png", "gif", "webp", "heic", "bmp", "mp4", "mov", "webm", "mkv", "3gp"];

/// The lowercased extension of an attachment's file name, else of its URL's path.
fn extension(m: &RoomMessage) -> String {
    let payload = object_or_empty(&m.message.data);
    let of = |name: &str| {
        let path = name.split(['?', '#']).next().unwrap_or_default();
        let last = path.rsplit('/').next().unwrap_or_default();
        last.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).filter(|e| !e.is_empty())
    };
    ["file_name", "url"].iter().find_map(|k| payload[*k].as_str().and_then(of)).unwrap_or_default()
}

/// `file_list`: a page of the `file_attachment` comments of the caller's rooms (or of
/// `room_ids`), optionally from `sender`. `file_type` `media` keeps images and videos, `file`
/// the rest; `include_extensions` / `exclude_extensions` keep or drop by extension. The
/// type and extension filters apply to the page found, so a page may hold fewer than `limit`.
pub async fn file_list(State(q): State<Qiscus>, call: UserCall) -> ApiResult<Value> {
    let p = &call.params;
    let paging = Paging::read(p, 20, 100)?;
    let lower = |name: &str| -> Result<Vec<String>, ApiError> {
        Ok(p.opt_list(name)?
            .unwrap_or_default()
            .iter()
            .map(|e| e.trim_start_matches('.').to_ascii_lowercase())
            .collect())
    };
    let (include, exclude) = (lower("include_extensions")?, lower("exclude_extensions")?);
    let file_type = p.opt_nonempty("file_type")?;
    let search = MessageSearch {
        rooms: rooms(p, "room_ids")?,
        sender: sender(p)?,
        type_name: Some("file_attachment".into()),
        offset: paging.offset(),
        limit: paging.limit,
        ..MessageSearch::default()
    };
    let (found, total) = q.core.search_messages(call.app, call.user.id, search).await?;
    let kept: Vec<RoomMessage> = found
        .into_iter()
        .filter(|m| {
            let ext = extension(m);
            let media = MEDIA.contains(&ext.as_str());
            let by_type = match file_type.as_deref() {
                Some("media") => media,
                Some("file") => !media,
                _ => true,
            };
            by_type && (include.is_empty() || include.contains(&ext)) && !exclude.contains(&ext)
        })
        .collect();
    Ok(Reply(json!({"comments": comments(&kept, &call), "page": paging.page, "limit": paging.limit, "total": total})))
}

//! `chat/file/upload` and `chat/file/download`, and the public file URL.

use super::auth::Client;
use super::rooms::room_ref;
use crate::TapTalk;
use crate::envelope::{ApiError, ApiResult, Reply};
use crate::params::Params;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::uri::Scheme;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use palaver_domain::StoredFile;
use serde_json::{Value, json};
use std::convert::Infallible;

/// `scheme://host` of the request, to build absolute file URLs. The server marks TLS
/// connections with [`Scheme::HTTPS`] in the request extensions; a proxy may say so in
/// `X-Forwarded-Proto`.
pub struct BaseUrl(pub String);

impl<S: Send + Sync> FromRequestParts<S> for BaseUrl {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        let forwarded = parts.headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok());
        let scheme = match (forwarded, parts.extensions.get::<Scheme>()) {
            (Some(p), _) => p.to_string(),
            (None, Some(s)) => s.as_str().to_string(),
            (None, None) => "http".into(),
        };
        let host = parts.headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("localhost");
        Ok(BaseUrl(format!("{scheme}://{host}")))
    }
}

fn file_answer(base: &str, f: &StoredFile, caption: &str) -> Value {
    json!({
        "id": f.id, "fileID": f.id, "fileURL": format!("{base}/v1/files/{}", f.id), "mediaType": f.media_type,
        "size": f.size, "width": 0, "height": 0, "caption": caption, "fileName": f.file_name,
    })
}

/// `chat/file/upload`: multipart `roomID`, `file`, optional `caption` and `fileType`.
pub async fn upload(
    State(t): State<TapTalk>,
    c: Client,
    BaseUrl(base): BaseUrl,
    multipart: Result<Multipart, MultipartRejection>,
) -> ApiResult<Value> {
    let bad = |m: &str| ApiError::param(m.to_string(), "file");
    let mut form = multipart.map_err(|_| bad("The request is not multipart/form-data"))?;
    let (mut room, mut file, mut caption) = (None, None, String::new());
    while let Some(field) = form.next_field().await.map_err(|_| bad("The multipart body is malformed or too large"))? {
        match field.name().unwrap_or_default() {
            "roomID" => room = Some(field.text().await.map_err(|_| bad("Param 'roomID' is malformed"))?),
            "caption" => caption = field.text().await.map_err(|_| bad("Param 'caption' is malformed"))?,
            "file" => {
                let name = field.file_name().unwrap_or("file").to_string();
                let media = field.content_type().unwrap_or("application/octet-stream").to_string();
                let bytes = field.bytes().await.map_err(|_| bad("The file is too large or the upload broke off"))?;
                file = Some((name, media, bytes.to_vec()));
            }
            _ => {}
        }
    }
    let room = room.ok_or_else(|| crate::params::required("roomID", "roomID"))?;
    let room = crate::wire::parse_room_id(&room)
        .ok_or_else(|| ApiError::param("Param 'roomID' is not a room ID", "roomID"))?;
    let (name, media, bytes) = file.ok_or_else(|| crate::params::required("file", "file"))?;
    let record = t
        .core
        .save_file(c.session.app, c.session.user.id, room, name, media, bytes)
        .await
        .map_err(|e| ApiError::from_core(e, &[(palaver_domain::Field::File, "file", "file")]))?;
    Ok(Reply(file_answer(&base, &record, &caption)))
}

fn bytes_response(f: &StoredFile, bytes: Vec<u8>) -> Response {
    let mut res = bytes.into_response();
    let media = HeaderValue::from_str(&f.media_type).unwrap_or(HeaderValue::from_static("application/octet-stream"));
    res.headers_mut().insert(header::CONTENT_TYPE, media);
    if let Ok(v) = HeaderValue::from_str(&format!("inline; filename=\"{}\"", f.file_name.replace(['"', '\\'], "_"))) {
        res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    res
}

/// `chat/file/download`: the raw bytes, or TapTalk's JSON envelope on error.
pub async fn download(State(t): State<TapTalk>, c: Client, p: Params) -> Result<Response, ApiError> {
    let room = room_ref(&p)?;
    let id = p.req_str("fileID", "fileID")?;
    let (record, bytes) = t.core.load_file(c.session.app, c.session.user.id, room, id).await?;
    Ok(bytes_response(&record, bytes))
}

/// `GET /v1/files/{id}`: the `fileURL` of an upload; its id is the capability.
pub async fn public(State(t): State<TapTalk>, Path(id): Path<String>) -> Result<Response, ApiError> {
    let (record, bytes) = t.core.load_file_by_id(id).await?;
    Ok(bytes_response(&record, bytes))
}

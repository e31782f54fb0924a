//! `chat/file/upload` and `chat/file/download`, and the public file URL.
//!
//! Uploads stream to the core as they arrive. Files are served so that no upload can run as
//! a page of this server's origin: `nosniff`, a sandboxing CSP, and `attachment` for every
//! type but plain media.

use super::auth::Client;
use super::rooms::room_ref;
use crate::TapTalk;
use crate::envelope::{ApiError, ApiResult, Reply};
use crate::params::Params;
use axum::body::{Body, Bytes};
use axum::extract::multipart::{Field, Multipart};
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::{HeaderValue, header};
use axum::response::Response;
use palaver_core::{OpenedFile, Uploaded};
use palaver_domain::Field as DomainField;
use serde_json::{Value, json};
use std::time::Duration;
use tokio_util::io::ReaderStream;

/// How long an upload may send nothing before it is given up.
const UPLOAD_STALL: Duration = Duration::from_secs(30);
/// Longest text field of an upload form (`roomID`, `caption`, `fileType`), in bytes.
const MAX_FORM_TEXT: usize = 16 * 1024;

fn bad(message: &str) -> ApiError {
    ApiError::param(message.to_string(), "file")
}

fn file_answer(public_url: &str, uploaded: &Uploaded, caption: &str) -> Value {
    let f = &uploaded.file;
    let (width, height) = uploaded.image_size.unwrap_or((0, 0));
    json!({
        "id": f.id, "fileID": f.id, "fileURL": format!("{public_url}/v1/files/{}", f.id), "mediaType": f.media_type,
        "size": f.size, "width": width, "height": height, "caption": caption, "fileName": f.file_name,
    })
}

/// The next chunk of a field, or `None` at its end; an upload that stalls or breaks off is
/// an error.
async fn next_chunk(field: &mut Field<'_>) -> Result<Option<Bytes>, ApiError> {
    match tokio::time::timeout(UPLOAD_STALL, field.chunk()).await {
        Ok(Ok(chunk)) => Ok(chunk),
        Ok(Err(_)) => Err(bad("The file is too large or the upload broke off")),
        Err(_) => Err(ApiError::new(408, "40800", "The upload stalled", "file")),
    }
}

/// A short text field, read with a cap.
async fn form_text(mut field: Field<'_>, name: &str) -> Result<String, ApiError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = next_chunk(&mut field).await? {
        if bytes.len() + chunk.len() > MAX_FORM_TEXT {
            return Err(ApiError::param(format!("Param '{name}' is too long"), name));
        }
        bytes.extend_from_slice(&chunk);
    }
    String::from_utf8(bytes).map_err(|_| ApiError::param(format!("Param '{name}' is malformed"), name))
}

/// `chat/file/upload`: multipart `roomID`, `file`, optional `caption` and `fileType`.
pub async fn upload(State(t): State<TapTalk>, c: Client, req: Request) -> ApiResult<Value> {
    let mut form =
        Multipart::from_request(req, &()).await.map_err(|_| bad("The request is not multipart/form-data"))?;
    let (mut room, mut file, mut caption) = (None, None, String::new());
    loop {
        let field = match tokio::time::timeout(UPLOAD_STALL, form.next_field()).await {
            Ok(Ok(Some(field))) => field,
            Ok(Ok(None)) => break,
            Ok(Err(_)) => return Err(bad("The multipart body is malformed or too large")),
            Err(_) => return Err(ApiError::new(408, "40800", "The upload stalled", "file")),
        };
        match field.name().unwrap_or_default() {
            "roomID" => room = Some(form_text(field, "roomID").await?),
            "caption" => caption = form_text(field, "caption").await?,
            "file" => {
                let (name, media) = (field.file_name().map(str::to_string), field.content_type().map(str::to_string));
                let mut field = field;
                let mut upload = t.core.begin_upload(c.session.app, c.session.user.id).await?;
                while let Some(chunk) = next_chunk(&mut field).await? {
                    upload
                        .write(&chunk)
                        .await
                        .map_err(|e| ApiError::from_core(e, &[(DomainField::File, "file", "file")]))?;
                }
                file = Some((upload, name, media));
            }
            _ => {
                form_text(field, "field").await?;
            }
        }
    }
    let room = room.ok_or_else(|| crate::params::required("roomID", "roomID"))?;
    let room = crate::wire::parse_room_id(&room)
        .ok_or_else(|| ApiError::param("Param 'roomID' is not a room ID", "roomID"))?;
    let (upload, name, media) = file.ok_or_else(|| crate::params::required("file", "file"))?;
    let uploaded = upload
        .finish(Some(room), name.as_deref(), media.as_deref())
        .await
        .map_err(|e| ApiError::from_core(e, &[(DomainField::File, "file", "file")]))?;
    Ok(Reply(file_answer(&t.core.config().public_url, &uploaded, &caption)))
}

/// Whether a browser shows this type as plain media (never as a page or a script).
fn is_plain_media(media: &str) -> bool {
    let media = media.split(';').next().unwrap_or_default().trim();
    (media.starts_with("image/") && !media.contains("svg") && !media.contains("xml"))
        || media.starts_with("video/")
        || media.starts_with("audio/")
        || media == "text/plain"
}

/// A stored file's bytes, streamed, with headers that keep it from running as a page.
fn file_response(opened: OpenedFile) -> Response {
    let f = &opened.record;
    let media = HeaderValue::from_str(&f.media_type).unwrap_or(HeaderValue::from_static("application/octet-stream"));
    let disposition = if is_plain_media(&f.media_type) { "inline" } else { "attachment" };
    let safe_name: String =
        f.file_name.chars().map(|c| if c.is_ascii_graphic() && !matches!(c, '"' | '\\') { c } else { '_' }).collect();
    let mut res = Response::new(Body::from_stream(ReaderStream::new(opened.file)));
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, media);
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(f.size.max(0) as u64));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; sandbox"));
    if let Ok(v) = HeaderValue::from_str(&format!("{disposition}; filename=\"{safe_name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    res
}

/// `chat/file/download`: the raw bytes, or TapTalk's JSON envelope on error.
pub async fn download(State(t): State<TapTalk>, c: Client, p: Params) -> Result<Response, ApiError> {
    let room = room_ref(&p)?;
    let id = p.req_str("fileID", "fileID")?;
    Ok(file_response(t.core.open_file(c.session.app, c.session.user.id, room, id).await?))
}

/// `GET /v1/files/{id}`: the `fileURL` of an upload; its id is the capability.
pub async fn public(State(t): State<TapTalk>, Path(id): Path<String>) -> Result<Response, ApiError> {
    Ok(file_response(t.core.open_file_by_id(id).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_media_is_shown_inline() {
        for inline in ["image/png", "image/jpeg", "video/mp4", "audio/mpeg", "text/plain"] {
            assert!(is_plain_media(inline), "{inline}");
        }
        for attached in
            ["text/html", "image/svg+xml", "application/xhtml+xml", "text/xml", "application/pdf", "text/javascript"]
        {
            assert!(!is_plain_media(attached), "{attached}");
        }
    }
}

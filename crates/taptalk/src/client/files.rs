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
use palaver_core::{OpenedFile, Upload, Uploaded};
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

/// A multipart upload form read to its end: the text fields asked for and the `file` field,
/// streamed into an upload as it arrived.
pub(super) struct Form {
    /// The text fields kept, by name.
    texts: Vec<(String, String)>,
    /// The upload, the file's name and its declared media type.
    pub file: Option<(Upload, Option<String>, Option<String>)>,
}

impl Form {
    /// A text field, if it was sent.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.texts.iter().rev().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// The file, which is required.
    pub fn take_file(&mut self) -> Result<(Upload, Option<String>, Option<String>), ApiError> {
        self.file.take().ok_or_else(|| crate::params::required("file", "file"))
    }
}

/// What an upload is for, which decides its size limit.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Purpose {
    /// A file shared in a room.
    Chat,
    /// A user's or room's photo.
    Photo,
}

/// Reads an upload form as it streams in, keeping the text fields named in `keep`; other
/// text fields are read (capped) and dropped.
pub(super) async fn read_form(
    t: &TapTalk,
    c: &Client,
    req: Request,
    purpose: Purpose,
    keep: &[&str],
) -> Result<Form, ApiError> {
    let mut multipart =
        Multipart::from_request(req, &()).await.map_err(|_| bad("The request is not multipart/form-data"))?;
    let mut form = Form { texts: Vec::new(), file: None };
    loop {
        let field = match tokio::time::timeout(UPLOAD_STALL, multipart.next_field()).await {
            Ok(Ok(Some(field))) => field,
            Ok(Ok(None)) => break,
            Ok(Err(_)) => return Err(bad("The multipart body is malformed or too large")),
            Err(_) => return Err(ApiError::new(408, "40800", "The upload stalled", "file")),
        };
        let name = field.name().unwrap_or_default().to_string();
        if name == "file" {
            let (file_name, media) = (field.file_name().map(str::to_string), field.content_type().map(str::to_string));
            let mut field = field;
            let (app, user) = (c.session.app, c.session.user.id);
            let mut upload = match purpose {
                Purpose::Chat => t.core.begin_upload(app, user).await?,
                Purpose::Photo => t.core.begin_photo_upload(app, user).await?,
            };
            while let Some(chunk) = next_chunk(&mut field).await? {
                upload.write(&chunk).await.map_err(file_error)?;
            }
            form.file = Some((upload, file_name, media));
        } else if keep.contains(&name.as_str()) {
            let value = form_text(field, &name).await?;
            form.texts.push((name, value));
        } else {
            form_text(field, "field").await?;
        }
    }
    Ok(form)
}

/// A core error about the uploaded file, named `file`.
pub(super) fn file_error(e: palaver_domain::Error) -> ApiError {
    ApiError::from_core(e, &[(DomainField::File, "file", "file")])
}

/// `chat/file/upload`: multipart `roomID`, `file`, optional `caption` and `fileType`.
pub async fn upload(State(t): State<TapTalk>, c: Client, req: Request) -> ApiResult<Value> {
    let mut form = read_form(&t, &c, req, Purpose::Chat, &["roomID", "caption"]).await?;
    let room = form.text("roomID").ok_or_else(|| crate::params::required("roomID", "roomID"))?;
    let room =
        crate::wire::parse_room_id(room).ok_or_else(|| ApiError::param("Param 'roomID' is not a room ID", "roomID"))?;
    let caption = form.text("caption").unwrap_or_default().to_string();
    let (upload, name, media) = form.take_file()?;
    let uploaded = upload.finish(Some(room), name.as_deref(), media.as_deref()).await.map_err(file_error)?;
    Ok(Reply(file_answer(&t.core.config().public_url, &uploaded, &caption)))
}

/// Where this face serves a stored file: the prefix its id follows.
pub(super) fn file_url_prefix(t: &TapTalk) -> String {
    format!("{}/v1/files/", t.core.config().public_url)
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

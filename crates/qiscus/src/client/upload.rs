//! `upload`: a multipart `file`, streamed to the core as it arrives, answered with its URL.
//! Qiscus uploads belong to no room: the app then posts a `file_attachment` comment with the
//! URL. Files are served at the public file route every face's uploads share
//! (`{public_url}/v1/files/{id}`, whose unguessable id is the capability).

use super::{TOKEN, app_of, peer};
use crate::Qiscus;
use crate::auth::header_value;
use crate::envelope::{ApiError, ApiResult, Reply};
use crate::params::{Params, required};
use axum::extract::multipart::{Field, Multipart};
use axum::extract::{FromRequest, Request, State};
use bytes::Bytes;
use serde_json::{Value, json};
use std::time::Duration;

/// How long an upload may send nothing before it is given up.
const UPLOAD_STALL: Duration = Duration::from_secs(30);
/// Most bytes of the form's other fields (`token` and the like) read and dropped.
const MAX_OTHER_FIELD: usize = 16 * 1024;

fn stalled() -> ApiError {
    ApiError::new(408, "The upload stalled")
}

async fn next_chunk(field: &mut Field<'_>) -> Result<Option<Bytes>, ApiError> {
    match tokio::time::timeout(UPLOAD_STALL, field.chunk()).await {
        Ok(Ok(chunk)) => Ok(chunk),
        Ok(Err(_)) => Err(ApiError::bad_request("The file is too large or the upload broke off")),
        Err(_) => Err(stalled()),
    }
}

/// `upload`. The token comes from the header, the query, or a `token` form field before the
/// file (Android's form).
pub async fn upload(State(q): State<Qiscus>, req: Request) -> ApiResult<Value> {
    let (parts, body) = req.into_parts();
    let (app, _) = app_of(&q, &parts).await?;
    let from = peer(&parts);
    let query = Params::parse(parts.uri.query(), "", b"")?;
    let mut token = match header_value(&parts.headers, TOKEN) {
        Some(t) => Some(t),
        None => query.opt_nonempty("token")?,
    };
    let mut form = Multipart::from_request(Request::from_parts(parts, body), &())
        .await
        .map_err(|_| ApiError::bad_request("The request is not multipart/form-data"))?;
    loop {
        let mut field = match tokio::time::timeout(UPLOAD_STALL, form.next_field()).await {
            Ok(Ok(Some(field))) => field,
            Ok(Ok(None)) => return Err(required("file")),
            Ok(Err(_)) => return Err(ApiError::bad_request("The multipart body is malformed or too large")),
            Err(_) => return Err(stalled()),
        };
        if field.name() != Some("file") {
            let is_token = field.name() == Some("token");
            let mut bytes = Vec::new();
            while let Some(chunk) = next_chunk(&mut field).await? {
                if bytes.len() + chunk.len() > MAX_OTHER_FIELD {
                    return Err(ApiError::bad_request("A form field other than 'file' is too long"));
                }
                bytes.extend_from_slice(&chunk);
            }
            if is_token && token.is_none() {
                token = String::from_utf8(bytes).ok().filter(|t| !t.is_empty());
            }
            continue;
        }
        let token = token.ok_or_else(|| ApiError::unauthorized("Unauthorized"))?;
        let user = q.core.user_by_token(Some(app), &token, from).await?;
        let (name, media) = (field.file_name().map(str::to_string), field.content_type().map(str::to_string));
        let mut upload = q.core.begin_upload(app, user.id).await?;
        while let Some(chunk) = next_chunk(&mut field).await? {
            upload.write(&chunk).await?;
        }
        let uploaded = upload.finish(None, name.as_deref(), media.as_deref()).await?;
        let f = &uploaded.file;
        let url = format!("{}/v1/files/{}", q.core.config().public_url, f.id);
        let (width, height) = uploaded.image_size.unwrap_or((0, 0));
        return Ok(Reply(json!({"file": {
            "url": url, "name": f.file_name, "size": f.size, "media_type": f.media_type,
            "width": width, "height": height,
        }})));
    }
}

/// Whether a path is the upload route, whose body the handler streams.
pub fn is_upload(path: &str) -> bool {
    super::PREFIXES.iter().any(|prefix| path.strip_prefix(prefix) == Some("/upload"))
}

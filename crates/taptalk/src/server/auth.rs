//! `Server-Key` authentication: `base64(SERVER_KEY_ID:SERVER_KEY_SECRET)`.

use crate::TapTalk;
use crate::envelope::ApiError;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use base64::Engine;
use palaver_core::KeyCheck;
use palaver_domain::AppId;

/// The app a valid `Server-Key` header belongs to.
#[derive(Clone, Copy, Debug)]
pub struct ServerApp(pub AppId);

/// Splits a TapTalk key header into id and secret.
pub fn decode_key(value: &str) -> Option<(String, String)> {
    let raw = base64::engine::general_purpose::STANDARD.decode(value.trim()).ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (id, secret) = text.split_once(':')?;
    (!id.is_empty() && !secret.is_empty()).then(|| (id.to_string(), secret.to_string()))
}

impl FromRequestParts<TapTalk> for ServerApp {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &TapTalk) -> Result<Self, Self::Rejection> {
        let Some(value) = parts.headers.get("server-key") else {
            return Err(ApiError::new(400, "40001", "Request headers are required (Server-Key)", ""));
        };
        let invalid = || ApiError::new(491, "49102", "Server key is invalid", "");
        let (id, secret) = value.to_str().ok().and_then(decode_key).ok_or_else(invalid)?;
        let from = crate::client::auth::peer_ip(&parts.extensions);
        match state.core.check_key(crate::SERVER_KEY.name, &id, &secret, from).await {
            KeyCheck::Valid(app) => {
                // The server's request log names the app.
                tracing::Span::current().record("app", app.0);
                Ok(ServerApp(app))
            }
            KeyCheck::Limited { retry_after_secs } => {
                Err(ApiError::refusal(palaver_domain::Refusal::RateLimited { retry_after_secs }))
            }
            KeyCheck::Unknown => Err(ApiError::new(491, "49103", "Server key is not found", "")),
            KeyCheck::WrongSecret => Err(invalid()),
            KeyCheck::WrongKind => Err(ApiError::new(491, "49104", "The key is not a server key", "")),
            KeyCheck::Disabled => {
                Err(ApiError::from(palaver_domain::Error::Forbidden(palaver_domain::Denied::AppDisabled)))
            }
        }
    }
}

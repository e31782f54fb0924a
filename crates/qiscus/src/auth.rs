//! Server API authentication: the app id and secret key headers (notes section 2.1).
//!
//! Official clients send `QISCUS-SDK-APP-ID` / `QISCUS-SDK-SECRET`, others the underscore
//! forms `QISCUS_SDK_APP_ID` / `QISCUS_SDK_SECRET` (Go canonicalises them to
//! `Qiscus_sdk_app_id`), so header names are compared case-insensitively with `_` and `-`
//! treated alike.

use crate::Qiscus;
use crate::envelope::ApiError;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use palaver_core::KeyCheck;
use palaver_domain::{AppId, Refusal};
use std::net::SocketAddr;

/// Header carrying the Qiscus app id.
const APP_ID: &str = "qiscus-sdk-app-id";
/// Header carrying the Qiscus secret key.
const SECRET: &str = "qiscus-sdk-secret";

/// The app a request authenticated as.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QiscusApp {
    /// The app.
    pub app: AppId,
    /// Its Qiscus app id, as sent (it names the app's system user).
    pub app_code: String,
}

/// The value of the header whose normalised name is `wanted`, trimmed; empty ones count as
/// absent.
pub fn header_value(headers: &HeaderMap, wanted: &str) -> Option<String> {
    headers.iter().find_map(|(name, value)| {
        let normalised = name.as_str().to_ascii_lowercase().replace('_', "-");
        (normalised == wanted)
            .then(|| value.to_str().ok().map(|v| v.trim().to_string()))
            .flatten()
            .filter(|v| !v.is_empty())
    })
}

impl FromRequestParts<Qiscus> for QiscusApp {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Qiscus) -> Result<Self, ApiError> {
        let (Some(app_code), Some(secret)) =
            (header_value(&parts.headers, APP_ID), header_value(&parts.headers, SECRET))
        else {
            return Err(ApiError::unauthorized("Headers QISCUS-SDK-APP-ID and QISCUS-SDK-SECRET are required"));
        };
        let from = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
        match state.core.check_key(crate::SECRET.name, &app_code, &secret, from).await {
            KeyCheck::Valid(app) => {
                // The server's request log names the app.
                tracing::Span::current().record("app", app.0);
                Ok(QiscusApp { app, app_code })
            }
            KeyCheck::Limited { retry_after_secs } => Err(ApiError::refusal(Refusal::RateLimited { retry_after_secs })),
            KeyCheck::Disabled => {
                Err(ApiError::from(palaver_domain::Error::Forbidden(palaver_domain::Denied::AppDisabled)))
            }
            _ => Err(ApiError::unauthorized("Invalid QISCUS-SDK-APP-ID or QISCUS-SDK-SECRET")),
        }
    }
}

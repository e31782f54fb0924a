//! Client authentication: the `App-Key` header names the app; `Authorization: Bearer` carries
//! an auth ticket, a refresh token or an access token depending on the endpoint.

use crate::TapTalk;
use crate::envelope::ApiError;
use crate::server::auth::decode_key;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{Extensions, HeaderMap};
use palaver_core::{ClientSession, KeyCheck};
use palaver_domain::error::AuthError;
use palaver_domain::{AppId, Refusal};
use std::net::{IpAddr, SocketAddr};

/// The address a request came from, for the limits on failed authentications.
pub fn peer_ip(extensions: &Extensions) -> Option<IpAddr> {
    extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip())
}

/// Checks an `App-Key` value sent from `from`.
pub async fn check_app_key(t: &TapTalk, value: Option<&str>, from: Option<IpAddr>) -> Result<AppId, ApiError> {
    let Some(value) = value.filter(|v| !v.is_empty()) else {
        return Err(ApiError::new(400, "40001", "Request headers are required (App-Key)", ""));
    };
    let invalid = || ApiError::new(491, "49102", "App key is invalid", "");
    let (id, secret) = decode_key(value).ok_or_else(invalid)?;
    match t.core.check_key(crate::APP_KEY.name, &id, &secret, from).await {
        KeyCheck::Valid(app) => {
            // The server's request log names the app.
            tracing::Span::current().record("app", app.0);
            Ok(app)
        }
        KeyCheck::Limited { retry_after_secs } => Err(ApiError::refusal(Refusal::RateLimited { retry_after_secs })),
        KeyCheck::Unknown => Err(ApiError::new(491, "49103", "App key is not found", "")),
        KeyCheck::WrongSecret => Err(invalid()),
        KeyCheck::WrongKind => Err(ApiError::new(491, "49104", "The key is not an app key", "")),
        KeyCheck::Disabled => {
            Err(ApiError::from(palaver_domain::Error::Forbidden(palaver_domain::Denied::AppDisabled)))
        }
    }
}

/// The token of an `Authorization: Bearer <token>` value.
pub fn bearer(value: Option<&str>) -> Result<&str, ApiError> {
    let value = value.map(str::trim).filter(|v| !v.is_empty()).ok_or(ApiError::auth(AuthError::Missing))?;
    let (scheme, token) = value.split_once(' ').ok_or(ApiError::auth(AuthError::Malformed))?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(ApiError::auth(AuthError::Malformed));
    }
    Ok(token.trim())
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// A request of a valid app, whatever its `Authorization` says.
#[derive(Clone, Debug)]
pub struct ClientApp {
    /// The app.
    pub app: AppId,
    /// The bearer token, if one was sent well-formed.
    pub bearer: Result<String, ApiError>,
    /// The `Device-Identifier` header.
    pub device: String,
    /// The address the request came from.
    pub from: Option<IpAddr>,
}

impl FromRequestParts<TapTalk> for ClientApp {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, t: &TapTalk) -> Result<Self, Self::Rejection> {
        let from = peer_ip(&parts.extensions);
        let app = check_app_key(t, header(&parts.headers, "app-key"), from).await?;
        Ok(ClientApp {
            app,
            bearer: bearer(header(&parts.headers, "authorization")).map(str::to_string),
            device: header(&parts.headers, "device-identifier").unwrap_or_default().to_string(),
            from,
        })
    }
}

/// An authenticated user session: valid `App-Key` and access token.
#[derive(Clone, Debug)]
pub struct Client {
    /// The session.
    pub session: ClientSession,
    /// The device, from `Device-Identifier` or else the session's.
    pub device: String,
}

/// Authenticates an access token for an app, sent from `from`.
pub async fn session(t: &TapTalk, app: AppId, token: &str, from: Option<IpAddr>) -> Result<ClientSession, ApiError> {
    t.core.authenticate(app, token, from).await.map_err(ApiError::from)
}

impl FromRequestParts<TapTalk> for Client {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, t: &TapTalk) -> Result<Self, Self::Rejection> {
        let ClientApp { app, bearer, device, from } = ClientApp::from_request_parts(parts, t).await?;
        let session = session(t, app, &bearer?, from).await?;
        let device = if device.is_empty() { session.device_id.clone() } else { device };
        Ok(Client { session, device })
    }
}

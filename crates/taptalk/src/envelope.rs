//! TapTalk's response envelope `{status, error{code, message, field}, data}`, always sent
//! with HTTP 200 because the SDKs read the real status from the body (notes section 2.3).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use palaver_domain::error::AuthError;
use palaver_domain::{Entity, Error};
use serde::Serialize;

/// An error answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    /// The body `status` (400, 401, 404, 491 ...).
    pub status: u16,
    /// The five-digit code.
    pub code: &'static str,
    /// Human-readable message.
    pub message: String,
    /// The parameter's field id, or empty.
    pub field: String,
}

impl ApiError {
    /// A new error.
    pub fn new(status: u16, code: &'static str, message: impl Into<String>, field: impl Into<String>) -> Self {
        Self { status, code, message: message.into(), field: field.into() }
    }

    /// 40002: a parameter failed validation.
    pub fn param(message: impl Into<String>, field: &str) -> Self {
        Self::new(400, "40002", message, field)
    }

    /// 40401: something is not found.
    pub fn not_found(entity: Entity) -> Self {
        Self::new(404, "40401", format!("{entity} is not found"), "")
    }

    /// Maps a core error; `fields` gives the field ids of this endpoint's parameters.
    pub fn from_core(e: Error, fields: &[(&str, &str)]) -> Self {
        match e {
            Error::NotFound(entity) => Self::not_found(entity),
            Error::Invalid { param, message } => {
                let field = fields.iter().find(|(name, _)| *name == param).map_or(param, |(_, code)| code);
                Self::param(message, field)
            }
            Error::Forbidden(m) => Self::new(403, "40301", m, ""),
            Error::Unauthorized(a) => Self::auth(a),
            Error::Internal(m) => {
                tracing::error!(error = %m, "internal error");
                Self::new(500, "99999", "Internal server error", "")
            }
        }
    }

    /// The 401xx error for a token problem; clients refresh only on 40104.
    pub fn auth(a: AuthError) -> Self {
        match a {
            AuthError::Missing => Self::new(401, "40101", "Authorization header is required", ""),
            AuthError::Malformed => Self::new(401, "40102", "Authorization header is malformed", ""),
            AuthError::Invalid => Self::new(401, "40103", "Access token is invalid", ""),
            AuthError::Expired => Self::new(401, "40104", "Access token has expired", ""),
            AuthError::WrongApp => Self::new(401, "40105", "Access token does not belong to this app", ""),
            AuthError::UserGone => Self::new(401, "40106", "User is not found", ""),
        }
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        Self::from_core(e, &[])
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    code: &'a str,
    message: &'a str,
    field: &'a str,
}

#[derive(Serialize)]
struct Envelope<'a, T> {
    status: u16,
    error: ErrorBody<'a>,
    data: T,
}

#[derive(Serialize)]
struct Empty {}

const NO_ERROR: ErrorBody<'static> = ErrorBody { code: "", message: "", field: "" };

/// Writes an envelope as an HTTP 200 JSON response.
fn respond<T: Serialize>(envelope: &Envelope<'_, T>) -> Response {
    match serde_json::to_vec(envelope) {
        Ok(body) => {
            let mut res = (StatusCode::OK, body).into_response();
            res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
            res
        }
        Err(e) => {
            tracing::error!(error = %e, "serializing a response");
            (StatusCode::INTERNAL_SERVER_ERROR, "").into_response()
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        respond(&Envelope {
            status: self.status,
            error: ErrorBody { code: self.code, message: &self.message, field: &self.field },
            data: Empty {},
        })
    }
}

/// A success answer carrying `data`.
pub struct Reply<T>(pub T);

impl<T: Serialize> IntoResponse for Reply<T> {
    fn into_response(self) -> Response {
        respond(&Envelope { status: 200, error: NO_ERROR, data: self.0 })
    }
}

/// What every handler returns.
pub type ApiResult<T> = Result<Reply<T>, ApiError>;

/// `{success, message}`, the answer of many action endpoints.
#[derive(Serialize)]
pub struct Outcome {
    /// Whether the action happened.
    pub success: bool,
    /// What happened.
    pub message: String,
}

impl Outcome {
    /// A successful outcome.
    pub fn done(message: impl Into<String>) -> Self {
        Self { success: true, message: message.into() }
    }
}

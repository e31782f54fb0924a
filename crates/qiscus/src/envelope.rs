//! Qiscus' answers: `{"results": {...}, "status": 200}` on success and
//! `{"status": <code>, "error": {"message": "..."}}` with the same HTTP status on failure
//! (notes section 1.2). Clients read `error.message`; the web SDK also checks `status`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use palaver_domain::Error;
use serde::Serialize;

/// An error answer: an HTTP status (repeated in the body) and a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status, also the body's `status`.
    pub status: u16,
    /// What went wrong, in words a developer can act on.
    pub message: String,
}

impl ApiError {
    /// An error with any status.
    pub fn new(status: u16, message: impl Into<String>) -> Self {
        Self { status, message: message.into() }
    }

    /// 400: a parameter is missing or wrong; the message names it.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, message)
    }

    /// 401: the app credentials are missing or wrong.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(401, message)
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        match e {
            Error::NotFound(entity) => Self::new(404, format!("{entity} is not found")),
            Error::Invalid { message, .. } => Self::bad_request(message),
            Error::Forbidden(m) => Self::new(403, m),
            Error::Unauthorized(_) => Self::unauthorized("Unauthorized"),
            Error::Internal(m) => {
                tracing::error!(error = %m, "internal error");
                Self::new(500, "Internal server error")
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = ErrorEnvelope { status: self.status, error: ErrorMessage { message: &self.message } };
        (status, Json(body)).into_response()
    }
}

#[derive(Serialize)]
struct ErrorMessage<'a> {
    message: &'a str,
}

#[derive(Serialize)]
struct ErrorEnvelope<'a> {
    status: u16,
    error: ErrorMessage<'a>,
}

#[derive(Serialize)]
struct Envelope<T> {
    results: T,
    status: u16,
}

/// A success answer carrying `results`.
pub struct Reply<T>(pub T);

impl<T: Serialize> IntoResponse for Reply<T> {
    fn into_response(self) -> Response {
        Json(Envelope { results: self.0, status: 200 }).into_response()
    }
}

/// What every handler returns.
pub type ApiResult<T> = Result<Reply<T>, ApiError>;

//! Qiscus' answers: `{"results": {...}, "status": 200}` on success and
//! `{"status": <code>, "error": {"message": "..."}}` with the same HTTP status on failure
//! (notes section 1.2). Clients read `error.message`; the web SDK also checks `status`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use palaver_domain::{Error, Field, Invalid, Refusal};
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
            Error::Invalid { field, why } => Self::bad_request(invalid_message(field, why)),
            Error::Forbidden(d) => Self::new(403, d.to_string()),
            Error::Unauthorized(_) => Self::unauthorized("Unauthorized"),
            Error::Unavailable => Self::refusal(Refusal::Overloaded),
            Error::RateLimited { retry_after_secs } => Self::refusal(Refusal::RateLimited { retry_after_secs }),
            Error::Internal(m) => {
                let id = palaver_domain::error::incident_id();
                tracing::error!(error = %m, incident = %id, "internal error");
                Self::new(500, format!("Internal server error (incident {id})"))
            }
        }
    }
}

impl ApiError {
    /// The answer for a request the server turned away before a handler saw it.
    pub fn refusal(r: Refusal) -> Self {
        match r {
            Refusal::NotFound => Self::new(404, "Path not found"),
            Refusal::BodyTooLarge { max_bytes } => {
                Self::new(413, format!("Request body is larger than {max_bytes} bytes"))
            }
            Refusal::BodyTimeout => Self::new(408, "The request body did not arrive in time"),
            Refusal::Overloaded => Self::new(503, "The server is busy; retry shortly"),
            Refusal::RateLimited { retry_after_secs } => {
                Self::new(429, format!("Too many requests; retry in {retry_after_secs} s"))
            }
        }
    }
}

/// The parameter that carries a field in this face's requests.
fn param_name(field: Field) -> &'static str {
    match field {
        Field::AppName => "name",
        Field::User => "user_id",
        Field::Users => "user_ids",
        Field::DisplayName => "username",
        Field::Room => "room_id",
        Field::RoomType => "room_type",
        Field::RoomName => "room_name",
        Field::RoomExternalId => "room_channel_id",
        Field::LocalId => "unique_temp_id",
        Field::MessageType => "type",
        Field::File => "file",
        Field::Email => "email",
        Field::Phone => "phone",
        Field::Username => "username",
        Field::PhotoThumb | Field::PhotoFull => "avatar_url",
        Field::RoleCode => "role_code",
        Field::Bio => "bio",
        Field::DeviceToken => "device_token",
        Field::DevicePlatform => "device_platform",
        Field::WebhookUrl => "url",
        Field::WebhookSecret => "secret",
        Field::WebhookEvents => "events",
        Field::ReportCategory => "category",
        Field::ReportReason => "reason",
        Field::Extras => "extras",
        Field::RoomOptions => "room_options",
        Field::Tags => "tags",
        Field::Roles => "roles",
    }
}

/// Qiscus' wording of an invalid value.
fn invalid_message(field: Field, why: Invalid) -> String {
    let name = param_name(field);
    match why {
        Invalid::Length { min, max } => format!("Param '{name}' must be {min} to {max} characters"),
        Invalid::TooLong { max_chars } => format!("Param '{name}' is longer than {max_chars} characters"),
        Invalid::TooMany { max } if field == Field::Users => format!("A room has at most {max} participants"),
        Invalid::TooMany { max } => format!("Param '{name}' lists more than {max} items"),
        Invalid::TooLarge { max_bytes } => format!("Param '{name}' is larger than {max_bytes} bytes"),
        Invalid::Missing if field == Field::DisplayName => format!("Param '{name}' is required to register a user"),
        Invalid::Missing => format!("Param '{name}' is required"),
        Invalid::Taken => format!("Param '{name}' is already used by another room"),
        Invalid::Concurrent => "The room was created concurrently; retry".into(),
        Invalid::TypeMismatch => format!("Param '{name}' does not match the existing room's type"),
        Invalid::NotGroup => "The room is not a group room".into(),
        Invalid::SameUser => format!("Param '{name}' must name two different users"),
        Invalid::NotEditable => "This comment cannot be edited".into(),
        Invalid::PersonalRoom => "A single room is created with get_or_create_room_with_target".into(),
        Invalid::Malformed => format!("Param '{name}' is not in the expected form"),
        Invalid::NotImage => format!("Param '{name}' is not an image"),
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

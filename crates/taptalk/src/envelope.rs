//! TapTalk's response envelope `{status, error{code, message, field}, data}`, always sent
//! with HTTP 200 because the SDKs read the real status from the body (notes section 2.3).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use palaver_domain::error::AuthError;
use palaver_domain::{Entity, Error, Field, Invalid, Refusal};
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

    /// Maps a core error; `params` names this endpoint's parameters (see [`ParamNames`]).
    pub fn from_core(e: Error, params: ParamNames) -> Self {
        match e {
            Error::NotFound(entity) => Self::not_found(entity),
            Error::Invalid { field, why } => {
                let (name, id) = params
                    .iter()
                    .find(|(f, _, _)| *f == field)
                    .map_or((default_name(field), default_name(field)), |(_, name, id)| (*name, *id));
                Self::param(invalid_message(field, why, name), id)
            }
            Error::Forbidden(d) => Self::new(403, "40301", d.to_string(), ""),
            Error::Unauthorized(a) => Self::auth(a),
            Error::Unavailable => Self::refusal(Refusal::Overloaded),
            Error::RateLimited { retry_after_secs } => Self::refusal(Refusal::RateLimited { retry_after_secs }),
            Error::Internal(m) => {
                let id = palaver_domain::error::incident_id();
                tracing::error!(error = %m, incident = %id, "internal error");
                Self::new(500, "99999", format!("Internal server error (incident {id})"), "")
            }
        }
    }

    /// The answer for a request the server turned away before a handler saw it.
    pub fn refusal(r: Refusal) -> Self {
        match r {
            Refusal::NotFound => Self::new(404, "40400", "Path not found", ""),
            Refusal::BodyTooLarge { max_bytes } => {
                Self::new(413, "41300", format!("Request body is larger than {max_bytes} bytes"), "")
            }
            Refusal::BodyTimeout => Self::new(408, "40800", "The request body did not arrive in time", ""),
            Refusal::Overloaded => Self::new(503, "50300", "The server is busy; retry shortly", ""),
            Refusal::RateLimited { retry_after_secs } => {
                Self::new(429, "42900", format!("Too many requests; retry in {retry_after_secs} s"), "")
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

/// An endpoint's parameters as errors name them: the domain field each carries, the
/// parameter's name and its field id (the Server API numbers them; the client API uses the
/// name).
pub type ParamNames = &'static [(Field, &'static str, &'static str)];

/// The usual name of the parameter carrying a field.
fn default_name(field: Field) -> &'static str {
    match field {
        Field::AppName | Field::RoomName => "name",
        Field::User => "userID",
        Field::Users => "userIDs",
        Field::DisplayName => "fullName",
        Field::Room => "roomID",
        Field::RoomType | Field::MessageType => "type",
        Field::RoomExternalId => "xcRoomID",
        Field::LocalId => "localID",
        Field::File => "file",
        Field::Email => "email",
        Field::Phone => "phone",
        Field::Username => "username",
        Field::PhotoThumb => "photoThumbnailURL",
        Field::PhotoFull => "photoFullsizeURL",
        Field::RoleCode => "userRoleCode",
        Field::Bio => "bio",
        Field::DeviceToken => "deviceToken",
        Field::DevicePlatform => "devicePlatform",
        Field::WebhookUrl => "url",
        Field::WebhookSecret => "secret",
        Field::WebhookEvents => "events",
        Field::ReportCategory => "category",
        Field::ReportReason => "reason",
        Field::Extras => "extras",
        Field::RoomOptions => "options",
        Field::Tags => "tags",
        Field::Roles => "participantUserRoles",
    }
}

/// TapTalk's wording of an invalid value.
fn invalid_message(field: Field, why: Invalid, name: &str) -> String {
    match why {
        Invalid::Length { min, max } => format!("Param '{name}' length must be between {min} and {max}"),
        Invalid::TooLong { max_chars } => format!("Param '{name}' is longer than {max_chars} characters"),
        Invalid::TooMany { max } if field == Field::Users => format!("A room has at most {max} participants"),
        Invalid::TooMany { max } => format!("Param '{name}' has more than {max} items"),
        Invalid::TooLarge { max_bytes } => format!("The {name} is larger than {max_bytes} bytes"),
        Invalid::Missing => format!("Param '{name}' is required"),
        Invalid::Taken => format!("Param '{name}' is already used"),
        Invalid::Concurrent => "The room was created concurrently; retry".into(),
        Invalid::TypeMismatch => "Room type does not match the existing room's type".into(),
        Invalid::NotGroup => "The room is not a group room".into(),
        Invalid::SameUser => format!("Param '{name}' must name another user"),
        Invalid::NotEditable => "Only text, image and video messages can be edited".into(),
        Invalid::PersonalRoom => "Personal rooms are created by sending a message".into(),
        Invalid::Malformed => format!("Param '{name}' is not in the expected form"),
        Invalid::NotImage => "The file is not an image".into(),
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

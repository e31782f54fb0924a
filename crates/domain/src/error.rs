//! The one error type of the core. Faces map it to their own envelopes.

use std::fmt;

/// Kinds of things that can be missing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entity {
    /// An app.
    App,
    /// A user.
    User,
    /// A room.
    Room,
    /// A message.
    Message,
    /// A file.
    File,
}

impl fmt::Display for Entity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Entity::App => "App",
            Entity::User => "User",
            Entity::Room => "Room",
            Entity::Message => "Message",
            Entity::File => "File",
        })
    }
}

/// Why an operation failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// A referenced thing does not exist (or is deleted).
    NotFound(Entity),
    /// A parameter is wrong; `param` names it in the caller's terms.
    Invalid {
        /// The offending parameter.
        param: &'static str,
        /// A sentence explaining the rule that was broken.
        message: String,
    },
    /// The caller may not do this.
    Forbidden(String),
    /// Credentials are missing, malformed, unknown or expired.
    Unauthorized(AuthError),
    /// Something failed on the server side; details are logged, not shown.
    Internal(String),
}

/// Authentication failures, fine-grained because clients react to each differently.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthError {
    /// No token given.
    Missing,
    /// Token text is malformed.
    Malformed,
    /// Token unknown or revoked.
    Invalid,
    /// Token expired.
    Expired,
    /// Token belongs to another app.
    WrongApp,
    /// The token's user no longer exists.
    UserGone,
}

impl Error {
    /// Shorthand for a parameter error.
    pub fn invalid(param: &'static str, message: impl Into<String>) -> Self {
        Error::Invalid { param, message: message.into() }
    }

    /// Shorthand for a server-side failure.
    pub fn internal(e: impl fmt::Display) -> Self {
        Error::Internal(e.to_string())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::NotFound(e) => write!(f, "{e} is not found"),
            Error::Invalid { message, .. } => f.write_str(message),
            Error::Forbidden(m) => f.write_str(m),
            Error::Unauthorized(a) => write!(f, "unauthorized: {a:?}"),
            Error::Internal(m) => write!(f, "internal error: {m}"),
        }
    }
}

impl std::error::Error for Error {}

//! The one error type of the core. Faces map it to their own envelopes, wording and status:
//! what is wrong is said here in the domain's terms ([`Field`], [`Invalid`], [`Denied`]), and
//! each face names the parameter the way its dialect does.

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
    /// A user's profile photo.
    Photo,
}

impl fmt::Display for Entity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Entity::App => "App",
            Entity::User => "User",
            Entity::Room => "Room",
            Entity::Message => "Message",
            Entity::File => "File",
            Entity::Photo => "Photo",
        })
    }
}

/// The part of a request an [`Error::Invalid`] is about, in the domain's terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    /// An app's name.
    AppName,
    /// A user, named by its external id.
    User,
    /// A list of users (participants, targets of an action).
    Users,
    /// A user's display name.
    DisplayName,
    /// A room reference.
    Room,
    /// A room's type.
    RoomType,
    /// A room's name.
    RoomName,
    /// A room's external (unique) id.
    RoomExternalId,
    /// A message's client id.
    LocalId,
    /// A message's type.
    MessageType,
    /// An uploaded file.
    File,
    /// A user's email address.
    Email,
    /// A user's phone number.
    Phone,
    /// A user's handle.
    Username,
    /// A thumbnail photo URL (of a user or a room).
    PhotoThumb,
    /// A full-size photo URL (of a user or a room).
    PhotoFull,
    /// A user's role code.
    RoleCode,
    /// A user's bio.
    Bio,
    /// A user's extras (JSON text).
    Extras,
    /// A room's options (JSON text).
    RoomOptions,
    /// A room's tags.
    Tags,
    /// The role codes whose users count as a room's participants.
    Roles,
    /// A device's push notification token.
    DeviceToken,
    /// The platform of a device's push token.
    DevicePlatform,
    /// A webhook endpoint's URL.
    WebhookUrl,
    /// A webhook endpoint's signing secret.
    WebhookSecret,
    /// The event names a webhook endpoint asks for.
    WebhookEvents,
    /// A report's category.
    ReportCategory,
    /// A report's reason.
    ReportReason,
}

/// Why a value is not acceptable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Invalid {
    /// Its length in characters is outside `min..=max`.
    Length {
        /// Fewest characters.
        min: usize,
        /// Most characters.
        max: usize,
    },
    /// It is longer than allowed.
    TooLong {
        /// Most characters.
        max_chars: usize,
    },
    /// It lists more items than allowed.
    TooMany {
        /// Most items.
        max: usize,
    },
    /// It is larger than allowed.
    TooLarge {
        /// Most bytes.
        max_bytes: u64,
    },
    /// It is required here and missing.
    Missing,
    /// It is already used by something else.
    Taken,
    /// It was created by a concurrent request a moment ago; the caller may retry.
    Concurrent,
    /// A room's type differs from the existing room's.
    TypeMismatch,
    /// The room is a personal room where a group is needed.
    NotGroup,
    /// The same user appears where two different users are needed.
    SameUser,
    /// Messages of this type cannot be edited.
    NotEditable,
    /// Personal rooms come into being with their first message, not by request.
    PersonalRoom,
    /// It is not in the form this value takes.
    Malformed,
    /// An uploaded file is not an image where one is needed.
    NotImage,
}

/// Why the caller may not do something.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Denied {
    /// The caller is not a participant of the room.
    NotParticipant,
    /// The sender named by a backend is not a participant of the room.
    SenderNotParticipant,
    /// One of the two users of a personal room blocked the other.
    Blocked,
    /// The room is locked.
    Locked,
    /// Only an admin of the room may do this.
    NotAdmin,
    /// A personal room has no admins.
    PersonalRoomAdmins,
    /// A personal room cannot be left.
    PersonalRoomLeave,
    /// Only a message's sender may edit it.
    EditOthers,
    /// Only a message's sender may delete it for everyone.
    DeleteOthers,
    /// The app is disabled (or deleted) by its operator.
    AppDisabled,
}

impl fmt::Display for Denied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Denied::NotParticipant => "You are not a participant of this room",
            Denied::SenderNotParticipant => "The sender is not a participant of the room",
            Denied::Blocked => "Messages between these users are blocked",
            Denied::Locked => "The room is locked",
            Denied::NotAdmin => "Only an admin of the room can do this",
            Denied::PersonalRoomAdmins => "A personal room has no admins",
            Denied::PersonalRoomLeave => "A personal room cannot be left",
            Denied::EditOthers => "Only the sender can edit a message",
            Denied::DeleteOthers => "Only the sender can delete a message for everyone",
            Denied::AppDisabled => "This app is disabled",
        })
    }
}

/// Why an operation failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// A referenced thing does not exist (or is deleted).
    NotFound(Entity),
    /// A value in the request is wrong.
    Invalid {
        /// What is wrong.
        field: Field,
        /// Why.
        why: Invalid,
    },
    /// The caller may not do this.
    Forbidden(Denied),
    /// Credentials are missing, malformed, unknown or expired.
    Unauthorized(AuthError),
    /// The server is too busy to take the request now; the caller may retry later.
    Unavailable,
    /// The caller went over one of its rate limits; it may retry after the given time.
    RateLimited {
        /// Seconds until the caller's next request of this kind is accepted.
        retry_after_secs: u32,
    },
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
    /// Shorthand for an invalid value.
    pub fn invalid(field: Field, why: Invalid) -> Self {
        Error::Invalid { field, why }
    }

    /// Shorthand for a server-side failure.
    pub fn internal(e: impl fmt::Display) -> Self {
        Error::Internal(e.to_string())
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Invalid::Length { min, max } => write!(f, "must be {min} to {max} characters"),
            Invalid::TooLong { max_chars } => write!(f, "is longer than {max_chars} characters"),
            Invalid::TooMany { max } => write!(f, "has more than {max} items"),
            Invalid::TooLarge { max_bytes } => write!(f, "is larger than {max_bytes} bytes"),
            Invalid::Missing => f.write_str("is required"),
            Invalid::Taken => f.write_str("is already used"),
            Invalid::Concurrent => f.write_str("was created concurrently; retry"),
            Invalid::TypeMismatch => f.write_str("does not match the existing room's type"),
            Invalid::NotGroup => f.write_str("is not a group room"),
            Invalid::SameUser => f.write_str("must name two different users"),
            Invalid::NotEditable => f.write_str("cannot be edited"),
            Invalid::PersonalRoom => f.write_str("cannot be a personal room"),
            Invalid::Malformed => f.write_str("is not in the expected form"),
            Invalid::NotImage => f.write_str("is not an image"),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::NotFound(e) => write!(f, "{e} is not found"),
            Error::Invalid { field, why } => write!(f, "{field:?} {why}"),
            Error::Forbidden(d) => d.fmt(f),
            Error::Unauthorized(a) => write!(f, "unauthorized: {a:?}"),
            Error::Unavailable => f.write_str("the server is busy; retry later"),
            Error::RateLimited { retry_after_secs } => write!(f, "too many requests; retry in {retry_after_secs} s"),
            Error::Internal(m) => write!(f, "internal error: {m}"),
        }
    }
}

impl std::error::Error for Error {}

/// Why the server turned a request away before any face handled it; each face words the
/// answer in its own envelope.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// No route has this path.
    NotFound,
    /// The body is larger than the server accepts.
    BodyTooLarge {
        /// Most bytes.
        max_bytes: u64,
    },
    /// The body did not arrive within the body timeout.
    BodyTimeout,
    /// The server has no room for another connection or request now.
    Overloaded,
    /// The caller went over a rate limit.
    RateLimited {
        /// Seconds until the caller may retry.
        retry_after_secs: u32,
    },
}

/// A short id for one internal failure: logged with the failure's details and shown to the
/// caller, so a report can be matched to the log without the answer revealing anything.
pub fn incident_id() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("{:x}{:04x}", crate::time::now_ms() & 0xff_ffff_ffff, n & 0xffff)
}

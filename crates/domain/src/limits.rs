//! Limits shared by every face, taken from the platforms' documentation.

/// Longest external id of a user or room, in characters.
pub const MAX_EXTERNAL_ID_CHARS: usize = 50;
/// Longest message body; longer bodies a backend sends are split into several messages.
pub const MAX_BODY_CHARS: usize = 4000;
/// Longest message data payload per message; longer payloads are split like bodies.
pub const MAX_DATA_CHARS: usize = 4000;
/// Most participants a group room may have.
pub const MAX_GROUP_PARTICIPANTS: usize = 100;
/// Most participants a channel may have.
pub const MAX_CHANNEL_PARTICIPANTS: usize = 5000;
/// Largest accepted HTTP request body, in bytes.
pub const MAX_REQUEST_BYTES: usize = 1024 * 1024;
/// Lifetime of an auth ticket a backend obtains for a client, in milliseconds.
pub const AUTH_TICKET_TTL_MS: i64 = 60 * 60 * 1000;

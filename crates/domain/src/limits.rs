//! Limits shared by every face: the platforms' own where their documentation gives them, else
//! sane ones of Palaver's (documented in ARCHITECTURE.md). Every text that is stored and then
//! repeated in events has one, so no request can make every later event of a user or room huge.

use crate::{Error, Field, Invalid};

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
/// Longest display name of a user and name of a room, in characters.
pub const MAX_NAME_CHARS: usize = 100;
/// Longest user handle, in characters.
pub const MAX_USERNAME_CHARS: usize = 64;
/// Longest email address (RFC 5321's path limit), in characters.
pub const MAX_EMAIL_CHARS: usize = 254;
/// Longest phone number, in characters.
pub const MAX_PHONE_CHARS: usize = 32;
/// Longest photo URL, in characters.
pub const MAX_URL_CHARS: usize = 2048;
/// Longest role code and room tag, in characters.
pub const MAX_CODE_CHARS: usize = 64;
/// Longest user bio, in characters.
pub const MAX_BIO_CHARS: usize = 1000;
/// Longest user extras and room options (JSON text), in characters.
pub const MAX_JSON_CHARS: usize = 16 * 1024;
/// Most tags, and most participant role codes, of a room.
pub const MAX_CODES: usize = 100;
/// Largest user or room photo, in bytes (TapTalk's `userPhotoMaxFileSize` and
/// `roomPhotoMaxFileSize`); the server's file size limit applies too.
pub const MAX_PHOTO_BYTES: u64 = 10 * 1024 * 1024;
/// Most profile photos one user keeps.
pub const MAX_USER_PHOTOS: usize = 100;
/// Longest report category, in characters.
pub const MAX_REPORT_CATEGORY_CHARS: usize = 100;
/// Longest report reason, in characters.
pub const MAX_REPORT_REASON_CHARS: usize = 2000;
/// Most items of any list parameter (as many as a channel has participants).
pub const MAX_LIST_ITEMS: usize = MAX_CHANNEL_PARTICIPANTS;

/// Checks that a text is at most `max_chars` characters long.
pub fn check_chars(field: Field, text: &str, max_chars: usize) -> Result<(), Error> {
    if text.len() <= max_chars || text.chars().count() <= max_chars {
        return Ok(());
    }
    Err(Error::invalid(field, Invalid::TooLong { max_chars }))
}

/// Checks an optional text the way [`check_chars`] does.
pub fn check_opt_chars(field: Field, text: Option<&str>, max_chars: usize) -> Result<(), Error> {
    text.map_or(Ok(()), |t| check_chars(field, t, max_chars))
}

/// Checks a list of codes (tags, role codes): how many, and each one's length.
pub fn check_codes(field: Field, codes: &[String]) -> Result<(), Error> {
    if codes.len() > MAX_CODES {
        return Err(Error::invalid(field, Invalid::TooMany { max: MAX_CODES }));
    }
    codes.iter().try_for_each(|c| check_chars(field, c, MAX_CODE_CHARS))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_count_characters_not_bytes() {
        assert!(check_chars(Field::RoomName, &"é".repeat(MAX_NAME_CHARS), MAX_NAME_CHARS).is_ok());
        let too_long = check_chars(Field::RoomName, &"a".repeat(MAX_NAME_CHARS + 1), MAX_NAME_CHARS);
        assert_eq!(too_long, Err(Error::invalid(Field::RoomName, Invalid::TooLong { max_chars: MAX_NAME_CHARS })));
        let many = vec!["t".to_string(); MAX_CODES + 1];
        assert_eq!(
            check_codes(Field::Tags, &many),
            Err(Error::invalid(Field::Tags, Invalid::TooMany { max: MAX_CODES }))
        );
    }
}

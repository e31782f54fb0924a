//! Validation of Qiscus parameters (notes section 8); every failure is a 400 naming the
//! parameter.

use crate::envelope::ApiError;
use crate::params::Params;
use palaver_domain::limits::{MAX_EXTERNAL_ID_CHARS, MAX_GROUP_PARTICIPANTS};
use palaver_domain::{ExternalId, RoomRef, UserRef};

/// Most user ids one request may list (participants, targets of (de)activation).
pub const MAX_USERS_PER_CALL: usize = MAX_GROUP_PARTICIPANTS;
/// Most rooms one request may ask about.
pub const MAX_ROOMS_PER_CALL: usize = 100;

/// Reads a text as an external id: the one rule for the ids of users and rooms.
pub fn external_id(value: String, name: &str) -> Result<ExternalId, ApiError> {
    ExternalId::parse(value)
        .map_err(|_| ApiError::bad_request(format!("Param '{name}' must be 1 to {MAX_EXTERNAL_ID_CHARS} characters")))
}

fn id_length(value: &str, name: &str) -> Result<(), ApiError> {
    external_id(value.to_string(), name).map(drop)
}

/// A user id for a new user: letters, digits and `. - _ @` only (Qiscus' rule).
pub fn new_user_id(p: &Params, name: &str) -> Result<ExternalId, ApiError> {
    let id = external_id(p.req_str(name)?, name)?;
    if !id.as_str().chars().all(|c| c.is_ascii_alphanumeric() || ".-_@".contains(c)) {
        return Err(ApiError::bad_request(format!("Param '{name}' may contain only letters, digits and . - _ @")));
    }
    Ok(id)
}

/// A user id naming an existing user. Only the external-id rule is checked: users created
/// through the TapTalk API may use other characters.
pub fn user_ref(p: &Params, name: &str) -> Result<UserRef, ApiError> {
    Ok(UserRef::External(external_id(p.req_str(name)?, name)?))
}

/// A non-empty list of user ids naming existing users, at most [`MAX_USERS_PER_CALL`].
pub fn user_refs(p: &Params, name: &str) -> Result<Vec<UserRef>, ApiError> {
    let ids = p.req_list(name)?;
    if ids.len() > MAX_USERS_PER_CALL {
        return Err(ApiError::bad_request(format!("Param '{name}' lists more than {MAX_USERS_PER_CALL} users")));
    }
    ids.into_iter().map(|id| external_id(id, name).map(UserRef::External)).collect()
}

/// A room id: a numeric id when a room of that number exists, else a unique id.
pub fn room_ref(p: &Params, name: &str) -> Result<RoomRef, ApiError> {
    let id = p.req_str(name)?;
    id_length(&id, name)?;
    Ok(RoomRef::IdOrExternal(id))
}

/// A list of room ids or unique ids that may be absent, at most [`MAX_ROOMS_PER_CALL`].
pub fn room_ids(p: &Params, name: &str) -> Result<Vec<String>, ApiError> {
    let ids = p.opt_list(name)?.unwrap_or_default();
    if ids.len() > MAX_ROOMS_PER_CALL {
        return Err(ApiError::bad_request(format!("Param '{name}' lists more than {MAX_ROOMS_PER_CALL} rooms")));
    }
    for id in &ids {
        id_length(id, name)?;
    }
    Ok(ids)
}

/// The rooms `room_ids` (ids, or unique ids) and `room_channel_ids` (unique ids) name; at
/// least one is required.
pub fn rooms_named(p: &Params) -> Result<Vec<RoomRef>, ApiError> {
    let by_id = room_ids(p, "room_ids")?;
    let by_channel = room_ids(p, "room_channel_ids")?;
    if by_id.is_empty() && by_channel.is_empty() {
        return Err(ApiError::bad_request("Param 'room_ids' or 'room_channel_ids' is required"));
    }
    let mut refs: Vec<RoomRef> = by_id.into_iter().map(RoomRef::IdOrExternal).collect();
    for id in by_channel {
        refs.push(RoomRef::External(external_id(id, "room_channel_ids")?));
    }
    Ok(refs)
}

/// A channel unique id: it becomes part of MQTT topic names, so no `#`, `+`, `/` or spaces.
pub fn unique_id(value: String, name: &str) -> Result<ExternalId, ApiError> {
    let id = external_id(value, name)?;
    if id.as_str().chars().any(|c| matches!(c, '#' | '+' | '/') || c.is_whitespace()) {
        return Err(ApiError::bad_request(format!("Param '{name}' cannot contain '#', '+', '/' or spaces")));
    }
    Ok(id)
}

/// Checks a text's length in characters.
pub fn max_chars(value: &str, name: &str, max: usize) -> Result<(), ApiError> {
    if value.chars().count() > max {
        return Err(ApiError::bad_request(format!("Param '{name}' is longer than {max} characters")));
    }
    Ok(())
}

/// A page request: `page` counts from 1, `limit` is capped at `max` (Qiscus coerces larger
/// limits instead of refusing them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Paging {
    /// Page number, from 1.
    pub page: i64,
    /// Rows per page.
    pub limit: i64,
}

impl Paging {
    /// Reads `page` and `limit`.
    pub fn read(p: &Params, default_limit: i64, max: i64) -> Result<Self, ApiError> {
        let page = p.opt_int("page")?.unwrap_or(1);
        if page < 1 {
            return Err(ApiError::bad_request("Param 'page' must be 1 or more"));
        }
        let limit = p.opt_int("limit")?.unwrap_or(default_limit);
        if limit < 1 {
            return Err(ApiError::bad_request("Param 'limit' must be 1 or more"));
        }
        Ok(Self { page, limit: limit.min(max) })
    }

    /// Rows to skip.
    pub fn offset(&self) -> i64 {
        (self.page - 1).saturating_mul(self.limit)
    }
}

/// Days from 1970-01-01 to a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// An optional UTC time in Qiscus' form `YYYY-MM-DD hh:mm:ss` (or a bare date, midnight), as
/// Unix ms.
pub fn opt_time(p: &Params, name: &str) -> Result<Option<i64>, ApiError> {
    let Some(text) = p.opt_nonempty(name)? else { return Ok(None) };
    let bad = || ApiError::bad_request(format!("Param '{name}' must be a time as YYYY-MM-DD hh:mm:ss"));
    let (date, time) = text.trim().split_once([' ', 'T']).unwrap_or((text.trim(), "00:00:00"));
    let num = |s: &str| s.parse::<i64>().map_err(|_| bad());
    let d: Vec<&str> = date.split('-').collect();
    let t: Vec<&str> = time.trim_end_matches('Z').split(':').collect();
    let ([y, mo, day], [h, mi, s]) = (d.as_slice(), t.as_slice()) else { return Err(bad()) };
    let (y, mo, day, h, mi, s) = (num(y)?, num(mo)?, num(day)?, num(h)?, num(mi)?, num(s)?);
    if !(1..=12).contains(&mo)
        || !(1..=31).contains(&day)
        || !(0..24).contains(&h)
        || !(0..60).contains(&mi)
        || !(0..61).contains(&s)
    {
        return Err(bad());
    }
    Ok(Some((days_from_civil(y, mo, day) * 86_400 + h * 3600 + mi * 60 + s) * 1000))
}

#[cfg(test)]
mod time_tests {
    use super::*;

    #[test]
    fn qiscus_times_read_as_utc_milliseconds() {
        let p = |v: &str| Params(serde_json::json!({ "t": v }).as_object().unwrap().clone());
        assert_eq!(opt_time(&p("2018-03-12 08:11:31"), "t").unwrap(), Some(1_520_842_291_000));
        assert_eq!(opt_time(&p("2000-02-29"), "t").unwrap(), Some(951_782_400_000));
        assert_eq!(opt_time(&p("1970-01-01 00:00:00"), "t").unwrap(), Some(0));
        for bad in ["yesterday", "2018-13-01 00:00:00", "2018-03-12 25:00:00", "2018-03"] {
            assert!(opt_time(&p(bad), "t").is_err(), "{bad}");
        }
        assert_eq!(opt_time(&Params::default(), "t").unwrap(), None);
    }
}

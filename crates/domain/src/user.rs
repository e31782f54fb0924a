//! Users: one per external id (`xcUserID` / Qiscus `user_id`) within an app.

use crate::ids::{AppId, UserId};
use serde::{Deserialize, Serialize};

/// A chat user as stored; both faces render it in their own shape.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct User {
    /// Internal numeric id.
    pub id: UserId,
    /// The app the user belongs to.
    pub app: AppId,
    /// The customer's own id for the user (TapTalk `xcUserID`, Qiscus `user_id`).
    pub xc_user_id: String,
    /// Display name.
    pub fullname: String,
    /// Email address, empty when unknown.
    pub email: String,
    /// Phone number as given, starting with the country calling code.
    pub phone: String,
    /// Country id (TapTalk `countryID`), 0 when unknown.
    pub country_id: i64,
    /// Country calling code, empty when unknown.
    pub country_calling_code: String,
    /// Unique-ish handle; empty when unset.
    pub username: String,
    /// Thumbnail photo URL.
    pub photo_thumb: String,
    /// Full-size photo URL.
    pub photo_full: String,
    /// Role code, e.g. `agent:1`; rooms may count every user of a role as a participant.
    pub role_code: String,
    /// Free-text bio.
    pub bio: String,
    /// Qiscus `extras`: a JSON object kept as text.
    pub extras: String,
    /// False once deactivated through the Qiscus API.
    pub is_active: bool,
    /// Last login (ticket or login redeemed), Unix ms.
    pub last_login: i64,
    /// Last activity seen, Unix ms.
    pub last_activity: i64,
    /// Creation time, Unix ms.
    pub created: i64,
    /// Last profile change, Unix ms.
    pub updated: i64,
    /// Deletion time, Unix ms; 0 while the user exists.
    pub deleted: i64,
}

impl User {
    /// Whether the user was deleted and must be treated as absent for new activity.
    pub fn is_deleted(&self) -> bool {
        self.deleted > 0
    }
}

/// Profile fields to set on a user; `None` leaves the stored value unchanged.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct UserProfile {
    /// Display name.
    pub fullname: Option<String>,
    /// Email address.
    pub email: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
    /// Handle.
    pub username: Option<String>,
    /// Thumbnail photo URL.
    pub photo_thumb: Option<String>,
    /// Full-size photo URL.
    pub photo_full: Option<String>,
    /// Role code.
    pub role_code: Option<String>,
    /// Bio.
    pub bio: Option<String>,
    /// Qiscus extras (a JSON object as text).
    pub extras: Option<String>,
}

/// True when `id` is a valid external user id: 1..=50 characters without control characters.
pub fn valid_external_id(id: &str) -> bool {
    let n = id.chars().count();
    (1..=crate::limits::MAX_EXTERNAL_ID_CHARS).contains(&n) && !id.chars().any(char::is_control)
}

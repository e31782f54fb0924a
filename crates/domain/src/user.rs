//! Users: one per external id within an app.

use crate::external_id::ExternalId;
use crate::ids::{AppId, UserId};
use crate::{Error, Field};
use serde::{Deserialize, Serialize};

/// A chat user as stored; every face renders it in its own shape.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct User {
    /// Internal numeric id.
    pub id: UserId,
    /// The app the user belongs to.
    pub app: AppId,
    /// The customer's own id for the user.
    pub external_id: String,
    /// Display name.
    pub fullname: String,
    /// Email address, empty when unknown.
    pub email: String,
    /// Phone number as given, starting with the country calling code.
    pub phone: String,
    /// Country id, 0 when unknown.
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
    /// Extra attributes the customer keeps with the user: a JSON object as text.
    pub extras: String,
    /// False once deactivated.
    pub is_active: bool,
    /// Last login (ticket redeemed), Unix ms.
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
    /// Extras (a JSON object as text).
    pub extras: Option<String>,
}

impl UserProfile {
    /// Checks every given field against its limit, before anything is stored.
    pub fn check(&self) -> Result<(), Error> {
        use crate::limits::*;
        let fields = [
            (Field::DisplayName, &self.fullname, MAX_NAME_CHARS),
            (Field::Email, &self.email, MAX_EMAIL_CHARS),
            (Field::Phone, &self.phone, MAX_PHONE_CHARS),
            (Field::Username, &self.username, MAX_USERNAME_CHARS),
            (Field::PhotoThumb, &self.photo_thumb, MAX_URL_CHARS),
            (Field::PhotoFull, &self.photo_full, MAX_URL_CHARS),
            (Field::RoleCode, &self.role_code, MAX_CODE_CHARS),
            (Field::Bio, &self.bio, MAX_BIO_CHARS),
            (Field::Extras, &self.extras, MAX_JSON_CHARS),
        ];
        fields.into_iter().try_for_each(|(field, text, max)| check_opt_chars(field, text.as_deref(), max))
    }
}

/// How a request names a user.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum UserRef {
    /// By internal id.
    Id(UserId),
    /// By the customer's external id.
    External(ExternalId),
}

/// Sorting of a user list.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum UserOrder {
    /// Newest first.
    #[default]
    CreatedDesc,
    /// Oldest first.
    CreatedAsc,
    /// By external id, A to Z.
    ExternalIdAsc,
    /// By external id, Z to A.
    ExternalIdDesc,
    /// By display name, A to Z.
    FullnameAsc,
    /// By display name, Z to A.
    FullnameDesc,
    /// Least recently changed first.
    UpdatedAsc,
    /// Most recently changed first.
    UpdatedDesc,
}

/// Which users a user list shows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserQuery {
    /// Rows to skip.
    pub offset: i64,
    /// Most rows.
    pub limit: i64,
    /// Order.
    pub order: UserOrder,
    /// Whether deactivated users are listed too.
    pub include_inactive: bool,
    /// A user left out of the list (a face's own system user).
    pub except: Option<ExternalId>,
    /// Only users whose name or external id contains this text (any case).
    pub containing: Option<String>,
}

/// A short reference to a user inside other records (system messages): enough to name the
/// user without loading it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserBrief {
    /// Internal id.
    pub id: UserId,
    /// External id.
    pub external_id: String,
    /// Display name when the record was written.
    pub name: String,
}

impl From<&User> for UserBrief {
    fn from(u: &User) -> Self {
        Self { id: u.id, external_id: u.external_id.clone(), name: u.fullname.clone() }
    }
}

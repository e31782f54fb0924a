//! The TapTalk user object.

use super::ImageUrl;
use palaver_domain::User;
use serde::Serialize;

/// `userRole`.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct UserRole {
    /// Role code.
    pub code: String,
    /// Role name.
    pub name: String,
    /// Role icon.
    #[serde(rename = "iconURL")]
    pub icon_url: String,
}

/// A user as every TapTalk SDK and the Server API expect it, all keys present.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct UserDto {
    /// Numeric id as a string.
    #[serde(rename = "userID")]
    pub user_id: String,
    /// The customer's id.
    #[serde(rename = "xcUserID")]
    pub xc_user_id: String,
    /// Name.
    pub fullname: String,
    /// Email.
    pub email: String,
    /// Whether the email was verified.
    pub is_email_verified: bool,
    /// Country id.
    #[serde(rename = "countryID")]
    pub country_id: i64,
    /// Country calling code.
    pub country_calling_code: String,
    /// Phone.
    pub phone: String,
    /// Phone with country code.
    pub phone_with_code: String,
    /// Whether the phone was verified.
    pub is_phone_verified: bool,
    /// Username.
    pub username: String,
    /// Photo URLs.
    #[serde(rename = "imageURL")]
    pub image_url: ImageUrl,
    /// Role.
    pub user_role: UserRole,
    /// Last login, Unix ms.
    pub last_login: i64,
    /// Last activity, Unix ms.
    pub last_activity: i64,
    /// Whether connected now.
    pub is_online: bool,
    /// Created, Unix ms.
    pub created: i64,
    /// Updated, Unix ms.
    pub updated: i64,
    /// Deleted, Unix ms (0 if not).
    pub deleted: i64,
    /// Bio.
    pub bio: String,
    /// Always false: Palaver has no passwords for TapTalk users.
    pub require_change_password: bool,
    /// Contacts in Palaver need no request: never pending.
    pub is_request_pending: bool,
    /// Whether the user is in the viewer's contacts.
    pub is_request_accepted: bool,
    /// Whether the user is in the viewer's contacts.
    pub is_contact: bool,
}

impl UserDto {
    /// Renders a user; `online` comes from the realtime hub, `contact` from the viewer's list.
    pub fn new(u: &User, online: bool, contact: bool) -> Self {
        let phone_with_code = if u.country_calling_code.is_empty() || u.phone.starts_with(&u.country_calling_code) {
            u.phone.clone()
        } else {
            format!("{}{}", u.country_calling_code, u.phone)
        };
        Self {
            user_id: u.id.0.to_string(),
            xc_user_id: u.external_id.clone(),
            fullname: u.fullname.clone(),
            email: u.email.clone(),
            is_email_verified: false,
            country_id: u.country_id,
            country_calling_code: u.country_calling_code.clone(),
            phone: u.phone.clone(),
            phone_with_code,
            is_phone_verified: false,
            username: u.username.clone(),
            image_url: ImageUrl::new(&u.photo_thumb, &u.photo_full),
            user_role: UserRole { code: u.role_code.clone(), name: String::new(), icon_url: String::new() },
            last_login: u.last_login,
            last_activity: u.last_activity,
            is_online: online,
            created: u.created,
            updated: u.updated,
            deleted: u.deleted,
            bio: u.bio.clone(),
            require_change_password: false,
            is_request_pending: false,
            is_request_accepted: contact,
            is_contact: contact,
        }
    }
}

//! The Qiscus user objects of the Server API.

use super::{iso_millis, object_or_empty};
use palaver_domain::User;
use serde::Serialize;
use serde_json::Value;

/// A user as `login_or_register`, `user_profile`, participant lists and comments show it.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct UserDto {
    /// The customer's id for the user.
    pub user_id: String,
    /// Display name.
    pub username: String,
    /// Avatar URL.
    pub avatar_url: String,
    /// Extras object.
    pub extras: Value,
    /// False once deactivated.
    pub active: bool,
}

impl UserDto {
    /// Renders a user.
    pub fn new(u: &User) -> Self {
        Self {
            user_id: u.external_id.clone(),
            username: u.fullname.clone(),
            avatar_url: u.photo_full.clone(),
            extras: object_or_empty(&u.extras),
            active: u.is_active,
        }
    }
}

/// A user as `get_user_list` shows it: `email` holds the user id (legacy naming) and `id`
/// is the numeric id shared with the other faces.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ListedUserDto {
    /// Numeric id.
    pub id: i64,
    /// The customer's id for the user.
    pub user_id: String,
    /// The customer's id again, under its legacy name.
    pub email: String,
    /// Display name.
    pub name: String,
    /// Display name again, under Qiscus' name for it.
    pub username: String,
    /// Avatar URL.
    pub avatar_url: String,
    /// Extras object.
    pub extras: Value,
    /// False once deactivated.
    pub active: bool,
    /// Creation time, ISO-8601 UTC with milliseconds.
    pub created_at: String,
    /// Last change, ISO-8601 UTC with milliseconds.
    pub updated_at: String,
}

impl ListedUserDto {
    /// Renders a user for the list.
    pub fn new(u: &User) -> Self {
        Self {
            id: u.id.0,
            user_id: u.external_id.clone(),
            email: u.external_id.clone(),
            name: u.fullname.clone(),
            username: u.fullname.clone(),
            avatar_url: u.photo_full.clone(),
            extras: object_or_empty(&u.extras),
            active: u.is_active,
            created_at: iso_millis(u.created),
            updated_at: iso_millis(u.updated),
        }
    }
}

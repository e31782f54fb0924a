//! What users keep on their profiles besides the profile fields (photos), and the reports
//! they make about other users and messages.

use crate::ids::{AppId, MessageId, RoomId, UserId};

/// A photo a user uploaded for its profile; the one whose URL the profile shows is its main
/// photo.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserPhoto {
    /// Numeric id, unique across apps.
    pub id: i64,
    /// App.
    pub app: AppId,
    /// Whose photo it is.
    pub user: UserId,
    /// The uploaded file holding its bytes.
    pub file_id: String,
    /// Full-size URL.
    pub full_url: String,
    /// Thumbnail URL.
    pub thumb_url: String,
    /// Upload time, Unix ms.
    pub created: i64,
}

/// What a report is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReportTarget {
    /// A user.
    User(UserId),
    /// A message (with its room and sender).
    Message {
        /// The message.
        message: MessageId,
        /// Its room.
        room: RoomId,
        /// Its sender.
        sender: UserId,
    },
}

/// A report a user made, as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// Numeric id.
    pub id: i64,
    /// App.
    pub app: AppId,
    /// Who reported.
    pub reporter: UserId,
    /// What about.
    pub target: ReportTarget,
    /// The category the reporter chose (or wrote, see `is_other_category`).
    pub category: String,
    /// Whether the category is the reporter's own words rather than one the app offers.
    pub is_other_category: bool,
    /// The reporter's explanation.
    pub reason: String,
    /// When, Unix ms.
    pub created: i64,
}

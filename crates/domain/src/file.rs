//! Files shared in rooms.

use crate::ids::{AppId, RoomId, UserId};

/// A stored file's record; its bytes live on disk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredFile {
    /// Unguessable id, also its name on disk.
    pub id: String,
    /// App.
    pub app: AppId,
    /// Room it was shared in; `None` for an upload tied to no room (Qiscus uploads).
    pub room: Option<RoomId>,
    /// Who uploaded it.
    pub uploader: UserId,
    /// Original file name.
    pub file_name: String,
    /// MIME type.
    pub media_type: String,
    /// Size in bytes.
    pub size: i64,
    /// Upload time, Unix ms.
    pub created: i64,
}

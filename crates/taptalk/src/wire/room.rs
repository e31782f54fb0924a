//! The TapTalk room object.

use super::user::UserDto;
use super::{ImageUrl, room_id};
use palaver_domain::{Room, RoomDetails, RoomType, User};
use serde::Serialize;

/// A room, all keys present.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct RoomDto {
    /// `"<a>-<b>"` for personal rooms, the numeric id otherwise.
    #[serde(rename = "roomID")]
    pub room_id: String,
    /// The customer's id, empty when none.
    #[serde(rename = "xcRoomID")]
    pub xc_room_id: String,
    /// Name; for personal rooms the partner's name.
    pub name: String,
    /// Type code.
    #[serde(rename = "type")]
    pub kind: i64,
    /// Photo URLs; for personal rooms the partner's.
    #[serde(rename = "imageURL")]
    pub image_url: ImageUrl,
    /// Colour in hex.
    pub color: String,
    /// Whether locked.
    pub is_locked: bool,
    /// When locked, Unix ms.
    pub locked_time: i64,
    /// When deleted, Unix ms.
    pub deleted: i64,
    /// Whether deleted.
    pub is_deleted: bool,
    /// Tags set through the Server API.
    pub tags: Vec<String>,
}

impl RoomDto {
    /// Renders a room as seen by a viewer whose personal-room partner is `partner`.
    pub fn new(room: &Room, partner: Option<&User>) -> Self {
        let (name, image_url) = match (room.kind, partner) {
            (RoomType::Personal, Some(p)) => (p.fullname.clone(), ImageUrl::new(&p.photo_thumb, &p.photo_full)),
            _ => (room.name.clone(), ImageUrl::new(&room.photo_thumb, &room.photo_full)),
        };
        Self {
            room_id: room_id(room),
            xc_room_id: room.external_id.clone().unwrap_or_default(),
            name,
            kind: room.kind.code(),
            image_url,
            color: room.color.clone(),
            is_locked: room.is_locked,
            locked_time: room.locked_time,
            deleted: room.deleted,
            is_deleted: room.is_deleted(),
            tags: room.tags.clone(),
        }
    }
}

/// `{room, participants, adminUserIDs}`: the answer of room endpoints.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct RoomDetailsDto {
    /// The room.
    pub room: RoomDto,
    /// Its participants.
    pub participants: Vec<UserDto>,
    /// Its admins' user ids.
    #[serde(rename = "adminUserIDs")]
    pub admin_user_ids: Vec<String>,
}

impl RoomDetailsDto {
    /// Renders room details as seen by `viewer` (or by nobody in particular).
    pub fn new(d: &RoomDetails, viewer: Option<palaver_domain::UserId>, online: impl Fn(&User) -> bool) -> Self {
        let partner = viewer
            .and_then(|v| d.room.partner_of(v))
            .and_then(|p| d.participants.iter().find(|x| x.user.id == p))
            .map(|p| &p.user);
        Self {
            room: RoomDto::new(&d.room, partner),
            participants: d.participants.iter().map(|p| UserDto::new(&p.user, online(&p.user), false)).collect(),
            admin_user_ids: d.admins.iter().map(|a| a.0.to_string()).collect(),
        }
    }
}

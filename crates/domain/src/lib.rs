//! Plain types and rules of Palaver, shared by every other crate.
//!
//! Nothing here knows about tokio, HTTP or SQL: the store persists these types, the core
//! enforces the rules on them and the API faces translate them into each dialect.

pub mod error;
pub mod event;
pub mod ids;
pub mod limits;
pub mod message;
pub mod room;
pub mod time;
pub mod user;

pub use error::{Entity, Error};
pub use event::{Event, MessageEvent, RoomMessage};
pub use ids::{AppId, MessageId, RoomId, UserId};
pub use message::{Message, MessageKind, MessageStatus};
pub use room::{Participant, Room, RoomRef, RoomType};
pub use user::{User, UserProfile};

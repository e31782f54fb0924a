//! Plain types and rules of Palaver, shared by every other crate.
//!
//! Nothing here knows about tokio, HTTP, SQL or any dialect's wire: the store persists these
//! types, the core enforces the rules on them and the API faces translate them into each
//! dialect.

pub mod change;
pub mod error;
pub mod event;
pub mod external_id;
pub mod file;
pub mod ids;
pub mod limits;
pub mod message;
pub mod profile;
pub mod room;
pub mod system;
pub mod time;
pub mod user;

pub use change::{
    Change, ChangeKind, MemberChange, Receipt, ReceiptKind, RoomChange, RoomStateChange, UserChange, Via,
};
pub use error::{Denied, Entity, Error, Field, Invalid, Refusal};
pub use event::{Event, RoomMessage};
pub use external_id::ExternalId;
pub use file::StoredFile;
pub use ids::{AppId, ChangeId, MessageId, RoomId, UserId};
pub use message::{Message, MessageStatus, MessageType};
pub use profile::{Report, ReportTarget, UserPhoto};
pub use room::{Participant, Room, RoomDetails, RoomFilter, RoomRef, RoomSummary, RoomType};
pub use system::{SystemAction, SystemEvent};
pub use user::{User, UserBrief, UserOrder, UserProfile, UserQuery, UserRef};

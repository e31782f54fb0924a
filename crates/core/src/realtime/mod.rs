//! Live delivery: connections register in the [`Hub`]; committed changes and ephemeral events
//! flow through the [`router`] to every connection of every recipient, and to other nodes over
//! the [`cluster`] link, which catches up from the change log after gaps ([`replay`]).

pub mod cluster;
pub mod hub;
pub mod outbox;
mod replay;
pub mod resume;
pub mod router;

pub use hub::{Connection, Hub, Renderer};
pub use outbox::{Frame, Offered, Outbox};

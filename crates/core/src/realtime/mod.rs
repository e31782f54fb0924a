//! Live delivery: connections register in the [`Hub`]; committed events flow through the
//! [`router`] to every connection of every recipient, and to other nodes over the bus.

pub mod cluster;
pub mod hub;
pub mod outbox;
pub mod router;

pub use hub::{Connection, Hub, Renderer};
pub use outbox::{Frame, Outbox};

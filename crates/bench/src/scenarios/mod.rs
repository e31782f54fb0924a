//! The load scenarios. Each runs against a fresh server and returns an [`Outcome`](crate::report::Outcome).

pub mod direct;
pub mod durable;
pub mod fanout;
pub mod history;
pub mod idle;
pub mod mqtt;
pub mod server_api;
pub mod webhooks;

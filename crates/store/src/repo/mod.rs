//! Repositories: one module per aggregate, plain functions over a [`Conn`](crate::Conn).
//!
//! They check nothing but the database's own constraints; the rules live in the core, which
//! composes these functions inside one write transaction.

pub mod apps;
pub mod changes;
pub mod contacts;
pub mod devices;
pub mod files;
pub mod message_marks;
pub mod messages;
pub mod participants;
pub mod reports;
pub mod room_list;
pub mod room_views;
pub mod rooms;
pub mod scheduled;
pub mod sessions;
pub mod settings;
pub mod unread;
pub mod user_photos;
pub mod users;
pub mod webhooks;

use crate::db::{Conn, DbResult};

/// The last value taken from the sequence of message and change ids.
pub fn current_seq(conn: &mut dyn Conn) -> DbResult<i64> {
    conn.query_int("SELECT value FROM counters WHERE name = 'seq'", &[])
}

/// Reads a JSON array of strings stored as text; anything else reads as empty.
pub(crate) fn json_strings(text: &str) -> Vec<String> {
    serde_json::from_str(text).unwrap_or_default()
}

/// Writes a list of strings as JSON text.
pub(crate) fn to_json_strings(list: &[String]) -> String {
    serde_json::to_string(list).unwrap_or_else(|_| "[]".into())
}

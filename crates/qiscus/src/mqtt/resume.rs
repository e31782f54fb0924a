//! Persistent MQTT sessions (`clean_session=false`, MQTT 3.1.1 section 3.1.2.4): when such a
//! connection ends, its subscriptions, its QoS 1 messages not yet acknowledged and how far it
//! had been written are kept in the core's resumable sessions; when a client with the same id
//! connects again without a clean session, they come back (`session present`), the
//! unacknowledged messages are sent again with their packet ids and the DUP flag, and the
//! changes the user missed meanwhile follow from the change log, in order.
//!
//! Ephemeral events (typing, presence) are not kept: they mean nothing later. A client that
//! connects with a clean session discards what was kept for its id.

use palaver_domain::ChangeId;
use rumqttc::mqttbytes::QoS;
use serde::{Deserialize, Serialize};

/// The face name resumable sessions are kept under.
pub const FACE: &str = "qiscus.mqtt";
/// Most missed changes replayed to a resumed session; clients sync anything older through
/// their own APIs (`sync`, `sync_event`).
pub const MAX_REPLAY: i64 = 1000;

/// What a persistent session keeps between connections.
#[derive(Serialize, Deserialize, Default)]
pub struct Kept {
    /// The token whose topics the session subscribed to.
    pub token: String,
    /// Subscription filters and their granted QoS (0 or 1).
    pub filters: Vec<(String, u8)>,
    /// The Qiscus app id the client named in channel subscriptions.
    pub app_code: Option<String>,
    /// Every change up to this one was written to the client (and acknowledged, at QoS 1).
    pub resume_after: i64,
    /// QoS 1 messages sent and not acknowledged: packet id and change id.
    pub unacked: Vec<(u16, i64)>,
}

impl Kept {
    /// The session's filters with their QoS.
    pub fn filters(&self) -> Vec<(String, QoS)> {
        let qos = |q: u8| if q == 0 { QoS::AtMostOnce } else { QoS::AtLeastOnce };
        self.filters.iter().map(|(f, q)| (f.clone(), qos(*q))).collect()
    }

    /// Where replaying must start: before the oldest unacknowledged change, if any.
    pub fn replay_after(&self) -> ChangeId {
        let oldest_unacked = self.unacked.iter().map(|(_, c)| c - 1).min();
        ChangeId(oldest_unacked.map_or(self.resume_after, |o| o.min(self.resume_after)))
    }
}

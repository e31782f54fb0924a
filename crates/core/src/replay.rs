//! Catching up from the database: after missing other nodes' events (a NATS outage), a node
//! replays every message change since then to its own connections. Clients match messages by
//! local id, so a change delivered twice is harmless; one never delivered is not.

use crate::Core;
use crate::messages::enrich;
use palaver_domain::{AppId, Error, Event, Message, MessageEvent, RoomId, UserId};
use palaver_store::Conn;
use palaver_store::repo::{messages, participants};
use std::collections::{BTreeMap, HashMap};

/// Most changes replayed at once; clients sync anything older through their own APIs.
const MAX_REPLAY: i64 = 10_000;
/// How often a clustered node compares what it has seen with what the database holds.
const GAP_CHECK: std::time::Duration = std::time::Duration::from_secs(2);

/// The realtime events of stored message changes, in change order: each message with its
/// context and the room's current participants as recipients.
fn events_of(c: &mut dyn Conn, changed: Vec<Message>) -> Result<Vec<Event>, Error> {
    let mut by_app: BTreeMap<AppId, Vec<Message>> = BTreeMap::new();
    for m in changed {
        by_app.entry(m.app).or_default().push(m);
    }
    let mut members: HashMap<RoomId, Vec<UserId>> = HashMap::new();
    let mut events = Vec::new();
    for (app, list) in by_app {
        for item in enrich(c, app, list)? {
            let recipients = match members.get(&item.room.id) {
                Some(r) => r.clone(),
                None => {
                    let r = participants::recipients(c, item.room.id)?;
                    members.insert(item.room.id, r.clone());
                    r
                }
            };
            let created = item.message.change_seq == item.message.id.0;
            let event = MessageEvent { item, recipients };
            events.push(if created { Event::MessageCreated(event) } else { Event::MessageUpdated(event) });
        }
    }
    events.sort_by_key(|e| e.change_seq());
    Ok(events)
}

impl Core {
    /// Delivers every message change after `cursor` to this node's connections; returns how
    /// many events were replayed.
    pub async fn replay_since(&self, cursor: i64) -> Result<usize, Error> {
        let events = self
            .store()
            .read(move |c| {
                let changed = messages::changed_since(c, cursor, MAX_REPLAY)?;
                events_of(c, changed)
            })
            .await?;
        Ok(self.deliver(&events))
    }

    /// Hands replayed events to this node's connections.
    fn deliver(&self, events: &[Event]) -> usize {
        for event in events {
            self.router().note_seq(event);
            self.hub().dispatch(event);
        }
        events.len()
    }

    /// Delivers the changes after `after` and up to `upto` that this node has not seen.
    async fn replay_unseen(&self, after: i64, upto: i64) -> Result<usize, Error> {
        let in_db = self.store().read(move |c| messages::change_seqs_between(c, after, upto)).await?;
        let missing = self.router().unseen(&in_db, upto);
        if missing.is_empty() {
            return Ok(0);
        }
        let events = self
            .store()
            .read(move |c| {
                let changed = messages::by_change_seqs(c, &missing)?;
                events_of(c, changed)
            })
            .await?;
        Ok(self.deliver(&events))
    }

    /// Runs forever on a clustered node. Every change committed by the previous check must
    /// have reached this node by now, from its own writer or over NATS; any that has not (a
    /// peer died between its commit and its publish, possibly while other nodes went on
    /// committing later changes) is replayed from the database.
    pub(crate) async fn fill_gaps(self) {
        self.router().track_seen();
        let mut tick = tokio::time::interval(GAP_CHECK);
        let mut checked = self.router().last_seq();
        let mut committed_before: Option<i64> = None;
        loop {
            tick.tick().await;
            if let Some(upto) = committed_before.filter(|upto| *upto > checked) {
                match self.replay_unseen(checked, upto).await {
                    Ok(n) => {
                        if n > 0 {
                            tracing::info!(
                                events = n,
                                after = checked,
                                upto,
                                "replayed changes no other node delivered"
                            );
                        }
                        checked = upto;
                    }
                    Err(e) => tracing::warn!(error = %e, "replaying missed changes"),
                }
            }
            if let Ok(now) = self.store().read(|c| palaver_store::repo::current_seq(c)).await {
                committed_before = Some(now);
            }
        }
    }
}

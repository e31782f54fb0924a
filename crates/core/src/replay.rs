//! Catching up from the database: after missing other nodes' events (a NATS outage), a node
//! replays every message change since then to its own connections. Clients match messages by
//! local id, so a change delivered twice is harmless; one never delivered is not.

use crate::Core;
use crate::messages::enrich;
use palaver_domain::{AppId, Error, Event, Message, MessageEvent, RoomId, UserId};
use palaver_store::repo::{messages, participants};
use std::collections::{BTreeMap, HashMap};

/// Most changes replayed at once; clients sync anything older through their own APIs.
const MAX_REPLAY: i64 = 10_000;
/// How often a clustered node compares what it has seen with what the database holds.
const GAP_CHECK: std::time::Duration = std::time::Duration::from_secs(2);

impl Core {
    /// Delivers every message change after `cursor` to this node's connections; returns how
    /// many events were replayed.
    pub async fn replay_since(&self, cursor: i64) -> Result<usize, Error> {
        let events = self
            .store()
            .read(move |c| {
                let mut by_app: BTreeMap<AppId, Vec<Message>> = BTreeMap::new();
                for m in messages::changed_since(c, cursor, MAX_REPLAY)? {
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
                Ok::<_, Error>(events)
            })
            .await?;
        for event in &events {
            self.router().note_seq(event);
            self.hub().dispatch(event);
        }
        Ok(events.len())
    }

    /// Runs forever on a clustered node: when the database holds changes this node has not
    /// seen, and they are still missing one check later (so they are not merely in flight),
    /// replays them. This covers a peer that died between its commit and its publish.
    pub(crate) async fn fill_gaps(self) {
        let mut tick = tokio::time::interval(GAP_CHECK);
        let mut gap: Option<(i64, i64)> = None;
        loop {
            tick.tick().await;
            let seen = self.router().last_seq();
            let Ok(in_db) = self.store().read(|c| palaver_store::repo::current_seq(c)).await else { continue };
            gap = match gap {
                Some((from, target)) if self.router().last_seq() < target => {
                    match self.replay_since(from).await {
                        Ok(n) => tracing::info!(events = n, from, "replayed changes no other node delivered"),
                        Err(e) => tracing::warn!(error = %e, "replaying missed changes"),
                    }
                    None
                }
                _ => (in_db > seen).then_some((seen, in_db)),
            };
        }
    }
}

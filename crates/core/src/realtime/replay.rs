//! Catching up from the change log: after missing other writers' events (a NATS outage, a
//! peer that died between its commit and its publish, a one-off command on the same database),
//! a node replays the changes it never saw to its own connections. Clients match messages by client id, so a
//! change delivered twice is harmless; one never delivered is not.

use super::cluster::{CATCH_UP_GRACE, ReconnectSignal};
use crate::Core;
use crate::changes::events;
use palaver_domain::{ChangeId, Error, Event};
use palaver_store::repo::changes as log;
use std::sync::Arc;

/// Most changes replayed at once; clients sync anything older through their own APIs.
const MAX_REPLAY: i64 = 10_000;
/// How often a node compares what it has seen with what the log holds.
const GAP_CHECK: std::time::Duration = std::time::Duration::from_secs(2);

impl Core {
    /// Delivers every change after `after` to this node's connections; returns how many
    /// events were replayed.
    pub async fn replay_since(&self, after: ChangeId) -> Result<usize, Error> {
        let events = self
            .store()
            .read(move |c| {
                let rows = log::after(c, after, MAX_REPLAY)?;
                events(c, rows)
            })
            .await?;
        Ok(self.deliver(&events))
    }

    /// Hands replayed events to this node's connections.
    fn deliver(&self, events: &[Event]) -> usize {
        metrics::counter!("palaver_cluster_replayed_events_total").increment(events.len() as u64);
        for event in events {
            self.router().note_seen(event);
            self.hub().dispatch(event);
        }
        events.len()
    }

    /// Delivers the changes after `after` and up to `upto` that this node has not seen.
    async fn replay_unseen(&self, after: ChangeId, upto: ChangeId) -> Result<usize, Error> {
        let in_log = self.store().read(move |c| log::ids_between(c, after, upto)).await?;
        let missing = self.router().unseen(&in_log, upto);
        if missing.is_empty() {
            return Ok(0);
        }
        let events = self
            .store()
            .read(move |c| {
                let rows = log::by_ids(c, &missing)?;
                events(c, rows)
            })
            .await?;
        Ok(self.deliver(&events))
    }

    /// Runs until shutdown on every node. Every change committed by the previous check must
    /// have reached this node by now, from its own writer or over NATS; any that has not (a
    /// peer died between its commit and its publish, possibly while other nodes went on
    /// committing later changes; a one-off command wrote it to the same database) is replayed
    /// from the log.
    pub(crate) async fn fill_gaps(self) {
        self.router().track_seen();
        let mut tick = tokio::time::interval(GAP_CHECK);
        let mut checked = self.router().last_seen();
        let mut committed_before: Option<ChangeId> = None;
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                () = self.tasks().stopping() => return,
            }
            if let Some(upto) = committed_before.filter(|upto| *upto > checked) {
                match self.replay_unseen(checked, upto).await {
                    Ok(n) => {
                        if n > 0 {
                            tracing::info!(
                                events = n,
                                after = checked.0,
                                upto = upto.0,
                                "replayed changes no other node delivered"
                            );
                        }
                        checked = upto;
                    }
                    Err(e) => tracing::warn!(error = %e, "replaying missed changes"),
                }
            }
            if let Ok(now) = self.store().read(|c| palaver_store::repo::current_seq(c)).await {
                committed_before = Some(ChangeId(now));
            }
        }
    }

    /// Runs until shutdown on a clustered node: after each NATS outage, replays every change
    /// since shortly before it was lost.
    pub(crate) async fn catch_up_after_outages(self, signal: Arc<ReconnectSignal>) {
        loop {
            let lost_at = tokio::select! {
                at = signal.wait() => at,
                () = self.tasks().stopping() => return,
            };
            let from = self.router().seen_at(lost_at.checked_sub(CATCH_UP_GRACE).unwrap_or(lost_at));
            match self.replay_since(from).await {
                Ok(n) => tracing::info!(events = n, from = from.0, "caught up from the database after a NATS outage"),
                Err(e) => tracing::error!(error = %e, "catching up after a NATS outage"),
            }
        }
    }
}

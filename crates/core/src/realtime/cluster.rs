//! Several nodes joined by NATS. Each node publishes the events of its own commits (and
//! typing, presence) on its cluster's subject, `palaver.<cluster id>.events` (the cluster id is
//! a random value stored in the shared database, so clusters sharing a NATS server never mix),
//! and subscribes to it once; what arrives from other nodes
//! is dispatched to local connections. A node that loses its NATS connection catches up from
//! the database when it is back, so no connected client misses a message.

use super::hub::Hub;
use super::router::EventRouter;
use crate::lifecycle::Tasks;
use bytes::Bytes;
use futures_util::StreamExt;
use palaver_domain::Event;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{Notify, mpsc};

/// Events waiting to be published; past this many, publishing drops (and logs) rather than
/// holding up local delivery.
const PUBLISH_QUEUE: usize = 65_536;
/// Largest batch of events in one NATS message.
const MAX_EVENTS_PER_MESSAGE: usize = 256;
/// How far before a disconnect catching up starts, to cover events still in flight then.
pub const CATCH_UP_GRACE: Duration = Duration::from_secs(5);

#[derive(Serialize, Deserialize)]
struct Envelope {
    node: String,
    events: Vec<Event>,
}

/// This node's end of the cluster: the publishing queue.
#[derive(Clone)]
pub struct ClusterOut {
    node: Arc<str>,
    queue: mpsc::Sender<Bytes>,
}

impl ClusterOut {
    /// Queues a batch of locally originated events for the other nodes.
    pub fn publish(&self, events: &[Event]) {
        for chunk in events.chunks(MAX_EVENTS_PER_MESSAGE) {
            let envelope = Envelope { node: self.node.to_string(), events: chunk.to_vec() };
            match serde_json::to_vec(&envelope) {
                Ok(bytes) => {
                    if self.queue.try_send(Bytes::from(bytes)).is_err() {
                        tracing::warn!(
                            "the cluster publish queue is full; other nodes will catch up from the database"
                        );
                    }
                }
                Err(e) => tracing::error!(error = %e, "encoding events for the cluster"),
            }
        }
    }
}

/// A running NATS link.
pub struct Cluster {
    /// This node's publishing end.
    pub out: ClusterOut,
    /// Wakes when the connection came back after a loss; the moment it was lost is given.
    pub reconnected: Arc<ReconnectSignal>,
    client: async_nats::Client,
    subject: String,
}

/// The state of this node's NATS connection, for readiness checks.
#[derive(Clone)]
pub struct ClusterLink(async_nats::Client);

impl ClusterLink {
    /// Whether the NATS connection is up now (not while connecting or reconnecting).
    pub fn is_connected(&self) -> bool {
        self.0.connection_state() == async_nats::connection::State::Connected
    }
}

/// Tells the catch-up task that the NATS connection was lost and is back.
#[derive(Default)]
pub struct ReconnectSignal {
    lost_at: std::sync::Mutex<Option<Instant>>,
    notify: Notify,
}

impl ReconnectSignal {
    fn lost(&self) {
        let mut at = self.lost_at.lock().unwrap_or_else(|p| p.into_inner());
        at.get_or_insert_with(Instant::now);
    }

    fn back(&self) {
        if self.lost_at.lock().unwrap_or_else(|p| p.into_inner()).is_some() {
            self.notify.notify_one();
        }
    }

    /// Waits until the connection is back after a loss; returns when it was lost.
    pub async fn wait(&self) -> Instant {
        loop {
            self.notify.notified().await;
            if let Some(at) = self.lost_at.lock().unwrap_or_else(|p| p.into_inner()).take() {
                return at;
            }
        }
    }
}

impl Cluster {
    /// Connects to NATS (retrying in the background if it is not reachable yet) and starts
    /// publishing this node's events on the subject of `cluster`. The publisher ends once the
    /// dispatcher, its last sender, is done, after publishing what it was given.
    pub async fn connect(url: &str, node: String, cluster: &str, tasks: &Tasks) -> Result<Cluster, String> {
        let subject = format!("palaver.{cluster}.events");
        let reconnected = Arc::new(ReconnectSignal::default());
        let signal = reconnected.clone();
        let client = async_nats::ConnectOptions::new()
            .name(format!("palaver-{node}"))
            .retry_on_initial_connect()
            .event_callback(move |event| {
                let signal = signal.clone();
                async move {
                    match event {
                        async_nats::Event::Disconnected => {
                            tracing::warn!("lost the NATS connection");
                            signal.lost();
                        }
                        async_nats::Event::Connected => {
                            tracing::info!("connected to NATS");
                            signal.back();
                        }
                        other => tracing::debug!(event = %other, "NATS"),
                    }
                }
            })
            .connect(url)
            .await
            .map_err(|e| format!("cannot connect to NATS at {url}: {e}"))?;
        let (queue, mut rx) = mpsc::channel::<Bytes>(PUBLISH_QUEUE);
        let (publisher, to) = (client.clone(), subject.clone());
        tasks.spawn(async move {
            while let Some(bytes) = rx.recv().await {
                if let Err(e) = publisher.publish(to.clone(), bytes).await {
                    tracing::warn!(error = %e, "publishing events to NATS");
                }
            }
            let _ = tokio::time::timeout(Duration::from_secs(2), publisher.flush()).await;
        });
        Ok(Cluster { out: ClusterOut { node: node.into(), queue }, reconnected, client, subject })
    }

    /// A handle on the connection's state.
    pub fn link(&self) -> ClusterLink {
        ClusterLink(self.client.clone())
    }

    /// Receives other nodes' events and delivers them to this node's connections, until
    /// shutdown.
    pub async fn subscribe(&self, hub: Arc<Hub>, router: EventRouter, tasks: &Tasks) -> Result<(), String> {
        let mut sub =
            self.client.subscribe(self.subject.clone()).await.map_err(|e| format!("cannot subscribe to NATS: {e}"))?;
        let me = self.out.node.clone();
        let stop = tasks.clone();
        tasks.spawn(async move {
            let stopping = stop.stopping();
            tokio::pin!(stopping);
            loop {
                let msg = tokio::select! {
                    msg = sub.next() => match msg {
                        Some(msg) => msg,
                        None => break,
                    },
                    () = &mut stopping => break,
                };
                let envelope: Envelope = match serde_json::from_slice(&msg.payload) {
                    Ok(e) => e,
                    Err(e) => {
                        tracing::warn!(error = %e, "ignoring an unreadable cluster message");
                        continue;
                    }
                };
                if *envelope.node == *me {
                    continue;
                }
                for event in &envelope.events {
                    router.note_seen(event);
                    if let Event::Presence { user, online, .. } = event {
                        hub.note_remote_presence(user.app, user.id, *online);
                    }
                    hub.dispatch(event);
                }
            }
        });
        Ok(())
    }
}

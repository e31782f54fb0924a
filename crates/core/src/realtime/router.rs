//! Routes events to live connections: committed changes from the store (in commit order) and
//! ephemeral ones (typing, presence) through one bounded, ordered channel to one dispatcher
//! task, which delivers them locally and hands them to the cluster for the other nodes.

use super::cluster::ClusterOut;
use super::hub::Hub;
use palaver_domain::{ChangeId, Event};
use palaver_store::EventSink;
use std::collections::{BTreeSet, VecDeque};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// How long samples of the change-id history are kept.
const HISTORY: Duration = Duration::from_secs(600);
/// Least time between two samples.
const SAMPLE_EVERY: Duration = Duration::from_millis(100);
/// Batches of events waiting for the dispatcher; a full queue holds the store's writer back.
const QUEUE: usize = 4096;

/// What the dispatcher receives.
pub enum Routed {
    /// Events, in order.
    Events(Vec<Event>),
    /// Nothing more will come: shutdown, after the store closed.
    Finish,
}

/// Where events enter the realtime path.
#[derive(Clone)]
pub struct EventRouter {
    tx: mpsc::Sender<Routed>,
    last_seen: Arc<AtomicI64>,
    history: Arc<Mutex<VecDeque<(Instant, ChangeId)>>>,
    /// Every change id seen and not yet checked against the database (see `Core::fill_gaps`);
    /// unset until a checker starts.
    unchecked: Arc<OnceLock<Mutex<BTreeSet<ChangeId>>>>,
    /// Woken whenever committed changes went by: consumers of the log (webhooks) look for
    /// work then rather than only on their timer.
    committed: Arc<tokio::sync::Notify>,
}

impl EventRouter {
    /// A router and the receiving end its dispatcher consumes.
    pub fn new() -> (Self, mpsc::Receiver<Routed>) {
        let (tx, rx) = mpsc::channel(QUEUE);
        let history = VecDeque::from([(Instant::now(), ChangeId(0))]);
        let router = Self {
            tx,
            last_seen: Arc::new(AtomicI64::new(0)),
            history: Arc::new(Mutex::new(history)),
            unchecked: Arc::new(OnceLock::new()),
            committed: Arc::new(tokio::sync::Notify::new()),
        };
        (router, rx)
    }

    /// Sets where this node starts: the last change id already in the database.
    pub fn start_from(&self, seq: i64) {
        self.last_seen.store(seq, Ordering::Relaxed);
        *self.history.lock().unwrap_or_else(|p| p.into_inner()) = VecDeque::from([(Instant::now(), ChangeId(seq))]);
    }

    /// The sink the store hands committed events to, on its own threads: when the dispatcher
    /// falls behind, it blocks them rather than queueing without bound.
    pub fn sink(&self) -> EventSink {
        let tx = self.tx.clone();
        Arc::new(move |events| {
            let _ = tx.blocking_send(Routed::Events(events));
        })
    }

    /// Routes an event that is not stored (typing, presence).
    pub async fn publish(&self, event: Event) {
        let _ = self.tx.send(Routed::Events(vec![event])).await;
    }

    /// Tells the dispatcher that nothing more will come; it ends once it has delivered what
    /// it already holds.
    pub async fn finish(&self) {
        let _ = self.tx.send(Routed::Finish).await;
    }

    /// What wakes when committed changes went by (one waiter, one stored wake-up).
    pub fn committed(&self) -> Arc<tokio::sync::Notify> {
        self.committed.clone()
    }

    /// The highest change id seen so far (from this node or others).
    pub fn last_seen(&self) -> ChangeId {
        ChangeId(self.last_seen.load(Ordering::Relaxed))
    }

    /// Records the change id an event carries.
    pub fn note_seen(&self, event: &Event) {
        let Some(id) = event.change_id() else { return };
        if let Some(set) = self.unchecked.get() {
            set.lock().unwrap_or_else(|p| p.into_inner()).insert(id);
        }
        if self.last_seen.fetch_max(id.0, Ordering::Relaxed) >= id.0 {
            return;
        }
        let now = Instant::now();
        let mut h = self.history.lock().unwrap_or_else(|p| p.into_inner());
        if h.back().is_none_or(|(t, _)| now.duration_since(*t) >= SAMPLE_EVERY) {
            h.push_back((now, id));
        } else if let Some(last) = h.back_mut() {
            last.1 = last.1.max(id);
        }
        while h.len() > 1 && h.front().is_some_and(|(t, _)| now.duration_since(*t) > HISTORY) {
            h.pop_front();
        }
    }

    /// Starts remembering each change id seen, for [`Self::unseen`].
    pub fn track_seen(&self) {
        self.unchecked.get_or_init(Mutex::default);
    }

    /// Of `ids`, those this node has not seen; forgets every id up to `upto`, which the caller
    /// has now checked.
    pub fn unseen(&self, ids: &[ChangeId], upto: ChangeId) -> Vec<ChangeId> {
        let Some(set) = self.unchecked.get() else { return Vec::new() };
        let mut set = set.lock().unwrap_or_else(|p| p.into_inner());
        let missing = ids.iter().copied().filter(|s| !set.contains(s)).collect();
        *set = set.split_off(&ChangeId(upto.0 + 1));
        missing
    }

    /// The highest change id seen at or before `at` (the oldest known one if `at` is earlier
    /// than the history): where catching up must start.
    pub fn seen_at(&self, at: Instant) -> ChangeId {
        let h = self.history.lock().unwrap_or_else(|p| p.into_inner());
        h.iter().rev().find(|(t, _)| *t <= at).or(h.front()).map_or(ChangeId(0), |(_, s)| *s)
    }

    /// Runs the dispatcher until [`Routed::Finish`]: each event goes to the local hub, then
    /// (when clustered) to the other nodes.
    pub async fn dispatch(self, mut rx: mpsc::Receiver<Routed>, hub: Arc<Hub>, cluster: Option<ClusterOut>) {
        let depth = metrics::gauge!("palaver_router_queue_depth");
        while let Some(Routed::Events(batch)) = rx.recv().await {
            depth.set(rx.len() as f64);
            for event in &batch {
                self.note_seen(event);
                hub.dispatch(event);
            }
            if batch.iter().any(|e| e.change_id().is_some()) {
                self.committed.notify_one();
            }
            if let Some(c) = &cluster {
                c.publish(&batch);
            }
        }
    }
}

//! Routes events to live connections: committed events from the writer (in commit order)
//! and ephemeral ones (typing, presence) through one ordered channel to one dispatcher task,
//! which delivers them locally and hands them to the cluster for the other nodes.

use super::cluster::ClusterOut;
use super::hub::Hub;
use palaver_domain::Event;
use palaver_store::EventSink;
use std::collections::{BTreeSet, VecDeque};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// How long samples of the change-number history are kept.
const HISTORY: Duration = Duration::from_secs(600);
/// Least time between two samples.
const SAMPLE_EVERY: Duration = Duration::from_millis(100);

/// Where events enter the realtime path.
#[derive(Clone)]
pub struct EventRouter {
    tx: mpsc::UnboundedSender<Vec<Event>>,
    last_seq: Arc<AtomicI64>,
    history: Arc<Mutex<VecDeque<(Instant, i64)>>>,
    /// On clustered nodes, every change number seen and not yet checked against the
    /// database (see `Core::fill_gaps`); unset where nobody checks, so a single node pays
    /// nothing for it.
    unchecked: Arc<OnceLock<Mutex<BTreeSet<i64>>>>,
}

impl EventRouter {
    /// A router and the receiving end its dispatcher consumes.
    pub fn new() -> (Self, mpsc::UnboundedReceiver<Vec<Event>>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let history = VecDeque::from([(Instant::now(), 0)]);
        let router = Self {
            tx,
            last_seq: Arc::new(AtomicI64::new(0)),
            history: Arc::new(Mutex::new(history)),
            unchecked: Arc::new(OnceLock::new()),
        };
        (router, rx)
    }

    /// Sets where this node starts: the change number already in the database.
    pub fn start_from(&self, seq: i64) {
        self.last_seq.store(seq, Ordering::Relaxed);
        *self.history.lock().unwrap_or_else(|p| p.into_inner()) = VecDeque::from([(Instant::now(), seq)]);
    }

    /// The sink the store's writer hands committed events to.
    pub fn sink(&self) -> EventSink {
        let tx = self.tx.clone();
        Arc::new(move |events| {
            let _ = tx.send(events);
        })
    }

    /// Routes an event that is not persisted (typing, presence).
    pub fn publish(&self, event: Event) {
        let _ = self.tx.send(vec![event]);
    }

    /// The highest message change number seen so far (from this node or others).
    pub fn last_seq(&self) -> i64 {
        self.last_seq.load(Ordering::Relaxed)
    }

    /// Records the change number an event carries.
    pub fn note_seq(&self, event: &Event) {
        let Some(seq) = event.change_seq() else { return };
        if let Some(set) = self.unchecked.get() {
            set.lock().unwrap_or_else(|p| p.into_inner()).insert(seq);
        }
        if self.last_seq.fetch_max(seq, Ordering::Relaxed) >= seq {
            return;
        }
        let now = Instant::now();
        let mut h = self.history.lock().unwrap_or_else(|p| p.into_inner());
        if h.back().is_none_or(|(t, _)| now.duration_since(*t) >= SAMPLE_EVERY) {
            h.push_back((now, seq));
        } else if let Some(last) = h.back_mut() {
            last.1 = last.1.max(seq);
        }
        while h.len() > 1 && h.front().is_some_and(|(t, _)| now.duration_since(*t) > HISTORY) {
            h.pop_front();
        }
    }

    /// Starts remembering each change number seen, for [`Self::unseen`].
    pub fn track_seen(&self) {
        self.unchecked.get_or_init(Mutex::default);
    }

    /// Of `seqs`, those this node has not seen; forgets every number up to `upto`, which the
    /// caller has now checked.
    pub fn unseen(&self, seqs: &[i64], upto: i64) -> Vec<i64> {
        let Some(set) = self.unchecked.get() else { return Vec::new() };
        let mut set = set.lock().unwrap_or_else(|p| p.into_inner());
        let missing = seqs.iter().copied().filter(|s| !set.contains(s)).collect();
        *set = set.split_off(&(upto + 1));
        missing
    }

    /// The highest change number seen at or before `at` (the oldest known one if `at` is
    /// earlier than the history): where catching up must start.
    pub fn seq_at(&self, at: Instant) -> i64 {
        let h = self.history.lock().unwrap_or_else(|p| p.into_inner());
        h.iter().rev().find(|(t, _)| *t <= at).or(h.front()).map_or(0, |(_, s)| *s)
    }

    /// Runs the dispatcher until every sender is gone: each event goes to the local hub, then
    /// (when clustered) to the other nodes.
    pub async fn dispatch(
        self,
        mut rx: mpsc::UnboundedReceiver<Vec<Event>>,
        hub: Arc<Hub>,
        cluster: Option<ClusterOut>,
    ) {
        let router = EventRouter { tx: mpsc::unbounded_channel().0, ..self };
        while let Some(batch) = rx.recv().await {
            for event in &batch {
                router.note_seq(event);
                hub.dispatch(event);
            }
            if let Some(c) = &cluster {
                c.publish(&batch);
            }
        }
    }
}

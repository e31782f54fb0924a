//! The map of users to their live connections on this node, and local fan-out.

use super::outbox::{Frame, Offered, Outbox};
use bytes::Bytes;
use palaver_domain::{AppId, ChangeKind, Event, UserId};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

/// Turns events into a face's frames. One renderer per face, shared by its connections, so
/// an event is encoded once per face and per view rather than once per connection.
pub trait Renderer: Send + Sync {
    /// The frame `viewer` receives for `event`, or `None` if this face shows nothing for it.
    fn render(&self, event: &Event, viewer: UserId) -> Option<Bytes>;
    /// Viewers with equal keys receive identical frames (0 when every viewer does).
    fn view_key(&self, event: &Event, viewer: UserId) -> u64;
    /// The face's name, the `face` label of its connections' metrics.
    fn face(&self) -> &'static str {
        "other"
    }
}

/// One live client connection.
pub struct Connection {
    /// Unique on this node.
    pub id: u64,
    /// App of the user.
    pub app: AppId,
    /// The connected user.
    pub user: UserId,
    /// The device the connection comes from.
    pub device: String,
    /// The session it was opened with, where the face has sessions: it closes when that
    /// session ends.
    pub session: Option<i64>,
    /// Frames waiting to be written.
    pub outbox: Outbox,
    /// How events are encoded for this connection's face.
    pub renderer: Arc<dyn Renderer>,
}

type Shard = RwLock<HashMap<(AppId, UserId), Vec<Arc<Connection>>>>;

/// Users' live connections, sharded to keep lock contention low.
pub struct Hub {
    shards: Box<[Shard]>,
    next_id: AtomicU64,
    count: AtomicU64,
    /// Users connected to other nodes: how many of those nodes report them online.
    remote: Mutex<HashMap<(AppId, UserId), u32>>,
    /// Live connections per app on this node.
    per_app: Mutex<HashMap<AppId, usize>>,
    /// Frames queued to connections (handles taken once: recording takes no lock).
    delivered: metrics::Counter,
    /// Connections closed because their outbox overflowed.
    dropped: metrics::Counter,
}

impl Default for Hub {
    fn default() -> Self {
        Self::new()
    }
}

impl Hub {
    /// An empty hub.
    pub fn new() -> Self {
        Self {
            shards: (0..64).map(|_| RwLock::new(HashMap::new())).collect(),
            next_id: AtomicU64::new(1),
            count: AtomicU64::new(0),
            remote: Mutex::new(HashMap::new()),
            per_app: Mutex::new(HashMap::new()),
            delivered: metrics::counter!("palaver_events_delivered_total"),
            dropped: metrics::counter!("palaver_slow_consumers_dropped_total"),
        }
    }

    fn shard(&self, app: AppId, user: UserId) -> &Shard {
        let h = (app.0 as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (user.0 as u64);
        &self.shards[(h % self.shards.len() as u64) as usize]
    }

    /// A fresh connection id.
    pub fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    /// Adds a connection; returns how many the user has now. A user at `max_per_user`
    /// connections loses the oldest: a device that reconnects must never be locked out by
    /// its own half-dead sockets.
    pub fn register(&self, conn: Arc<Connection>, max_per_user: usize) -> usize {
        let app = conn.app;
        let mut shard = self.shard(conn.app, conn.user).write().unwrap_or_else(|p| p.into_inner());
        let list = shard.entry((conn.app, conn.user)).or_default();
        while max_per_user > 0 && list.len() >= max_per_user {
            let oldest = list.remove(0);
            oldest.outbox.close();
            self.count.fetch_sub(1, Ordering::Relaxed);
            self.count_app(app, false);
            metrics::gauge!("palaver_connections", "face" => oldest.renderer.face()).decrement(1.0);
        }
        metrics::gauge!("palaver_connections", "face" => conn.renderer.face()).increment(1.0);
        list.push(conn);
        self.count.fetch_add(1, Ordering::Relaxed);
        self.count_app(app, true);
        list.len()
    }

    fn count_app(&self, app: AppId, added: bool) {
        let mut per_app = self.per_app.lock().unwrap_or_else(|p| p.into_inner());
        let n = per_app.entry(app).or_default();
        if added {
            *n += 1;
        } else {
            *n = n.saturating_sub(1);
            if *n == 0 {
                per_app.remove(&app);
            }
        }
    }

    /// Live connections of an app's users on this node.
    pub fn app_connections(&self, app: AppId) -> usize {
        self.per_app.lock().unwrap_or_else(|p| p.into_inner()).get(&app).copied().unwrap_or(0)
    }

    /// Closes a user's connections opened with `session`, or all of them for `None`: a
    /// logged-out or deleted user's sockets must not go on receiving or sending.
    fn end_sessions(&self, app: AppId, user: UserId, session: Option<i64>) {
        let shard = self.shard(app, user).read().unwrap_or_else(|p| p.into_inner());
        for conn in shard.get(&(app, user)).into_iter().flatten() {
            if session.is_none() || conn.session == session {
                conn.outbox.close();
            }
        }
    }

    /// Removes a connection; returns how many the user has left.
    pub fn unregister(&self, app: AppId, user: UserId, id: u64) -> usize {
        let mut shard = self.shard(app, user).write().unwrap_or_else(|p| p.into_inner());
        let Some(list) = shard.get_mut(&(app, user)) else {
            return 0;
        };
        if let Some(at) = list.iter().position(|c| c.id == id) {
            let gone = list.remove(at);
            self.count.fetch_sub(1, Ordering::Relaxed);
            self.count_app(app, false);
            metrics::gauge!("palaver_connections", "face" => gone.renderer.face()).decrement(1.0);
        }
        let left = list.len();
        if left == 0 {
            shard.remove(&(app, user));
        }
        left
    }

    /// Whether the user has a live connection on this node or, as far as this node has
    /// heard, on another one.
    pub fn is_online(&self, app: AppId, user: UserId) -> bool {
        self.shard(app, user).read().unwrap_or_else(|p| p.into_inner()).contains_key(&(app, user))
            || self.remote.lock().unwrap_or_else(|p| p.into_inner()).contains_key(&(app, user))
    }

    /// Records another node's presence announcement for a user.
    pub fn note_remote_presence(&self, app: AppId, user: UserId, online: bool) {
        let mut remote = self.remote.lock().unwrap_or_else(|p| p.into_inner());
        let count = remote.entry((app, user)).or_default();
        if online {
            *count += 1;
        } else {
            *count = count.saturating_sub(1);
        }
        if *count == 0 {
            remote.remove(&(app, user));
        }
    }

    /// Closes every connection (shutdown): each connection's loop ends and says goodbye.
    pub fn close_all(&self) {
        for shard in self.shards.iter() {
            for conns in shard.read().unwrap_or_else(|p| p.into_inner()).values() {
                conns.iter().for_each(|c| c.outbox.close());
            }
        }
    }

    /// Number of live connections on this node.
    pub fn connection_count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }

    /// The user's live connections.
    pub fn connections_of(&self, app: AppId, user: UserId) -> Vec<Arc<Connection>> {
        self.shard(app, user).read().unwrap_or_else(|p| p.into_inner()).get(&(app, user)).cloned().unwrap_or_default()
    }

    /// Delivers an event to every connection of every recipient on this node, encoding it
    /// once per face and view.
    pub fn dispatch(&self, event: &Event) {
        let app = event.app();
        if let Event::Committed { change, .. } = event
            && let ChangeKind::SessionsRevoked { user, session } = change.kind
        {
            self.end_sessions(app, user, session);
        }
        let change = event.change_id().unwrap_or_default();
        let mut rendered: Vec<(usize, u64, Option<Bytes>)> = Vec::new();
        // A recipient's connections are copied out before rendering, which may look up other
        // users' presence: holding a shard lock while taking another could deadlock against a
        // waiting writer. The buffer is reused, so this costs no allocation per recipient.
        let mut conns: Vec<Arc<Connection>> = Vec::new();
        let mut delivered = 0;
        for &user in event.recipients() {
            conns.clear();
            match self.shard(app, user).read().unwrap_or_else(|p| p.into_inner()).get(&(app, user)) {
                Some(list) => conns.extend(list.iter().cloned()),
                None => continue,
            }
            for conn in &conns {
                let face = Arc::as_ptr(&conn.renderer) as *const () as usize;
                let key = conn.renderer.view_key(event, user);
                let frame = match rendered.iter().find(|(f, k, _)| *f == face && *k == key) {
                    Some((_, _, frame)) => frame.clone(),
                    None => {
                        let frame = conn.renderer.render(event, user);
                        rendered.push((face, key, frame.clone()));
                        frame
                    }
                };
                let Some(bytes) = frame else { continue };
                match conn.outbox.offer(Frame { bytes, change }) {
                    Offered::Queued => delivered += 1,
                    Offered::Closed => {}
                    Offered::Overflowed => {
                        self.dropped.increment(1);
                        tracing::debug!(conn = conn.id, "dropping a connection that cannot keep up");
                    }
                }
            }
        }
        if delivered > 0 {
            self.delivered.increment(delivered);
        }
    }
}

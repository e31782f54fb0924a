//! Palaver's application services, organised by operation.
//!
//! [`Core`] is the only thing the API faces call. Each operation takes a typed,
//! dialect-neutral request (external ids, room references, message content), checks it,
//! writes in one group-committed transaction through the store, records every change it made
//! in the change log (`changes`), and returns domain values; the change log's events reach
//! live connections after the commit. Faces translate their wire into these requests and the
//! results (and `palaver_domain::Error`) back into their own envelopes.

mod app_admin;
pub mod apps;
mod changes;
mod contacts;
mod devices;
mod files;
mod housekeeping;
pub mod lifecycle;
mod logins;
mod lookup;
mod membership;
mod messages;
mod presence;
mod profiles;
mod rate;
mod readiness;
pub mod realtime;
mod reports;
mod room_views;
mod rooms;
mod scheduled;
pub mod secrets;
mod sessions;
pub mod transfer;
mod users;
pub mod webhooks;

pub use app_admin::AppDetails;
pub use apps::{AppSummary, CreatedApp, IssuedKey, KeyCheck, KeyField, KeyIdStyle, KeyKind};
pub use contacts::ContactChange;
pub use devices::PushToken;
pub use files::{OpenedFile, Upload, Uploaded};
pub use logins::{Account, PasswordLogin};
pub use membership::MembershipChange;
pub use messages::{
    Author, Content, Destination, Draft, Edit, HistoryEntry, MarkChange, MarkKind, MarkedPage, MessageReceipts,
    MessageSearch, PinPayload, Post, Posted, SharedContent, SystemDraft,
};
pub use palaver_store::repo::reports::ListedReport;
pub use rate::{Quota, RateLimits, RateOverrides, Rated};
pub use readiness::NotReady;
pub use reports::{ReportDraft, Reported};
pub use room_views::RoomView;
pub use rooms::{EnsureRoom, EnsuredRoom, KindRule, NewRoom, RoomPatch};
pub use scheduled::ScheduledMessage;
pub use sessions::{ClientSession, IssuedTokens};
pub use users::UserUpsert;

use apps::AppRegistry;
use lifecycle::Tasks;
use palaver_domain::{Error, UserId};
use palaver_store::{Backend, Store, StoreOptions};
use rate::RateLimiter;
use realtime::Hub;
use realtime::cluster::{Cluster, ClusterLink};
use realtime::router::EventRouter;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// Who asks for an operation: the app's backend (through a server API, with every right) or
/// a user (through a client API, within what the user may do). Changes a user makes to a
/// room's membership are announced in the room with system messages; the backend's are not
/// (backends post their own).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Actor {
    /// The app's backend.
    Backend,
    /// A user.
    User(UserId),
}

impl Actor {
    /// The user, if a user acts.
    pub fn user(self) -> Option<UserId> {
        match self {
            Actor::Backend => None,
            Actor::User(u) => Some(u),
        }
    }
}

/// Settings of the core.
#[derive(Clone, Debug)]
pub struct CoreConfig {
    /// Directory for uploaded files.
    pub data_dir: PathBuf,
    /// The URL clients reach this server at (`https://chat.example.com`), for the links it
    /// hands out, such as file URLs; never taken from a request's headers.
    pub public_url: String,
    /// Lifetime of auth tickets, in milliseconds.
    pub ticket_ttl_ms: i64,
    /// Lifetime of client access tokens, in milliseconds.
    pub access_token_ttl_ms: i64,
    /// Lifetime of client refresh tokens, in milliseconds.
    pub refresh_token_ttl_ms: i64,
    /// Bytes a connection may have waiting before it is dropped as too slow.
    pub outbox_limit_bytes: usize,
    /// Largest uploaded file, in bytes.
    pub max_file_bytes: u64,
    /// Most uploads in progress at once on a node.
    pub max_uploads: usize,
    /// Most uploads in progress at once by one user.
    pub max_uploads_per_user: usize,
    /// How often idle realtime connections are pinged; one silent for three intervals is
    /// dropped.
    pub ping_interval_ms: u64,
    /// How long the change log keeps changes, in milliseconds.
    pub change_retention_ms: i64,
    /// How long one write to a realtime connection may take before the client is deemed
    /// not to read and is dropped, in milliseconds.
    pub write_timeout_ms: u64,
    /// Most live connections of one user on a node; a new one replaces the oldest.
    pub max_connections_per_user: usize,
    /// Most live connections of one app's users on a node (0: no cap but the server's).
    pub max_connections_per_app: usize,
    /// Rate limits per user and per address.
    pub rate_limits: RateLimits,
    /// NATS URL joining several nodes; `None` for a single node.
    pub nats_url: Option<String>,
    /// The key secrets kept for signing are sealed with (base64 of 32 bytes); `None` for the
    /// data directory's `secret.key`. Every node of a cluster needs the same.
    pub secret_key: Option<String>,
    /// How webhooks are delivered.
    pub webhooks: webhooks::WebhookSettings,
}

impl Default for CoreConfig {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("./data"),
            public_url: "http://localhost:8080".into(),
            ticket_ttl_ms: palaver_domain::limits::AUTH_TICKET_TTL_MS,
            access_token_ttl_ms: 24 * 60 * 60 * 1000,
            refresh_token_ttl_ms: 30 * 24 * 60 * 60 * 1000,
            outbox_limit_bytes: 4 * 1024 * 1024,
            max_file_bytes: 25 * 1024 * 1024,
            max_uploads: 64,
            max_uploads_per_user: 3,
            ping_interval_ms: 30_000,
            change_retention_ms: 30 * 24 * 60 * 60 * 1000,
            write_timeout_ms: 10_000,
            max_connections_per_user: 16,
            max_connections_per_app: 0,
            rate_limits: RateLimits::default(),
            nats_url: None,
            secret_key: None,
            webhooks: webhooks::WebhookSettings::default(),
        }
    }
}

/// A cheap, cloneable handle to Palaver's services.
#[derive(Clone)]
pub struct Core {
    inner: Arc<CoreInner>,
}

struct CoreInner {
    store: Store,
    apps: AppRegistry,
    hub: Arc<Hub>,
    router: EventRouter,
    tasks: Tasks,
    config: CoreConfig,
    uploads: Arc<files::Uploads>,
    rates: RateLimiter,
    /// The NATS connection's state, when the node is part of a cluster.
    cluster_link: Option<ClusterLink>,
    closed: Mutex<bool>,
    /// Wakes the scheduled-message loop when an item is added or moved.
    scheduled: tokio::sync::Notify,
    /// Messages posted (`palaver_messages_sent_total`), a handle taken once.
    messages_sent: metrics::Counter,
}

impl Core {
    /// Opens the database (running migrations) and starts event dispatching, joining the
    /// cluster when a NATS URL is configured.
    pub async fn open(backend: Backend, store_options: StoreOptions, config: CoreConfig) -> Result<Core, Error> {
        let (router, rx) = EventRouter::new();
        let sink = router.sink();
        let store = tokio::task::spawn_blocking(move || Store::open(&backend, store_options, sink))
            .await
            .map_err(Error::internal)?
            .map_err(Error::from)?;
        let keys = store
            .read(|c| palaver_store::repo::apps::key_state(c, palaver_domain::time::now_ms()))
            .await
            .map_err(Error::from)?;
        router.start_from(store.read(|c| palaver_store::repo::current_seq(c)).await.map_err(Error::from)?);
        let hub = Arc::new(Hub::new());
        let tasks = Tasks::default();
        let cluster = match &config.nats_url {
            Some(url) => {
                let initial = secrets::random_hex(16);
                let id = store
                    .write(move |tx| palaver_store::repo::settings::get_or_init(tx.conn(), "cluster_id", &initial))
                    .await
                    .map_err(Error::from)?;
                Some(Cluster::connect(url, secrets::random_hex(12), &id, &tasks).await.map_err(Error::Internal)?)
            }
            None => None,
        };
        tasks.spawn(router.clone().dispatch(rx, hub.clone(), cluster.as_ref().map(|c| c.out.clone())));
        let uploads = files::Uploads::new(config.max_uploads, config.max_uploads_per_user);
        let apps = AppRegistry::new(keys);
        let rates = RateLimiter::new(config.rate_limits);
        let inner = CoreInner {
            store,
            apps,
            hub,
            router,
            tasks,
            config,
            uploads,
            rates,
            cluster_link: cluster.as_ref().map(Cluster::link),
            closed: Mutex::new(false),
            scheduled: tokio::sync::Notify::new(),
            messages_sent: metrics::counter!("palaver_messages_sent_total"),
        };
        let core = Core { inner: Arc::new(inner) };
        core.sweep_incoming();
        core.reload_rate_limits().await?;
        core.tasks().spawn(core.clone().housekeeping_forever());
        core.tasks().spawn(core.clone().refresh_apps_forever());
        if let Some(cluster) = cluster {
            cluster
                .subscribe(core.hub().clone(), core.router().clone(), core.tasks())
                .await
                .map_err(Error::Internal)?;
            core.tasks().spawn(core.clone().catch_up_after_outages(cluster.reconnected.clone()));
        }
        // Every node, clustered or not, delivers changes other writers committed: peers,
        // and one-off commands (`palaver user revoke-sessions`) on the same database.
        core.tasks().spawn(core.clone().fill_gaps());
        Ok(core)
    }

    /// The node's rate limit buckets.
    pub(crate) fn rates(&self) -> &RateLimiter {
        &self.inner.rates
    }

    /// The store, for the few callers that need it directly (tests, tools).
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// The realtime hub of this node.
    pub fn hub(&self) -> &Arc<Hub> {
        &self.inner.hub
    }

    /// The node's tasks: what live connections watch to stop, and register with.
    pub fn tasks(&self) -> &Tasks {
        &self.inner.tasks
    }

    /// The settings.
    pub fn config(&self) -> &CoreConfig {
        &self.inner.config
    }

    pub(crate) fn router(&self) -> &EventRouter {
        &self.inner.router
    }

    pub(crate) fn inner_scheduled(&self) -> &tokio::sync::Notify {
        &self.inner.scheduled
    }

    pub(crate) fn inner_uploads(&self) -> &Arc<files::Uploads> {
        &self.inner.uploads
    }

    /// Shuts down: live connections close (with a close frame) and finish their last writes,
    /// background tasks stop, the store drains its queued writes and closes, and the events of
    /// those writes are dispatched (and published to the cluster) before this returns.
    pub async fn close(&self) {
        {
            let mut closed = self.inner.closed.lock().unwrap_or_else(|p| p.into_inner());
            if *closed {
                return;
            }
            *closed = true;
        }
        self.tasks().stop_connections().await;
        let store = self.inner.store.clone();
        let _ = tokio::task::spawn_blocking(move || store.close()).await;
        self.router().finish().await;
        self.tasks().wait_background().await;
    }
}

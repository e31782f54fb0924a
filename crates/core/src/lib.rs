//! Palaver's application services.
//!
//! [`Core`] is the only thing the API faces call. Each operation validates, writes in one
//! group-committed transaction through the store, and emits its domain events, which the
//! realtime router delivers to live connections after the commit.

pub mod apps;
mod chat;
mod contacts;
mod files;
mod groups;
mod messages;
mod presence;
pub mod qiscus;
pub mod realtime;
mod replay;
mod rooms;
pub mod secrets;
mod sessions;
mod users;

pub use apps::{AppCredentials, AppSummary, KeyCheck};
pub use chat::OutgoingMessage;
pub use contacts::ContactChange;
pub use messages::{MessageTarget, ServerMessage};
pub use palaver_store::repo::files::FileRecord;
pub use palaver_store::repo::room_list::{RoomListEntry, RoomListFilter};
pub use rooms::{RoomDetails, RoomSpec};
pub use sessions::{ClientSession, IssuedTokens};

use apps::AppRegistry;
use palaver_domain::Error;
use palaver_store::{Backend, Store, StoreOptions};
use realtime::Hub;
use realtime::cluster::{CATCH_UP_GRACE, Cluster};
use realtime::router::EventRouter;
use std::path::PathBuf;
use std::sync::Arc;

/// Settings of the core.
#[derive(Clone, Debug)]
pub struct CoreConfig {
    /// Directory for uploaded files.
    pub data_dir: PathBuf,
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
    /// How often idle realtime connections are pinged; one silent for three intervals is
    /// dropped.
    pub ping_interval_ms: u64,
    /// NATS URL joining several nodes; `None` for a single node.
    pub nats_url: Option<String>,
}

impl Default for CoreConfig {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("./data"),
            ticket_ttl_ms: palaver_domain::limits::AUTH_TICKET_TTL_MS,
            access_token_ttl_ms: 24 * 60 * 60 * 1000,
            refresh_token_ttl_ms: 30 * 24 * 60 * 60 * 1000,
            outbox_limit_bytes: 4 * 1024 * 1024,
            max_file_bytes: 25 * 1024 * 1024,
            ping_interval_ms: 30_000,
            nats_url: None,
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
    config: CoreConfig,
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
        let records = store.read(|c| palaver_store::repo::apps::list(c)).await.map_err(Error::from)?;
        router.start_from(store.read(|c| palaver_store::repo::current_seq(c)).await.map_err(Error::from)?);
        let hub = Arc::new(Hub::new());
        let cluster = match &config.nats_url {
            Some(url) => {
                let initial = secrets::random_hex(16);
                let id = store
                    .write(move |tx| palaver_store::repo::settings::get_or_init(tx.conn(), "cluster_id", &initial))
                    .await
                    .map_err(Error::from)?;
                Some(Cluster::connect(url, secrets::random_hex(12), &id).await.map_err(Error::Internal)?)
            }
            None => None,
        };
        tokio::spawn(router.clone().dispatch(rx, hub.clone(), cluster.as_ref().map(|c| c.out.clone())));
        let core = Core { inner: Arc::new(CoreInner { store, apps: AppRegistry::new(records), hub, router, config }) };
        if let Some(cluster) = cluster {
            cluster.subscribe(core.hub().clone(), core.router().clone()).await.map_err(Error::Internal)?;
            tokio::spawn(core.clone().fill_gaps());
            let (signal, catching_up) = (cluster.reconnected.clone(), core.clone());
            tokio::spawn(async move {
                loop {
                    let lost_at = signal.wait().await;
                    let from = catching_up.router().seq_at(lost_at.checked_sub(CATCH_UP_GRACE).unwrap_or(lost_at));
                    match catching_up.replay_since(from).await {
                        Ok(n) => tracing::info!(events = n, from, "caught up from the database after a NATS outage"),
                        Err(e) => tracing::error!(error = %e, "catching up after a NATS outage"),
                    }
                }
            });
        }
        Ok(core)
    }

    /// The store, for the few callers that need it directly (tests, tools).
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// The realtime hub of this node.
    pub fn hub(&self) -> &Arc<Hub> {
        &self.inner.hub
    }

    /// The settings.
    pub fn config(&self) -> &CoreConfig {
        &self.inner.config
    }

    pub(crate) fn router(&self) -> &EventRouter {
        &self.inner.router
    }

    /// Finishes queued writes and closes the database. Blocks the calling thread briefly.
    pub async fn close(&self) {
        self.inner.hub.close_all();
        let store = self.inner.store.clone();
        let _ = tokio::task::spawn_blocking(move || store.close()).await;
    }
}

//! Settings, layered: defaults, then a TOML file, then `PALAVER_*` environment variables,
//! then command-line flags (merged by [`layers`](crate::layers)).

use clap::Args;
use palaver_core::{CoreConfig, RateLimits, RateOverrides};
use palaver_store::{Backend, Durability, StoreOptions};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::logs::LogFormat;
pub use crate::serve::ConnectionLimits;

/// Options every command that opens the database shares.
#[derive(Args, Clone, Debug, Default)]
pub struct DbArgs {
    /// Directory for the embedded database and uploaded files.
    #[arg(long, env = "PALAVER_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Database URL: `sqlite:PATH` or `postgres://...` (default: a SQLite file in the data dir).
    #[arg(long, env = "PALAVER_DATABASE_URL")]
    pub database_url: Option<String>,
    /// A TOML file with any of these settings.
    #[arg(long, env = "PALAVER_CONFIG")]
    pub config: Option<PathBuf>,
    /// The key webhook secrets are sealed with: base64 of 32 bytes, the same on every node
    /// (default: `secret.key` in the data dir, made on first use).
    #[arg(long, env = "PALAVER_SECRET_KEY", hide_env_values = true)]
    pub secret_key: Option<String>,
    /// Any setting of the config file, `KEY=VALUE` (repeatable; beats the file and the
    /// environment): `--set max_connections=20000 --set rate_limits.sends_per_minute=600`.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
}

/// Options of `palaver serve`.
#[derive(Args, Clone, Debug, Default)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "PALAVER_LISTEN")]
    pub listen: Option<String>,
    /// PEM certificate chain; with `--tls-key`, serves HTTPS and WSS.
    #[arg(long, env = "PALAVER_TLS_CERT")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for `--tls-cert`.
    #[arg(long, env = "PALAVER_TLS_KEY")]
    pub tls_key: Option<PathBuf>,
    /// Address of the MQTT listener (Qiscus realtime over plain MQTT; TLS with `--tls-cert`),
    /// or `off`. Default `127.0.0.1:1885`. MQTT over WebSocket is served at `/mqtt` anyway.
    #[arg(long, env = "PALAVER_MQTT_LISTEN")]
    pub mqtt_listen: Option<String>,
    /// Address of the Prometheus metrics listener (`/metrics`), or `off` (the default): keep
    /// it on a private address, metrics are not for the internet.
    #[arg(long, env = "PALAVER_METRICS_LISTEN")]
    pub metrics_listen: Option<String>,
    /// NATS URL joining several nodes that share one PostgreSQL database.
    #[arg(long, env = "PALAVER_NATS_URL")]
    pub nats_url: Option<String>,
    /// The URL clients reach this server at (`https://chat.example.com`), for the links it
    /// hands out such as file URLs (default: the listening address).
    #[arg(long, env = "PALAVER_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Database and data directory.
    #[command(flatten)]
    pub db: DbArgs,
}

/// The TOML file's keys; all optional. Each is also read from `PALAVER_<KEY>` and `--set`.
#[derive(Deserialize, Serialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    listen: Option<String>,
    mqtt_listen: Option<String>,
    metrics_listen: Option<String>,
    data_dir: Option<PathBuf>,
    database_url: Option<String>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    nats_url: Option<String>,
    public_url: Option<String>,
    /// Access token lifetime, seconds.
    access_token_ttl_secs: Option<i64>,
    /// Refresh token lifetime, seconds.
    refresh_token_ttl_secs: Option<i64>,
    /// Database reader connections.
    db_readers: Option<usize>,
    /// `full` (default) or `normal` SQLite durability.
    sqlite_durability: Option<String>,
    /// Bytes a slow connection may have queued before it is dropped.
    outbox_limit_bytes: Option<usize>,
    /// Largest upload, bytes.
    max_file_bytes: Option<u64>,
    /// Realtime ping interval, seconds.
    ping_interval_secs: Option<u64>,
    /// How long the change log keeps changes, days.
    change_retention_days: Option<i64>,
    /// How long a connection may stay silent before or between requests, seconds.
    idle_timeout_secs: Option<u64>,
    /// How long a request body may take to arrive, seconds.
    body_timeout_secs: Option<u64>,
    /// Most open connections (default: what the descriptor limit allows).
    max_connections: Option<usize>,
    /// Most open connections from one address or IPv6 /64 (default: a quarter of
    /// `max_connections`; 0: no cap, for servers behind a proxy).
    max_connections_per_ip: Option<usize>,
    /// Requests a connection carries before the server closes it.
    max_requests_per_connection: Option<u32>,
    /// Take the client's address for rate limits from the last `X-Forwarded-For` entry
    /// (only behind a proxy that sets it).
    trust_forwarded_for: Option<bool>,
    /// How long one write to a realtime client may take before it is dropped, seconds.
    write_timeout_secs: Option<u64>,
    /// Most realtime connections of one user on a node (the oldest gives way).
    max_connections_per_user: Option<usize>,
    /// Most realtime connections of one app's users on a node (0: no cap).
    max_connections_per_app: Option<usize>,
    /// Most uploads in progress on a node.
    max_uploads: Option<usize>,
    /// Most uploads in progress by one user.
    max_uploads_per_user: Option<usize>,
    /// The `[rate_limits]` table: the server's rate limits (see [`RateOverrides`]).
    rate_limits: Option<RateOverrides>,
    /// See [`DbArgs::secret_key`].
    secret_key: Option<String>,
    /// Deliver webhooks to loopback, private and link-local addresses too.
    webhook_allow_private: Option<bool>,
    /// Waits before each webhook retry, ms; the last one repeats.
    webhook_retry_delays_ms: Option<Vec<u64>>,
    /// Failed deliveries in a row after which an endpoint is disabled.
    webhook_disable_after_failures: Option<i64>,
    /// How long a webhook request may take, seconds.
    webhook_timeout_secs: Option<u64>,
    /// How long connecting to a webhook receiver may take, seconds.
    webhook_connect_timeout_secs: Option<u64>,
    /// How long webhook attempts stay in the log, days.
    webhook_log_retention_days: Option<i64>,
    /// How log lines are written: `text` or `json` (`PALAVER_LOG_FORMAT` wins).
    log_format: Option<LogFormat>,
}

/// Everything `palaver serve` needs, resolved.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Listen address.
    pub listen: SocketAddr,
    /// Where the MQTT listener listens; `None`: no MQTT listener.
    pub mqtt_listen: Option<SocketAddr>,
    /// Where `/metrics` is served; `None` (the default): no metrics listener.
    pub metrics_listen: Option<SocketAddr>,
    /// Data directory.
    pub data_dir: PathBuf,
    /// Database.
    pub backend: Backend,
    /// Certificate and key for TLS.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// Store tuning.
    pub store: StoreOptions,
    /// Core settings.
    pub core: CoreConfig,
    /// Connection caps and timeouts.
    pub limits: ConnectionLimits,
    /// The URL clients reach this server at; `None`: derived from the listening address.
    pub public_url: Option<String>,
}

/// The public URL when none is configured: the listening address (`localhost` for an
/// address that listens everywhere).
pub fn default_public_url(bound: SocketAddr, tls: bool) -> String {
    let scheme = if tls { "https" } else { "http" };
    let host = if bound.ip().is_unspecified() { "localhost".to_string() } else { bound.ip().to_string() };
    let host = if bound.is_ipv6() && !bound.ip().is_unspecified() { format!("[{host}]") } else { host };
    format!("{scheme}://{host}:{}", bound.port())
}

/// Checks a configured public URL: `http(s)://host[:port][/path]`, without a trailing slash.
fn public_url(url: &str) -> Result<String, String> {
    let url = url.trim().trim_end_matches('/');
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
    match rest {
        Some(r) if !r.is_empty() && !r.contains(['?', '#', ' ', '"', '<', '>']) => Ok(url.to_string()),
        _ => Err(format!("public_url must be an http:// or https:// URL, not {url:?}")),
    }
}

/// The file at `path`, the environment and `--set` flags, merged.
pub fn read_file(path: Option<&Path>, sets: &[String]) -> Result<FileConfig, String> {
    crate::layers::read(path, sets)
}

/// The `log_format` a config file sets; `None` without a file, when it does not say, or when
/// it cannot be read (serving then reports why).
pub fn file_log_format(path: Option<&Path>) -> Option<LogFormat> {
    read_file(path, &[]).ok()?.log_format
}

/// The core settings every command shares: the data directory, the sealing key and how
/// webhooks go out.
pub fn core_config(db: &DbArgs, data_dir: &std::path::Path, file: &FileConfig) -> Result<CoreConfig, String> {
    let mut core = CoreConfig {
        data_dir: data_dir.to_path_buf(),
        secret_key: db.secret_key.clone().or(file.secret_key.clone()).filter(|k| !k.is_empty()),
        ..CoreConfig::default()
    };
    let w = &mut core.webhooks;
    w.allow_private = file.webhook_allow_private.unwrap_or(false);
    if let Some(delays) = file.webhook_retry_delays_ms.clone() {
        if delays.is_empty() || delays.contains(&0) {
            return Err("webhook_retry_delays_ms must list waits above 0".into());
        }
        w.retry_delays_ms = delays;
    }
    if let Some(n) = file.webhook_disable_after_failures.filter(|n| *n > 0) {
        w.disable_after_failures = n;
    }
    if let Some(s) = file.webhook_timeout_secs.filter(|s| *s > 0) {
        w.timeout_ms = s * 1000;
    }
    if let Some(s) = file.webhook_connect_timeout_secs.filter(|s| *s > 0) {
        w.connect_timeout_ms = s * 1000;
    }
    if let Some(d) = file.webhook_log_retention_days.filter(|d| *d > 0) {
        w.log_retention_ms = d * 24 * 3600 * 1000;
    }
    Ok(core)
}

/// The data directory and database backend from flags, environment and file.
pub fn resolve_db(db: &DbArgs) -> Result<(PathBuf, Backend, FileConfig), String> {
    let file = read_file(db.config.as_deref(), &db.set)?;
    let data_dir = db.data_dir.clone().or(file.data_dir.clone()).unwrap_or_else(|| PathBuf::from("./data"));
    let url = db
        .database_url
        .clone()
        .or(file.database_url.clone())
        .unwrap_or_else(|| format!("sqlite:{}", data_dir.join("palaver.db").display()));
    let backend = Backend::from_url(&url)?;
    Ok((data_dir, backend, file))
}

impl Settings {
    /// Resolves `palaver serve`'s settings.
    pub fn resolve(args: &ServeArgs) -> Result<Settings, String> {
        let (data_dir, backend, file) = resolve_db(&args.db)?;
        let listen = args.listen.clone().or(file.listen.clone()).unwrap_or_else(|| "127.0.0.1:8080".into());
        let listen = listen.parse().map_err(|e| format!("invalid listen address {listen:?}: {e}"))?;
        let mqtt_listen =
            args.mqtt_listen.clone().or(file.mqtt_listen.clone()).unwrap_or_else(|| "127.0.0.1:1885".into());
        let mqtt_listen = match mqtt_listen.as_str() {
            "off" | "" => None,
            a => Some(a.parse().map_err(|e| format!("invalid mqtt_listen address {a:?}: {e}"))?),
        };
        let metrics_listen = match args.metrics_listen.clone().or(file.metrics_listen.clone()).as_deref() {
            None | Some("off" | "") => None,
            Some(a) => Some(a.parse().map_err(|e| format!("invalid metrics_listen address {a:?}: {e}"))?),
        };
        let tls = match (args.tls_cert.clone().or(file.tls_cert.clone()), args.tls_key.clone().or(file.tls_key.clone()))
        {
            (Some(c), Some(k)) => Some((c, k)),
            (None, None) => None,
            _ => return Err("--tls-cert and --tls-key go together".into()),
        };
        let mut store = StoreOptions::default();
        if let Some(n) = file.db_readers {
            store.readers = n;
        }
        store.durability = match file.sqlite_durability.as_deref() {
            None | Some("full") => Durability::Full,
            Some("normal") => Durability::Normal,
            Some(other) => {
                return Err(format!("sqlite_durability must be full or normal, not {other:?}"));
            }
        };
        let nats_url = args.nats_url.clone().or(file.nats_url.clone()).filter(|u| !u.is_empty());
        if nats_url.is_some() && matches!(backend, Backend::Sqlite(_)) {
            return Err("several nodes need a shared PostgreSQL database: set --database-url postgres://...".into());
        }
        let mut core = CoreConfig { nats_url, ..core_config(&args.db, &data_dir, &file)? };
        if let Some(s) = file.access_token_ttl_secs {
            core.access_token_ttl_ms = s * 1000;
        }
        if let Some(s) = file.refresh_token_ttl_secs {
            core.refresh_token_ttl_ms = s * 1000;
        }
        if let Some(b) = file.outbox_limit_bytes {
            core.outbox_limit_bytes = b;
        }
        if let Some(b) = file.max_file_bytes {
            core.max_file_bytes = b;
        }
        if let Some(s) = file.ping_interval_secs {
            core.ping_interval_ms = s * 1000;
        }
        if let Some(d) = file.change_retention_days {
            if d < 1 {
                return Err("change_retention_days must be at least 1".into());
            }
            core.change_retention_ms = d * 24 * 60 * 60 * 1000;
        }
        if let Some(s) = file.write_timeout_secs.filter(|s| *s > 0) {
            core.write_timeout_ms = s * 1000;
        }
        if let Some(n) = file.max_connections_per_user.filter(|n| *n > 0) {
            core.max_connections_per_user = n;
        }
        if let Some(n) = file.max_connections_per_app {
            core.max_connections_per_app = n;
        }
        if let Some(n) = file.max_uploads.filter(|n| *n > 0) {
            core.max_uploads = n;
        }
        if let Some(n) = file.max_uploads_per_user.filter(|n| *n > 0) {
            core.max_uploads_per_user = n;
        }
        let off = std::env::var("PALAVER_RATE_LIMITS").is_ok_and(|v| matches!(v.as_str(), "off" | "false" | "0"));
        core.rate_limits = RateLimits::default().with(&file.rate_limits.unwrap_or_default());
        core.rate_limits.enabled &= !off;
        let mut limits = ConnectionLimits::default();
        if let Some(s) = file.idle_timeout_secs.filter(|s| *s > 0) {
            limits.idle_timeout = Duration::from_secs(s);
        }
        if let Some(s) = file.body_timeout_secs.filter(|s| *s > 0) {
            limits.body_timeout = Duration::from_secs(s);
        }
        limits.max_connections = file.max_connections.unwrap_or(0);
        limits.max_connections_per_ip = file.max_connections_per_ip;
        limits.trust_forwarded_for = file.trust_forwarded_for.unwrap_or(false);
        if let Some(n) = file.max_requests_per_connection.filter(|n| *n > 0) {
            limits.max_requests_per_connection = n;
        }
        let public_url = args.public_url.clone().or(file.public_url.clone()).map(|u| public_url(&u)).transpose()?;
        Ok(Settings { listen, mqtt_listen, metrics_listen, data_dir, backend, tls, store, core, limits, public_url })
    }
}

//! Settings, layered: defaults, then a TOML file, then `PALAVER_*` environment variables,
//! then command-line flags.

use clap::Args;
use palaver_core::CoreConfig;
use palaver_store::{Backend, Durability, StoreOptions};
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

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
    /// NATS URL joining several nodes that share one PostgreSQL database.
    #[arg(long, env = "PALAVER_NATS_URL")]
    pub nats_url: Option<String>,
    /// Database and data directory.
    #[command(flatten)]
    pub db: DbArgs,
}

/// The TOML file's keys; all optional.
#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    listen: Option<String>,
    data_dir: Option<PathBuf>,
    database_url: Option<String>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    nats_url: Option<String>,
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
}

/// Everything `palaver serve` needs, resolved.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Listen address.
    pub listen: SocketAddr,
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
}

fn read_file(path: Option<&Path>) -> Result<FileConfig, String> {
    let Some(path) = path else {
        return Ok(FileConfig::default());
    };
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    toml::from_str(&text).map_err(|e| format!("invalid config {}: {e}", path.display()))
}

/// The data directory and database backend from flags, environment and file.
pub fn resolve_db(db: &DbArgs) -> Result<(PathBuf, Backend, FileConfig), String> {
    let file = read_file(db.config.as_deref())?;
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
        let mut core = CoreConfig { data_dir: data_dir.clone(), nats_url, ..CoreConfig::default() };
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
        Ok(Settings { listen, data_dir, backend, tls, store, core })
    }
}

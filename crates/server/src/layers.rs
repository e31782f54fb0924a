//! Where settings come from, lowest first: the TOML file (`--config`), the environment
//! (`PALAVER_<KEY>` for every key of the file; `PALAVER_RATE_LIMITS__<KEY>` for the
//! `[rate_limits]` table), then `--set KEY=VALUE` flags (and the named flags, which
//! `Settings::resolve` applies last). Merged by `figment`, which names the source of a bad
//! value in its error.

use figment::providers::{Env, Serialized};
use figment::value::{Dict, Map};
use figment::{Figment, Metadata, Profile, Provider};
use serde::de::DeserializeOwned;
use std::path::Path;

/// Every key of the config file; each is also read from `PALAVER_<KEY>`. Kept equal to the
/// file's fields by a test, and to `palaver.example.toml` by another.
pub const KEYS: &[&str] = &[
    "listen",
    "mqtt_listen",
    "metrics_listen",
    "data_dir",
    "database_url",
    "tls_cert",
    "tls_key",
    "nats_url",
    "public_url",
    "access_token_ttl_secs",
    "refresh_token_ttl_secs",
    "db_readers",
    "sqlite_durability",
    "outbox_limit_bytes",
    "max_file_bytes",
    "ping_interval_secs",
    "change_retention_days",
    "idle_timeout_secs",
    "body_timeout_secs",
    "max_connections",
    "max_connections_per_ip",
    "max_requests_per_connection",
    "trust_forwarded_for",
    "write_timeout_secs",
    "max_connections_per_user",
    "max_connections_per_app",
    "max_uploads",
    "max_uploads_per_user",
    "rate_limits",
    "secret_key",
    "webhook_allow_private",
    "webhook_retry_delays_ms",
    "webhook_disable_after_failures",
    "webhook_timeout_secs",
    "webhook_connect_timeout_secs",
    "webhook_log_retention_days",
    "log_format",
];

/// The complete example configuration, every key with its default and what it does
/// (`palaver config example` prints it).
pub const EXAMPLE: &str = include_str!("../../../palaver.example.toml");

/// A provider under a name of our choosing (the file's path, `--set key`), so that an error
/// says where the bad value came from.
struct Named<P> {
    name: String,
    inner: P,
}

impl<P: Provider> Provider for Named<P> {
    fn metadata(&self) -> Metadata {
        Metadata::named(self.name.clone())
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        self.inner.data()
    }
}

/// Reads one `--set KEY=VALUE`: the value as TOML (`8080`, `true`, `[1, 2]`, `"text"`), or as
/// text when it is not TOML (`127.0.0.1:8080`).
fn parse_set(item: &str) -> Result<(String, toml::Value), String> {
    let (key, raw) = item.split_once('=').ok_or_else(|| format!("--set {item:?} is not KEY=VALUE"))?;
    let key = key.trim();
    let top = key.split('.').next().unwrap_or_default();
    if !KEYS.contains(&top) {
        return Err(format!("--set names no setting: {key:?} (`palaver config example` lists them)"));
    }
    let value = toml::from_str::<toml::Table>(&format!("v = {raw}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(raw.to_string()));
    Ok((key.to_string(), value))
}

/// Merges the file at `path` (if any), the environment and `sets` into `T`.
pub fn read<T: DeserializeOwned>(path: Option<&Path>, sets: &[String]) -> Result<T, String> {
    let mut figment = Figment::new();
    if let Some(path) = path {
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let table: toml::Table =
            toml::from_str(&text).map_err(|e| format!("invalid config {}: {e}", path.display()))?;
        figment = figment.merge(Named { name: path.display().to_string(), inner: Serialized::defaults(table) });
    }
    // `PALAVER_RATE_LIMITS` alone is the switch of the test suites and benchmarks (`off`); the
    // table's keys come as `PALAVER_RATE_LIMITS__SENDS_PER_MINUTE`.
    let env = Env::prefixed("PALAVER_")
        .filter(|k| {
            let k = k.as_str().to_ascii_lowercase();
            KEYS.contains(&k.as_str()) && k != "rate_limits" || k.starts_with("rate_limits__")
        })
        .split("__");
    figment = figment.merge(env);
    for item in sets {
        let (key, value) = parse_set(item)?;
        figment = figment.merge(Named { name: format!("--set {key}"), inner: Serialized::global(&key, value) });
    }
    figment.extract().map_err(|e| {
        let source = e.metadata.as_ref().map(|m| format!(" (from {})", m.name)).unwrap_or_default();
        let path = if e.path.is_empty() { String::new() } else { format!(" at {}", e.path.join(".")) };
        format!("invalid setting{path}{source}: {}", e.kind)
    })
}

#[cfg(test)]
mod tests {
    use super::{EXAMPLE, KEYS};
    use crate::config::FileConfig;

    #[test]
    fn the_keys_are_the_config_files_fields() {
        let fields = serde_json::to_value(FileConfig::default()).unwrap();
        let mut fields: Vec<&str> = fields.as_object().unwrap().keys().map(String::as_str).collect();
        let mut keys = KEYS.to_vec();
        fields.sort_unstable();
        keys.sort_unstable();
        assert_eq!(fields, keys, "every field of the file is read from the environment too");
    }

    #[test]
    fn the_example_parses_and_names_every_key() {
        let parsed: Result<FileConfig, _> = toml::from_str(EXAMPLE);
        assert!(parsed.is_ok(), "{parsed:?}");
        for key in KEYS {
            let set = EXAMPLE.lines().any(|l| {
                let l = l.trim_start_matches("# ");
                l.starts_with(&format!("{key} =")) || l == format!("[{key}]")
            });
            assert!(set, "palaver.example.toml says nothing of {key}");
        }
    }
}

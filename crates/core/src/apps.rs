//! Apps (tenants), their credentials, and the in-memory registry every request authenticates
//! against.

use crate::{Core, secrets};
use base64::Engine;
use palaver_domain::{AppId, Error, time::now_ms};
use palaver_store::repo::apps::{self, AppRecord};
use palaver_store::{DbError, Store};
use serde::Serialize;
use std::collections::HashMap;
use std::fmt;
use std::sync::RwLock;
use std::time::{Duration, Instant};

/// The credentials of a new app. Secrets appear here once and are stored only as hashes.
#[derive(Clone, Serialize)]
pub struct AppCredentials {
    /// App id.
    pub app_id: i64,
    /// App name.
    pub name: String,
    /// Ready value of the TapTalk `Server-Key` header: base64 of `id:secret`.
    pub server_key: String,
    /// Server key id.
    pub server_key_id: String,
    /// Server key secret.
    pub server_key_secret: String,
    /// Ready value of the TapTalk `App-Key` header: base64 of `id:secret`.
    pub app_key: String,
    /// App key id.
    pub app_key_id: String,
    /// App key secret.
    pub app_key_secret: String,
    /// Qiscus app id (`QISCUS-SDK-APP-ID`).
    pub qiscus_app_id: String,
    /// Qiscus secret key (`QISCUS-SDK-SECRET`).
    pub qiscus_secret: String,
}

impl fmt::Debug for AppCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppCredentials")
            .field("app_id", &self.app_id)
            .field("name", &self.name)
            .field("server_key_id", &self.server_key_id)
            .field("app_key_id", &self.app_key_id)
            .field("qiscus_app_id", &self.qiscus_app_id)
            .finish_non_exhaustive()
    }
}

/// An app without its secrets, for listings.
#[derive(Clone, Debug, Serialize)]
pub struct AppSummary {
    /// App id.
    pub app_id: i64,
    /// Name.
    pub name: String,
    /// Server key id.
    pub server_key_id: String,
    /// App key id.
    pub app_key_id: String,
    /// Qiscus app id.
    pub qiscus_app_id: String,
    /// Creation time, Unix ms.
    pub created: i64,
}

/// The outcome of checking a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyCheck {
    /// Valid key of this app.
    Valid(AppId),
    /// No key with this id.
    Unknown,
    /// The id exists but the secret is wrong.
    WrongSecret,
    /// The id is a key of another kind (an App-Key sent as Server-Key, say).
    WrongKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum KeyKind {
    Server,
    App,
    Qiscus,
}

/// Key ids to apps and secret hashes, reloaded from the store when an unknown id shows up
/// (an app created by another process or node).
pub(crate) struct AppRegistry {
    keys: RwLock<HashMap<String, (KeyKind, AppId, String)>>,
    last_reload: tokio::sync::Mutex<Instant>,
}

/// Least time between two reloads caused by unknown key ids.
const RELOAD_INTERVAL: Duration = Duration::from_millis(200);

impl AppRegistry {
    pub(crate) fn new(records: Vec<AppRecord>) -> Self {
        let registry = Self {
            keys: RwLock::new(HashMap::new()),
            last_reload: tokio::sync::Mutex::new(Instant::now() - RELOAD_INTERVAL),
        };
        registry.replace(records);
        registry
    }

    fn replace(&self, records: Vec<AppRecord>) {
        let mut map = HashMap::new();
        for r in records {
            map.insert(r.server_key_id, (KeyKind::Server, r.id, r.server_key_hash));
            map.insert(r.app_key_id, (KeyKind::App, r.id, r.app_key_hash));
            map.insert(r.qiscus_app_id, (KeyKind::Qiscus, r.id, r.qiscus_secret_hash));
        }
        *self.keys.write().unwrap_or_else(|p| p.into_inner()) = map;
    }

    fn lookup(&self, id: &str) -> Option<(KeyKind, AppId, String)> {
        self.keys.read().unwrap_or_else(|p| p.into_inner()).get(id).cloned()
    }

    async fn check(&self, store: &Store, kind: KeyKind, id: &str, secret: &str) -> KeyCheck {
        let mut found = self.lookup(id);
        if found.is_none() {
            let mut last = self.last_reload.lock().await;
            found = self.lookup(id);
            if found.is_none() && last.elapsed() >= RELOAD_INTERVAL {
                *last = Instant::now();
                if let Ok(records) = store.read(|c| apps::list(c)).await.map_err(|e: DbError| {
                    tracing::error!(error = %e, "reloading apps");
                }) {
                    self.replace(records);
                    found = self.lookup(id);
                }
            }
        }
        match found {
            None => KeyCheck::Unknown,
            Some((k, _, _)) if k != kind => KeyCheck::WrongKind,
            Some((_, app, hash)) if secrets::verify(secret, &hash) => KeyCheck::Valid(app),
            Some(_) => KeyCheck::WrongSecret,
        }
    }
}

/// Encodes `id:secret` the way TapTalk key headers carry it.
pub fn key_header(id: &str, secret: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"))
}

/// Whether `name` is acceptable for an app: 1 to 64 letters, digits, `-`, `_` or `.`.
fn valid_app_name(name: &str) -> bool {
    (1..=64).contains(&name.len()) && name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
}

impl Core {
    /// Creates an app with fresh credentials.
    pub async fn create_app(&self, name: &str) -> Result<AppCredentials, Error> {
        if !valid_app_name(name) {
            return Err(Error::invalid("name", "An app name is 1 to 64 letters, digits, '-', '_' or '.'"));
        }
        let slug: String = name.to_ascii_lowercase().chars().filter(char::is_ascii_alphanumeric).take(16).collect();
        let mut creds = AppCredentials {
            app_id: 0,
            name: name.to_string(),
            server_key: String::new(),
            server_key_id: secrets::random_hex(24),
            server_key_secret: secrets::random_token(40),
            app_key: String::new(),
            app_key_id: secrets::random_hex(24),
            app_key_secret: secrets::random_token(40),
            qiscus_app_id: format!("{}-{}", if slug.is_empty() { "app" } else { &slug }, secrets::random_hex(6)),
            qiscus_secret: secrets::random_token(32),
        };
        creds.server_key = key_header(&creds.server_key_id, &creds.server_key_secret);
        creds.app_key = key_header(&creds.app_key_id, &creds.app_key_secret);
        let record = AppRecord {
            id: AppId(0),
            name: name.to_string(),
            server_key_id: creds.server_key_id.clone(),
            server_key_hash: secrets::hash(&creds.server_key_secret),
            app_key_id: creds.app_key_id.clone(),
            app_key_hash: secrets::hash(&creds.app_key_secret),
            qiscus_app_id: creds.qiscus_app_id.clone(),
            qiscus_secret_hash: secrets::hash(&creds.qiscus_secret),
            created: now_ms(),
        };
        let id = self.store().write(move |tx| apps::insert(tx.conn(), &record)).await.map_err(|e| match e {
            DbError::Unique(_) => Error::invalid("name", format!("An app named {name:?} already exists")),
            other => Error::from(other),
        })?;
        creds.app_id = id.0;
        self.reload_apps().await?;
        Ok(creds)
    }

    /// Every app, without secrets.
    pub async fn list_apps(&self) -> Result<Vec<AppSummary>, Error> {
        let records = self.store().read(|c| apps::list(c)).await.map_err(Error::from)?;
        Ok(records
            .into_iter()
            .map(|r| AppSummary {
                app_id: r.id.0,
                name: r.name,
                server_key_id: r.server_key_id,
                app_key_id: r.app_key_id,
                qiscus_app_id: r.qiscus_app_id,
                created: r.created,
            })
            .collect())
    }

    /// Creates the app `default` if there is no app at all; returns its credentials then.
    /// When nodes start together, one creates it and the others find it.
    pub async fn ensure_default_app(&self) -> Result<Option<AppCredentials>, Error> {
        if !self.list_apps().await?.is_empty() {
            return Ok(None);
        }
        match self.create_app("default").await {
            Ok(creds) => Ok(Some(creds)),
            Err(_) if !self.list_apps().await?.is_empty() => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn reload_apps(&self) -> Result<(), Error> {
        let records = self.store().read(|c| apps::list(c)).await.map_err(Error::from)?;
        self.inner.apps.replace(records);
        Ok(())
    }

    /// Checks a TapTalk Server-Key.
    pub async fn check_server_key(&self, id: &str, secret: &str) -> KeyCheck {
        self.inner.apps.check(self.store(), KeyKind::Server, id, secret).await
    }

    /// Checks a TapTalk App-Key.
    pub async fn check_app_key(&self, id: &str, secret: &str) -> KeyCheck {
        self.inner.apps.check(self.store(), KeyKind::App, id, secret).await
    }

    /// Checks a Qiscus app id and secret key.
    pub async fn check_qiscus_secret(&self, app_id: &str, secret: &str) -> KeyCheck {
        self.inner.apps.check(self.store(), KeyKind::Qiscus, app_id, secret).await
    }

    /// The app a Qiscus app id names, without checking a secret (client APIs send only the id).
    pub async fn qiscus_app(&self, app_id: &str) -> Option<AppId> {
        match self.inner.apps.check(self.store(), KeyKind::Qiscus, app_id, "").await {
            KeyCheck::Valid(app) => Some(app),
            KeyCheck::WrongSecret => self.inner.apps.lookup(app_id).map(|(_, app, _)| app),
            _ => None,
        }
    }
}

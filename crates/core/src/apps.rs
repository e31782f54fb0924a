//! Apps (tenants), their keys, and the in-memory registry every request authenticates
//! against. A key is of a kind a face names and needs (a server key, a client app key, a
//! secret...): a new face adds kinds, not columns. Secrets appear once, when issued, and are
//! stored as SHA-256 hashes.

use crate::{Core, secrets};
use palaver_domain::{AppId, Entity, Error, Field, Invalid, time::now_ms};
use palaver_store::repo::apps::{self, KeyRecord};
use palaver_store::{DbError, Store};
use serde::Serialize;
use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;
use std::sync::RwLock;
use std::time::{Duration, Instant};

/// A kind of key a face authenticates with.
#[derive(Clone, Copy, Debug)]
pub struct KeyKind {
    /// Stored name, e.g. `taptalk.server_key`.
    pub name: &'static str,
    /// How the key's public id looks.
    pub id_style: KeyIdStyle,
    /// Characters of the secret.
    pub secret_chars: usize,
    /// Whether the secret also signs tokens (HMAC), which can only be checked with the secret
    /// itself: it is then kept as it is besides its hash.
    pub signs: bool,
    /// How operators are shown a key of this kind: from its id and, when it was just
    /// issued, its secret, the named values to print (the face's own header forms included).
    pub show: fn(id: &str, secret: Option<&str>) -> Vec<KeyField>,
}

/// One value shown to an operator about a key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyField {
    /// Its name in JSON output.
    pub name: &'static str,
    /// The value.
    pub value: String,
    /// Its label in text output; values without one are shown in JSON only.
    pub label: Option<&'static str>,
}

/// How a key's public id is made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyIdStyle {
    /// Random lowercase hex of this many characters.
    Hex(usize),
    /// The app's name, lowercased letters and digits (at most 16), a dash and 6 random hex
    /// digits: readable where the id is typed into client configuration.
    NamedAfterApp,
}

/// A key just issued: its secret is shown this once.
#[derive(Clone, Serialize)]
pub struct IssuedKey {
    /// The key's kind.
    pub kind: &'static str,
    /// Public id.
    pub id: String,
    /// Secret.
    pub secret: String,
}

impl fmt::Debug for IssuedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedKey").field("kind", &self.kind).field("id", &self.id).finish_non_exhaustive()
    }
}

/// A new app and its keys.
#[derive(Clone, Debug)]
pub struct CreatedApp {
    /// App id.
    pub app_id: i64,
    /// Name.
    pub name: String,
    /// Its keys, secrets included.
    pub keys: Vec<IssuedKey>,
}

impl CreatedApp {
    /// The key of a kind.
    pub fn key(&self, kind: &str) -> Option<&IssuedKey> {
        self.keys.iter().find(|k| k.kind == kind)
    }
}

/// An app without its secrets, for listings.
#[derive(Clone, Debug)]
pub struct AppSummary {
    /// App id.
    pub app_id: i64,
    /// Name.
    pub name: String,
    /// Creation time, Unix ms.
    pub created: i64,
    /// Its keys' kinds and public ids.
    pub keys: Vec<(String, String)>,
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
    /// The id is a key of another kind (an app key sent as a server key, say).
    WrongKind,
    /// The caller's address failed too often lately; it may retry after this many seconds.
    Limited {
        /// Seconds until the address may try again.
        retry_after_secs: u32,
    },
}

/// Key ids to their kind, app and secret hash, reloaded from the store when an unknown id
/// shows up (an app created by another process or node).
pub(crate) struct AppRegistry {
    keys: RwLock<HashMap<String, (String, AppId, String)>>,
    last_reload: tokio::sync::Mutex<Instant>,
}

/// Least time between two reloads caused by unknown key ids.
const RELOAD_INTERVAL: Duration = Duration::from_millis(200);

impl AppRegistry {
    pub(crate) fn new(keys: Vec<KeyRecord>) -> Self {
        let registry = Self {
            keys: RwLock::new(HashMap::new()),
            last_reload: tokio::sync::Mutex::new(Instant::now() - RELOAD_INTERVAL),
        };
        registry.replace(keys);
        registry
    }

    fn replace(&self, keys: Vec<KeyRecord>) {
        let map = keys.into_iter().map(|k| (k.key_id, (k.kind, k.app, k.secret_hash))).collect();
        *self.keys.write().unwrap_or_else(|p| p.into_inner()) = map;
    }

    fn lookup(&self, id: &str) -> Option<(String, AppId, String)> {
        self.keys.read().unwrap_or_else(|p| p.into_inner()).get(id).cloned()
    }

    async fn find(&self, store: &Store, id: &str) -> Option<(String, AppId, String)> {
        if let Some(found) = self.lookup(id) {
            return Some(found);
        }
        let mut last = self.last_reload.lock().await;
        if let Some(found) = self.lookup(id) {
            return Some(found);
        }
        if last.elapsed() < RELOAD_INTERVAL {
            return None;
        }
        *last = Instant::now();
        match store.read(|c| apps::keys(c)).await {
            Ok(keys) => self.replace(keys),
            Err(e) => {
                let e: DbError = e;
                tracing::error!(error = %e, "reloading app keys");
            }
        }
        self.lookup(id)
    }
}

/// Whether `name` is acceptable for an app: 1 to 64 letters, digits, `-`, `_` or `.`.
fn valid_app_name(name: &str) -> bool {
    (1..=64).contains(&name.len()) && name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
}

fn key_id(style: KeyIdStyle, app_name: &str) -> String {
    match style {
        KeyIdStyle::Hex(n) => secrets::random_hex(n),
        KeyIdStyle::NamedAfterApp => {
            let slug: String =
                app_name.to_ascii_lowercase().chars().filter(char::is_ascii_alphanumeric).take(16).collect();
            format!("{}-{}", if slug.is_empty() { "app" } else { &slug }, secrets::random_hex(6))
        }
    }
}

impl Core {
    /// Creates an app with a fresh key of every kind given.
    pub async fn create_app(&self, name: &str, kinds: &[KeyKind]) -> Result<CreatedApp, Error> {
        if !valid_app_name(name) {
            return Err(Error::invalid(Field::AppName, Invalid::Length { min: 1, max: 64 }));
        }
        let keys: Vec<IssuedKey> = kinds
            .iter()
            .map(|k| IssuedKey {
                kind: k.name,
                id: key_id(k.id_style, name),
                secret: secrets::random_token(k.secret_chars),
            })
            .collect();
        let records: Vec<(String, String, String, String)> = keys
            .iter()
            .zip(kinds)
            .map(|(k, kind)| {
                let kept = if kind.signs { k.secret.clone() } else { String::new() };
                (k.kind.to_string(), k.id.clone(), secrets::hash(&k.secret), kept)
            })
            .collect();
        let app_name = name.to_string();
        let id = self
            .store()
            .write(move |tx| {
                let now = now_ms();
                let app = apps::insert(tx.conn(), &app_name, now)?;
                for (kind, key_id, secret_hash, secret) in records {
                    apps::insert_key(tx.conn(), &KeyRecord { key_id, app, kind, secret_hash, created: now, secret })?;
                }
                Ok::<_, DbError>(app)
            })
            .await
            .map_err(|e| match e {
                DbError::Unique(_) => Error::invalid(Field::AppName, Invalid::Taken),
                other => Error::from(other),
            })?;
        self.reload_apps().await?;
        Ok(CreatedApp { app_id: id.0, name: name.to_string(), keys })
    }

    /// Gives the app named `app_name` a new secret for its key of `kind` (the key id stays);
    /// the old secret stops working on this node at once and on running servers within a
    /// minute (they reload the keys).
    pub async fn rotate_key(&self, app_name: &str, kind: KeyKind) -> Result<IssuedKey, Error> {
        let secret = secrets::random_token(kind.secret_chars);
        let (hash, kept) = (secrets::hash(&secret), if kind.signs { secret.clone() } else { String::new() });
        let (name, kind_name) = (app_name.to_string(), kind.name);
        let id = self
            .store()
            .write(move |tx| {
                let (_, key_id) = apps::key_of_app(tx.conn(), &name, kind_name)?.ok_or(Error::NotFound(Entity::App))?;
                apps::set_key_secret(tx.conn(), &key_id, &hash, &kept, now_ms())?;
                Ok::<_, Error>(key_id)
            })
            .await?;
        self.reload_apps().await?;
        Ok(IssuedKey { kind: kind.name, id, secret })
    }

    /// The secret of a key of `kind` that signs tokens, to check a signature with.
    pub async fn signing_secret(&self, kind: &str, key_id: &str) -> Result<Option<String>, Error> {
        let (kind, key_id) = (kind.to_string(), key_id.to_string());
        Ok(self.store().read(move |c| apps::signing_secret(c, &kind, &key_id)).await?)
    }

    /// Every app with its key ids, without secrets.
    pub async fn list_apps(&self) -> Result<Vec<AppSummary>, Error> {
        let (list, keys) = self.store().read(|c| Ok::<_, DbError>((apps::list(c)?, apps::keys(c)?))).await?;
        Ok(list
            .into_iter()
            .map(|a| AppSummary {
                app_id: a.id.0,
                name: a.name,
                created: a.created,
                keys: keys.iter().filter(|k| k.app == a.id).map(|k| (k.kind.clone(), k.key_id.clone())).collect(),
            })
            .collect())
    }

    /// Creates the app `default` if there is no app at all; returns it then. When nodes
    /// start together, one creates it and the others find it.
    pub async fn ensure_default_app(&self, kinds: &[KeyKind]) -> Result<Option<CreatedApp>, Error> {
        if !self.list_apps().await?.is_empty() {
            return Ok(None);
        }
        match self.create_app("default", kinds).await {
            Ok(app) => Ok(Some(app)),
            Err(_) if !self.list_apps().await?.is_empty() => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub(crate) async fn reload_apps(&self) -> Result<(), Error> {
        let keys = self.store().read(|c| apps::keys(c)).await.map_err(Error::from)?;
        self.inner.apps.replace(keys);
        Ok(())
    }

    /// Checks a key of the given kind sent from `from` (failures count against the address).
    pub async fn check_key(&self, kind: &str, id: &str, secret: &str, from: Option<IpAddr>) -> KeyCheck {
        if let Err(Error::RateLimited { retry_after_secs }) = self.may_authenticate(from) {
            return KeyCheck::Limited { retry_after_secs };
        }
        let check = match self.inner.apps.find(self.store(), id).await {
            None => KeyCheck::Unknown,
            Some((k, _, _)) if k != kind => KeyCheck::WrongKind,
            Some((_, app, hash)) if secrets::verify(secret, &hash) => KeyCheck::Valid(app),
            Some(_) => KeyCheck::WrongSecret,
        };
        self.count_key_failure(from, &check);
        check
    }

    /// The app a key id of the given kind names, without checking a secret (for clients that
    /// send only the public id).
    pub async fn app_of_key(&self, kind: &str, id: &str) -> Option<AppId> {
        self.inner.apps.find(self.store(), id).await.filter(|(k, _, _)| k == kind).map(|(_, app, _)| app)
    }
}

//! Apps (tenants), their keys, and the in-memory registry every request authenticates
//! against. A key is of a kind a face names and needs (a server key, a client app key, a
//! secret...): a new face adds kinds, not columns. Secrets appear once, when issued, and are
//! stored as SHA-256 hashes.

use crate::{Core, secrets};
use palaver_domain::{AppId, Denied, Error, Field, Invalid, time::now_ms};
use palaver_store::repo::apps::{self, KeyRecord, KeyState};
use palaver_store::{DbError, Store};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
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
    /// When it was disabled, Unix ms; 0 when enabled.
    pub disabled: i64,
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
    /// The key is right but its app is disabled.
    Disabled,
    /// The caller's address failed too often lately; it may retry after this many seconds.
    Limited {
        /// Seconds until the address may try again.
        retry_after_secs: u32,
    },
}

/// A key as authentication sees it.
#[derive(Clone, Debug)]
struct KeyEntry {
    kind: String,
    app: AppId,
    hash: String,
    /// Secrets of before its last rotations and until when (Unix ms) they are accepted.
    previous: Vec<(String, i64)>,
}

impl KeyEntry {
    /// Whether `secret` is the key's secret, or a previous one still in its grace period.
    fn accepts(&self, secret: &str, now: i64) -> bool {
        secrets::verify(secret, &self.hash)
            || self.previous.iter().any(|(hash, expires)| *expires > now && secrets::verify(secret, hash))
    }
}

#[derive(Default)]
struct KeyMap {
    keys: HashMap<String, KeyEntry>,
    /// Apps disabled or deleted.
    closed: HashSet<AppId>,
}

/// Key ids to their kind, app, secret hash and previous secrets, and the apps that are closed
/// (disabled or deleted). Reloaded from the store when an unknown id shows up (an app created
/// by another process or node), when a secret does not match (a rotation made elsewhere: the
/// key id stays), and every few seconds in the background (an app disabled elsewhere).
pub(crate) struct AppRegistry {
    keys: RwLock<KeyMap>,
    last_reload: tokio::sync::Mutex<Instant>,
}

/// Least time between two reloads caused by unknown key ids or wrong secrets.
const RELOAD_INTERVAL: Duration = Duration::from_millis(200);
/// How often the keys are reloaded in the background (whoever changed them).
const REFRESH_EVERY: Duration = Duration::from_secs(3);

impl AppRegistry {
    pub(crate) fn new(state: KeyState) -> Self {
        // As if reloaded just long enough ago that a first unknown id or wrong secret reloads.
        let last = Instant::now().checked_sub(RELOAD_INTERVAL).unwrap_or_else(Instant::now);
        let registry = Self { keys: RwLock::new(KeyMap::default()), last_reload: tokio::sync::Mutex::new(last) };
        registry.replace(state);
        registry
    }

    fn replace(&self, state: KeyState) {
        let mut previous: HashMap<String, Vec<(String, i64)>> = HashMap::new();
        for p in state.previous {
            previous.entry(p.key_id).or_default().push((p.secret_hash, p.expires));
        }
        let keys = state
            .keys
            .into_iter()
            .map(|k| {
                let previous = previous.remove(&k.key_id).unwrap_or_default();
                (k.key_id, KeyEntry { kind: k.kind, app: k.app, hash: k.secret_hash, previous })
            })
            .collect();
        let closed = state.closed.into_iter().collect();
        *self.keys.write().unwrap_or_else(|p| p.into_inner()) = KeyMap { keys, closed };
    }

    fn lookup(&self, id: &str) -> Option<KeyEntry> {
        self.keys.read().unwrap_or_else(|p| p.into_inner()).keys.get(id).cloned()
    }

    fn is_closed(&self, app: AppId) -> bool {
        self.keys.read().unwrap_or_else(|p| p.into_inner()).closed.contains(&app)
    }

    /// Reads the keys and closed apps again.
    async fn reload(&self, store: &Store) -> Result<(), DbError> {
        self.replace(store.read(|c| apps::key_state(c, now_ms())).await?);
        Ok(())
    }

    /// Reloads (at most every [`RELOAD_INTERVAL`]) and looks `id` up again.
    async fn find_again(&self, store: &Store, id: &str) -> Option<KeyEntry> {
        let mut last = self.last_reload.lock().await;
        if last.elapsed() >= RELOAD_INTERVAL {
            *last = Instant::now();
            if let Err(e) = self.reload(store).await {
                tracing::error!(error = %e, "reloading app keys");
            }
        }
        self.lookup(id)
    }

    async fn find(&self, store: &Store, id: &str) -> Option<KeyEntry> {
        match self.lookup(id) {
            Some(found) => Some(found),
            None => self.find_again(store, id).await,
        }
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

    /// The secrets of a key of `kind` that signs tokens, to check a signature with: the
    /// current one first, then previous ones still in their grace period.
    pub async fn signing_secrets(&self, kind: &str, key_id: &str) -> Result<Vec<String>, Error> {
        let (kind, key_id) = (kind.to_string(), key_id.to_string());
        Ok(self.store().read(move |c| apps::signing_secrets(c, &kind, &key_id, now_ms())).await?)
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
                disabled: a.disabled,
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

    /// Reloads the keys every [`REFRESH_EVERY`] until shutdown, so that apps disabled,
    /// enabled or deleted by another process take effect here without a request waiting for
    /// the reload.
    pub(crate) async fn refresh_apps_forever(self) {
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + REFRESH_EVERY, REFRESH_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                () = self.tasks().stopping() => return,
            }
            if let Err(e) = self.reload_apps().await {
                tracing::warn!(error = %e, "reloading the apps' keys");
            }
        }
    }

    pub(crate) async fn reload_apps(&self) -> Result<(), Error> {
        Ok(self.inner.apps.reload(self.store()).await?)
    }

    /// Checks a key of the given kind sent from `from` (failures count against the address).
    pub async fn check_key(&self, kind: &str, id: &str, secret: &str, from: Option<IpAddr>) -> KeyCheck {
        if let Err(Error::RateLimited { retry_after_secs }) = self.may_authenticate(from) {
            return KeyCheck::Limited { retry_after_secs };
        }
        let now = now_ms();
        let mut found = self.inner.apps.find(self.store(), id).await;
        if found.as_ref().is_some_and(|k| k.kind == kind && !k.accepts(secret, now)) {
            // Rotated by another process or node? The key id stays, so look again once.
            found = self.inner.apps.find_again(self.store(), id).await;
        }
        let check = match found {
            None => KeyCheck::Unknown,
            Some(k) if k.kind != kind => KeyCheck::WrongKind,
            Some(k) if !k.accepts(secret, now) => KeyCheck::WrongSecret,
            Some(k) if self.inner.apps.is_closed(k.app) => KeyCheck::Disabled,
            Some(k) => KeyCheck::Valid(k.app),
        };
        self.count_key_failure(from, &check);
        check
    }

    /// The app a key id of the given kind names, without checking a secret (for clients that
    /// send only the public id).
    pub async fn app_of_key(&self, kind: &str, id: &str) -> Option<AppId> {
        self.inner.apps.find(self.store(), id).await.filter(|k| k.kind == kind).map(|k| k.app)
    }

    /// Refuses the calls of a disabled (or deleted) app: `Forbidden(AppDisabled)`.
    pub fn app_open(&self, app: AppId) -> Result<(), Error> {
        if self.inner.apps.is_closed(app) { Err(Error::Forbidden(Denied::AppDisabled)) } else { Ok(()) }
    }
}

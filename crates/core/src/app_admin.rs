//! What an operator does to an app besides creating it (`palaver app ...`): rotating its keys
//! with a grace period, showing it, disabling, enabling and deleting it. Running servers see
//! each change within seconds (their key registry reloads, see `apps.rs`).

use crate::apps::{IssuedKey, KeyKind};
use crate::{Core, secrets};
use palaver_domain::{AppId, Entity, Error, time::now_ms};
use palaver_store::repo::apps::{self, PreviousSecret};
use std::time::Duration;

/// Previous secrets purged per transaction.
const PURGE_BATCH: usize = 500;

/// An app as `palaver app show` prints it: no secrets.
#[derive(Clone, Debug)]
pub struct AppDetails {
    /// App id.
    pub app_id: i64,
    /// Name.
    pub name: String,
    /// Creation time, Unix ms.
    pub created: i64,
    /// When it was disabled, Unix ms; 0 when enabled.
    pub disabled: i64,
    /// Its keys: kind, public id, and until when (Unix ms) a previous secret is still
    /// accepted (0 when none is).
    pub keys: Vec<(String, String, i64)>,
    /// How many users it has (deleted ones included).
    pub users: i64,
    /// How many rooms.
    pub rooms: i64,
    /// How many messages.
    pub messages: i64,
}

impl Core {
    /// Gives the app named `app_name` a new secret for its key of each of `kinds` (key ids
    /// stay). Each old secret is still accepted for `grace`; with a zero grace it, and any
    /// earlier one still in its grace, stops at once. Running servers see the new secret at
    /// once and stop accepting the old ones within seconds of the grace's end.
    pub async fn rotate_keys(
        &self,
        app_name: &str,
        kinds: &[KeyKind],
        grace: Duration,
    ) -> Result<Vec<IssuedKey>, Error> {
        let fresh: Vec<(KeyKind, String)> = kinds.iter().map(|k| (*k, secrets::random_token(k.secret_chars))).collect();
        let name = app_name.to_string();
        let grace_ms = i64::try_from(grace.as_millis()).unwrap_or(i64::MAX / 2);
        let issued = self
            .store()
            .write(move |tx| {
                let now = now_ms();
                let mut issued = Vec::new();
                for (kind, secret) in fresh {
                    let Some((_, key_id)) = apps::key_of_app(tx.conn(), &name, kind.name)? else {
                        if no_app_named(tx.conn(), &name)? {
                            return Err(Error::NotFound(Entity::App));
                        }
                        continue;
                    };
                    let old = apps::key(tx.conn(), &key_id)?.ok_or(Error::NotFound(Entity::App))?;
                    if grace_ms > 0 {
                        let previous = PreviousSecret {
                            key_id: key_id.clone(),
                            secret_hash: old.secret_hash,
                            secret: old.secret,
                            expires: now.saturating_add(grace_ms),
                        };
                        apps::keep_previous(tx.conn(), &previous)?;
                    } else {
                        apps::drop_previous(tx.conn(), &key_id)?;
                    }
                    let kept = if kind.signs { secret.clone() } else { String::new() };
                    apps::set_key_secret(tx.conn(), &key_id, &secrets::hash(&secret), &kept, now)?;
                    issued.push(IssuedKey { kind: kind.name, id: key_id, secret });
                }
                if issued.is_empty() {
                    return Err(Error::NotFound(Entity::App));
                }
                Ok::<_, Error>(issued)
            })
            .await?;
        self.reload_apps().await?;
        Ok(issued)
    }

    /// The app named `name`, without secrets, with its counts.
    pub async fn app_details(&self, name: &str) -> Result<AppDetails, Error> {
        let name = name.to_string();
        self.store()
            .read(move |c| {
                let app = apps::by_name(c, &name)?.ok_or(Error::NotFound(Entity::App))?;
                let state = apps::key_state(c, now_ms())?;
                let keys = state
                    .keys
                    .iter()
                    .filter(|k| k.app == app.id)
                    .map(|k| {
                        let until = state
                            .previous
                            .iter()
                            .filter(|p| p.key_id == k.key_id)
                            .map(|p| p.expires)
                            .max()
                            .unwrap_or(0);
                        (k.kind.clone(), k.key_id.clone(), until)
                    })
                    .collect();
                let (users, rooms, messages) = apps::counts(c, app.id)?;
                Ok::<_, Error>(AppDetails {
                    app_id: app.id.0,
                    name: app.name,
                    created: app.created,
                    disabled: app.disabled,
                    keys,
                    users,
                    rooms,
                    messages,
                })
            })
            .await
    }

    /// Disables (`disabled` true) or enables the app named `name`; returns its id. A disabled
    /// app's every call is refused (`Denied::AppDisabled`), on running servers within seconds;
    /// nothing else changes.
    pub async fn set_app_disabled(&self, name: &str, disabled: bool) -> Result<AppId, Error> {
        let name = name.to_string();
        let id = self
            .store()
            .write(move |tx| {
                let app = apps::by_name(tx.conn(), &name)?.ok_or(Error::NotFound(Entity::App))?;
                // Disabling twice keeps the first time.
                let at = match (disabled, app.disabled) {
                    (false, _) => 0,
                    (true, 0) => now_ms(),
                    (true, since) => since,
                };
                apps::set_disabled(tx.conn(), app.id, at)?;
                Ok::<_, Error>(app.id)
            })
            .await?;
        self.reload_apps().await?;
        Ok(id)
    }

    /// Deletes the app named `name`: a tombstone (see `apps::tombstone`). Its keys stop
    /// authenticating, its change-log rows go (nothing replays them), its webhook endpoints
    /// are disabled, its name is free again; its data stays in the database, unreachable.
    pub async fn delete_app(&self, name: &str) -> Result<AppId, Error> {
        let name = name.to_string();
        let id = self
            .store()
            .write(move |tx| {
                let app = apps::by_name(tx.conn(), &name)?.ok_or(Error::NotFound(Entity::App))?;
                // '#' is not allowed in names, so the freed name is no one's.
                apps::tombstone(tx.conn(), app.id, &format!("{}#{}", app.name, app.id.0), now_ms())?;
                Ok::<_, Error>(app.id)
            })
            .await?;
        self.reload_apps().await?;
        Ok(id)
    }

    /// Deletes previous secrets whose grace period is over; returns how many.
    pub async fn purge_previous_secrets(&self) -> Result<usize, Error> {
        let mut total = 0;
        loop {
            let now = now_ms();
            let n = self
                .store()
                .write(move |tx| Ok::<_, Error>(apps::purge_previous(tx.conn(), now, PURGE_BATCH)?))
                .await?;
            total += n;
            if n < PURGE_BATCH {
                return Ok(total);
            }
        }
    }
}

/// Whether no app is named `name` (then a missing key is a missing app).
fn no_app_named(conn: &mut dyn palaver_store::Conn, name: &str) -> Result<bool, Error> {
    Ok(apps::by_name(conn, name)?.is_none())
}

//! Apps (tenants) and their keys. A key has a kind a face names (`taptalk.server_key`, ...),
//! a public id and the SHA-256 hex digest of its secret.

use crate::db::{Conn, DbResult, Row};
use palaver_domain::AppId;

/// An app row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppRecord {
    /// Id.
    pub id: AppId,
    /// Unique name.
    pub name: String,
    /// Creation time, Unix ms.
    pub created: i64,
    /// When it was disabled, Unix ms; 0 when enabled.
    pub disabled: i64,
}

/// A key row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyRecord {
    /// The public id, unique across apps.
    pub key_id: String,
    /// The app.
    pub app: AppId,
    /// What the key is for, as the face that uses it names it.
    pub kind: String,
    /// SHA-256 hex digest of the secret.
    pub secret_hash: String,
    /// The secret itself, kept only for kinds that sign tokens with it; empty otherwise.
    pub secret: String,
    /// Creation time, Unix ms.
    pub created: i64,
}

/// A secret a key had before a rotation, valid until it expires.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreviousSecret {
    /// The key.
    pub key_id: String,
    /// SHA-256 hex digest of the old secret.
    pub secret_hash: String,
    /// The old secret itself, for kinds that sign tokens; empty otherwise.
    pub secret: String,
    /// Until when it is accepted, Unix ms.
    pub expires: i64,
}

/// What authentication needs: every key, the unexpired previous secrets, and the apps that
/// are disabled or deleted.
#[derive(Clone, Debug, Default)]
pub struct KeyState {
    /// Every key of every app.
    pub keys: Vec<KeyRecord>,
    /// Previous secrets not yet expired.
    pub previous: Vec<PreviousSecret>,
    /// Apps disabled or deleted.
    pub closed: Vec<AppId>,
}

const APP_COLUMNS: &str = "id, name, created, disabled";

fn app_row(r: &dyn Row) -> DbResult<AppRecord> {
    Ok(AppRecord { id: AppId(r.int(0)?), name: r.text(1)?, created: r.int(2)?, disabled: r.int(3)? })
}

fn key_row(r: &dyn Row) -> DbResult<KeyRecord> {
    Ok(KeyRecord {
        key_id: r.text(0)?,
        app: AppId(r.int(1)?),
        kind: r.text(2)?,
        secret_hash: r.text(3)?,
        created: r.int(4)?,
        secret: r.text(5)?,
    })
}

/// Inserts an app and returns its id.
pub fn insert(conn: &mut dyn Conn, name: &str, created: i64) -> DbResult<AppId> {
    let id = conn
        .query_int("INSERT INTO apps (name, created) VALUES ($1, $2) RETURNING id", &[name.into(), created.into()])?;
    Ok(AppId(id))
}

/// Adds a key to an app.
pub fn insert_key(conn: &mut dyn Conn, key: &KeyRecord) -> DbResult<()> {
    conn.execute(
        "INSERT INTO app_keys (key_id, app_id, kind, secret_hash, created, secret) VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            key.key_id.as_str().into(),
            key.app.0.into(),
            key.kind.as_str().into(),
            key.secret_hash.as_str().into(),
            key.created.into(),
            key.secret.as_str().into(),
        ],
    )?;
    Ok(())
}

/// The kept secrets of a key of `kind` (see [`KeyRecord::secret`]): the current one first,
/// then previous ones valid at `now`; empty for an unknown key or one whose secret was not kept.
pub fn signing_secrets(conn: &mut dyn Conn, kind: &str, key_id: &str, now: i64) -> DbResult<Vec<String>> {
    let mut found = conn.query(
        "SELECT secret FROM app_keys WHERE key_id = $1 AND kind = $2",
        &[key_id.into(), kind.into()],
        |r| r.text(0),
    )?;
    if !found.is_empty() {
        found.extend(conn.query(
            "SELECT secret FROM app_key_previous WHERE key_id = $1 AND expires > $2 ORDER BY expires DESC",
            &[key_id.into(), now.into()],
            |r| r.text(0),
        )?);
    }
    found.retain(|s| !s.is_empty());
    Ok(found)
}

/// One key by its id.
pub fn key(conn: &mut dyn Conn, key_id: &str) -> DbResult<Option<KeyRecord>> {
    conn.query_opt(
        "SELECT key_id, app_id, kind, secret_hash, created, secret FROM app_keys WHERE key_id = $1",
        &[key_id.into()],
        key_row,
    )
}

/// The key of `kind` of the app named `app_name`: its id, if the app has one.
pub fn key_of_app(conn: &mut dyn Conn, app_name: &str, kind: &str) -> DbResult<Option<(AppId, String)>> {
    conn.query_opt(
        "SELECT k.app_id, k.key_id FROM app_keys k JOIN apps a ON a.id = k.app_id WHERE a.name = $1 AND a.deleted = 0 AND k.kind = $2",
        &[app_name.into(), kind.into()],
        |r| Ok((AppId(r.int(0)?), r.text(1)?)),
    )
}

/// Gives a key a new secret (its hash, and the secret itself for kinds that keep it).
pub fn set_key_secret(conn: &mut dyn Conn, key_id: &str, secret_hash: &str, secret: &str, now: i64) -> DbResult<()> {
    conn.execute(
        "UPDATE app_keys SET secret_hash = $1, secret = $2, created = $3 WHERE key_id = $4",
        &[secret_hash.into(), secret.into(), now.into(), key_id.into()],
    )?;
    Ok(())
}

/// All apps but deleted ones, oldest first.
pub fn list(conn: &mut dyn Conn) -> DbResult<Vec<AppRecord>> {
    conn.query(&format!("SELECT {APP_COLUMNS} FROM apps WHERE deleted = 0 ORDER BY id"), &[], app_row)
}

/// The app (not deleted) named `name`.
pub fn by_name(conn: &mut dyn Conn, name: &str) -> DbResult<Option<AppRecord>> {
    conn.query_opt(&format!("SELECT {APP_COLUMNS} FROM apps WHERE name = $1 AND deleted = 0"), &[name.into()], app_row)
}

/// What authentication needs (see [`KeyState`]), previous secrets valid at `now`.
pub fn key_state(conn: &mut dyn Conn, now: i64) -> DbResult<KeyState> {
    let previous = conn.query(
        "SELECT key_id, secret_hash, secret, expires FROM app_key_previous WHERE expires > $1",
        &[now.into()],
        |r| Ok(PreviousSecret { key_id: r.text(0)?, secret_hash: r.text(1)?, secret: r.text(2)?, expires: r.int(3)? }),
    )?;
    let closed =
        conn.query("SELECT id FROM apps WHERE disabled <> 0 OR deleted <> 0", &[], |r| Ok(AppId(r.int(0)?)))?;
    Ok(KeyState { keys: keys(conn)?, previous, closed })
}

/// Keeps a key's secret before a rotation, valid until `expires`.
pub fn keep_previous(conn: &mut dyn Conn, previous: &PreviousSecret) -> DbResult<()> {
    conn.execute(
        "INSERT INTO app_key_previous (key_id, secret_hash, secret, expires) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (key_id, secret_hash) DO UPDATE SET expires = excluded.expires",
        &[
            previous.key_id.as_str().into(),
            previous.secret_hash.as_str().into(),
            previous.secret.as_str().into(),
            previous.expires.into(),
        ],
    )?;
    Ok(())
}

/// Forgets every previous secret of a key (a rotation without grace).
pub fn drop_previous(conn: &mut dyn Conn, key_id: &str) -> DbResult<()> {
    conn.execute("DELETE FROM app_key_previous WHERE key_id = $1", &[key_id.into()])?;
    Ok(())
}

/// Deletes up to `limit` previous secrets that expired before `now`; returns how many.
pub fn purge_previous(conn: &mut dyn Conn, now: i64, limit: usize) -> DbResult<usize> {
    let n = conn.execute(
        "DELETE FROM app_key_previous WHERE (key_id, secret_hash) IN \
         (SELECT key_id, secret_hash FROM app_key_previous WHERE expires <= $1 LIMIT $2)",
        &[now.into(), (limit as i64).into()],
    )?;
    Ok(n as usize)
}

/// Disables an app (at `at`, Unix ms) or enables it (`at` 0); returns whether it exists.
pub fn set_disabled(conn: &mut dyn Conn, app: AppId, at: i64) -> DbResult<bool> {
    Ok(conn.execute("UPDATE apps SET disabled = $1 WHERE id = $2 AND deleted = 0", &[at.into(), app.0.into()])? == 1)
}

/// How many users, rooms and messages an app has.
pub fn counts(conn: &mut dyn Conn, app: AppId) -> DbResult<(i64, i64, i64)> {
    let id = app.0;
    let users = conn.query_int("SELECT COUNT(*) FROM users WHERE app_id = $1", &[id.into()])?;
    let rooms = conn.query_int("SELECT COUNT(*) FROM rooms WHERE app_id = $1", &[id.into()])?;
    let messages = conn.query_int(
        "SELECT COUNT(*) FROM messages WHERE room_id IN (SELECT id FROM rooms WHERE app_id = $1)",
        &[id.into()],
    )?;
    Ok((users, rooms, messages))
}

/// Tombstones an app: marks it deleted at `now` under the name `freed_name` (so its name can
/// be used again), deletes its keys and their previous secrets, deletes its change-log rows
/// (nothing replays them) and disables its webhook endpoints. Its users, rooms and messages
/// stay, unreachable.
pub fn tombstone(conn: &mut dyn Conn, app: AppId, freed_name: &str, now: i64) -> DbResult<()> {
    let id = app.0;
    conn.execute(
        "UPDATE apps SET deleted = $1, disabled = $1, name = $2 WHERE id = $3",
        &[now.into(), freed_name.into(), id.into()],
    )?;
    conn.execute(
        "DELETE FROM app_key_previous WHERE key_id IN (SELECT key_id FROM app_keys WHERE app_id = $1)",
        &[id.into()],
    )?;
    conn.execute("DELETE FROM app_keys WHERE app_id = $1", &[id.into()])?;
    conn.execute("DELETE FROM change_users WHERE user_id IN (SELECT id FROM users WHERE app_id = $1)", &[id.into()])?;
    conn.execute("DELETE FROM changes WHERE app_id = $1", &[id.into()])?;
    conn.execute(
        "UPDATE webhook_endpoints SET enabled = 0, disabled_reason = 'app deleted' WHERE app_id = $1",
        &[id.into()],
    )?;
    Ok(())
}

/// Every key of every app, oldest first.
pub fn keys(conn: &mut dyn Conn) -> DbResult<Vec<KeyRecord>> {
    conn.query(
        "SELECT key_id, app_id, kind, secret_hash, created, secret FROM app_keys ORDER BY app_id, created",
        &[],
        key_row,
    )
}

/// Every app's own rate limits (JSON text) where it has any.
pub fn rate_limits(conn: &mut dyn Conn) -> DbResult<Vec<(AppId, String)>> {
    conn.query("SELECT id, rate_limits FROM apps WHERE rate_limits <> ''", &[], |r| Ok((AppId(r.int(0)?), r.text(1)?)))
}

/// The id and own rate limits (JSON text; '' for none) of the app with this name.
pub fn rate_limits_by_name(conn: &mut dyn Conn, name: &str) -> DbResult<Option<(AppId, String)>> {
    conn.query_opt("SELECT id, rate_limits FROM apps WHERE name = $1", &[name.into()], |r| {
        Ok((AppId(r.int(0)?), r.text(1)?))
    })
}

/// Sets an app's own rate limits (JSON text; '' for the server's); returns whether the app
/// exists.
pub fn set_rate_limits(conn: &mut dyn Conn, app: AppId, limits: &str) -> DbResult<bool> {
    Ok(conn.execute("UPDATE apps SET rate_limits = $1 WHERE id = $2", &[limits.into(), app.0.into()])? == 1)
}

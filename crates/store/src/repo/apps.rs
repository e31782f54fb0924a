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

fn app_row(r: &dyn Row) -> DbResult<AppRecord> {
    Ok(AppRecord { id: AppId(r.int(0)?), name: r.text(1)?, created: r.int(2)? })
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

/// The kept secret of a key of `kind` (see [`KeyRecord::secret`]); `None` for an unknown key
/// or one whose secret was not kept.
pub fn signing_secret(conn: &mut dyn Conn, kind: &str, key_id: &str) -> DbResult<Option<String>> {
    let found = conn.query_opt(
        "SELECT secret FROM app_keys WHERE key_id = $1 AND kind = $2",
        &[key_id.into(), kind.into()],
        |r| r.text(0),
    )?;
    Ok(found.filter(|s| !s.is_empty()))
}

/// The key of `kind` of the app named `app_name`: its id, if the app has one.
pub fn key_of_app(conn: &mut dyn Conn, app_name: &str, kind: &str) -> DbResult<Option<(AppId, String)>> {
    conn.query_opt(
        "SELECT k.app_id, k.key_id FROM app_keys k JOIN apps a ON a.id = k.app_id WHERE a.name = $1 AND k.kind = $2",
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

/// All apps, oldest first.
pub fn list(conn: &mut dyn Conn) -> DbResult<Vec<AppRecord>> {
    conn.query("SELECT id, name, created FROM apps ORDER BY id", &[], app_row)
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

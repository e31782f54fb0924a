//! Apps (tenants) and their hashed credentials.

use crate::db::{Conn, DbResult, Row};
use palaver_domain::AppId;

/// An app row: ids in the clear, secrets as SHA-256 hex digests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppRecord {
    /// Id.
    pub id: AppId,
    /// Unique name.
    pub name: String,
    /// TapTalk Server-Key id.
    pub server_key_id: String,
    /// Hash of the Server-Key secret.
    pub server_key_hash: String,
    /// TapTalk App-Key id.
    pub app_key_id: String,
    /// Hash of the App-Key secret.
    pub app_key_hash: String,
    /// Qiscus app id.
    pub qiscus_app_id: String,
    /// Hash of the Qiscus secret key.
    pub qiscus_secret_hash: String,
    /// Creation time, Unix ms.
    pub created: i64,
}

const COLS: &str = "id, name, server_key_id, server_key_hash, app_key_id, app_key_hash, qiscus_app_id, \
                    qiscus_secret_hash, created";

fn from_row(r: &dyn Row) -> DbResult<AppRecord> {
    Ok(AppRecord {
        id: AppId(r.int(0)?),
        name: r.text(1)?,
        server_key_id: r.text(2)?,
        server_key_hash: r.text(3)?,
        app_key_id: r.text(4)?,
        app_key_hash: r.text(5)?,
        qiscus_app_id: r.text(6)?,
        qiscus_secret_hash: r.text(7)?,
        created: r.int(8)?,
    })
}

/// Inserts an app and returns its id.
pub fn insert(conn: &mut dyn Conn, app: &AppRecord) -> DbResult<AppId> {
    let id = conn.query_int(
        "INSERT INTO apps (name, server_key_id, server_key_hash, app_key_id, app_key_hash, qiscus_app_id, \
         qiscus_secret_hash, created) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        &[
            (&app.name).into(),
            (&app.server_key_id).into(),
            (&app.server_key_hash).into(),
            (&app.app_key_id).into(),
            (&app.app_key_hash).into(),
            (&app.qiscus_app_id).into(),
            (&app.qiscus_secret_hash).into(),
            app.created.into(),
        ],
    )?;
    Ok(AppId(id))
}

/// All apps, oldest first.
pub fn list(conn: &mut dyn Conn) -> DbResult<Vec<AppRecord>> {
    conn.query(&format!("SELECT {COLS} FROM apps ORDER BY id"), &[], from_row)
}

//! Facts about the database itself.

use crate::db::{Conn, DbResult};

/// The value of a setting, set to `initial` first if it has none (the first caller wins when
/// several nodes start together).
pub fn get_or_init(conn: &mut dyn Conn, name: &str, initial: &str) -> DbResult<String> {
    conn.execute(
        "INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
        &[name.into(), initial.into()],
    )?;
    conn.query_opt("SELECT value FROM settings WHERE name = $1", &[name.into()], |r| r.text(0))
        .map(|v| v.unwrap_or_else(|| initial.to_string()))
}

/// The value of a setting, if set.
pub fn get(conn: &mut dyn Conn, name: &str) -> DbResult<Option<String>> {
    conn.query_opt("SELECT value FROM settings WHERE name = $1", &[name.into()], |r| r.text(0))
}

/// Sets a setting.
pub fn set(conn: &mut dyn Conn, name: &str, value: &str) -> DbResult<()> {
    conn.execute(
        "INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        &[name.into(), value.into()],
    )?;
    Ok(())
}

//! Schema migrations, embedded in the binary, one list per dialect.

use crate::db::{Conn, DbResult, Dialect};

const SQLITE: &[(i64, &str)] = &[
    (1, include_str!("../migrations/sqlite/0001_init.sql")),
    (2, include_str!("../migrations/sqlite/0002_change_log.sql")),
    (3, include_str!("../migrations/sqlite/0003_hardening.sql")),
    (4, include_str!("../migrations/sqlite/0004_client_devices.sql")),
    (5, include_str!("../migrations/sqlite/0005_resumable_sessions.sql")),
    (6, include_str!("../migrations/sqlite/0006_webhooks.sql")),
    (7, include_str!("../migrations/sqlite/0007_webhook_attempts_by_id.sql")),
    (8, include_str!("../migrations/sqlite/0008_room_views_and_message_marks.sql")),
    (9, include_str!("../migrations/sqlite/0009_profiles_and_reports.sql")),
    (10, include_str!("../migrations/sqlite/0010_scheduled_messages.sql")),
    (11, include_str!("../migrations/sqlite/0011_history_independent_reads.sql")),
    (12, include_str!("../migrations/sqlite/0012_app_lifecycle.sql")),
];
const POSTGRES: &[(i64, &str)] = &[
    (1, include_str!("../migrations/postgres/0001_init.sql")),
    (2, include_str!("../migrations/postgres/0002_change_log.sql")),
    (3, include_str!("../migrations/postgres/0003_hardening.sql")),
    (4, include_str!("../migrations/postgres/0004_client_devices.sql")),
    (5, include_str!("../migrations/postgres/0005_resumable_sessions.sql")),
    (6, include_str!("../migrations/postgres/0006_webhooks.sql")),
    (7, include_str!("../migrations/postgres/0007_webhook_attempts_by_id.sql")),
    (8, include_str!("../migrations/postgres/0008_room_views_and_message_marks.sql")),
    (9, include_str!("../migrations/postgres/0009_profiles_and_reports.sql")),
    (10, include_str!("../migrations/postgres/0010_scheduled_messages.sql")),
    (11, include_str!("../migrations/postgres/0011_history_independent_reads.sql")),
    (12, include_str!("../migrations/postgres/0012_app_lifecycle.sql")),
];

/// An arbitrary constant naming the PostgreSQL advisory lock that serialises migrations, so
/// that nodes starting together do not race.
const MIGRATION_LOCK: i64 = 0x0070_616c_6176_6572;

/// Applies every migration not yet applied, each in its own transaction.
pub(crate) fn run(conn: &mut dyn Conn) -> DbResult<()> {
    let dialect = conn.dialect();
    match dialect {
        Dialect::Postgres => conn.batch(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))?,
        // Rebuilding a table that others reference (SQLite's way of dropping constrained
        // columns) needs foreign keys off; the setting cannot change inside a transaction.
        Dialect::Sqlite => conn.batch("PRAGMA foreign_keys=OFF")?,
    }
    let result = apply(conn, dialect);
    match dialect {
        Dialect::Postgres => conn.batch(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"))?,
        Dialect::Sqlite => conn.batch("PRAGMA foreign_keys=ON")?,
    }
    result
}

fn apply(conn: &mut dyn Conn, dialect: Dialect) -> DbResult<()> {
    conn.batch("CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied BIGINT NOT NULL)")?;
    let migrations = match dialect {
        Dialect::Sqlite => SQLITE,
        Dialect::Postgres => POSTGRES,
    };
    for (version, sql) in migrations {
        let done = conn.query_int("SELECT COUNT(*) FROM schema_migrations WHERE version = $1", &[(*version).into()])?;
        if done > 0 {
            continue;
        }
        tracing::info!(version, "applying migration");
        conn.batch("BEGIN")?;
        let applied = conn.batch(sql).and_then(|()| check_foreign_keys(conn, dialect)).and_then(|()| {
            conn.execute(
                "INSERT INTO schema_migrations (version, applied) VALUES ($1, $2)",
                &[(*version).into(), palaver_domain::time::now_ms().into()],
            )
        });
        match applied {
            Ok(_) => conn.batch("COMMIT")?,
            Err(e) => {
                let _ = conn.batch("ROLLBACK");
                return Err(e);
            }
        }
    }
    Ok(())
}

/// Fails if a migration left a row pointing at a missing one (SQLite checks nothing while
/// foreign keys are off).
fn check_foreign_keys(conn: &mut dyn Conn, dialect: Dialect) -> DbResult<()> {
    if dialect != Dialect::Sqlite {
        return Ok(());
    }
    let mut broken = 0;
    conn.query_rows("PRAGMA foreign_key_check", &[], &mut |_| {
        broken += 1;
        Ok(())
    })?;
    if broken > 0 {
        return Err(crate::DbError::Other(format!("a migration left {broken} rows with broken references")));
    }
    Ok(())
}

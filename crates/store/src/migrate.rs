//! Schema migrations, embedded in the binary, one list per dialect.

use crate::db::{Conn, DbResult, Dialect};

const SQLITE: &[(i64, &str)] = &[(1, include_str!("../migrations/sqlite/0001_init.sql"))];
const POSTGRES: &[(i64, &str)] = &[(1, include_str!("../migrations/postgres/0001_init.sql"))];

/// An arbitrary constant naming the PostgreSQL advisory lock that serialises migrations, so
/// that nodes starting together do not race.
const MIGRATION_LOCK: i64 = 0x7061_6c61_7665_72;

/// Applies every migration not yet applied, each in its own transaction.
pub(crate) fn run(conn: &mut dyn Conn) -> DbResult<()> {
    let dialect = conn.dialect();
    if dialect == Dialect::Postgres {
        conn.batch(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))?;
    }
    let result = apply(conn, dialect);
    if dialect == Dialect::Postgres {
        conn.batch(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"))?;
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
        let applied = conn.batch(sql).and_then(|()| {
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

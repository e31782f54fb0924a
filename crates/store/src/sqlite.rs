//! The SQLite driver: the embedded default.

use crate::db::{Conn, DbError, DbResult, Dialect, Row, Value};
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, ErrorCode, OpenFlags, ToSql};
use std::borrow::Cow;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// When a write is acknowledged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Durability {
    /// After the write-ahead log holding it is flushed to disk: it survives power loss (the
    /// default).
    Full,
    /// Right after the commit: it survives a process crash but not a power loss.
    Normal,
}

/// One SQLite connection, with the SQLite form of each statement it has seen.
pub struct SqliteConn {
    conn: Connection,
    rewritten: std::collections::HashMap<String, String>,
}

impl SqliteConn {
    /// Opens (creating if needed) the database at `path`, tuned for WAL with one writer.
    pub fn open(path: &Path, writer: bool) -> DbResult<Self> {
        let flags = if writer {
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE
        } else {
            OpenFlags::SQLITE_OPEN_READ_WRITE
        } | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(map_err)?;
        conn.set_prepared_statement_cache_capacity(1024);
        // Without the query planner stability guarantee, SQLite re-prepares a statement each
        // time a parameter its planner looked at is bound again (a LIMIT, or an equality
        // bound to 0 or 1 such as `app_id = 1`), and the statement cache resets bindings
        // after every use: most statements would be parsed again on every call.
        conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true).map_err(map_err)?;
        // The writer never waits for the disk inside a commit: with Durability::Full the
        // store's syncer thread flushes the log before acknowledging (see writer.rs).
        let sync = "NORMAL";
        let pragmas = if writer {
            // Checkpoints run on their own thread (run_checkpoints), never inside a commit.
            // The page cache stays small: the end of every write transaction walks the whole
            // cache's hash table (pcache1TruncateUnsafe), measured at about 20% of the writer's
            // time with 64 MB and under 1% with 8 MB.
            format!(
                "PRAGMA page_size={PAGE_SIZE}; PRAGMA journal_mode=WAL; PRAGMA synchronous={sync}; PRAGMA foreign_keys=ON; \
                 PRAGMA busy_timeout={BUSY_TIMEOUT_MS}; PRAGMA temp_store=MEMORY; PRAGMA cache_size=-8000; \
                 PRAGMA wal_autocheckpoint=0; PRAGMA journal_size_limit=134217728;"
            )
        } else {
            format!(
                "PRAGMA query_only=ON; PRAGMA busy_timeout={BUSY_TIMEOUT_MS}; PRAGMA temp_store=MEMORY; \
                 PRAGMA cache_size=-16000; PRAGMA mmap_size=268435456;"
            )
        };
        conn.execute_batch(&pragmas).map_err(map_err)?;
        Ok(Self { conn, rewritten: std::collections::HashMap::new() })
    }
}

/// The SQLite text of a statement, rewritten once and remembered.
fn sqlite_text<'a>(cache: &'a mut std::collections::HashMap<String, String>, sql: &str) -> &'a str {
    if !cache.contains_key(sql) {
        if cache.len() > 4096 {
            cache.clear();
        }
        cache.insert(sql.to_string(), to_sqlite(sql).into_owned());
    }
    &cache[sql]
}

/// How often the checkpoint thread copies the write-ahead log back into the database.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(250);

/// Page size of new databases. Messages land in many rooms at once, so each commit dirties
/// about one leaf page per room in each room-keyed index; every dirty page is written whole
/// to the log. 1 KiB pages cut those bytes by four against the 4 KiB default (measured:
/// about 12% more durable sends per second).
const PAGE_SIZE: usize = 1024;

/// Copies the write-ahead log into the database file in the background, so commits never
/// pay for it; passive checkpoints do not block the writer. A last full checkpoint runs when
/// the store closes. Runs until `stop` receives or closes.
pub(crate) fn run_checkpoints(
    path: &Path,
    stop: crossbeam_channel::Receiver<()>,
    restart_due: Arc<AtomicBool>,
    restart_after_frames: i64,
) {
    let conn =
        match Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX) {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(error = %e, "the checkpoint thread cannot open the database");
                return;
            }
        };
    let _ = conn.busy_timeout(std::time::Duration::from_millis(BUSY_TIMEOUT_MS.into()));
    while let Err(crossbeam_channel::RecvTimeoutError::Timeout) = stop.recv_timeout(CHECKPOINT_EVERY) {
        checkpoint(&conn, &restart_due, restart_after_frames);
    }
    let _ = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
}

/// A passive checkpoint: copies what it can without blocking anyone. Under a steady stream of
/// commits the log never drains by itself (new frames arrive while the old ones are copied),
/// so it would grow without bound, and with it every commit's cost (appends to fresh file
/// space) and every read's (a longer log index). Once the log is large, this raises
/// `restart_due` for the writer (see [`restart_log_when_due`]).
fn checkpoint(conn: &Connection, restart_due: &AtomicBool, restart_after_frames: i64) {
    match conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get::<_, i64>(1)) {
        Ok(frames) if frames >= restart_after_frames => restart_due.store(true, Ordering::Relaxed),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "checkpoint"),
    }
}

/// The writer's work between batches: when the checkpoint thread asks for it, a restarting
/// checkpoint copies the few frames committed since the last passive one, so the next commit
/// starts the log from its beginning. The writer does it itself, between its own batches,
/// so no commit waits on a lock for it. It waits only briefly for readers still on the old
/// log: if one is slow, the restart is left to the next round rather than holding up commits.
pub(crate) fn restart_log_when_due(restart_due: Arc<AtomicBool>) -> impl FnMut(&mut dyn Conn) + Send {
    move |conn| {
        if restart_due.swap(false, Ordering::Relaxed) {
            let restarted = conn
                .batch(&format!("PRAGMA busy_timeout={RESTART_WAIT_MS}"))
                .and_then(|()| conn.query("PRAGMA wal_checkpoint(RESTART)", &[], |r| r.int(0)));
            let _ = conn.batch(&format!("PRAGMA busy_timeout={BUSY_TIMEOUT_MS}"));
            if let Err(e) = restarted {
                tracing::warn!(error = %e, "restarting the write-ahead log");
            }
        }
    }
}

/// How long a connection waits for a lock another one holds.
const BUSY_TIMEOUT_MS: u32 = 5000;
/// How long the writer's log restart waits for readers still using the old log.
const RESTART_WAIT_MS: u32 = 20;

/// Rewrites PostgreSQL `$1` parameters into SQLite's numbered `?1` form.
fn to_sqlite(sql: &str) -> Cow<'_, str> {
    if !sql.contains('$') {
        return Cow::Borrowed(sql);
    }
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('?');
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Longest part of SQLite's own message kept in an error: its messages name tables and
/// columns, never bound values, and are cut so no error can make a huge log line.
const MAX_MESSAGE_CHARS: usize = 200;

/// Maps a SQLite error to a short description without SQL text or values.
fn map_err(e: rusqlite::Error) -> DbError {
    let short = |m: &str| m.chars().take(MAX_MESSAGE_CHARS).collect::<String>();
    match &e {
        rusqlite::Error::SqliteFailure(f, msg) => {
            let text = format!("{f}: {}", short(msg.as_deref().unwrap_or("")));
            match f.code {
                ErrorCode::ConstraintViolation if matches!(f.extended_code, 2067 | 1555) => DbError::Unique(text),
                _ => DbError::Other(text),
            }
        }
        rusqlite::Error::SqlInputError { error, msg, offset, .. } => {
            DbError::Other(format!("{error}: {} at offset {offset}", short(msg)))
        }
        other => DbError::Other(short(&other.to_string())),
    }
}

impl ToSql for Value<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Value::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Value::Int(v) => ToSqlOutput::Borrowed(ValueRef::Integer(*v)),
            Value::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
        })
    }
}

struct SqliteRow<'a, 'b>(&'a rusqlite::Row<'b>);

impl Row for SqliteRow<'_, '_> {
    fn int(&self, i: usize) -> DbResult<i64> {
        self.0.get(i).map_err(map_err)
    }
    fn opt_int(&self, i: usize) -> DbResult<Option<i64>> {
        self.0.get(i).map_err(map_err)
    }
    fn opt_text(&self, i: usize) -> DbResult<Option<String>> {
        self.0.get(i).map_err(map_err)
    }
}

impl Conn for SqliteConn {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn execute(&mut self, sql: &str, params: &[Value<'_>]) -> DbResult<u64> {
        let text = sqlite_text(&mut self.rewritten, sql);
        let mut stmt = self.conn.prepare_cached(text).map_err(map_err)?;
        let n = stmt.execute(rusqlite::params_from_iter(params.iter())).map_err(map_err)?;
        Ok(n as u64)
    }

    fn query_rows(
        &mut self,
        sql: &str,
        params: &[Value<'_>],
        each: &mut dyn FnMut(&dyn Row) -> DbResult<()>,
    ) -> DbResult<()> {
        let text = sqlite_text(&mut self.rewritten, sql);
        let mut stmt = self.conn.prepare_cached(text).map_err(map_err)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(params.iter())).map_err(map_err)?;
        while let Some(row) = rows.next().map_err(map_err)? {
            each(&SqliteRow(row))?;
        }
        Ok(())
    }

    fn batch(&mut self, sql: &str) -> DbResult<()> {
        self.conn.execute_batch(sql).map_err(map_err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_carry_neither_the_sql_nor_the_values() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = SqliteConn::open(&dir.path().join("t.db"), true).unwrap();
        c.batch("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT UNIQUE)").unwrap();
        c.execute("INSERT INTO t (v) VALUES ($1)", &[Value::from("secret-value")]).unwrap();
        let unique = c.execute("INSERT INTO t (v) VALUES ($1)", &[Value::from("secret-value")]).unwrap_err();
        assert!(matches!(unique, DbError::Unique(_)), "{unique}");
        let syntax = c.execute("SELECT 'secret-literal' FROM t WHERE", &[]).unwrap_err();
        let pattern = format!("%{}%", "_%".repeat(30_000));
        let like = c.execute("SELECT 1 FROM t WHERE v LIKE $1", &[Value::from(pattern.as_str())]);
        for e in [Some(unique), Some(syntax), like.err()].into_iter().flatten() {
            let text = e.to_string();
            assert!(!text.contains("secret") && !text.contains("SELECT") && text.len() < 300, "{text}");
        }
    }

    #[test]
    fn rewrites_numbered_parameters_only() {
        assert_eq!(to_sqlite("SELECT $1, $12 WHERE a = 'x'"), "SELECT ?1, ?12 WHERE a = 'x'");
        assert_eq!(to_sqlite("SELECT 1"), "SELECT 1");
    }
}

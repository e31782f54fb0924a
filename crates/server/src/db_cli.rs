//! `palaver backup` and `palaver migrate-db`: a consistent copy of a running embedded
//! database, and moving a whole deployment from SQLite to PostgreSQL.

use indicatif::{ProgressBar, ProgressStyle};
use palaver_server::config::{DbArgs, resolve_db};
use palaver_server::data_lock::DataDirLock;
use palaver_store::{Backend, connect, connect_migrated};
use serde_json::json;
use std::path::{Path, PathBuf};

/// `palaver backup --to FILE`: on SQLite a consistent snapshot taken while servers run
/// (`VACUUM INTO`, which reads one transaction's view and writes a compact copy); on
/// PostgreSQL the `pg_dump` command to run instead.
pub async fn backup(db: &DbArgs, to: &Path, json_out: bool) -> Result<(), String> {
    let (_, backend, _) = resolve_db(db)?;
    let Backend::Sqlite(source) = backend else {
        return Err("the database is PostgreSQL: back it up with its own tools, for example \
             `pg_dump --format=custom --file=palaver.dump \"$PALAVER_DATABASE_URL\"` \
             (and `pg_restore --dbname=URL palaver.dump` to restore)"
            .into());
    };
    if !source.exists() {
        return Err(format!("{} does not exist: there is nothing to back up", source.display()));
    }
    if to.exists() {
        return Err(format!("{} exists: a backup never overwrites a file", to.display()));
    }
    let target = to.to_str().ok_or("the backup's path is not UTF-8")?.to_string();
    let done = tokio::task::spawn_blocking(move || {
        let mut conn = connect(&Backend::Sqlite(source))?;
        conn.execute("VACUUM INTO $1", &[target.as_str().into()])
    })
    .await
    .map_err(|e| e.to_string())?;
    done.map_err(|e| format!("the backup failed: {e}"))?;
    let bytes = std::fs::metadata(to).map(|m| m.len()).unwrap_or(0);
    if json_out {
        println!("{}", json!({"backup": to.display().to_string(), "bytes": bytes}));
    } else {
        println!("Backed up to {} ({bytes} bytes). To restore, stop the server and put it in place of", to.display());
        println!("palaver.db in the data directory (removing palaver.db-wal and palaver.db-shm).");
    }
    Ok(())
}

/// The data directory a SQLite database file lives in, locked so that no server writes it
/// while it is copied.
fn lock_source(path: &Path) -> Result<DataDirLock, String> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    DataDirLock::acquire(&dir).map_err(|e| format!("{e}: stop the server before moving its database"))
}

/// `palaver migrate-db --from URL --to URL`: copies every table of the source into an empty
/// PostgreSQL database with a progress bar, then counts every table on both sides.
pub async fn migrate_db(from: &str, to: &str, json_out: bool) -> Result<(), String> {
    let source = Backend::from_url(from)?;
    let target = Backend::from_url(to)?;
    if !matches!(target, Backend::Postgres(_)) {
        return Err("--to must be a PostgreSQL URL (postgres://...)".into());
    }
    let _lock = match &source {
        Backend::Sqlite(path) if !path.exists() => return Err(format!("{} does not exist", path.display())),
        Backend::Sqlite(path) => Some(lock_source(path)?),
        Backend::Postgres(_) => None,
    };
    let bar = if json_out { ProgressBar::hidden() } else { ProgressBar::new(0) };
    bar.set_style(
        ProgressStyle::with_template("{prefix:>24} [{bar:40}] {pos}/{len} rows")
            .map_err(|e| e.to_string())?
            .progress_chars("=> "),
    );
    let shown = bar.clone();
    let counts = tokio::task::spawn_blocking(move || {
        let mut from = connect_migrated(&source)?;
        let mut to = connect_migrated(&target)?;
        palaver_store::copy::copy_all(from.as_mut(), to.as_mut(), &mut |table, done, total| {
            if shown.prefix() != table {
                shown.set_prefix(table.to_string());
                shown.set_length(total);
            }
            shown.set_position(done);
        })
    })
    .await
    .map_err(|e| e.to_string())?
    .map_err(|e| format!("the copy failed, the target is left as it was: {e}"))?;
    bar.finish_and_clear();
    let mismatched: Vec<_> = counts.iter().filter(|c| c.source != c.target).collect();
    if json_out {
        let tables: Vec<_> =
            counts.iter().map(|c| json!({"table": c.table, "source": c.source, "target": c.target})).collect();
        println!("{}", json!({"tables": tables, "verified": mismatched.is_empty()}));
    } else {
        println!("{:<24} {:>12} {:>12}", "table", "source rows", "copied rows");
        for c in &counts {
            let mark = if c.source == c.target { "" } else { "  MISMATCH" };
            println!("{:<24} {:>12} {:>12}{mark}", c.table, c.source, c.target);
        }
        if mismatched.is_empty() {
            println!("Every table verified. Start the servers with the --to URL as --database-url and the");
            println!("same data directory (uploaded files and secret.key stay there) or PALAVER_SECRET_KEY.");
        }
    }
    if mismatched.is_empty() { Ok(()) } else { Err(format!("{} tables differ after the copy", mismatched.len())) }
}

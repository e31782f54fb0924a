//! One server per SQLite data directory: `palaver serve` holds an exclusive lock on
//! `palaver.lock` in the data directory for as long as it runs. One-off commands take no lock
//! (SQLite lets them share the database with the server), nor do nodes on PostgreSQL, which
//! may be many.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::Path;

/// The lock file's name in the data directory.
pub const LOCK_FILE: &str = "palaver.lock";

/// The data directory's lock, held until dropped (or the process ends).
#[derive(Debug)]
pub struct DataDirLock {
    _file: File,
}

impl DataDirLock {
    /// Takes the lock of `data_dir` (which exists) without waiting; fails, naming the directory
    /// and the lock file, when another process holds it.
    pub fn acquire(data_dir: &Path) -> Result<DataDirLock, String> {
        let path = data_dir.join(LOCK_FILE);
        let mut options = OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options.open(&path).map_err(|e| format!("cannot open the lock file {}: {e}", path.display()))?;
        match file.try_lock() {
            Ok(()) => Ok(DataDirLock { _file: file }),
            Err(TryLockError::WouldBlock) => Err(format!(
                "another Palaver server is using the data directory {} (lock file {})",
                data_dir.display(),
                path.display()
            )),
            Err(TryLockError::Error(e)) => Err(format!("cannot lock {}: {e}", path.display())),
        }
    }
}

//! Wall-clock time in the unit both dialects use: Unix milliseconds.

use std::time::{SystemTime, UNIX_EPOCH};

/// Current time in Unix milliseconds.
pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

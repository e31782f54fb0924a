//! Housekeeping: what the server deletes by itself, in small batches so that it never holds up
//! other writes: changes past their retention, expired auth tickets and login nonces, and
//! sessions that can no longer be used (revoked, or past their refresh token's lifetime), and
//! apps' previous secrets past their grace period; and rate limit buckets that have refilled.

use crate::Core;
use palaver_domain::Error;
use palaver_domain::time::now_ms;
use palaver_store::repo::{devices, sessions};
use std::time::Duration;

/// Rows deleted per transaction.
pub(crate) const PURGE_BATCH: usize = 500;
/// How often housekeeping runs.
const PURGE_EVERY: Duration = Duration::from_secs(60);

impl Core {
    /// Deletes expired auth tickets, login nonces and resumable realtime sessions, and sessions
    /// that can no longer be used;
    /// returns how many rows went. A used ticket stays until it expires, so that a second redemption is told it
    /// was used.
    pub async fn purge_credentials(&self) -> Result<usize, Error> {
        let now = now_ms();
        let mut total = 0;
        for purge in
            [sessions::purge_tickets, sessions::purge_sessions, devices::purge_nonces, devices::purge_resumable]
        {
            loop {
                let n = self.store().write(move |tx| Ok::<_, Error>(purge(tx.conn(), now, PURGE_BATCH)?)).await?;
                total += n;
                if n < PURGE_BATCH {
                    break;
                }
            }
        }
        Ok(total)
    }

    /// Runs housekeeping every minute until shutdown.
    pub(crate) async fn housekeeping_forever(self) {
        // Not at once: one-off commands open the core too, and should not purge.
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + PURGE_EVERY, PURGE_EVERY);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                () = self.tasks().stopping() => return,
            }
            self.rates().forget_full();
            if let Err(e) = self.reload_rate_limits().await {
                tracing::warn!(error = %e, "reading the apps' rate limits");
            }
            // Previous secrets past their grace period (authentication ignores them already).
            match self.purge_previous_secrets().await {
                Ok(0) => {}
                Ok(n) => tracing::debug!(secrets = n, "purged expired previous secrets"),
                Err(e) => tracing::warn!(error = %e, "purging expired previous secrets"),
            }
            match self.purge_changes().await {
                Ok(0) => {}
                Ok(n) => tracing::debug!(changes = n, "purged old changes"),
                Err(e) => tracing::warn!(error = %e, "purging old changes"),
            }
            match self.purge_credentials().await {
                Ok(0) => {}
                Ok(n) => tracing::debug!(rows = n, "purged expired tickets and sessions"),
                Err(e) => tracing::warn!(error = %e, "purging expired tickets and sessions"),
            }
            match self.purge_webhook_attempts().await {
                Ok(0) => {}
                Ok(n) => tracing::debug!(attempts = n, "purged old webhook attempts"),
                Err(e) => tracing::warn!(error = %e, "purging old webhook attempts"),
            }
        }
    }
}

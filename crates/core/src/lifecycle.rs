//! Lifecycles: every task Palaver starts is tracked, and one cancellation token stops them.
//!
//! Live connections and background loops (gap checks, catching up, purging the change log)
//! watch [`Tasks::stopping`]. Shutdown (`Core::close`) cancels it, waits for the connections'
//! last writes, closes the store (which drains queued writes and hands their events on), then
//! lets the event dispatcher drain and waits for every remaining task.

use std::future::Future;
use std::time::Duration;
use tokio_util::sync::{CancellationToken, WaitForCancellationFuture};
use tokio_util::task::TaskTracker;
use tokio_util::task::task_tracker::TaskTrackerToken;

/// How long shutdown waits for each group of tasks.
const SHUTDOWN_WAIT: Duration = Duration::from_secs(10);

/// The node's tasks: live connections, and everything else.
#[derive(Clone, Default)]
pub struct Tasks {
    stop: CancellationToken,
    connections: TaskTracker,
    background: TaskTracker,
}

impl Tasks {
    /// Runs a background task until it finishes; it must end soon after [`Self::stopping`]
    /// completes (or, for the event dispatcher, once its input ends).
    pub fn spawn<F>(&self, task: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.background.spawn(task);
    }

    /// Marks a live connection as running until the returned token drops; shutdown waits for
    /// it (its last writes included).
    pub fn connection(&self) -> TaskTrackerToken {
        self.connections.token()
    }

    /// Completes once shutdown has begun. Each call registers with the one token every task
    /// shares: a loop makes it once and pins it, rather than once per turn (per turn, across
    /// every connection, it measurably slowed sends down).
    pub fn stopping(&self) -> WaitForCancellationFuture<'_> {
        self.stop.cancelled()
    }

    /// Whether shutdown has begun.
    pub fn is_stopping(&self) -> bool {
        self.stop.is_cancelled()
    }

    /// Begins shutdown and waits for the live connections to finish.
    pub(crate) async fn stop_connections(&self) {
        self.stop.cancel();
        self.connections.close();
        if tokio::time::timeout(SHUTDOWN_WAIT, self.connections.wait()).await.is_err() {
            tracing::warn!("some connections did not finish in time");
        }
    }

    /// Waits for every background task to finish.
    pub(crate) async fn wait_background(&self) {
        self.background.close();
        if tokio::time::timeout(SHUTDOWN_WAIT, self.background.wait()).await.is_err() {
            tracing::warn!("some background tasks did not finish in time");
        }
    }
}

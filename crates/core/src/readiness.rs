//! Whether this node can serve requests now (the server's `/ready`): the database answers a
//! trivial query in time and, when the node is part of a cluster, its NATS link is up.
//! Liveness (`/health`) asks nothing of either.

use crate::Core;
use std::time::Duration;

/// Why a node is not ready.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotReady {
    /// The database did not answer a trivial query in time.
    Database,
    /// NATS is configured and the node's link to it is down.
    Cluster,
}

impl Core {
    /// Checks readiness: one trivial read through the store, given at most `timeout`, then
    /// the state of the cluster link, if there is one.
    pub async fn readiness(&self, timeout: Duration) -> Result<(), NotReady> {
        let read = self.store().read(|c| c.query_int("SELECT 1", &[]));
        if !matches!(tokio::time::timeout(timeout, read).await, Ok(Ok(1))) {
            return Err(NotReady::Database);
        }
        match &self.inner.cluster_link {
            Some(link) if !link.is_connected() => Err(NotReady::Cluster),
            _ => Ok(()),
        }
    }
}

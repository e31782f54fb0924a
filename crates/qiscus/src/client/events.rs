//! `sync_event`: what happened in the caller's rooms after an event id, from the change log
//! (receipts and deletions), for a client that was not listening.

use super::UserCall;
use crate::Qiscus;
use crate::envelope::ApiError;
use crate::wire::client::event;
use axum::Json;
use axum::extract::State;
use palaver_domain::ChangeId;
use serde_json::{Value, json};

/// Changes read per call; the client asks again from the last id it got.
const EVENTS_PER_CALL: i64 = 100;

/// `sync_event`: events after `start_event_id`, oldest first, at the top level of the body (no
/// `results`, as the SDKs read it). `is_start_event_id_found` is false when the log no longer
/// reaches back to the cursor.
pub async fn sync_event(State(q): State<Qiscus>, call: UserCall) -> Result<Json<Value>, ApiError> {
    let start = ChangeId(call.params.opt_int("start_event_id")?.unwrap_or(0).max(0));
    let (_, purged) = q.core.log_bounds().await?;
    let changes = q.core.changes_of_user(call.app, call.user.id, start.max(purged), EVENTS_PER_CALL).await?;
    let events: Vec<Value> = changes.iter().filter_map(event).collect();
    Ok(Json(json!({
        "status": 200,
        "events": events,
        "is_start_event_id_found": start.0 == 0 || start >= purged,
    })))
}

//! `/v1/server/contact/sync`.

use super::auth::ServerApp;
use crate::TapTalk;
use crate::envelope::{ApiError, ApiResult, Reply};
use crate::params::Params;
use axum::extract::State;
use palaver_core::ContactChange;
use palaver_domain::UserRef;
use serde_json::{Value, json};

/// Most contact lines one sync may carry.
const MAX_CONTACTS: usize = 1000;

/// `contact/sync`: one-way contact additions and deletions, deletions applied last.
pub async fn sync(State(t): State<TapTalk>, ServerApp(app): ServerApp, p: Params) -> ApiResult<Value> {
    let lines = p.req_objects("contacts", "101")?;
    if lines.len() > MAX_CONTACTS {
        return Err(ApiError::param(format!("Param 'contacts' has more than {MAX_CONTACTS} items"), "101"));
    }
    let mut changes = Vec::with_capacity(lines.len());
    for line in &lines {
        let owner = UserRef::External(line.req_external_id("ownerXCUserID", "102")?);
        let contact = UserRef::External(line.req_external_id("contactXCUserID", "103")?);
        let delete = line.opt_bool("isDeleted", "104")?.unwrap_or(false);
        changes.push(ContactChange { owner, contact, delete });
    }
    let (inserted, deleted) = t.core.sync_contacts(app, changes).await?;
    Ok(Reply(json!({"countInserted": inserted, "countDeleted": deleted})))
}

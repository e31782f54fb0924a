//! `webhook_logs`: the app's webhook delivery attempts, newest first, in Qiscus' shape.

use crate::Qiscus;
use crate::auth::QiscusApp;
use crate::envelope::{ApiError, ApiResult, Reply};
use crate::params::Params;
use crate::validate::Paging;
use crate::wire::iso_millis;
use axum::extract::State;
use serde_json::{Value, json};

/// `webhook_logs`: `page` (from 1, at most 100), `limit` (default 20, at most 100) and `type`
/// (`all`, `mobile` for comments from client apps, `rest` for those of the Server API).
/// Attempts of every endpoint of the app are listed, whatever their dialect; `type` narrows
/// to the Qiscus events.
pub async fn webhook_logs(State(q): State<Qiscus>, auth: QiscusApp, p: Params) -> ApiResult<Value> {
    let paging = Paging::read(&p, 20, 100)?;
    if paging.page > 100 {
        return Err(ApiError::bad_request("Param 'page' must be at most 100"));
    }
    let events = match p.opt_nonempty("type")?.as_deref() {
        None | Some("all") => vec![],
        Some("mobile") => vec!["post_comment_mobile".to_string()],
        Some("rest") => vec!["post_comment_rest".to_string()],
        Some(_) => return Err(ApiError::bad_request("Param 'type' must be all, mobile or rest")),
    };
    let attempts = q.core.webhook_attempts(auth.app, None, events, paging.limit, paging.offset()).await?;
    let logs: Vec<Value> = attempts
        .iter()
        .map(|a| {
            json!({
                "id": a.id,
                "attempted_at": iso_millis(a.attempted_at),
                "endpoint": a.url,
                "error_message": a.error,
                "is_success": a.success,
                "request_body": a.request_body,
                "response_body": a.response_body,
                "response_code": a.status,
            })
        })
        .collect();
    Ok(Reply(json!({ "webhook_logs": logs })))
}
